"""The access policy, table-driven: role × relation × entity × verb, through the services
that read and change each entity, on SQLite and PostgreSQL.

The people (relations are to the North agent's call, its evaluation, comment, dispute
and transcript, and to a calibration session on that call):

| who | role | relation |
| --- | --- | --- |
| admin | admin | every team |
| north | supervisor | same team; the calibration's facilitator and benchmark |
| south | supervisor | other team; a seat in the calibration |
| west | supervisor | other team; no seat |
| agent | agent | own |
| peer | agent | same team, not own |
| stranger | agent | other team |
| gone | supervisor (deactivated) | same team |

A second part checks that each SQL filter selects exactly the rows its predicate allows.
New entities join both tables as they land.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import select

from db import access
from db.access import Actor
from db.engine import read_scope, session_scope
from db.models import (
    ApiToken,
    AssignmentRow,
    CalibrationSession,
    Call,
    Dispute,
    Evaluation,
    Notification,
    SamplingPlanRow,
    SuggestionModelRow,
    User,
)
from db.services.api import (
    ExportQuery,
    export_calibration,
    export_comments,
    export_disputes,
    export_evaluations,
    export_trends,
)
from db.services.audit import audit_trail
from db.services.auth import authenticate
from db.services.browse import browse_evaluations, evaluation_history
from db.services.calibration import create_session, get_session, reveal, session_results
from db.services.calls import audio_url_for, get_call
from db.services.disputes import get_dispute, list_disputes, open_dispute, resolve_dispute
from db.services.evaluations import (
    add_comment,
    amend,
    discard_draft,
    edit_comment,
    get_evaluation,
    open_draft,
    save_item,
    submit,
)
from db.services.feedback import feedback_detail
from db.services.media import audio_path_for_grant
from db.services.replies import list_replies, post_reply
from db.services.sampling import (
    get_plan,
    hand_over,
    list_plans,
    my_assignments,
    plan_progress,
    run_plan,
    save_plan,
)
from db.services.sso import set_email, set_sso_policy
from db.services.suggestions import suggestion_agreement, suggestions_for, take_suggestion
from db.services.text_evidence import text_evidence_for
from db.services.tokens import create_token, revoke_token
from db.services.transcripts import attach_transcript, search_transcripts, transcript_for
from db.services.trends import TrendFilters, agent_trend, weekly_totals
from db.services.users import create_user, set_active
from scoring.errors import Denied, Invalid, NotFound
from scoring.sampling import FixedQuota, SamplingPlan, Scorer
from tests.factories import PASSWORD, SCORED_ITEMS, make_call, make_world, submit_evaluation

PLAN_WEEK = date(2026, 11, 2)  # the week of the factories' calls
PEOPLE = ("admin", "north", "south", "west", "agent", "peer", "stranger", "gone")
# A fitted suggestion model with one item, confident on any call with a transcript: the
# suggestion rows below differ only by who asks.
MODEL = {
    "version": 1,
    "min_confidence": 0.5,
    "min_cv_alpha": 0.667,
    "items": {
        "not_defensive": {
            "item_key": "not_defensive",
            "features": ["defensive"],
            "means": [0.0],
            "scales": [1.0],
            "coefficients": [-1.0],
            "thresholds": [-2.0, 2.0],
            "levels": [2, 3, 4],
            "n_train": 40,
            "cv_alpha": 0.9,
        }
    },
    "skipped": {},
}

VTT = b"""WEBVTT

00:00.500 --> 00:03.000
<v Agent>Thanks for calling, how can I help with the matrix today?

