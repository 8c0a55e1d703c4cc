"""Single sign-on in Chromium against a REAL OpenID Connect provider on loopback
(oidc-provider-mock, in a thread): the app (server.py) is configured with st.login's
[auth] secrets pointing at it; people sign in through the provider's own form.

Covered: an existing user linked by verified e-mail (and still signed in after a reload,
through the remembered-login cookie; Log out ends it and does not sign them back in); an
unverified e-mail refused with the reason; an unknown person waiting for a role; roles
from the provider's ``groups`` claim; a deactivated user refused though the provider
says yes; the bell's count in the navigation.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.e2e.conftest import REPO_ROOT, wait_for_app
from tests.support.server import AppServer

oidc = pytest.importorskip("oidc_provider_mock", reason="pip install -r requirements-dev.txt")
# One app server and one provider for the module: its tests stay on one worker.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("sso_browser")]

CLIENT_ID = "earshot-tests"
LEAD_EMAIL = "sup.north@example.org"
AGENT_EMAIL = "agent.north@example.org"


@pytest.fixture(scope="module")
def provider():
    users = [
        oidc.User(sub="lead", claims={"email": LEAD_EMAIL, "email_verified": True}),
        oidc.User(sub="agent", claims={"email": AGENT_EMAIL, "email_verified": True}),
        oidc.User(
            sub="sneaky", claims={"email": "agent.south@example.org", "email_verified": False}
        ),
        oidc.User(
            sub="newcomer",
            claims={"email": "newcomer@example.org", "email_verified": True, "name": "Nia New"},
        ),
        oidc.User(
            sub="westie",
            claims={
                "email": "west@example.org",
                "email_verified": True,
                "name": "Wes West",
                "groups": ["earshot-west"],
            },
        ),
    ]
    with oidc.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def start_app(folder: Path, database_url: str, metadata_url: str) -> AppServer:
    """server.py with st.login's [auth] pointing at `metadata_url` (a secrets file of its
    own in `folder`), roles mapped from the ``groups`` claim."""
    from db.operations.config import settings

    secrets_file = folder / f"secrets-{secrets.token_hex(4)}.toml"
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        'client_secret = "not-checked-by-the-test-provider"\n'
        f'server_metadata_url = "{metadata_url}"\n'
    )
    env = {
        "DATABASE_URL": database_url,
        "EARSHOT_DATA_DIR": str(folder),
        "EARSHOT_MEDIA_DIR": str(settings().media_dir),
        "EARSHOT_SECRET_KEY": settings().secret_key.decode(),
        "EARSHOT_SSO_ROLE_CLAIM": "groups",
        "EARSHOT_SSO_ROLE_MAP": "earshot-west=agent:West",
    }
    server = AppServer(
        env=env,
        log_path=folder / f"server-{secrets_file.stem}.log",
        script=str(REPO_ROOT / "server.py"),
        extra_args=("--secrets.files", str(secrets_file)),
    )
    try:
        return server.start()
    except RuntimeError as exc:
        pytest.fail(f"the app did not start: {exc}")


@pytest.fixture(scope="module")
def sso_app(tmp_path_factory, provider):
    """server.py on a migrated SQLite file shared with this process, st.login configured
    for the provider, roles mapped from its ``groups`` claim."""
    from db.engine import make_engine, use_engine
    from db.models import User
    from db.operations.migrate import upgrade_to_head
    from tests.factories import make_world

    folder = tmp_path_factory.mktemp("earshot-sso")
    url = f"sqlite:///{folder / 'app.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    use_engine(engine)
    world = make_world()
    with Session(engine) as s:
        s.get(User, world.sup_north.id).email = LEAD_EMAIL
        s.get(User, world.agent_north.id).email = AGENT_EMAIL
        s.get(User, world.agent_south.id).email = "agent.south@example.org"
        s.commit()
    server = start_app(folder, url, f"{provider}/.well-known/openid-configuration")
    yield server, world, engine
    server.stop()
    use_engine(None)
    engine.dispose()


def sign_in_with_provider(page, app_url: str, sub: str) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.get_by_placeholder("sub").fill(sub)  # the provider's own form
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**")
    wait_for_app(page)


def test_an_existing_user_signs_in_stays_after_a_reload_and_logs_out(page, sso_app):
    server, world, _ = sso_app
    sign_in_with_provider(page, server.url, "lead")
    page.get_by_role("button", name="Log out").wait_for()
    assert page.get_by_role("heading", name="Welcome, Sup.North").is_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    deadline = time.monotonic() + 15
    while "earshot_session" not in cookies and time.monotonic() < deadline:
        time.sleep(0.1)
        cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["earshot_session"]["httpOnly"]
    assert not any(name.startswith("_streamlit_user") for name in cookies)
    page.reload()
    page.get_by_role("button", name="Log out").wait_for()  # the remembered login
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").wait_for()
    page.reload()
    wait_for_app(page)
    page.get_by_label("Username").wait_for()  # not signed straight back in
    assert page.get_by_role("button", name="Log out").count() == 0


def test_an_unverified_email_is_refused_with_the_reason(page, sso_app):
    server, _, _ = sso_app
    sign_in_with_provider(page, server.url, "sneaky")
    alert = page.get_by_text("Single sign-on refused")
    alert.wait_for()
    shown = alert.inner_text().replace("\u2060", "")  # the word joiner that stops autolinks
    assert "has not verified the e-mail address agent.south@example.org" in shown
    assert page.get_by_role("button", name="Log out").count() == 0


def test_an_unknown_person_waits_for_a_role(page, sso_app):
    server, _, _ = sso_app
    sign_in_with_provider(page, server.url, "newcomer")
    page.get_by_text("has not given you a role yet").wait_for()
    assert page.get_by_role("heading", name="Welcome, Nia New").is_visible()


def test_the_groups_claim_gives_the_role(page, sso_app):
    server, _, _ = sso_app
    sign_in_with_provider(page, server.url, "westie")
    page.get_by_role("button", name="Log out").wait_for()
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text("My feedback").wait_for()  # an agent's navigation
    assert nav.get_by_text("Score a call").count() == 0


def test_the_bell_shows_the_unread_count(page, sso_app, tmp_path):
    from tests.db.test_feedback import scored
    from tests.factories import make_call

    server, world, _ = sso_app
    scored(world.admin, make_call(world.admin, world.agent_north, tmp_path, seed=7).id)
    sign_in_with_provider(page, server.url, "agent")
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_text("Notifications (1)").wait_for()
    nav.get_by_text("Notifications (1)").click()
    page.get_by_role("heading", name="Notifications").wait_for()
    page.get_by_text("New feedback on one of your calls").wait_for()


def test_a_deactivated_user_is_refused_though_the_provider_says_yes(page, sso_app):
    from db.services.users import set_active

    server, world, _ = sso_app
    set_active(world.admin, world.sup_north.id, False)
    try:
        sign_in_with_provider(page, server.url, "lead")
        alert = page.get_by_text("Single sign-on refused")
        alert.wait_for()
        assert "not active" in alert.inner_text()
    finally:
        set_active(world.admin, world.sup_north.id, True)


def test_a_denied_sign_in_leaves_nobody_signed_in(page, sso_app):
    server, _, _ = sso_app
    page.goto(server.url)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(f"{server.url}/**")
    wait_for_app(page)
    page.get_by_label("Username").wait_for()
    assert page.get_by_role("button", name="Log out").count() == 0


@pytest.fixture(scope="module")
def forged_metadata(provider):
    """A discovery document that names the real provider's endpoints but ANOTHER
    provider's signing keys: every ID token then carries a signature that does not verify
    (the provider cannot be made to sign wrongly itself)."""
    import urllib.request

    with urllib.request.urlopen(f"{provider}/.well-known/openid-configuration") as answer:
        metadata = json.load(answer)
    with oidc.run_server_in_thread() as other:
        metadata["jwks_uri"] = f"http://localhost:{other.server_port}/jwks"
        body = json.dumps(metadata).encode()

        class Discovery(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}/.well-known/openid-configuration"
        httpd.shutdown()


def test_an_id_token_with_a_wrong_signature_signs_nobody_in(
    page, sso_app, forged_metadata, tmp_path
):
    _, _, engine = sso_app
    server = start_app(tmp_path, str(engine.url), forged_metadata)
    try:
        sign_in_with_provider(page, server.url, "lead")
        page.get_by_label("Username").wait_for()
        assert page.get_by_role("button", name="Log out").count() == 0
        assert "OAuth token exchange failed" in server.log()  # Streamlit's logged refusal
        assert "BadSignatureError" in server.log()  # refused for the signature itself
    finally:
        server.stop()


def test_an_email_link_opens_the_exact_evaluation(page, sso_app, tmp_path):
    """The link a feedback e-mail carries (db.services.notifications.link_for), opened in a new
    browser session of a signed-in agent (the remembered login): that evaluation opens."""
    from db.services.notifications import link_for
    from tests.db.test_feedback import scored
    from tests.factories import make_call

    server, world, _ = sso_app
    ev = scored(world.admin, make_call(world.admin, world.agent_north, tmp_path, seed=9).id)
    link = link_for("my_feedback", f"evaluation={ev.id}").replace(
        "http://localhost:8501", server.url
    )
    sign_in_with_provider(page, server.url, "agent")
    page.get_by_role("button", name="Log out").wait_for()
    deadline = time.monotonic() + 15
    while "earshot_session" not in {c["name"] for c in page.context.cookies()}:
        assert time.monotonic() < deadline, "the remembered-login cookie was never set"
        time.sleep(0.1)
    page.goto(link)  # a new session, as when the e-mail is opened
    wait_for_app(page)
    page.get_by_role("button", name="All my evaluations").wait_for()  # that evaluation open
    assert f"evaluation={ev.id}" in page.url and "/my_feedback" in page.url


def test_an_email_link_opened_signed_out_opens_after_the_sign_in(page, sso_app, tmp_path):
    from db.services.notifications import link_for
    from tests.db.test_feedback import scored
    from tests.factories import PASSWORD, make_call

    server, world, _ = sso_app
    ev = scored(world.admin, make_call(world.admin, world.agent_north, tmp_path, seed=11).id)
    page.goto(link_for("my_feedback", f"evaluation={ev.id}").replace(
        "http://localhost:8501", server.url
    ))  # fmt: skip
    page.get_by_label("Username").fill("agent.north")  # the login form, at the link
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="All my evaluations").wait_for()  # that evaluation open
    assert f"evaluation={ev.id}" in page.url and "/my_feedback" in page.url
