"""The browser fixtures of the e2e suite (a real Chromium), for the SSO browser tests."""

from tests.e2e.conftest import chromium, page  # noqa: F401
