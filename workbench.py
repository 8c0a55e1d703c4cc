"""Earshot entry point: page config, login, and the navigation each role may use."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from db.access import Actor
from db.services.auth import (
    LoginFailed,
    authenticate,
    issue_session_token,
    session_from_token,
    session_idle_s,
)
from db.services.notifications import note_due_assignments
from db.services.overview import NavigationCounts, navigation_counts
from db.services.sso import NO_ROLE
from ui.format import plain
from ui.outage import database_outage_shown
from ui.password_form import change_password_form
from ui.remembered_login import (
    clear_session_cookie,
    forget_provider_cookie,
    session_cookie_token,
    store_session_cookie,
)
from ui.session import (
    admit_page,
    browser_address,
    check_session,
    current_session,
    log_in,
    login_notice,
    require_actor,
)
from ui.sso import actor_from_provider, sso_section
from ui.times import reader_zone

# The tab icon is a file served by the app itself: a ":material/…" icon would make the
# browser fetch it from an outside font server, and Earshot must work on a closed network.
APP_ICON = Path(__file__).resolve().parent / "ui" / "static" / "earshot-icon.png"
st.set_page_config(page_title="Earshot", page_icon=APP_ICON, layout="wide")

PAGES = {
    # path: (title, icon, roles that may use it)
    "pages/home.py": ("Overview", ":material/home:", {"admin", "supervisor", "agent"}),
    "pages/notifications.py": (
        "Notifications",
        ":material/notifications:",
        {"admin", "supervisor", "agent"},
    ),
    "pages/queue.py": ("My assignments", ":material/assignment:", {"admin", "supervisor"}),
    "pages/score.py": ("Score a call", ":material/rate_review:", {"admin", "supervisor"}),
    "pages/calibration.py": ("Calibration", ":material/tune:", {"admin", "supervisor"}),
    "pages/disputes.py": ("Disputes", ":material/gavel:", {"admin", "supervisor"}),
    "pages/my_feedback.py": ("My feedback", ":material/inbox:", {"agent"}),
    "pages/trends.py": ("Trends", ":material/monitoring:", {"admin", "supervisor"}),
    "pages/evaluations.py": ("Evaluations", ":material/fact_check:", {"admin", "supervisor"}),
    "pages/calls.py": ("Calls", ":material/call:", {"admin", "supervisor"}),
    "pages/sampling.py": ("Sampling plans", ":material/shuffle:", {"admin", "supervisor"}),
    "pages/users.py": ("Users", ":material/group:", {"admin"}),
    "pages/rubrics.py": ("Rubrics", ":material/checklist:", {"admin", "supervisor"}),
    "pages/account.py": ("Account", ":material/key:", {"admin", "supervisor", "agent"}),
    "pages/single_sign_on.py": ("Single sign-on", ":material/badge:", {"admin"}),
}
HOME = "pages/home.py"
# A page's address (the default page's is "") -> its row of the table.
PAGE_AT_ADDRESS = {("" if path == HOME else Path(path).stem): row for path, row in PAGES.items()}
SECTIONS = {
    "pages/home.py": "Earshot",
    "pages/notifications.py": "Earshot",
    "pages/queue.py": "Scoring",
    "pages/score.py": "Scoring",
    "pages/calibration.py": "Scoring",
    "pages/disputes.py": "Scoring",
    "pages/my_feedback.py": "Earshot",
    "pages/trends.py": "Insight",
    "pages/evaluations.py": "Insight",
    "pages/calls.py": "Manage",
    "pages/sampling.py": "Manage",
    "pages/users.py": "Manage",
    "pages/rubrics.py": "Manage",
    "pages/account.py": "Earshot",
    "pages/single_sign_on.py": "Manage",
}


def login_page() -> None:
    st.title("Earshot")
    st.caption("Quality assurance for people who listen for a living.")
    if notice := login_notice():
        st.info(plain(notice))
    with st.form("login", border=True):
        username = st.text_input("Username", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    sso_section()
    if submitted:
        try:
            actor = authenticate(username, password, client_address=browser_address())
        except LoginFailed as exc:
            st.error(plain(exc))
        else:
            info = log_in(actor)
            st.session_state["issue_cookie"] = issue_session_token(actor, info)
            st.session_state["cookie_issued_at"] = info.seen_at
            st.rerun()
    elif session_cookie_token():
        clear_session_cookie()  # a cookie that no longer logs anyone in


def nav_title(path: str, title: str, counts: NavigationCounts) -> str:
    """Titles that carry a count of what waits for this user."""
    if path == "pages/queue.py" and (due := counts.due_assignments):
        return f"{title} ({due})"
    if path == "pages/disputes.py" and (waiting := counts.open_disputes):
        return f"{title} ({waiting})"
    if path == "pages/my_feedback.py" and (new := counts.unread_feedback):
        return f"{title} ({new} new)"
    if path == "pages/notifications.py" and (new := counts.unread_notifications):
        return f"{title} ({new})"
    return title


DUE_CHECK_EVERY_S = 300.0


def nav_counts(actor: Actor) -> NavigationCounts:
    """Every count the navigation shows, read together once per run (one round trip for
    the bell and the disputes, the due count cached): the shell runs on every page, so it
    is part of every page's time. "Due today" is the reader's today. Assignments coming
    due are looked for every few minutes, for the bell."""
    now = time.monotonic()
    if now - st.session_state.get("_due_checked_at", -DUE_CHECK_EVERY_S) >= DUE_CHECK_EVERY_S:
        st.session_state["_due_checked_at"] = now
        note_due_assignments(actor)
    return navigation_counts(actor, reader_zone())


def waiting_for_a_role_page() -> None:
    actor = require_actor()
    st.title(f"Welcome, {plain(actor.display_name)}")
    st.info(
        "You are signed in, but an administrator has not given you a role yet. "
        "Ask them to assign one under Users; then reload this page."
    )


def password_change_page() -> None:
    actor = require_actor()
    st.title("Choose your password")
    st.info(
        "An administrator gave you a temporary password. Choose your own to continue; "
        "nothing else opens until you do."
    )
    change_password_form(actor, key="required_password_change")


def not_for_this_role(title: str) -> Callable[[], None]:
    """The page at a page's address for a role that may not use it: the shell admits it
    with the page's own roles, so the check says whom it is for."""

    def page() -> None:
        st.title(title)
        require_actor()

    return page


