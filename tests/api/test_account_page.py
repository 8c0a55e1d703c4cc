"""The Account page: every role makes a personal access token, sees it once, finds it in
the list by its first characters only, and revokes it; the export API then refuses it."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette

from api.routes import api_routes
from db.services.tokens import list_tokens
from tests.app.conftest import (  # noqa: F401 - fixtures used by name
    app_db,
    open_page,
    pages_run_as_the_server_runs_them,
)
from tests.factories import make_world
from tests.hostile.asgi import call

ACCOUNT = "pages/account.py"
pytestmark = pytest.mark.usefixtures("app_db")


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_a_token_is_made_shown_once_listed_by_hint_and_revoked():
    world = make_world()
    api = Starlette(routes=api_routes())
    for actor in (world.agent_north, world.sup_north, world.admin):
        at = open_page(actor, ACCOUNT)
        at.text_input(key="token_name").input("BI refresh")
        at.number_input(key="token_days").set_value(7)
        _button(at, "Create token").click().run()
        assert not at.exception
        (shown,) = [c.value for c in at.code]
        assert shown.startswith("esk_")
        assert call(api, "/api/v1/evaluations", headers=_bearer(shown)).status == 200
        (row,) = list_tokens(actor)
        assert row.name == "BI refresh" and shown.startswith(row.hint)
        assert (row.expires_at - row.created_at).days == 7

        again = open_page(actor, ACCOUNT)  # a new visit: the token is not shown again
        assert not again.code
        (audit,) = again.dataframe  # the request just made, as recorded
        assert list(audit.value["path"]) == ["/api/v1/evaluations"]
        assert list(audit.value["status"]) == [200]
        assert any(row.hint in t.value and "active" in t.value for t in again.text)
        _button(again, "Revoke").click().run()
        assert list_tokens(actor)[0].revoked_at is not None
        refused = call(api, "/api/v1/evaluations", headers=_bearer(shown))
        assert refused.status == 401 and "revoked" in json.loads(refused.body)["error"]


def test_a_bad_name_is_refused_with_its_reason():
    world = make_world()
    at = open_page(world.agent_north, ACCOUNT)
    _button(at, "Create token").click().run()  # no name
    assert any("Token name" in e.value for e in at.error)
    assert not list_tokens(world.agent_north)
