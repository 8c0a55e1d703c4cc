"""Hostile text, numbers and identifiers at the evaluation services and the audio route.

Text: HTML/script, right-to-left and zero-width characters, emoji, NUL, 10,000 characters.
Allowed text comes back exactly as typed (NUL is dropped); over-limit text is refused
with the limit in the message. Numbers: scores and comment times out of range, NaN and
infinities. Identifiers: another team's evaluation, another agent's call, ids that do not
exist or do not fit a database integer, forged, expired and altered audio tokens. Each is
refused with a clear message; nothing already saved changes; nothing crashes.
"""

from __future__ import annotations

import base64
import math
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.applications import Starlette

import db.operations.config
from db.access import AccessDenied, NotFound
from db.services.audit import audit_trail
from db.services.calls import audio_url_for, get_call
from db.services.evaluations import (
    MAX_TEXT,
    add_comment,
    amend,
    delete_comment,
    edit_comment,
    get_evaluation,
    open_draft,
    save_item,
    submit,
)
from db.services.media import audio_path_for_grant
from db.services.users import create_user, list_users, set_active, set_role
from media.signing import sign_media_token
from player.routes import media_routes
from tests.factories import SCORED_ITEMS, make_call, make_world
from tests.hostile import asgi_request

ITEMS = SCORED_ITEMS  # the default rubric's items (eye contact is N/A on audio)
DURATION = 12.0


@pytest.fixture
def media_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "media"
    real = db.operations.config.settings
    monkeypatch.setattr("db.services.media.settings", lambda: replace(real(), media_dir=folder))
    return folder


@pytest.fixture
def scored(database, media_dir, tmp_path):
    """North's supervisor has a draft with a saved score, note and comment."""
    world = make_world()
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=DURATION)
    ev = open_draft(world.sup_north, call.id)
    ev = save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=4, note="kept")
    ev = add_comment(world.sup_north, ev.id, ev.row_version, 1.0, "first")
    return world, call, ev


def _submitted(world, ev):
    for key in ITEMS:
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, value=3)
    return submit(world.sup_north, ev.id, ev.row_version)


# ---------------------------------------------------------------- text

UNUSUAL = {
    "html": "<script>alert('x')</script><img src=x onerror=alert(1)> & &amp; </textarea>",
    "markdown": "**bold** [link](javascript:alert(1)) `code` $x^2$ :red[colour]",
    "rtl": "\u05d4\u05dc\u05e7\u05d5\u05d7 \u05e6\u05d3\u05e7 \u202etxet desrever\u202c "
    "\u0645\u0631\u062d\u0628\u0627",
    "zero-width": "a\u200bb\u200cc\u200dd\ufeffe\u2060f",
    "emoji": "\U0001f469\u200d\U0001f4bb \U0001f1ec\U0001f1e7 \U0001f44d\U0001f3fd \U0001f3a7",
    "combining": "Z\u0351\u0352\u0353a\u0300\u0301\u0302l\u0303\u0304g\u0305o",
    "cjk and math": "\u8a71\u3092\u805e\u304f \U0001d400\U0001d401 \u221e \u2260",
    "sql": "'; DROP TABLE evaluation; -- \" OR 1=1",
    "lines and tabs": "line one\r\nline two\n\tindented\u2028separator",
    "exactly the limit": "\U0001f3a7" * MAX_TEXT,
}


def test_unusual_text_comes_back_exactly_as_typed(scored):
    world, call, ev = scored
    keys = [k for k in ITEMS if k != "be_patient"]
    notes: dict[str, str] = {}
    for i, text in enumerate(UNUSUAL.values()):
        key = keys[i % len(keys)]
        ev = save_item(world.sup_north, ev.id, ev.row_version, key, note=text)
        ev = add_comment(world.sup_north, ev.id, ev.row_version, 2.5 + i, text, item_key=key)
        notes[key] = text
    again = get_evaluation(world.sup_north, ev.id)
    for key, text in notes.items():
        assert again.items[key].note == text, key
    assert [c.text for c in again.comments] == ["first", *UNUSUAL.values()]
    assert again.items["be_patient"].note == "kept"  # the neighbours are untouched


def test_nul_characters_are_dropped_and_the_rest_kept(scored):
    world, call, ev = scored
    ev = save_item(world.sup_north, ev.id, ev.row_version, "open_mind", note="be\x00fore\x00")
    ev = add_comment(world.sup_north, ev.id, ev.row_version, 3.0, "\x00nul inside\x00 text")
    again = get_evaluation(world.sup_north, ev.id)
    assert again.items["open_mind"].note == "before"
    assert again.comments[-1].text == "nul inside text"