00:03.500 --> 00:06.000
<v Customer>My matrix account is locked.
"""


@dataclass
class Scene:
    people: dict[str, Actor]
    call_id: int  # North agent's call: regular evaluation, dispute, calibration, transcript
    spare_call_id: int  # North agent's call nobody has scored: for the "score" verb
    evaluation_id: int
    draft_id: int
    comment_id: int
    dispute_id: int
    session_id: int
    blind_id: int  # South's calibration evaluation
    plan_id: int = 0  # the admin's sampling plan over North, scored by North's supervisor
    assignment_id: int = 0  # its assignment (to north) of a North agent's call


@pytest.fixture
def scene(database, tmp_path) -> Scene:
    world = make_world()
    create_user(world.admin, "sup.west", "West", "supervisor", PASSWORD, team="West")
    create_user(world.admin, "sup.gone", "Gone", "supervisor", PASSWORD, team="North")
    people = {
        "admin": world.admin,
        "north": world.sup_north,
        "south": world.sup_south,
        "west": authenticate("sup.west", PASSWORD),
        "agent": world.agent_north,
        "peer": world.agent_north2,
        "stranger": world.agent_south,
        "gone": authenticate("sup.gone", PASSWORD),
    }
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=1)
    spare = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=2)
    draft_call = make_call(world.admin, world.agent_north, tmp_path, seconds=30, seed=3)
    attach_transcript(world.sup_north, call.id, VTT, "call.vtt")
    attach_transcript(world.sup_north, draft_call.id, VTT, "draft.vtt")  # for suggestions
    with session_scope() as session:
        session.add(SuggestionModelRow(rubric_key="listening", model=MODEL, n_evaluations=40))
    done = submit_evaluation(world.sup_north, call.id, level=3)
    draft = open_draft(world.sup_north, draft_call.id)
    draft = add_comment(world.sup_north, draft.id, draft.row_version, 2.0, "Pinned moment")
    dispute = open_dispute(world.agent_north, done.id, "be_patient", "I let them finish.")
    session_id = create_session(
        world.sup_north,
        "Matrix",
        [call.id],
        [world.sup_north.id, world.sup_south.id],
        benchmark_scorer_id=world.sup_north.id,
    )
    blind = open_draft(world.sup_south, call.id, session_id)
    for key in SCORED_ITEMS:
        blind = save_item(world.sup_south, blind.id, blind.row_version, key, value=4)
    blind = submit(world.sup_south, blind.id, blind.row_version)
    plan = save_plan(
        world.admin,
        "North weekly",
        SamplingPlan(
            key="north-weekly",
            rubric_key="listening",
            period="weekly",
            quota=FixedQuota(1),
            scorers=(Scorer(world.sup_north.id),),
            team_ids=frozenset({world.agent_north.team_id}),
        ),
    )
    run_plan(plan.id, PLAN_WEEK)
    (assignment,) = (
        my_assignments(world.sup_north).upcoming or my_assignments(world.sup_north).overdue
    )
    set_active(world.admin, people["gone"].id, False)
    return Scene(
        people,
        call.id,
        spare.id,
        done.id,
        draft.id,
        draft.comments[0].id,
        dispute.id,
        session_id,
        blind.id,
        plan.id,
        assignment.id,
    )


def allowed(action: Callable[[], object]) -> bool:
    """True when the service let the actor through; False when it refused access.
    Other refusals (bad input, a closed record) mean access was granted."""
    try:
        result = action()
    except (Denied, NotFound):
        return False
    except Exception as exc:
        if type(exc).__name__ in ("DisputeProblem", "EvaluationLocked", "StaleEvaluation"):
            return True
        raise
    return result is not False


def who_may(scene: Scene, verb: Callable[[Actor], object]) -> set[str]:
    """The people the verb lets through, each asking as themselves."""
    return {who for who in PEOPLE if allowed(lambda who=who: verb(scene.people[who]))}


def _version(scene: Scene, evaluation_id: int) -> int:
    with read_scope() as session:
        return session.get(Evaluation, evaluation_id).row_version


def _past_access(action: Callable[[], object]) -> bool:
    """True when the service let the actor through to refuse their input."""
    with contextlib.suppress(Invalid):
        action()
    return True


def _suggested(s: Scene, who: Actor, evaluation_id: int) -> bool:
    """Whether `who` is shown a suggestion on the evaluation (its scorer opened it first,
    which computes them)."""
    with read_scope() as session:
        scorer_id = session.get(Evaluation, evaluation_id).scorer_id
    scorer = next(a for a in s.people.values() if a.id == scorer_id)
    suggestions_for(scorer, evaluation_id)
    return bool(suggestions_for(who, evaluation_id))


def _blind_draft_suggested(s: Scene, who: Actor) -> bool:
    """A seat holder opening their blind calibration draft on the call: a suggestion?"""
    draft = open_draft(who, s.call_id, s.session_id)
    return bool(suggestions_for(who, draft.id)) if not draft.submitted else False


def _trend_includes_agent(s: Scene, who: Actor) -> bool:
    frame = weekly_totals(who, TrendFilters())
    return bool((frame["agent_id"] == s.people["agent"].id).any()) if len(frame) else False


def _exported(export: Callable[[Actor, ExportQuery], object], who: Actor, row_id: int) -> bool:
    """Whether the export API hands `who` the row with this id."""
    return any(r["id"] == row_id for r in export(who, ExportQuery(limit=1000)).rows)


def _agent_notification(s: Scene) -> int:
    """The North agent's notification of their submitted evaluation."""
    from db.models import Notification

    with read_scope() as session:
        return session.exec(
            select(Notification.id).where(Notification.user_id == s.people["agent"].id)
        ).first()


