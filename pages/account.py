"""Account: the user's password, the time zone dates are shown in (their browser's until
they choose one), and their personal access tokens for the export API. A new token is
shown once (only its hash is kept); any token can be revoked, and stops at once."""

from datetime import UTC, datetime

import streamlit as st

from db.operations.config import settings
from db.services.tokens import api_requests, create_token, list_tokens, revoke_token
from db.services.users import set_time_zone
from scoring.errors import EarshotError
from ui.format import local_date, plain
from ui.password_form import change_password_form
from ui.session import require_actor
from ui.times import browser_zone_name, local_time, remember_zone, saved_zone_name, zone_names

actor = require_actor()
st.title("Account")
st.subheader("Password")
change_password_form(actor)

st.subheader("Time zone")
BROWSERS = ""  # the option "my browser's zone": nothing saved
browser = browser_zone_name()
zone_options = [BROWSERS, *zone_names()]
saved = saved_zone_name()
with st.form("time_zone_form"):
    chosen = st.selectbox(
        "Show dates and times in",
        zone_options,
        index=zone_options.index(saved) if saved in zone_options else 0,
        format_func=lambda z: z or f"My browser's time zone ({browser or 'not known yet'})",
        key="time_zone_choice",
        help="Type to find a zone, e.g. Dublin or New_York.",
    )
    save_zone = st.form_submit_button("Save time zone")
if save_zone:
    try:
        saved = set_time_zone(actor, chosen or None)
    except EarshotError as exc:
        st.error(plain(exc))
    else:
        remember_zone(actor.id, saved)
        st.success(f"Saved: dates are shown in {saved or 'your browser’s time zone'}.")
st.caption(f"Now: {local_time(datetime.now(UTC))}")

st.subheader("API tokens")
st.caption(
    "A token lets a BI tool read the export API (/api/v1/…, described at /api/openapi.json) "
    "with exactly what you may see here. Send it as `Authorization: Bearer <token>`."
)

JUST_MADE = "account_just_made"  # (name, expires, token): shown once, on the run after
# A token made last run: its form is emptied before the widgets are drawn again.
if made_last := st.session_state.pop(JUST_MADE, None):
    st.session_state.pop("token_name", None)
    st.session_state.pop("token_days", None)
    made_name, made_expires, made_token = made_last
    st.success(
        f"Token “{plain(made_name)}” created. Copy it now: it is not shown again "
        f"(expires {local_date(made_expires)})."
    )
    st.code(made_token, language=None)

# Refused: the name and expiry stay as typed, and the message says what is wrong.
with st.form("new_token", clear_on_submit=False):
    name = st.text_input(
        "Name", max_chars=100, placeholder="e.g. Power BI refresh", key="token_name"
    )
    days = st.number_input(
        "Expires after (days)",
        min_value=1,
        max_value=settings().api_token_max_days,
        value=min(90, settings().api_token_max_days),
        step=1,
        key="token_days",
    )
    made = st.form_submit_button("Create token")
if made:
    try:
        token, row = create_token(actor, name, int(days))
    except EarshotError as exc:
        st.error(plain(exc))
    else:
        st.session_state[JUST_MADE] = (row.name, row.expires_at, token)
        st.rerun()

try:
    tokens = list_tokens(actor)
except EarshotError as exc:
    st.error(plain(exc))
    st.stop()
if not tokens:
    st.info("You have no tokens.")
for row in tokens:
    state = "active" if row.active else ("revoked" if row.revoked_at else "expired")
    used = f", last used {local_date(row.last_used_at)}" if row.last_used_at else ""
    left, right = st.columns([5, 1])
    # The name is the user's own text: shown as text, never as Markdown.
    left.text(f"{row.name} · {row.hint}… · {state} · expires {local_date(row.expires_at)}{used}")
    if row.revoked_at is None and right.button("Revoke", key=f"revoke_{row.id}"):
        try:
            revoke_token(actor, row.id)
        except EarshotError as exc:
            st.error(plain(exc))
        else:
            st.rerun()

st.subheader("Recent API requests")
requests = api_requests(actor, limit=20)
if not requests:
    st.caption("None yet. Every request made with your tokens is recorded here and kept.")
else:
    st.dataframe(
        [
            {
                "when": local_date(r.at),
                "path": r.path,
                "query": r.query,
                "status": r.status,
                "rows": r.rows,
                "from": r.address,
            }
            for r in requests
        ],
        hide_index=True,
    )
