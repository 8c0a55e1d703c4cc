"""ASGI entry point: the Streamlit app plus the signed audio route and the login cookie
route, behind middleware that adds security headers to every answer (ui/http_app.py).

Run with ``streamlit run server.py`` (Streamlit detects the ``st.App``).
"""

from __future__ import annotations

import streamlit as st

from ui.http_app import app_middleware, app_routes

app = st.App("workbench.py", routes=app_routes(), middleware=app_middleware())
