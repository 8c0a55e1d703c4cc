"""Staying logged in across a refresh: an HttpOnly cookie holding a signed session token.

Streamlit cannot set cookies itself, so after a login the page mounts a tiny component
whose script POSTs the token to `/auth/session`, a route served beside the app that
checks it and sets the cookie. On a new browser session, `workbench.py` reads the cookie
(`st.context.cookies`) and logs the user back in. Logging out bumps the user's session
epoch in the database, which ends every token issued before. The cookie is Secure when
the app is served over HTTPS (EARSHOT_HTTPS, or a trusted proxy's X-Forwarded-Proto).
"""

from __future__ import annotations

import json
import time
from functools import cache

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ui.proxy import IPNetwork, parse_networks, request_client_address, request_forwarded_https

COOKIE = "earshot_session"
_HEADER = "x-earshot-login"  # a custom header forces a CORS preflight: no cross-site posts

_JS = """
export default function (component) {
  const { data } = component;
  if (!data || !data.url) return;
  fetch(data.url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Earshot-Login": "1" },
    body: JSON.stringify({ token: data.token || "" }),
  }).catch(() => {});
}
"""
_cookie_call = st.components.v2.component("earshot_session_cookie", html="<span></span>", js=_JS)


def store_session_cookie(token: str) -> None:
    """Ask the browser to keep `token` in the HttpOnly session cookie."""
    _cookie_call(key="earshot_store_cookie", data={"url": "/auth/session", "token": token})


def clear_session_cookie() -> None:
    _cookie_call(key="earshot_clear_cookie", data={"url": "/auth/logout", "token": ""})


def session_cookie_token() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:
        return None


MAX_BODY_BYTES = 2048  # a token is ~120 characters; nothing bigger is read


def https_configured() -> bool:
    from db.operations.config import settings

    return settings().https


def trusted_proxies() -> tuple[IPNetwork, ...]:
    from db.operations.config import settings

    return _networks(settings().trusted_proxies)


@cache
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_networks(entries)


def _answer(status: int, **content: object) -> JSONResponse:
    return JSONResponse(content, status_code=status, headers={"Cache-Control": "no-store"})


def _secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS: configured, the ASGI scheme, or a
    trusted proxy's X-Forwarded-Proto (never a header from anyone else)."""
    return (
        https_configured()
        or request.url.scheme == "https"
        or request_forwarded_https(request.scope, trusted_proxies())
    )


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None when it is longer than MAX_BODY_BYTES (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return body


def _token_from(body: bytes) -> str | JSONResponse:
    """The token in a body like {"token": "..."}, or the 400 answer saying what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _answer(400, error='The body must be JSON like {"token": "..."}.')
    if not isinstance(data, dict):
        return _answer(400, error='The body must be a JSON object like {"token": "..."}.')
    token = data.get("token", "")
    if not isinstance(token, str):
        return _answer(400, error="The token must be a string.")
    return token


async def _set_cookie(request: Request) -> Response:
    from db.services.auth import LoginThrottled, session_from_token_at, session_max_s

    if request.headers.get(_HEADER) != "1":
        return _answer(400, error="The X-Earshot-Login header is missing.")
    body = await _bounded_body(request)
    if body is None:
        return _answer(413, error="The request body is too large.")
    token = _token_from(body)
    if isinstance(token, JSONResponse):
        return token
    address = request_client_address(request.scope, trusted_proxies())
    try:
        restored = await run_in_threadpool(session_from_token_at, token, address)
    except LoginThrottled as exc:
        return _answer(429, error=str(exc))
    if restored is None:
        return _answer(403, error="This session is not valid (expired or logged out).")
    _, info = restored
    lifetime = max(1, int(session_max_s() - (time.time() - info.started_at)))
    response = _answer(200, ok=True)
    response.set_cookie(
        COOKIE,
        token,
        max_age=lifetime,  # the session's absolute end; idle ends are checked server side
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    return response


async def _clear_cookie(request: Request) -> Response:
    if request.headers.get(_HEADER) != "1":
        return _answer(400, error="The X-Earshot-Login header is missing.")
    response = _answer(200, ok=True)
    response.delete_cookie(
        COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict"
    )
    return response


def forget_provider_cookie() -> None:
    """After a single sign-on: drop Streamlit's identity cookie (ui/sso.py)."""
    _cookie_call(key="earshot_forget_sso", data={"url": "/auth/sso/forget", "token": ""})


# Streamlit's identity cookies (st.login), and their chunks when split.
_PROVIDER_COOKIES = ("_streamlit_user", "_streamlit_user_tokens")


async def _forget_provider_cookie(request: Request) -> Response:
    if request.headers.get(_HEADER) != "1":
        return _answer(400, error="The X-Earshot-Login header is missing.")
    response = _answer(200, ok=True)
    for name in request.cookies:
        if name in _PROVIDER_COOKIES or name.startswith(tuple(f"{c}_" for c in _PROVIDER_COOKIES)):
            response.delete_cookie(name, path="/")
    return response


def session_routes() -> list[Route]:
    return [
        Route("/auth/session", _set_cookie, methods=["POST"]),
        Route("/auth/logout", _clear_cookie, methods=["POST"]),
        Route("/auth/sso/forget", _forget_provider_cookie, methods=["POST"]),
    ]
