"""Starlette route that streams a call's audio to holders of a signed media token.

``GET|HEAD /audio/{token}``: 403 for a bad or expired token, a token whose user has
logged out since (their session epoch moved on) or may no longer hear the call, 404 when
the call has no audio file, otherwise a
:class:`~starlette.responses.FileResponse`, which streams the file in chunks and answers
``Range`` requests with 206 + ``Content-Range``.

Streamlit reserves ``/_stcore/``, ``/media/``, ``/component/`` and ``/static/``
(``_RESERVED_ROUTE_PREFIXES`` in streamlit/web/server/starlette/starlette_app.py), so
the route lives under ``/audio/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from media.signing import InvalidMediaToken, verify_media_token
from player.ranged import RangedAudio, ranged_response

AUDIO_ROUTE_PREFIX = "/audio/"

AUDIO_CONTENT_TYPES: dict[str, str] = {
    ".opus": "audio/ogg",  # Opus is always carried in an Ogg container here
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}

# Browsers may cache the bytes for the session, but shared caches must not store them.
_CACHE_CONTROL = "private, max-age=3600"


def audio_url(token: str) -> str:
    """The path a page hands to the player for ``token``."""
    return f"{AUDIO_ROUTE_PREFIX}{token}"


def _refusal(status_code: int, message: str) -> Response:
    """A plain-text refusal that no cache keeps (the answer may change on the next try)."""
    return PlainTextResponse(
        message, status_code=status_code, headers={"Cache-Control": "no-store"}
    )


def media_routes(
    resolve_audio: Callable[[int, int], Path | RangedAudio | None],
    secret_provider: Callable[[], bytes],
    session_epoch: Callable[[int], int | None] | None = None,
) -> list[Route]:
    """Routes for ``st.App(..., routes=...)``.

    ``resolve_audio(call_id, user_id)`` returns the audio file's path or None, and raises
    PermissionError when the token's user may no longer hear the call (the signature only
    proves who was allowed when it was issued); it may block (it runs in a worker thread).
    ``secret_provider()`` returns the HMAC key the tokens were signed with; it is called
    per request so a rotated key takes effect at once. ``session_epoch(user_id)``, when
    given, returns the user's current session epoch (None for no such active user): a
    token signed under another epoch, or an old token without one, is refused, so
    logging out ends every audio link issued before (it may block too).
    """

    async def audio(request: Request) -> Response:
        try:
            grant = verify_media_token(request.path_params["token"], secret_provider())
        except InvalidMediaToken:
            return _refusal(
                403, "Forbidden: this audio link is invalid or has expired. Reload the page."
            )
        if session_epoch is not None:
            current = await run_in_threadpool(session_epoch, grant.user_id)
            if grant.epoch is None or current is None or grant.epoch != current:
                return _refusal(
                    403, "Forbidden: this audio link ended when you logged out. Log in again."
                )
        try:
            path = await run_in_threadpool(resolve_audio, grant.call_id, grant.user_id)
        except PermissionError:
            return _refusal(403, "Forbidden: you may no longer hear this call.")
        if path is not None and not isinstance(path, (str, Path)):  # a bucket's object
            return ranged_response(
                path,
                request.headers.get("range"),
                AUDIO_CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                {"Cache-Control": _CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
                head_only=request.method == "HEAD",
            )
        if path is None or not await run_in_threadpool(Path(path).is_file):
            return _refusal(404, "Not found: no audio for this call.")
        path = Path(path)
        return FileResponse(
            path,
            media_type=AUDIO_CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
            headers={"Cache-Control": _CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
        )

    return [Route(AUDIO_ROUTE_PREFIX + "{token}", audio, methods=["GET", "HEAD"])]
