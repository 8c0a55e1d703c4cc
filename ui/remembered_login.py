"""Staying logged in across a refresh: an HttpOnly cookie holding a signed session token.

Streamlit cannot set cookies itself, so after a login the page mounts a tiny component
whose script POSTs the token to `/auth/session`, a route served beside the app that
checks it and sets the cookie. On a new browser session, `workbench.py` reads the cookie
(`st.context.cookies`) and logs the user back in. Logging out bumps the user's session
epoch in the database, which ends every token issued before.
"""

from __future__ import annotations

import streamlit as st
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

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
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        return None


async def _set_cookie(request: Request) -> Response:
    from db.auth import SESSION_MAX_AGE_S, actor_from_session_token

    if request.headers.get(_HEADER) != "1":
        return JSONResponse({"error": "missing header"}, status_code=400)
    try:
        token = str((await request.json()).get("token", ""))
    except ValueError:
        return JSONResponse({"error": "bad body"}, status_code=400)
    if actor_from_session_token(token) is None:
        return JSONResponse({"error": "invalid session"}, status_code=403)
    response = JSONResponse({"ok": True})
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


async def _clear_cookie(request: Request) -> Response:
    if request.headers.get(_HEADER) != "1":
        return JSONResponse({"error": "missing header"}, status_code=400)
    response = JSONResponse({"ok": True})
    response.delete_cookie(COOKIE, path="/")
    return response


def session_routes() -> list[Route]:
    return [
        Route("/auth/session", _set_cookie, methods=["POST"]),
        Route("/auth/logout", _clear_cookie, methods=["POST"]),
    ]