def _opened(s: Scene, who: Actor) -> bool:
    from db.services.notifications import open_notification

    open_notification(who, _agent_notification(s))
    return True


def _marked_read(s: Scene, who: Actor) -> bool:
    from db.services.notifications import mark_read

    note_id = _agent_notification(s)
    changed = mark_read(who, [note_id]) == 1
    if changed:  # unread again for the next person asking
        from db.models import Notification

        with session_scope() as session:
            session.get(Notification, note_id).read_at = None
    return changed


def _agent_token(s: Scene) -> int:
    """A personal access token of the North agent (made once per scene)."""
    if not hasattr(s, "token_id"):
        s.token_id = create_token(s.people["agent"], "matrix", 30)[1].id  # type: ignore[attr-defined]
    return s.token_id  # type: ignore[attr-defined]


# Each verb: what the service is asked, given the scene and the actor.
VERBS: dict[tuple[str, str], Callable[[Scene, Actor], object]] = {
    ("call", "read"): lambda s, a: get_call(a, s.call_id),
    ("notification", "open"): lambda s, a: _opened(s, a),
    ("notification", "mark read"): _marked_read,
    ("sso settings", "change"): lambda s, a: set_sso_policy(a, False, None),
    ("sso", "set e-mail"): lambda s, a: set_email(a, s.people["peer"].id, None),
    ("audio", "link"): lambda s, a: audio_url_for(a, s.call_id),
    ("audio", "stream"): lambda s, a: audio_path_for_grant(s.call_id, a.id) is not None,
    ("transcript", "read"): lambda s, a: transcript_for(a, s.call_id),
    ("transcript", "search"): lambda s, a: bool(search_transcripts(a, "matrix account")),
    ("call", "score"): lambda s, a: open_draft(a, s.spare_call_id),
    ("evaluation", "read"): lambda s, a: get_evaluation(a, s.evaluation_id),
    ("evaluation", "feedback"): lambda s, a: feedback_detail(a, s.evaluation_id),
    ("evaluation", "browse"): lambda s, a: (
        s.evaluation_id in {r.evaluation_id for r in browse_evaluations(a)}
    ),
    ("evaluation", "history"): lambda s, a: evaluation_history(a, s.evaluation_id),
    ("evaluation", "amend"): lambda s, a: amend(
        a,
        s.evaluation_id,
        _version(s, s.evaluation_id),
        {"be_patient": {"note": f"matrix {a.username}"}},
        "policy matrix",
    ),
    ("evaluation", "audit"): lambda s, a: audit_trail(a, "evaluation", s.evaluation_id),
    ("draft", "read"): lambda s, a: get_evaluation(a, s.draft_id),
    ("draft", "change"): lambda s, a: save_item(
        a, s.draft_id, _version(s, s.draft_id), "be_patient", value=3
    ),
    # A stale version: whoever is let through is refused as stale, so the draft stays.
    ("draft", "discard"): lambda s, a: discard_draft(a, s.draft_id, 0),
    ("comment", "read"): lambda s, a: bool(get_evaluation(a, s.draft_id).comments),
    ("comment", "change"): lambda s, a: edit_comment(
        a, s.comment_id, _version(s, s.draft_id), f"edited by {a.username}"
    ),
    ("reply", "read"): lambda s, a: list_replies(a, s.evaluation_id),
    ("reply", "post"): lambda s, a: post_reply(a, s.evaluation_id, f"matrix {a.username}"),
    ("reply", "read in blind calibration"): lambda s, a: list_replies(a, s.blind_id),
    ("dispute", "read"): lambda s, a: get_dispute(a, s.dispute_id),
    ("dispute", "list"): lambda s, a: any(d.id == s.dispute_id for d in list_disputes(a)),
    ("dispute", "decide"): lambda s, a: resolve_dispute(
        a, s.dispute_id, "rejected", "Matrix: the interruption is audible at 0:12."
    ),
    ("calibration", "read"): lambda s, a: get_session(a, s.session_id),
    ("calibration", "results before reveal"): lambda s, a: session_results(a, s.session_id),
    ("calibration", "blind evaluation before reveal"): lambda s, a: get_evaluation(a, s.blind_id),
    ("trends", "agent rows"): _trend_includes_agent,
    ("trends", "agent trend"): lambda s, a: (
        agent_trend(a, agent_id=s.people["agent"].id).agent_id == s.people["agent"].id
    ),
    ("sampling plan", "read"): lambda s, a: get_plan(a, s.plan_id),
    ("sampling plan", "list"): lambda s, a: [p.id for p in list_plans(a)] == [s.plan_id],
    ("sampling plan", "progress"): lambda s, a: plan_progress(a, s.plan_id, PLAN_WEEK),
    ("assignment", "own list"): lambda s, a: any(
        v.id == s.assignment_id for v in my_assignments(a).upcoming + my_assignments(a).overdue
    ),
    ("assignment", "hand over"): lambda s, a: _past_access(
        lambda: hand_over(a, s.assignment_id, s.people["agent"].id)  # refused input, not access
    ),
    ("text evidence", "read"): lambda s, a: text_evidence_for(a, s.call_id) is not None,
    ("suggestions", "read on a draft"): lambda s, a: _suggested(s, a, s.draft_id),
    ("suggestions", "read in blind calibration"): _blind_draft_suggested,
    ("suggestions", "take"): lambda s, a: (
        _suggested(s, s.people["north"], s.draft_id)
        and take_suggestion(a, s.draft_id, _version(s, s.draft_id), "not_defensive")
    ),
    ("suggestions", "agreement"): lambda s, a: suggestion_agreement(a) is not None,
    ("export", "evaluation"): lambda s, a: _exported(export_evaluations, a, s.evaluation_id),
    ("export", "draft comment"): lambda s, a: _exported(export_comments, a, s.comment_id),
    ("export", "dispute"): lambda s, a: _exported(export_disputes, a, s.dispute_id),
    ("export", "calibration before reveal"): lambda s, a: _exported(
        export_calibration, a, s.blind_id
    ),
    ("export", "trends of the agent"): lambda s, a: any(
        r["agent"] == s.people["agent"].display_name for r in export_trends(a, ExportQuery()).rows
    ),
    ("api token", "revoke"): lambda s, a: revoke_token(a, _agent_token(s)),
}

