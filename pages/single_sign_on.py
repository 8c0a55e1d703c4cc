"""Single sign-on (admins): require it for everyone but a break-glass admin, give people
who signed in for the first time a role, and set the e-mail addresses first sign-ins link
by and notifications go to."""

import streamlit as st

from db.access import AccessDenied
from db.services.sso import set_email, set_sso_policy, sso_policy, users_waiting_for_a_role
from db.services.users import list_users
from ui.format import plain
from ui.session import require_actor, show_denied
from ui.sso import sso_configured

actor = require_actor()
st.title("Single sign-on")
if sso_configured():
    st.success("An identity provider is configured ([auth] in secrets.toml).")
else:
    st.warning(
        "No identity provider is configured: add an [auth] section to "
        ".streamlit/secrets.toml (see docs/deploy.md). Local accounts work meanwhile."
    )

users = list_users(actor)
admins = [u for u in users if u.role == "admin" and u.active]
policy = sso_policy()
with st.form("sso_policy"):
    required = st.toggle("Everyone signs in through single sign-on", value=policy.required)
    ids = [u.id for u in admins]
    glass = st.selectbox(
        "Break-glass admin (may still use a local password)",
        ids,
        index=ids.index(policy.break_glass_user_id) if policy.break_glass_user_id in ids else 0,
        format_func=lambda i: next(u.username for u in admins if u.id == i),
    )
    if st.form_submit_button("Save", type="primary"):
        try:
            set_sso_policy(actor, required, glass if required else None)
        except AccessDenied as exc:
            show_denied(exc)
        except ValueError as exc:
            st.error(plain(exc))
        else:
            st.success("Saved.")

st.subheader("Waiting for a role")
waiting = users_waiting_for_a_role(actor)
if waiting:
    for _, username, email in waiting:
        st.text(f"{username} ({email or 'no address'})")
    st.page_link("pages/users.py", label="Assign roles under Users", icon=":material/group:")
else:
    st.caption("Nobody is waiting.")

st.subheader("E-mail addresses")
with st.form("set_email"):
    by_id = {u.id: u for u in users}
    who = st.selectbox("User", list(by_id), format_func=lambda i: by_id[i].username)
    address = st.text_input("E-mail address (empty to remove)")
    if st.form_submit_button("Set address"):
        try:
            set_email(actor, who, address)
        except ValueError as exc:
            st.error(plain(exc))
        else:
            st.success(f"Set for {plain(by_id[who].username)}.")