def test_over_limit_text_is_refused_with_the_limit_and_nothing_is_lost(scored):
    world, call, ev = scored
    for length in (MAX_TEXT + 1, 10_000, 1_000_000):
        long_text = ("\u05e9<b>\U0001f3a7" * length)[:length]
        with pytest.raises(ValueError, match=f"{length} characters; the limit is {MAX_TEXT}"):
            save_item(world.sup_north, ev.id, ev.row_version, "be_patient", note=long_text)
        with pytest.raises(ValueError, match=f"the limit is {MAX_TEXT}"):
            add_comment(world.sup_north, ev.id, ev.row_version, 4.0, long_text)
        with pytest.raises(ValueError, match=f"the limit is {MAX_TEXT}"):
            edit_comment(world.sup_north, ev.comments[0].id, ev.row_version, long_text)
    assert get_evaluation(world.sup_north, ev.id) == ev


def test_an_over_long_amend_reason_is_refused_clearly_and_changes_nothing(scored):
    """The audit trail keeps reasons of up to 2,000 characters (AuditEvent.reason)."""
    world, call, ev = scored
    done = _submitted(world, ev)
    reason = "Heard it again: " + "the overlap at 0:12 was the customer. " * 100  # 3,816
    try:
        amended = amend(
            world.sup_north, done.id, done.row_version, {"be_patient": {"value": 5}}, reason
        )
    except ValueError as exc:
        assert "limit" in str(exc)
        assert get_evaluation(world.sup_north, done.id) == done
        assert audit_trail(world.admin, "evaluation", done.id) == []
    else:  # or it is kept whole
        assert amended.items["be_patient"].value == 5
        assert audit_trail(world.admin, "evaluation", done.id)[-1]["reason"] == reason.strip()


@pytest.mark.parametrize(
    ("display_name", "team"),
    [("A" * 10_000, "North"), ("Agent \u202e\U0001f3a7 <i>x</i>", "T" * 500)],
    ids=["long display name", "long team name"],
)
def test_over_long_names_are_refused_clearly_or_kept_whole(database, display_name, team):
    world = make_world()
    before = list_users(world.admin)
    try:
        row = create_user(world.admin, "newcomer", display_name, "agent", "password-123", team=team)
    except ValueError as exc:
        assert "characters" in str(exc) or "long" in str(exc), exc
        assert list_users(world.admin) == before
    else:
        assert (row.display_name, row.team) == (display_name, team)


# ---------------------------------------------------------------- numbers

BAD_VALUES = [0, 6, -1, 10**20, 3.5, math.nan, math.inf, -math.inf, True, "3", b"3", [3]]


def test_out_of_range_scores_are_refused_naming_the_item(scored):
    world, call, ev = scored
    for value in BAD_VALUES:
        with pytest.raises(ValueError, match="Gives the customer time"):
            save_item(world.sup_north, ev.id, ev.row_version, "be_patient", value=value)
    assert get_evaluation(world.sup_north, ev.id) == ev


def test_na_where_the_rubric_forbids_it_and_unknown_items_are_refused(scored):
    world, call, ev = scored
    with pytest.raises(ValueError, match="cannot be N/A"):
        save_item(world.sup_north, ev.id, ev.row_version, "be_patient", na=True)
    for key in ("charisma", "", "be_patient\x00", "../be_patient", "<b>x</b>"):
        with pytest.raises(KeyError, match="has no item"):
            save_item(world.sup_north, ev.id, ev.row_version, key, value=3)
    assert get_evaluation(world.sup_north, ev.id) == ev


def test_amending_to_an_out_of_range_score_is_refused_and_not_audited(scored):
    world, call, ev = scored
    done = _submitted(world, ev)
    for value in (9, math.nan, -1):
        with pytest.raises(ValueError, match="Gives the customer time"):
            amend(
                world.sup_north,
                done.id,
                done.row_version,
                {"be_patient": {"value": value}},
                "A second listen changed my mind",
            )
    assert get_evaluation(world.sup_north, done.id) == done
    assert audit_trail(world.admin, "evaluation", done.id) == []


BAD_TIMES = [
    -0.001,
    -1e9,
    DURATION + 0.5,
    1e308,
    math.nan,
    math.inf,
    -math.inf,
    "abc",
    None,
    "1e999",
    [1],
]