# Who may, per entity and verb (everyone else is refused). "gone" is never allowed.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("call", "read"): {"admin", "north", "south", "agent"},  # south: through the seat
    ("audio", "link"): {"admin", "north", "south", "agent"},
    ("audio", "stream"): {"admin", "north", "south", "agent"},
    ("transcript", "read"): {"admin", "north", "south", "agent"},
    ("transcript", "search"): {"admin", "north", "south", "agent"},
    ("call", "score"): {"admin", "north"},  # a seat grants calibration use only
    ("evaluation", "read"): {"admin", "north", "agent"},
    ("evaluation", "feedback"): {"agent"},
    ("evaluation", "browse"): {"admin", "north", "agent"},
    ("evaluation", "history"): {"admin", "north", "agent"},
    ("evaluation", "amend"): {"admin", "north"},
    ("evaluation", "audit"): {"admin", "north"},
    ("draft", "read"): {"admin", "north"},  # not the agent: a draft is not feedback
    ("draft", "change"): {"north"},
    ("draft", "discard"): {"north"},  # its own scorer only
    ("comment", "read"): {"admin", "north"},
    ("comment", "change"): {"north"},
    ("reply", "read"): {"admin", "north", "agent"},  # the agent, the scorer, the team
    ("reply", "post"): {"admin", "north", "agent"},
    ("reply", "read in blind calibration"): set(),  # no thread on a blind score, ever
    ("dispute", "read"): {"admin", "north", "agent"},
    ("dispute", "list"): {"admin", "north", "agent"},
    ("dispute", "decide"): {"admin", "north"},
    ("calibration", "read"): {"admin", "north", "south"},
    ("calibration", "results before reveal"): set(),  # blind: nobody, admins included
    ("calibration", "blind evaluation before reveal"): {"south"},  # its scorer only
    ("trends", "agent rows"): {"admin", "north", "agent"},
    ("trends", "agent trend"): {"admin", "north", "agent"},
    ("sampling plan", "read"): {"admin", "north"},  # a plan within North is North's too
    ("sampling plan", "list"): {"admin", "north"},
    ("sampling plan", "progress"): {"admin", "north"},
    ("assignment", "own list"): {"north"},
    ("assignment", "hand over"): {"admin", "north"},
    ("text evidence", "read"): {"admin", "north", "south", "agent"},  # as the transcript
    ("suggestions", "read on a draft"): {"admin", "north"},  # scorers who read it
    ("suggestions", "read in blind calibration"): set(),  # no anchoring: nobody, its scorer too
    ("suggestions", "take"): {"north"},
    ("suggestions", "agreement"): {"admin", "north", "south", "west"},  # over what each reads
    ("export", "evaluation"): {"admin", "north", "agent"},  # as read: submitted, regular
    ("export", "draft comment"): set(),  # a draft is not exported, to anyone
    ("export", "dispute"): {"admin", "north", "agent"},
    ("export", "calibration before reveal"): set(),  # blind: nobody, its scorer included
    ("export", "trends of the agent"): {"admin", "north", "agent"},
    ("api token", "revoke"): {"agent"},  # its owner only
    ("notification", "open"): {"agent"},  # the agent's feedback notice: its recipient only
    ("notification", "mark read"): {"agent"},
    ("sso settings", "change"): {"admin"},
    ("sso", "set e-mail"): {"admin"},
}

