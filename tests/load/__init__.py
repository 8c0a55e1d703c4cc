"""Load, fault and deployment tests.

The real app server (``AppServer``) and the Streamlit-protocol client (``WebSession``)
live in tests/support, shared with the protocol benchmark; they are re-exported here.
"""

from __future__ import annotations

from tests.support.protocol import WebSession
from tests.support.server import REPO_ROOT, AppServer, free_port, http_get

__all__ = ["REPO_ROOT", "AppServer", "WebSession", "free_port", "http_get"]
