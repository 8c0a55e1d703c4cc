"""Users: admins create accounts, change roles and deactivate."""

import pandas as pd
import streamlit as st

from db.access import AccessDenied
from db.users import create_user, list_teams, list_users, set_active, set_role
from ui.session import require_actor

actor = require_actor("admin")
st.title("Users")

users = list_users(actor)
st.dataframe(
    pd.DataFrame([u.__dict__ for u in users]).drop(columns=["id"]),
    hide_index=True,
    width="stretch",
)

teams = [name for _, name in list_teams(actor)]
with st.expander("Add a user", icon=":material/person_add:"):
    with st.form("add_user", clear_on_submit=True):
        username = st.text_input("Username")
        display_name = st.text_input("Display name")
        role = st.selectbox("Role", ["agent", "supervisor", "admin"])
        team = st.selectbox("Team", [""] + teams, help="Agents and supervisors need a team.")
        new_team = st.text_input("…or a new team")
        password = st.text_input("Initial password", type="password")
        if st.form_submit_button("Create user", type="primary"):
            try:
                row = create_user(
                    actor,
                    username,
                    display_name,
                    role,
                    password,
                    team=new_team.strip() or team or None,
                )
            except (ValueError, AccessDenied) as exc:
                st.error(str(exc))
            else:
                st.success(f"Created {row.username} ({row.role}).")

with st.expander("Change a role or deactivate", icon=":material/manage_accounts:"):
    by_name = {u.username: u for u in users}
    chosen = st.selectbox("User", list(by_name))
    if chosen:
        user = by_name[chosen]
        roles = ["agent", "supervisor", "admin"]
        new_role = st.selectbox(
            "New role", roles, index=roles.index(user.role) if user.role in roles else 0
        )
        new_team = st.selectbox("Team", [""] + teams, index=([""] + teams).index(user.team or ""))
        c1, c2 = st.columns(2)
        try:
            if c1.button("Save role"):
                set_role(actor, user.id, new_role, new_team or None)
                st.success("Role saved; the change is in the audit trail.")
            if c2.button("Deactivate" if user.active else "Reactivate"):
                set_active(actor, user.id, not user.active)
                st.rerun()
        except (ValueError, AccessDenied, LookupError) as exc:
            st.error(str(exc))
