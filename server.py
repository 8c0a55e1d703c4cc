"""ASGI entry point: the Streamlit app plus the signed audio route, the login cookie
route and the read-only export API (api/routes.py, under /api/), behind middleware that
adds security headers to every answer (ui/http_app.py).

Run with ``streamlit run server.py`` (Streamlit detects the ``st.App``).
"""

from __future__ import annotations

import gc

import streamlit as st
from starlette.requests import Request

from api.routes import api_routes
from ui.http_app import app_middleware, app_routes
from ui.outage import outage_in_fragment
from ui.proxy import request_client_address
from ui.remembered_login import trusted_proxies


def api_client_address(request: Request) -> str:
    """The caller as the sign-in limits see it: behind a trusted proxy, X-Forwarded-For."""
    return request_client_address(request.scope, trusted_proxies()) or ""


app = st.App(
    "workbench.py",
    routes=[*app_routes(), *api_routes(api_client_address)],
    middleware=app_middleware(),
    # Full runs show a database outage through workbench.py's guard; a fragment's own
    # rerun skips workbench.py, so its outage comes here (ui/outage.py).
    on_script_error=outage_in_fragment,
)

# Heap management (issue 15), with runner.postScriptGC off in .streamlit/config.toml: what
# start-up loaded lives as long as the process, so it leaves the collector's view, and
# the young generation is collected less often (each collection of it is still cheap).
HEAP_THRESHOLDS = (50_000, 20, 20)
gc.collect()
gc.freeze()
gc.set_threshold(*HEAP_THRESHOLDS)
