"""Users: admins create accounts, change roles, deactivate and reset passwords. Every
change asks for a confirmation and says what it did; a refused form keeps what was typed."""

import pandas as pd
import streamlit as st

from db.services.users import (
    create_user,
    list_teams,
    list_users,
    reset_password,
    set_active,
    set_role,
)
from scoring.errors import EarshotError
from ui.format import plain
from ui.session import require_actor

ROLES = ["agent", "supervisor", "admin"]
ADD_FIELDS = ("add_username", "add_display_name", "add_team", "add_new_team", "add_password")
NOTICE = "users_notice"  # what the last change did, shown after the rerun
PENDING = "users_pending"  # a change waiting for its confirmation

actor = require_actor()
st.title("Users")
if notice := st.session_state.pop(NOTICE, None):
    st.success(plain(notice[0]))
    if notice[1]:  # a temporary password: shown once, here only
        st.code(notice[1], language=None)
# A user created last run: its form is emptied before the widgets are drawn again.
if st.session_state.pop("add_user_clear", False):
    for field in ADD_FIELDS:
        st.session_state.pop(field, None)

users = list_users(actor)
table = pd.DataFrame(
    {
        "Username": [u.username for u in users],
        "Name": [u.display_name for u in users],
        "Role": [u.role for u in users],
        "Team": [u.team or "" for u in users],
        "Active": [u.active for u in users],
        "Must change password": [u.must_change_password for u in users],
        "Demo account": [u.is_demo for u in users],
    }
)
st.dataframe(table, hide_index=True, width="stretch")

teams = [name for _, name in list_teams(actor)]
with st.expander("Add a user", icon=":material/person_add:"):
    with st.form("add_user", clear_on_submit=False):
        username = st.text_input("Username", key="add_username")
        display_name = st.text_input("Display name", key="add_display_name")
        role = st.selectbox("Role", ROLES, key="add_role")
        team = st.selectbox(
            "Team", [""] + teams, key="add_team", help="Agents and supervisors need a team."
        )
        new_team = st.text_input("…or a new team", key="add_new_team")
        password = st.text_input("Initial password", type="password", key="add_password")
        must_change = st.checkbox(
            "They choose their own password at first sign-in", value=True, key="add_must_change"
        )
        if st.form_submit_button("Create user", type="primary"):
            try:
                row = create_user(
                    actor,
                    username,
                    display_name,
                    role,
                    password,
                    team=new_team.strip() or team or None,
                    must_change_password=must_change,
                )
            except EarshotError as exc:
                st.error(plain(exc))  # the fields keep what was typed
            else:
                st.session_state[NOTICE] = (
                    f"Created {row.username} ({row.role}"
                    + (f", team {row.team}" if row.team else "")
                    + ")."
                    + (" They choose their own password at first sign-in." if must_change else ""),
                    None,
                )
                st.session_state["add_user_clear"] = True
                st.rerun()


def _ask(kind: str, user_id: int, question: str, **details: object) -> None:
    st.session_state[PENDING] = {"kind": kind, "user_id": user_id, "question": question, **details}


def _confirmed(pending: dict) -> None:
    """Carry out a confirmed change; its result is shown after the rerun."""
    temporary = None
    if pending["kind"] == "role":
        row = set_role(actor, pending["user_id"], pending["role"], pending["team"] or None)
        done = f"{row.username} is now {row.role}" + (f" in team {row.team}" if row.team else "")
        done += "; the change is in the audit trail."
    elif pending["kind"] == "active":
        row = set_active(actor, pending["user_id"], pending["active"])
        done = f"{row.username} is {'reactivated' if row.active else 'deactivated'}" + (
            "." if row.active else "; their sessions have ended."
        )
    else:
        temporary = reset_password(actor, pending["user_id"])
        done = (
            f"Password of {pending['username']} reset. Give them this temporary password; "
            "it is not shown again, and they must choose their own at next sign-in."
        )
    st.session_state[NOTICE] = (done, temporary)


with st.expander(
    "Change a role, deactivate or reset a password",
    icon=":material/manage_accounts:",
    expanded=PENDING in st.session_state,
):
    by_name = {u.username: u for u in users}
    chosen = st.selectbox(
        "User",
        list(by_name),
        key="manage_user",
        format_func=lambda name: f"{by_name[name].display_name} ({name})",
    )
    if chosen:
        user = by_name[chosen]
        new_role = st.selectbox(
            "New role",
            ROLES,
            index=ROLES.index(user.role) if user.role in ROLES else 0,
            key=f"role_{user.id}",
        )
        team_options = [""] + teams
        new_team = st.selectbox(
            "Team",
            team_options,
            index=team_options.index(user.team or "") if (user.team or "") in team_options else 0,
            key=f"team_{user.id}",
        )
        c1, c2, c3 = st.columns(3)
        if c1.button("Save role", key="ask_role"):
            _ask(
                "role",
                user.id,
                f"Change {user.username} from {user.role}"
                + (f" ({user.team})" if user.team else "")
                + f" to {new_role}"
                + (f" ({new_team})" if new_team else "")
                + "?",
                role=new_role,
                team=new_team,
            )
        if c2.button("Deactivate" if user.active else "Reactivate", key="ask_active"):
            _ask(
                "active",
                user.id,
                f"Deactivate {user.username}? Their sessions end at once and they cannot sign "
                "in; their evaluations stay."
                if user.active
                else f"Reactivate {user.username}? They can sign in again.",
                active=not user.active,
            )
        if c3.button("Reset password", key="ask_reset"):
            _ask(
                "reset",
                user.id,
                f"Reset the password of {user.username}? Their sessions end; you get a "
                "temporary password to give them, which they must change at next sign-in.",
                username=user.username,
            )
    pending = st.session_state.get(PENDING)
    if pending:
        with st.container(border=True):
            st.warning(plain(pending["question"]), icon=":material/help:")
            yes, no = st.columns(2)
            if yes.button("Confirm", type="primary", key="confirm_change"):
                st.session_state.pop(PENDING, None)
                try:
                    _confirmed(pending)
                except EarshotError as exc:
                    st.error(plain(exc))
                else:
                    st.rerun()
            if no.button("Cancel", key="cancel_change"):
                st.session_state.pop(PENDING, None)
                st.rerun()
