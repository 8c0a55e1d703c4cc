"""Hostile-suite fixtures. The tally of inputs tried lives in tests/hostile/tally.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_login_throttles():
    """Per-address counts and hashing turns live in the process: each test starts clean,
    as if the server had just started."""
    from db.services.auth import reset_throttles

    reset_throttles()
    yield
    reset_throttles()
