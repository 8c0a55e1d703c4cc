"""ASGI entry point: the Streamlit app plus the signed audio route.

Run with ``streamlit run server.py`` (Streamlit detects the ``st.App``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from player.routes import media_routes
from ui.remembered_login import session_routes


def resolve_audio(call_id: int, user_id: int) -> Path | None:
    from db.media import audio_path_for_grant  # lazy: the db layer loads on first request

    return audio_path_for_grant(call_id, user_id)


def media_secret() -> bytes:
    from db.config import settings

    return settings().secret_key


app = st.App(
    "workbench.py",
    routes=[*media_routes(resolve_audio, media_secret), *session_routes()],
)
