"""What server.py hands st.App besides the script: the app's own routes (signed audio,
the remembered-login cookie) and the middleware that gives every answer its security
headers. Kept apart from server.py so tests mount exactly these on a bare Starlette app.
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware
from starlette.routing import Route

from player.ranged import RangedAudio
from player.routes import media_routes
from ui.proxy import SecurityHeaders
from ui.remembered_login import https_configured, session_routes, trusted_proxies


def resolve_audio(call_id: int, user_id: int) -> Path | RangedAudio | None:
    from db.services.media import audio_path_for_grant  # lazy: the db layer loads on first request

    return audio_path_for_grant(call_id, user_id)


def media_secret() -> bytes:
    from db.operations.config import settings

    return settings().secret_key


def audio_session_epoch(user_id: int) -> int | None:
    from db.services.auth import session_epoch_of

    return session_epoch_of(user_id)


def app_routes() -> list[Route]:
    return [
        *media_routes(resolve_audio, media_secret, audio_session_epoch),
        *session_routes(),
    ]


def app_middleware() -> list[Middleware]:
    trusted_proxies()  # a bad EARSHOT_TRUSTED_PROXIES stops the start, naming the entry
    return [Middleware(SecurityHeaders, https=https_configured, proxies=trusted_proxies)]
