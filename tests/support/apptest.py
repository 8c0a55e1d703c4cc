"""AppTest as the server runs an app: shared by the benchmark and the page tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def server_like_script_cache() -> Iterator[bool]:
    """Run pages in AppTest as the server runs them, so the measure is the server's work:

    - AppTest compiles every script again on every run (a new ScriptCache per run); the
      server keeps one cache per process, so a rerun never recompiles. Share one cache.
    - AppTest decides on every run that a `pages/` folder means the old folder-based
      navigation and then runs a page's file alone, skipping `workbench.py` (its login
      check, role navigation and badge counts). The server makes that call once, and
      `st.navigation` turns it off for good. Turn it off here too.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner.script_cache import ScriptCache
        from streamlit.testing.v1 import app_test, local_script_runner

        modules = [app_test, local_script_runner]
        originals = [m.ScriptCache for m in modules]
        original_pages_manager = app_test.PagesManager
        original_choice = PagesManager.uses_pages_directory
    except (ImportError, AttributeError):
        yield False
        return

    class NavigationPagesManager(PagesManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False  # as after the server's first run

    shared = ScriptCache()
    for module in modules:
        module.ScriptCache = lambda: shared
    app_test.PagesManager = NavigationPagesManager
    try:
        yield True
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.ScriptCache = original
        app_test.PagesManager = original_pages_manager
        PagesManager.uses_pages_directory = original_choice