AFTER_REVEAL: dict[tuple[str, str], set[str]] = {
    ("calibration", "results"): {"admin", "north", "south"},
    ("calibration", "blind evaluation"): {"admin", "north", "south"},
    ("calibration", "blind evaluation audit"): {"admin", "north", "south"},
    ("export", "calibration"): {"admin", "north", "south"},  # revealed: as the results
}


def test_the_expectations_cover_every_verb():
    assert set(VERBS) == set(EXPECTED)


@pytest.mark.parametrize("entity_verb", list(EXPECTED), ids=" ".join)
def test_policy_matrix(scene, entity_verb):
    verb = VERBS[entity_verb]
    assert who_may(scene, lambda actor: verb(scene, actor)) == EXPECTED[entity_verb]


def test_policy_matrix_after_reveal(scene):
    reveal(scene.people["north"], scene.session_id)
    verbs = {
        ("calibration", "results"): lambda a: session_results(a, scene.session_id),
        ("calibration", "blind evaluation"): lambda a: get_evaluation(a, scene.blind_id),
        ("calibration", "blind evaluation audit"): lambda a: audit_trail(
            a, "evaluation", scene.blind_id
        ),
        ("export", "calibration"): lambda a: _exported(export_calibration, a, scene.blind_id),
    }
    for entity_verb, verb in verbs.items():
        assert who_may(scene, verb) == AFTER_REVEAL[entity_verb], entity_verb


# ---------------------------------------------------------------- filters agree with predicates


