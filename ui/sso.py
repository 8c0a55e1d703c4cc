"""Single sign-on in the app: the provider's button on the login page, and the identity
st.login brings back turned into an Earshot session (db/services/sso.py decides who it is).

After a sign-in the session is Earshot's own, like a password sign-in: the remembered-login
cookie carries it, and Streamlit's identity cookie is dropped at once (POST
/auth/sso/forget), so Earshot's idle and absolute limits and "Log out" (which ends every
session) hold for SSO users too. An identity is taken once and only while fresh
(SSO_FRESH_S after the provider issued it).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import streamlit as st

from db.access import Actor
from db.services.sso import SsoRefused, sso_sign_in
from ui.format import plain

SSO_FRESH_S = 300.0
REFUSAL_KEY = "sso_refusal"
_consumed: OrderedDict[tuple[str, str, str], None] = OrderedDict()
_consumed_lock = threading.Lock()


def sso_configured() -> bool:
    """Whether secrets.toml has an [auth] section st.login can use."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return False
    if not auth:
        return False
    return bool(auth.get("client_id") or auth.get("redirect_uri"))


def _identity() -> dict[str, Any] | None:
    try:
        if not st.user.is_logged_in:
            return None
        return dict(st.user.to_dict())
    except Exception:  # no browser context (AppTest without auth)
        return None


def _take_once(claims: dict[str, Any]) -> bool:
    """True the first time this identity token (issuer, subject, issue time) is seen by
    this process while fresh; False after, or when it is old."""
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or time.time() - float(issued) > SSO_FRESH_S:
        return False
    key = (str(claims.get("iss")), str(claims.get("sub")), str(issued))
    with _consumed_lock:
        if key in _consumed:
            return False
        _consumed[key] = None
        while len(_consumed) > 10_000:
            _consumed.popitem(last=False)
    return True


def actor_from_provider() -> Actor | None:
    """The Earshot actor for an identity st.login just brought back, or None (no identity,
    an old or already used one, or a refusal, kept for the login page to show)."""
    claims = _identity()
    if claims is None or not _take_once(claims):
        return None
    try:
        return sso_sign_in(claims)
    except (SsoRefused, ValueError) as exc:
        st.session_state[REFUSAL_KEY] = str(exc)
        return None


def sso_section() -> None:
    """The login page's single sign-on part: why the last attempt was refused, and the
    button (only when [auth] is configured)."""
    if refusal := st.session_state.pop(REFUSAL_KEY, None):
        st.error(f"Single sign-on refused: {plain(refusal)}")
    if not sso_configured():
        return
    if st.button("Sign in with single sign-on", icon=":material/badge:", key="sso_login"):
        st.login()


def provider_identity_present() -> bool:
    return _identity() is not None


def drop_provider_identity() -> None:
    """Forget st.user in this session and the identity cookie in the browser (st.logout
    also ends the provider's session when it offers that)."""
    if provider_identity_present():
        st.logout()
