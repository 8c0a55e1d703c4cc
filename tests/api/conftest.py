"""The real app and Chromium of tests/e2e, for the Account page's browser test."""

from tests.e2e.conftest import (  # noqa: F401 - fixtures, used by name
    chromium,
    earshot_app,
    page,
    streamlit_server,
)