def test_every_sql_filter_selects_exactly_what_its_predicate_allows(scene):
    reveal(scene.people["north"], scene.session_id)
    for owner in ("agent", "north"):
        create_token(scene.people[owner], f"{owner}'s token", 30)
    with read_scope() as session:
        calls = session.exec(select(Call)).all()
        evaluations = session.exec(select(Evaluation)).all()
        disputes = session.exec(select(Dispute)).all()
        sessions = session.exec(select(CalibrationSession)).all()
        for who in PEOPLE:
            actor = scene.people[who]
            by_filter = set(session.exec(select(Call.id).where(access.call_filter(actor))))
            by_rule = {c.id for c in calls if access.can_see_call(session, actor, c)}
            assert by_filter == by_rule, ("call", who)

            by_filter = set(
                session.exec(select(Evaluation.id).where(access.evaluation_filter(actor)))
            )
            by_rule = {e.id for e in evaluations if access.can_read_evaluation(session, actor, e)}
            assert by_filter == by_rule, ("evaluation", who)

            by_filter = set(
                session.exec(
                    select(Dispute.id)
                    .join(User, User.id == Dispute.agent_id)
                    .where(access.dispute_filter(actor, User))
                )
            )
            visible = {d.id for d in disputes if access.can_decide_dispute(session, actor, d)}
            if actor.is_agent:
                visible = {d.id for d in disputes if d.agent_id == actor.id}
            assert by_filter == visible, ("dispute", who)

            by_filter = set(session.exec(select(Evaluation.id).where(access.reply_filter(actor))))
            by_rule = {e.id for e in evaluations if access.can_reply_evaluation(session, actor, e)}
            assert by_filter == by_rule, ("reply", who)

            by_filter = set(
                session.exec(select(CalibrationSession.id).where(access.session_filter(actor)))
            )
            by_rule = {c.id for c in sessions if access.can_see_session(session, actor, c)}
            assert by_filter == by_rule, ("calibration session", who)

            by_filter = set(
                session.exec(select(Evaluation.id).where(*access.own_feedback_filter(actor)))
            )
            by_rule = {e.id for e in evaluations if access.is_own_feedback(actor, e)}
            assert by_filter == by_rule, ("feedback", who)

            table = Evaluation.__table__
            by_filter = set(
                session.exec(select(Evaluation.id).where(access.change_filter(table, actor.id)))
            )
            user = session.get(User, actor.id)
            by_rule = (
                {e.id for e in evaluations if access.can_change_evaluation(session, actor, e)}
                if user.active
                else set()
            )
            assert by_filter == by_rule, ("change", who)

            by_filter = set(session.exec(select(Call.id).where(access.text_evidence_filter(actor))))
            by_rule = {c.id for c in calls if access.can_see_text_evidence(session, actor, c)}
            assert by_filter == by_rule, ("text evidence", who)
            by_filter = set(
                session.exec(select(Evaluation.id).where(access.suggestion_filter(actor)))
            )
            by_rule = {e.id for e in evaluations if access.can_see_suggestions(session, actor, e)}
            assert by_filter == by_rule, ("suggestions", who)

            if user.active:
                plans = session.exec(select(SamplingPlanRow)).all()
                by_filter = set(
                    session.exec(select(SamplingPlanRow.id).where(access.plan_filter(actor)))
                )
                by_rule = {p.id for p in plans if access.can_manage_plan(actor, p)}
                assert by_filter == by_rule, ("sampling plan", who)
                rows = session.exec(select(AssignmentRow)).all()
                by_filter = set(
                    session.exec(select(AssignmentRow.id).where(access.assignment_filter(actor)))
                )
                by_rule = {r.id for r in rows if access.can_see_assignment(session, actor, r)}
                assert by_filter == by_rule, ("assignment", who)

            by_filter = set(
                session.exec(select(Evaluation.id).where(access.export_evaluation_filter(actor)))
            )
            by_rule = {e.id for e in evaluations if access.can_export_evaluation(session, actor, e)}
            assert by_filter == by_rule, ("export evaluation", who)
            by_filter = set(
                session.exec(select(Evaluation.id).where(access.export_calibration_filter(actor)))
            )
            by_rule = {
                e.id for e in evaluations if access.can_export_calibration(session, actor, e)
            }
            assert by_filter == by_rule, ("export calibration", who)
            notes = session.exec(select(Notification)).all()
            by_filter = set(
                session.exec(select(Notification.id).where(access.notification_filter(actor)))
            )
            by_rule = {n.id for n in notes if access.can_read_notification(actor, n)}
            assert by_filter == by_rule, ("notification", who)
            tokens = session.exec(select(ApiToken)).all()
            by_filter = set(session.exec(select(ApiToken.id).where(access.token_filter(actor))))
            by_rule = {t.id for t in tokens if access.can_manage_token(actor, t)}
            assert by_filter == by_rule, ("api token", who)