def pages_for(actor: Actor) -> dict[str, list]:
    """The role's navigation, sections in order. The st.Page objects are made once per
    session and set of titles (making one resolves its file path), then reused."""
    counts = nav_counts(actor)
    titles = tuple(
        nav_title(path, title, counts) if actor.role in roles else None
        for path, (title, _, roles) in PAGES.items()
    )
    made = st.session_state.get("_nav_pages")
    if made is not None and made[0] == (actor.role, titles):
        return made[1]
    sections: dict[str, list] = {}
    for (path, (name, icon, _)), title in zip(PAGES.items(), titles, strict=True):
        if title is None:
            # Its address still answers, saying whom the page is for (not a silent
            # jump to the Overview); hidden, so the menu stays the role's own.
            page = st.Page(
                not_for_this_role(name),
                title=name,
                url_path=Path(path).stem,
                visibility="hidden",
            )
            sections.setdefault(SECTIONS["pages/home.py"], []).append(page)
            continue
        page = st.Page(
            path,
            title=title,
            icon=icon,
            default=path == "pages/home.py",
            url_path=Path(path).stem,  # stable links whatever the title says
        )
        sections.setdefault(SECTIONS[path], []).append(page)
    st.session_state["_nav_pages"] = ((actor.role, titles), sections)
    return sections


def run_app() -> None:
    # Every action re-reads the user (roles are checked where data is read; this keeps the
    # navigation honest too) and ends the session if they logged out anywhere, were
    # deactivated, sat idle too long or signed in too long ago (ui/session.py).
    actor = check_session()
    if actor is None and (restored := session_from_token(session_cookie_token())):
        # A refresh starts a new session: a valid remembered login restores the user.
        actor = restored[0]
        log_in(*restored)
        st.session_state["cookie_issued_at"] = restored[1].seen_at
    if actor is None and (signed_on := actor_from_provider()):
        # Back from the identity provider (st.login): an Earshot session like any other, kept by
        # the remembered-login cookie; the provider's identity cookie is dropped (ui/sso.py).
        actor = signed_on
        sso_info = log_in(actor)
        st.session_state["issue_cookie"] = issue_session_token(actor, sso_info)
        st.session_state["cookie_issued_at"] = sso_info.seen_at
        forget_provider_cookie()
    info = current_session()
    if (  # re-sign the remembered login now and then, so its idle limit follows activity
        actor is not None
        and info is not None
        and info.seen_at - st.session_state.get("cookie_issued_at", 0.0) > session_idle_s() / 10
    ):
        st.session_state["issue_cookie"] = issue_session_token(actor, info)
        st.session_state["cookie_issued_at"] = info.seen_at
    if token := st.session_state.pop("issue_cookie", None):
        store_session_cookie(token)
    if actor is None:
        # A link into the app (an e-mail's) opened signed out shows the login form at its own
        # address, so the page and query it names open right after the sign-in.
        deep_links = [
            st.Page(login_page, title="Log in", url_path=Path(path).stem)
            for path in PAGES
            if path != "pages/home.py"
        ]
        st.navigation(
            [
                st.Page(login_page, title="Log in", icon=":material/login:", default=True),
                *deep_links,
            ],
            position="hidden",
        ).run()
    elif info is not None and info.password_change_due:
        page = st.navigation(
            [st.Page(password_change_page, title="Choose your password", icon=":material/key:")]
        )
        admit_page(page.title, {actor.role})
        page.run()
    elif actor.role == NO_ROLE:
        page = st.navigation(
            [st.Page(waiting_for_a_role_page, title="Welcome", icon=":material/hourglass:")]
        )
        admit_page(page.title, {actor.role})
        page.run()
    else:
        page = st.navigation(pages_for(actor))
        title, _, roles = PAGE_AT_ADDRESS[page.url_path]
        admit_page(title, roles)  # the page's require_actor() checks the actor against them
        page.run()


# A database that cannot be reached, anywhere in this run, shows one clear state and
# retries on its own instead of Streamlit's error page (ui/outage.py).
with database_outage_shown():
    run_app()