def test_comment_times_outside_the_recording_are_refused(scored):
    world, call, ev = scored
    refusal = "(outside the recording|not a number of seconds)"
    for t_s in BAD_TIMES:
        with pytest.raises(ValueError, match=refusal):
            add_comment(world.sup_north, ev.id, ev.row_version, t_s, "at a strange moment")
        if t_s is not None:  # for edit_comment, None means "keep the time"
            with pytest.raises(ValueError, match=refusal):
                edit_comment(world.sup_north, ev.comments[0].id, ev.row_version, "moved", t_s=t_s)
    assert get_evaluation(world.sup_north, ev.id) == ev


def test_the_edges_of_the_recording_are_allowed(scored):
    world, call, ev = scored
    ev = add_comment(world.sup_north, ev.id, ev.row_version, 0, "start")
    ev = add_comment(world.sup_north, ev.id, ev.row_version, call.duration_s, "end")
    assert [c.t_s for c in ev.comments] == [0.0, 1.0, round(call.duration_s, 2)]


# ---------------------------------------------------------------- identifiers


def test_another_teams_evaluation_cannot_be_read_or_changed(scored):
    world, call, ev = scored
    south = world.sup_south
    with pytest.raises(NotFound):
        get_evaluation(south, ev.id)
    with pytest.raises(AccessDenied):
        save_item(south, ev.id, ev.row_version, "be_patient", value=1)
    with pytest.raises(AccessDenied):
        add_comment(south, ev.id, ev.row_version, 2.0, "planted")
    with pytest.raises(AccessDenied):
        edit_comment(south, ev.comments[0].id, ev.row_version, "rewritten")
    with pytest.raises(AccessDenied):
        delete_comment(south, ev.comments[0].id, ev.row_version)
    with pytest.raises(AccessDenied):
        submit(south, ev.id, ev.row_version)
    with pytest.raises(NotFound):
        open_draft(south, call.id)  # nor start scoring North's call
    done = _submitted(world, ev)
    with pytest.raises(AccessDenied):
        amend(south, done.id, done.row_version, {"be_patient": {"value": 1}}, "because I can")
    assert get_evaluation(world.sup_north, done.id) == done


def test_agents_reach_only_their_own_submitted_evaluations_and_calls(scored):
    world, call, ev = scored
    with pytest.raises(NotFound):
        get_evaluation(world.agent_north, ev.id)  # a draft is not shown, even to its agent
    done = _submitted(world, ev)
    assert get_evaluation(world.agent_north, done.id).total == done.total
    for other in (world.agent_north2, world.agent_south):
        with pytest.raises(NotFound):
            get_evaluation(other, done.id)
        with pytest.raises(NotFound):
            get_call(other, call.id)
        with pytest.raises(AccessDenied):
            audio_url_for(other, call.id)
    with pytest.raises(AccessDenied):
        audio_url_for(world.sup_south, call.id)
    with pytest.raises(AccessDenied):
        save_item(world.agent_north, done.id, done.row_version, "be_patient", value=5)


def test_ids_that_do_not_exist_or_do_not_fit_are_not_found(scored):
    """Ids come from URLs (?call=…): any integer must give "not found", never a database
    error (PostgreSQL integer columns end at 2**31 - 1)."""
    world, call, ev = scored
    attempts = {
        "get_call": (lambda i: get_call(world.admin, i), NotFound),
        "get_evaluation": (lambda i: get_evaluation(world.admin, i), NotFound),
        "open_draft": (lambda i: open_draft(world.sup_north, i), NotFound),
        "save_item": (
            lambda i: save_item(world.sup_north, i, 1, "be_patient", value=3),
            AccessDenied,
        ),
        "audio_url_for": (lambda i: audio_url_for(world.admin, i), AccessDenied),
    }
    wrong = []
    for bad_id in (0, -1, 10**6, 2**31, 2**63 - 1):
        for name, (attempt, expected) in attempts.items():
            try:
                attempt(bad_id)
            except expected as exc:
                if expected is NotFound and f"{bad_id} was not found" not in str(exc):
                    wrong.append(f"{name}({bad_id}): unclear message {exc}")
            except Exception as exc:
                wrong.append(f"{name}({bad_id}): {type(exc).__name__}")
            else:
                wrong.append(f"{name}({bad_id}): accepted")
    assert wrong == []
    assert get_evaluation(world.sup_north, ev.id) == ev


def test_missing_and_forbidden_say_the_same(scored):
    world, call, ev = scored
    with pytest.raises(NotFound) as forbidden:
        get_evaluation(world.sup_south, ev.id)
    with pytest.raises(NotFound) as missing:
        get_evaluation(world.sup_south, ev.id + 1000)
    assert str(forbidden.value).replace(str(ev.id), "N") == str(missing.value).replace(
        str(ev.id + 1000), "N"
    )


