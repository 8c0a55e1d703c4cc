"""The export API as server.py mounts it (routes + the app's middleware), in-process:
personal access tokens (hashed, expiring, revocable, stopped with their owner), scoping
by the owner's role through the policy's SQL filters, keyed paging, filters, CSV, rate
limits, the audit row per request, and bad input answered 400/401 naming what is wrong."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlmodel import select
from starlette.applications import Starlette

from api.routes import api_routes
from db.engine import read_scope, session_scope
from db.models import ApiRequest, ApiToken, utcnow
from db.services.calibration import create_session, reveal
from db.services.disputes import open_dispute
from db.services.evaluations import open_draft, save_item, submit
from db.services.tokens import create_token, list_tokens, revoke_token
from db.services.users import set_active
from scoring.errors import Invalid, NotFound
from tests.factories import SCORED_ITEMS, make_call, make_world, submit_evaluation
from tests.hostile.asgi import call
from ui.http_app import app_middleware


def make_app(per_minute: int = 1000) -> Starlette:
    return Starlette(
        routes=api_routes(requests_per_minute=lambda: per_minute), middleware=app_middleware()
    )


@pytest.fixture
def app():
    return make_app()


def get(app, path: str, token: str | None, peer: str = "127.0.0.1", **params: object):
    query = f"?{urlencode(params)}" if params else ""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return call(app, f"/api/v1/{path}{query}", headers=headers, peer=peer)


def data(answer) -> list[dict]:
    assert answer.status == 200, answer.body
    return json.loads(answer.body)["data"]


@pytest.fixture
def scene(database, tmp_path):
    """North: two calls scored and submitted (one disputed, one with a comment), a draft;
    South: one submitted; a calibration session on a North call, blind until revealed."""
    world = make_world()
    calls = [
        make_call(world.admin, agent, tmp_path, seconds=2, seed=seed)
        for seed, agent in enumerate(
            [world.agent_north, world.agent_north, world.agent_north2, world.agent_south], 1
        )
    ]
    north1 = submit_evaluation(
        world.sup_north, calls[0].id, comments=((1.0, "=HYPERLINK(evil)", None),)
    )
    north2 = submit_evaluation(world.sup_north, calls[1].id, level=2)
    draft = open_draft(world.sup_north, calls[2].id)
    south = submit_evaluation(world.sup_south, calls[3].id, level=5)
    dispute = open_dispute(world.agent_north, north1.id, "be_patient", "I waited.")
    session_id = create_session(
        world.admin, "Calib", [calls[1].id], [world.sup_north.id, world.sup_south.id]
    )
    blind = open_draft(world.sup_south, calls[1].id, session_id)
    for key in SCORED_ITEMS:
        blind = save_item(world.sup_south, blind.id, blind.row_version, key, value=3)
    blind = submit(world.sup_south, blind.id, blind.row_version)
    tokens = {
        who: create_token(getattr(world, who), f"{who} BI", 30)[0]
        for who in ("admin", "sup_north", "sup_south", "agent_north", "agent_north2")
    }
    return (
        world,
        tokens,
        {
            "north1": north1.id,
            "north2": north2.id,
            "draft": draft.id,
            "south": south.id,
            "dispute": dispute.id,
            "session": session_id,
            "blind": blind.id,
        },
    )


def test_each_token_sees_what_its_owner_sees_on_the_pages(app, scene):
    world, tokens, ids = scene
    seen = {who: {r["id"] for r in data(get(app, "evaluations", t))} for who, t in tokens.items()}
    assert seen["admin"] == {ids["north1"], ids["north2"], ids["south"]}  # drafts never
    assert seen["sup_north"] == {ids["north1"], ids["north2"]}
    assert seen["sup_south"] == {ids["south"]}
    assert seen["agent_north"] == {ids["north1"], ids["north2"]}  # their own feedback only
    assert seen["agent_north2"] == set()  # the draft on their call is not feedback
    (row,) = [r for r in data(get(app, "evaluations", tokens["admin"])) if r["id"] == ids["north2"]]
    assert row["agent"] == "agent.north" and row["team"] == "North" and row["total"] is not None
    assert {i["item_key"] for i in row["items"]} >= set(SCORED_ITEMS)
    assert {i["value"] for i in row["items"] if i["item_key"] in SCORED_ITEMS} == {2}

    disputes = {who: {r["id"] for r in data(get(app, "disputes", t))} for who, t in tokens.items()}
    assert disputes == {
        "admin": {ids["dispute"]},
        "sup_north": {ids["dispute"]},
        "sup_south": set(),
        "agent_north": {ids["dispute"]},
        "agent_north2": set(),
    }
    comments = data(get(app, "comments", tokens["agent_north"]))
    assert [c["evaluation_id"] for c in comments] == [ids["north1"]]
    assert data(get(app, "comments", tokens["agent_north2"])) == []

    # Calibration stays blind, for its own scorer too, until the reveal.
    assert all(data(get(app, "calibration", t)) == [] for t in tokens.values())
    reveal(world.admin, ids["session"])
    revealed = {
        who: [r["id"] for r in data(get(app, "calibration", t))] for who, t in tokens.items()
    }
    assert revealed == {
        "admin": [ids["blind"]],
        "sup_north": [ids["blind"]],
        "sup_south": [ids["blind"]],
        "agent_north": [],
        "agent_north2": [],
    }

    trends = data(get(app, "trends", tokens["agent_north"]))
    assert {r["agent"] for r in trends} == {world.agent_north.display_name}
    assert sum(r["evaluations"] for r in trends) == 2
    assert sum(r["evaluations"] for r in data(get(app, "trends", tokens["admin"]))) == 3


def test_paging_by_cursor_returns_every_row_once(app, scene):
    _, tokens, ids = scene
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = json.loads(get(app, "evaluations", tokens["admin"], **params).body)
        seen += [r["id"] for r in answer["data"]]
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted({ids["north1"], ids["north2"], ids["south"]}) and pages == 3


def test_filters_by_agent_team_and_date(app, scene):
    world, tokens, ids = scene
    admin = tokens["admin"]
    by_agent = data(get(app, "evaluations", admin, agent=world.agent_south.id))
    assert [r["id"] for r in by_agent] == [ids["south"]]
    by_team = data(get(app, "evaluations", admin, team=world.agent_north.team_id))
    assert {r["id"] for r in by_team} == {ids["north1"], ids["north2"]}
    today = utcnow().date()
    assert len(data(get(app, "evaluations", admin, since=today.isoformat()))) == 3
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert data(get(app, "evaluations", admin, since=tomorrow)) == []
    # A filter never widens a scope: North's supervisor asking for South gets nothing.
    assert data(get(app, "evaluations", tokens["sup_north"], agent=world.agent_south.id)) == []


def test_csv_flattens_items_and_defuses_formulas(app, scene):
    _, tokens, ids = scene
    answer = get(app, "evaluations", tokens["sup_north"], format="csv")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert {int(r["id"]) for r in rows} == {ids["north1"], ids["north2"]}
    assert all(r["item:be_patient"] in ("4", "2") for r in rows)
    assert all(r["item:eye_contact"] in ("N/A", "") for r in rows)
    comments = get(app, "comments", tokens["sup_north"], format="csv").body.decode()
    assert "'=HYPERLINK(evil)" in comments  # a spreadsheet shows it as text
    paged = get(app, "evaluations", tokens["sup_north"], format="csv", limit=1)
    assert paged.headers["x-next-cursor"] == str(min(ids["north1"], ids["north2"]))


def test_tokens_are_stored_hashed_shown_once_and_stop_when_revoked_or_expired(app, scene):
    world, tokens, _ = scene
    token = tokens["agent_north"]
    with read_scope() as session:
        stored = session.exec(select(ApiToken)).all()
    assert all(token not in (t.token_hash, t.hint, t.name) for t in stored)
    (mine,) = list_tokens(world.agent_north)
    assert token.startswith(mine.hint) and mine.active

    assert get(app, "evaluations", token).status == 200
    with pytest.raises(NotFound):
        revoke_token(world.sup_north, mine.id)  # not theirs
    revoke_token(world.agent_north, mine.id)
    refused = get(app, "evaluations", token)
    assert refused.status == 401 and "revoked" in json.loads(refused.body)["error"]
    assert refused.headers["www-authenticate"].startswith("Bearer")

    expiring, row = create_token(world.agent_north, "short", 1)
    with session_scope() as session:
        stored_row = session.get(ApiToken, row.id)
        stored_row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(stored_row)
    refused = get(app, "evaluations", expiring)
    assert refused.status == 401 and "expired" in json.loads(refused.body)["error"]


def test_a_deactivated_owners_tokens_stop_at_once(app, scene):
    world, tokens, _ = scene
    assert get(app, "disputes", tokens["sup_north"]).status == 200
    set_active(world.admin, world.sup_north.id, False)
    refused = get(app, "disputes", tokens["sup_north"])
    assert refused.status == 401 and "not active" in json.loads(refused.body)["error"]


def test_token_creation_checks_its_input(scene):
    world, _, _ = scene
    with pytest.raises(Invalid, match="name"):
        create_token(world.admin, "  ", 30)
    with pytest.raises(Invalid, match="expiry"):
        create_token(world.admin, "x", 0)
    with pytest.raises(Invalid, match="expiry"):
        create_token(world.admin, "x", 100_000)


BAD = [
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"limit": "1001"}, "limit"),
    ({"cursor": "-1"}, "cursor"),
    ({"cursor": "1e3"}, "cursor"),
    ({"since": "2026-13-01"}, "since"),
    ({"until": "yesterday"}, "until"),
    ({"since": "2026-11-05", "until": "2026-11-01"}, "until"),
    ({"agent": "x"}, "agent"),
    ({"team": "99999999999"}, "team"),
    ({"format": "xml"}, "format"),
]


@pytest.mark.parametrize(("params", "name"), BAD, ids=[f"{n}-{i}" for i, (_, n) in enumerate(BAD)])
def test_malformed_parameters_get_400_naming_them(app, sqlite_database, params, name):
    world = make_world()
    token, _ = create_token(world.admin, "bad input", 1)
    answer = get(app, "evaluations", token, **params)
    assert answer.status == 400, answer.body
    body = json.loads(answer.body)
    assert body["parameter"] == name and name in body["error"]


def test_missing_and_malformed_tokens_get_401(app, sqlite_database):
    make_world()
    for header in ({}, {"authorization": "Basic abc"}, {"authorization": "Bearer nope"}):
        answer = call(app, "/api/v1/evaluations", headers=header)
        assert answer.status == 401 and json.loads(answer.body)["error"]
    unknown = get(app, "evaluations", "esk_" + "A" * 43)
    assert unknown.status == 401 and "not valid" in json.loads(unknown.body)["error"]


def test_rate_limits_per_token_and_per_address(sqlite_database):
    app = make_app(per_minute=3)
    world = make_world()
    first, _ = create_token(world.admin, "one", 1)
    second, _ = create_token(world.admin, "two", 1)
    assert [get(app, "trends", first, peer="10.0.0.1").status for _ in range(3)] == [200] * 3
    limited = get(app, "trends", first, peer="10.0.0.2")
    assert limited.status == 429 and int(limited.headers["retry-after"]) >= 1
    assert get(app, "trends", second, peer="10.0.0.2").status == 200  # another token
    # The first address has used its three: any token from it waits.
    assert get(app, "trends", second, peer="10.0.0.1").status == 429


def test_every_request_is_audited_with_who_what_and_how_many_rows(app, scene):
    world, tokens, _ = scene
    get(app, "evaluations", tokens["sup_north"], peer="10.1.2.3", limit=1)
    get(app, "evaluations", tokens["sup_north"], peer="10.1.2.3", limit="zero")
    get(app, "evaluations", "esk_wrong", peer="10.9.9.9")
    with read_scope() as session:
        rows = session.exec(select(ApiRequest).order_by(ApiRequest.id)).all()
    assert [(r.user_id, r.status, r.rows, r.address) for r in rows] == [
        (world.sup_north.id, 200, 1, "10.1.2.3"),
        (world.sup_north.id, 400, 0, "10.1.2.3"),
        (None, 401, 0, "10.9.9.9"),
    ]
    assert rows[0].path == "/api/v1/evaluations" and rows[0].query == "limit=1"
    assert all(r.at is not None for r in rows)
    (used,) = [t for t in list_tokens(world.sup_north)]
    assert used.last_used_at is not None


def test_openapi_description_is_served_with_the_security_headers(app):
    answer = call(app, "/api/openapi.json")
    assert answer.status == 200 and answer.headers["x-frame-options"]
    document = json.loads(answer.body)
    assert set(document["paths"]) == {
        f"/api/v1/{k}" for k in ("evaluations", "comments", "disputes", "calibration", "trends")
    }