# ---------------------------------------------------------------- audio tokens


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _tampered_tokens(call_id: int, other_call: int, user_id: int, secret: bytes) -> dict:
    good = sign_media_token(call_id, user_id, secret, ttl_s=600)
    payload, sig = good.split(".")
    other_payload = _b64(f"v1:{other_call}:{user_id}:{2**40}".encode())
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    return {
        "signed with another key": sign_media_token(call_id, user_id, b"x" * 32, ttl_s=600),
        "expired": sign_media_token(call_id, user_id, secret, ttl_s=1, now=1_000_000_000),
        "payload swapped": f"{other_payload}.{sig}",
        "signature flipped": f"{payload}.{flipped}",
        "signature missing": f"{payload}.",
        "no signature part": payload,
        "extra part": f"{good}.{sig}",
        "truncated": good[:-5],
        "padded": good + "==",
        "huge": "A" * 10_000 + "." + sig,
        "unicode": good.replace(good[3], "\u0430", 1),
        "path traversal": "..%2F..%2F..%2Fetc%2Fpasswd",
        "dot dot": "..",
        "sql": "1%27%20OR%201%3D1",
        "empty-ish": "%00",
    }


def test_forged_expired_and_altered_audio_tokens_are_refused(scored, media_dir):
    world, call, ev = scored
    secret = db.operations.config.settings().secret_key
    app = Starlette(routes=media_routes(audio_path_for_grant, lambda: secret))
    good = sign_media_token(call.id, world.sup_north.id, secret, ttl_s=600)
    status, headers, body = asgi_request(app, f"/audio/{good}", headers={"Range": "bytes=0-99"})
    assert status == 206 and body[:4] == b"RIFF" and len(body) == 100

    for name, token in _tampered_tokens(call.id, call.id + 1, world.sup_north.id, secret).items():
        for method in ("GET", "HEAD"):
            status, headers, body = asgi_request(app, f"/audio/{token}", method=method)
            assert status in (403, 404), (name, status)  # 404: the router found no route
            if status == 403:
                assert headers.get("cache-control") == "no-store", name
            if method == "GET":
                assert b"RIFF" not in body and len(body) < 200, name


def test_a_signed_link_stops_working_once_its_user_may_no_longer_hear_the_call(scored, media_dir):
    """The signature proves who was allowed when the link was made; each request asks
    again, so deactivating a user or moving them off the team ends their links at once."""
    world, call, ev = scored
    secret = db.operations.config.settings().secret_key
    app = Starlette(routes=media_routes(audio_path_for_grant, lambda: secret))
    links = {
        user.username: f"/audio/{sign_media_token(call.id, user.id, secret, ttl_s=600)}"
        for user in (world.sup_north, world.sup_south, world.agent_north, world.agent_south)
    }

    def status_of(username: str) -> int:
        status, headers, body = asgi_request(app, links[username], headers={"Range": "bytes=0-9"})
        if status == 403:
            assert b"no longer hear" in body and b"RIFF" not in body
            assert headers.get("cache-control") == "no-store"
        return status

    north_sup, south_sup = world.sup_north.username, world.sup_south.username
    north_agent, south_agent = world.agent_north.username, world.agent_south.username
    assert [status_of(u) for u in (north_sup, north_agent)] == [206, 206]
    # Signed for users who were never allowed (a signing bug must not become a leak).
    assert [status_of(u) for u in (south_sup, south_agent)] == [403, 403]
    set_role(world.admin, world.sup_north.id, "supervisor", "South")
    assert status_of(north_sup) == 403
    set_active(world.admin, world.agent_north.id, False)
    assert status_of(north_agent) == 403
    set_active(world.admin, world.agent_north.id, True)
    assert status_of(north_agent) == 206


def test_a_valid_token_for_a_call_whose_file_is_gone_is_not_found(scored, media_dir):
    world, call, ev = scored
    secret = db.operations.config.settings().secret_key
    app = Starlette(routes=media_routes(audio_path_for_grant, lambda: secret))
    for path in media_dir.rglob("*.wav"):
        path.unlink()
    for call_id in (call.id, call.id + 99):
        token = sign_media_token(call_id, world.admin.id, secret, ttl_s=600)
        status, _, body = asgi_request(app, f"/audio/{token}")
        assert status == 404 and b"no audio" in body
