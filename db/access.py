"""Who may see and change what: Earshot's one access policy.

Every service asks here, never re-deriving a rule. For each entity and verb the policy
offers a predicate on rows already loaded (``can_<verb>_<entity>(session, actor, row)``)
and, where lists are read, a SQL filter that selects exactly the rows the predicate
allows (``<entity>_filter(actor)``), so a listing and a single read can never disagree.
``tests/db/test_policy_matrix.py`` checks every rule, by role and relation, through the
services, on SQLite and PostgreSQL.

Who may read (R) and change (C) each entity:

- call, its audio and transcript. R: admins; a supervisor of the agent's team; a seat
  holder or facilitator of a calibration session on the call; the agent, their own.
  Score (regular): admins and the team's supervisors, never through a calibration seat.
  Score (calibration): a seat in that session, whose calls include it.
- evaluation, its items, notes, comments and audit trail. R: its scorer. Regular: admins,
  the team's supervisors, the agent once submitted. Calibration: nobody else before reveal
  (admins included); after it, the facilitator, admins and seat holders.
  C (draft): its scorer while still entitled to score the call, and never after reveal.
  Discard (a draft, audited): only its scorer, while they may score; never after reveal.
  Amend: regular: the scorer while entitled, admins, the team's supervisors; calibration:
  only its scorer, before reveal.
- dispute. R: the agent's own; the team's supervisors; admins. Open: the agent, on their
  own submitted regular evaluation. Decide: the team's supervisors and admins.
- reply thread of an evaluation. R and post: on a submitted regular evaluation, its
  agent, its scorer, admins and the team's supervisors; never on a calibration one.
- calibration session. R: facilitator, admins, seat holders. Run (seats, reveal,
  consensus): facilitator or admin. Results: only after reveal.
- trends. Agent: their own evaluations, and their own team's averages. Supervisor: the
  team. Admin: all. Calibration evaluations never count.
- audit trail: admins and supervisors, for what they may read; user changes: admins.
- sampling plan. R and C (edit, run, progress): admins; a supervisor, their team's plans.
- assignment. R: its scorer; admins; the agent's team's supervisors. C (replace, hand
  over): the same. Agents see none.
- text evidence of a call: R as its call (and transcript).
- suggested levels of an evaluation: R: admins and supervisors who may read the
  evaluation; a calibration evaluation's only once it is submitted (blind scorers see none,
  so nothing anchors them). Take (one click, an ordinary item save): its scorer while they
  may change it and see the suggestion. Agents see none.
- notification. R and C (mark read, preferences): its recipient only, admins included.
- single sign-on settings (require SSO, the break-glass admin): admins.
- password. Change (knowing the current one): the user, their own only. Reset to a
  temporary password: admins, for anyone but themselves (they change their own).
- rubric. R: admins and supervisors. New version (edited in the app): admins.

Every service re-reads the acting user (``current_actor``) in the same transaction as its
work: a deactivated user, a role change, a team move or a logout everywhere applies at the
next action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, exists, false, or_, true
from sqlmodel import Session, SQLModel, col, select

from db.models import (
    ApiToken,
    AssignmentRow,
    CalibrationCall,
    CalibrationSeat,
    CalibrationSession,
    Call,
    Dispute,
    Evaluation,
    Notification,
    Purpose,
    Role,
    SamplingPlanRow,
    Status,
    User,
)
from scoring.errors import Denied, NotFound

__all__ = ["AccessDenied", "Actor", "NotFound"]  # the rest is imported by name


class AccessDenied(Denied):
    """The acting user may not see or change this. The message is safe to show."""


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    # The user's session epoch when this actor signed in; None for the system's own
    # actors (command line, benchmark). Log out everywhere moves the stored epoch on.
    session_epoch: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.supervisor

    @property
    def is_agent(self) -> bool:
        return self.role == Role.agent

    @property
    def can_score(self) -> bool:
        return self.role in (Role.admin, Role.supervisor)

    @classmethod
    def of(cls, user: User) -> Actor:
        assert user.id is not None
        return cls(
            user.id, user.username, user.display_name, user.role, user.team_id, user.session_epoch
        )


# ---------------------------------------------------------------- the acting user


def current_actor(session: Session, actor: Actor) -> Actor:
    """The actor as the database has them now. A missing or deactivated user is refused,
    and so is a session that ended (the user logged out everywhere since it signed in):
    every service asks here, so a page left open (its fragments included) stops at its
    next action."""
    user = session.get(User, actor.id)
    if user is not None and actor.session_epoch not in (None, user.session_epoch):
        raise AccessDenied("This session has ended: you logged out. Log in again.")
    return active_actor(user)


def active_actor(user: User | None) -> Actor:
    """The actor of a user row just read; a missing or deactivated user is refused."""
    if user is None or not user.active:
        raise AccessDenied("Your account is not active. Ask an administrator.")
    return Actor.of(user)


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise AccessDenied(f"This needs the role {' or '.join(roles)}; you are {actor.role}.")


def team_scope(actor: Actor) -> int | None:
    """The team a supervisor is limited to; None means every team (admins)."""
    if actor.is_admin:
        return None
    if actor.team_id is None:
        raise AccessDenied("You are not in a team yet. Ask an administrator.")
    return actor.team_id


def team_members(team_id: int | None) -> Any:
    """The ids of a team's members; none for no team (`team_id == None` would be SQL's
    IS NULL: everyone without a team)."""
    if team_id is None:
        return select(User.id).where(false())
    return select(User.id).where(User.team_id == team_id)


def table_of(model: type[SQLModel]) -> Table:
    """The table behind a SQLModel class (typed: SQLModel does not declare __table__)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _same_team(session: Session, actor: Actor, agent_id: int) -> bool:
    if actor.team_id is None:
        return False
    agent = session.get(User, agent_id)
    return agent is not None and agent.team_id == actor.team_id


# ---------------------------------------------------------------- calls (audio, transcript)


def calibration_call_ids(actor: Actor) -> Any:
    """Calls of the calibration sessions the actor sits in or facilitates."""
    return (
        select(CalibrationCall.call_id)
        .join(CalibrationSession, col(CalibrationSession.id) == col(CalibrationCall.session_id))
        .where(
            or_(
                col(CalibrationSession.facilitator_id) == actor.id,
                col(CalibrationCall.session_id).in_(
                    select(CalibrationSeat.session_id).where(CalibrationSeat.scorer_id == actor.id)
                ),
            )
        )
    )


def call_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the calls (and so their audio and transcripts) the actor may see."""
    if actor.is_admin:
        return true()
    if actor.is_agent:
        return col(Call.agent_id) == actor.id
    if not actor.is_supervisor:
        return false()
    seated = col(Call.id).in_(calibration_call_ids(actor))
    if actor.team_id is None:
        return seated
    return or_(col(Call.agent_id).in_(team_members(actor.team_id)), seated)


def in_calibration_seat(session: Session, actor: Actor, call_id: int) -> bool:
    """True when the actor scores or facilitates a calibration session on this call."""
    found = session.exec(
        select(CalibrationCall.call_id).where(
            CalibrationCall.call_id == call_id,
            col(CalibrationCall.call_id).in_(calibration_call_ids(actor)),
        )
    ).first()
    return found is not None


def can_see_call(session: Session, actor: Actor, call: Call) -> bool:
    """The predicate of `call_filter`."""
    if actor.is_admin:
        return True
    if actor.is_agent:
        return call.agent_id == actor.id
    if not actor.is_supervisor:
        return False
    assert call.id is not None
    return _same_team(session, actor, call.agent_id) or in_calibration_seat(session, actor, call.id)


def get_visible_call(session: Session, actor: Actor, call_id: int) -> Call:
    """The call, for an actor who may see it as they are now; else NotFound."""
    actor = current_actor(session, actor)
    call = session.get(Call, call_id)
    # The same message for "missing" and "not yours": no probing for ids.
    if call is None or not can_see_call(session, actor, call):
        raise NotFound(f"Call {call_id} was not found or is not yours to open.")
    return call


def can_score_call(session: Session, actor: Actor, call: Call) -> bool:
    """A regular evaluation: admins, or a supervisor of the call's agent's team. A
    calibration seat grants only calibration use of its calls (`can_score_in_session`)."""
    if actor.is_admin:
        return True
    return actor.is_supervisor and _same_team(session, actor, call.agent_id)


def can_score_in_session(
    session: Session, actor: Actor, cal: CalibrationSession | None, call_id: int
) -> bool:
    """A calibration evaluation: a seat in this session, whose calls include this one."""
    if cal is None or not actor.can_score:
        return False
    return (
        session.get(CalibrationSeat, (cal.id, actor.id)) is not None
        and session.get(CalibrationCall, (cal.id, call_id)) is not None
    )


# ---------------------------------------------------------------- evaluations


def can_read_evaluation(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """Items, notes, comments and audit of one evaluation (see the table above)."""
    if ev.scorer_id == actor.id:
        return True
    if ev.purpose == Purpose.calibration:
        cal = session.get(CalibrationSession, ev.calibration_session_id)
        if cal is None or not cal.revealed:
            return False  # blind until reveal, for everyone but the scorer
        return can_see_session(session, actor, cal)
    if actor.is_agent:
        return ev.agent_id == actor.id and ev.status == Status.submitted
    if actor.is_admin:
        return True
    return actor.is_supervisor and _same_team(session, actor, ev.agent_id)


def evaluation_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the evaluations `can_read_evaluation` allows."""
    revealed_to_actor = col(Evaluation.calibration_session_id).in_(
        select(CalibrationSession.id).where(
            col(CalibrationSession.revealed).is_(True),
            session_filter(actor),
        )
    )
    calibration = and_(col(Evaluation.purpose) == Purpose.calibration, revealed_to_actor)
    if actor.is_agent:
        regular: ColumnElement[bool] = and_(
            col(Evaluation.agent_id) == actor.id, col(Evaluation.status) == Status.submitted
        )
    elif actor.is_admin:
        regular = true()
    elif actor.is_supervisor and actor.team_id is not None:
        regular = col(Evaluation.agent_id).in_(team_members(actor.team_id))
    else:
        regular = false()
    return or_(
        col(Evaluation.scorer_id) == actor.id,
        calibration,
        and_(col(Evaluation.purpose) == Purpose.regular, regular),
    )


def can_change_evaluation(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """Draft edits (items, comments, submit): the scorer, while still entitled to score
    the call (team moves apply at once) and, in calibration, while unrevealed and seated."""
    if ev.scorer_id != actor.id or not actor.can_score:
        return False
    if ev.purpose == Purpose.calibration:
        cal = session.get(CalibrationSession, ev.calibration_session_id)
        return (
            cal is not None
            and not cal.revealed
            and can_score_in_session(session, actor, cal, ev.call_id)
        )
    return actor.is_admin or _same_team(session, actor, ev.agent_id)


def change_filter(
    evaluation: Any, scorer_id: Any, session_epoch: Any = None
) -> ColumnElement[bool]:
    """SQL for `can_change_evaluation` on the `evaluation` table, with the acting user
    (`scorer_id`, a value or bind parameter) read as stored NOW, inside the same statement
    as the write: autosave stays one round trip and still sees deactivation, role changes,
    team moves and (given the actor's `session_epoch`, a value or bind parameter that may
    be NULL for the system's actors) a logout everywhere."""
    user, agent = table_of(User).alias("acting"), table_of(User).alias("scored_agent")
    cal = table_of(CalibrationSession)
    seat, cal_call = table_of(CalibrationSeat), table_of(CalibrationCall)
    entitled = or_(
        and_(
            evaluation.c.purpose == Purpose.calibration,
            exists().where(
                seat.c.session_id == evaluation.c.calibration_session_id,
                seat.c.scorer_id == scorer_id,
            ),
            exists().where(
                cal_call.c.session_id == evaluation.c.calibration_session_id,
                cal_call.c.call_id == evaluation.c.call_id,
            ),
        ),
        and_(
            evaluation.c.purpose == Purpose.regular,
            or_(
                user.c.role == Role.admin,
                exists().where(
                    agent.c.id == evaluation.c.agent_id,
                    agent.c.team_id == user.c.team_id,
                ),
            ),
        ),
    )
    return and_(
        evaluation.c.scorer_id == scorer_id,
        exists().where(
            user.c.id == scorer_id,
            user.c.active.is_(True),
            true()
            if session_epoch is None
            else or_(session_epoch.is_(None), user.c.session_epoch == session_epoch),
            user.c.role.in_((Role.admin, Role.supervisor)),
            entitled,
        ),
        ~exists().where(cal.c.id == evaluation.c.calibration_session_id, cal.c.revealed.is_(True)),
    )


def can_discard_evaluation(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """Discarding a draft: only its own scorer, while they may score (a team move does
    not trap their own unsubmitted work; a submitted evaluation is never discarded)."""
    return ev.scorer_id == actor.id and actor.can_score and ev.status == Status.draft


def can_amend_evaluation(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """A submitted evaluation's change with a reason. Calibration: only its scorer, and
    only before reveal (blind means blind for admins too; after reveal it is the record)."""
    if ev.purpose == Purpose.calibration:
        return ev.scorer_id == actor.id and can_change_evaluation(session, actor, ev)
    if actor.is_admin:
        return True
    return actor.is_supervisor and _same_team(session, actor, ev.agent_id)


# ---------------------------------------------------------------- disputes


def dispute_filter(actor: Actor, agent: Any) -> ColumnElement[bool]:
    """SQL: disputes the actor may see; `agent` is the (aliased) user table of the
    dispute's agent, joined by the caller."""
    if actor.is_admin:
        return true()
    if actor.is_agent:
        return col(Dispute.agent_id) == actor.id
    if actor.is_supervisor and actor.team_id is not None:
        return agent.team_id == actor.team_id  # type: ignore[no-any-return]
    return false()


def can_decide_dispute(session: Session, actor: Actor, dispute: Dispute) -> bool:
    if actor.is_admin:
        return True
    return actor.is_supervisor and _same_team(session, actor, dispute.agent_id)


def can_reply_evaluation(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """Read and post in the reply thread of a submitted regular evaluation: its agent, its
    scorer, admins and the agent's team's supervisors. Never a draft or a calibration
    evaluation (blind scorers talk to nobody about their scores)."""
    if ev.purpose != Purpose.regular or ev.status != Status.submitted:
        return False
    if ev.scorer_id == actor.id:
        return True
    if actor.is_agent:
        return ev.agent_id == actor.id
    if actor.is_admin:
        return True
    return actor.is_supervisor and _same_team(session, actor, ev.agent_id)


def reply_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the evaluations whose thread `can_reply_evaluation` opens to the actor."""
    if actor.is_agent:
        party: ColumnElement[bool] = col(Evaluation.agent_id) == actor.id
    elif actor.is_admin:
        party = true()
    elif actor.is_supervisor and actor.team_id is not None:
        party = col(Evaluation.agent_id).in_(team_members(actor.team_id))
    else:
        party = false()
    return and_(
        col(Evaluation.purpose) == Purpose.regular,
        col(Evaluation.status) == Status.submitted,
        or_(col(Evaluation.scorer_id) == actor.id, party),
    )


def is_own_feedback(actor: Actor, ev: Evaluation) -> bool:
    """An agent's own submitted regular evaluation: what their feedback pages show, mark
    read, acknowledge and dispute."""
    return (
        actor.is_agent
        and ev.agent_id == actor.id
        and ev.purpose == Purpose.regular
        and ev.status == Status.submitted
    )


def own_feedback_filter(actor: Actor) -> list[ColumnElement[bool]]:
    """SQL for `is_own_feedback`."""
    if not actor.is_agent:
        return [false()]
    return [
        col(Evaluation.agent_id) == actor.id,
        col(Evaluation.purpose) == Purpose.regular,
        col(Evaluation.status) == Status.submitted,
    ]


# ---------------------------------------------------------------- calibration


def can_run_session(actor: Actor, cal: CalibrationSession) -> bool:
    """Seats, reveal, consensus: the facilitator or an admin."""
    return actor.is_admin or cal.facilitator_id == actor.id


def can_see_session(session: Session, actor: Actor, cal: CalibrationSession) -> bool:
    if can_run_session(actor, cal):
        return True
    return actor.can_score and session.get(CalibrationSeat, (cal.id, actor.id)) is not None


def session_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the calibration sessions `can_see_session` allows."""
    if actor.is_admin:
        return true()
    if not actor.is_supervisor:
        return false()
    return or_(
        col(CalibrationSession.facilitator_id) == actor.id,
        col(CalibrationSession.id).in_(
            select(CalibrationSeat.session_id).where(CalibrationSeat.scorer_id == actor.id)
        ),
    )


def can_see_results(session: Session, actor: Actor, cal: CalibrationSession) -> bool:
    """Everyone's scores side by side: only after reveal."""
    return cal.revealed and can_see_session(session, actor, cal)


def followable_scorers(session: Session, actor: Actor) -> set[int] | None:
    """Scorers whose calibration accuracy the actor may follow; None means everyone."""
    if actor.is_admin:
        return None
    if not actor.is_supervisor:
        return set()
    allowed = {actor.id}
    if actor.team_id is not None:
        members = session.exec(select(col(User.id)).where(User.team_id == actor.team_id))
        allowed |= {user_id for user_id in members if user_id is not None}
    return allowed


# ---------------------------------------------------------------- trends


def trend_filter(actor: Actor) -> list[ColumnElement[bool]]:
    """SQL: the evaluations an actor's trends aggregate: submitted, regular (calibration
    never counts toward an agent), within the actor's scope."""
    where: list[ColumnElement[bool]] = [
        col(Evaluation.purpose) == Purpose.regular,
        col(Evaluation.status) == Status.submitted,
    ]
    if actor.is_agent:
        where.append(col(Evaluation.agent_id) == actor.id)
    elif actor.is_supervisor:
        where.append(col(Evaluation.agent_id).in_(team_members(actor.team_id)))
    elif not actor.is_admin:
        where.append(false())
    return where


def team_average_filter(actor: Actor, team_id: int | None) -> list[ColumnElement[bool]]:
    """SQL: the evaluations behind a team's averages, which an agent may see for their own
    team only (as averages, never one colleague's scores), a supervisor for their team,
    an admin for any."""
    allowed = actor.is_admin or (team_id is not None and team_id == actor.team_id)
    return [
        col(Evaluation.purpose) == Purpose.regular,
        col(Evaluation.status) == Status.submitted,
        col(Evaluation.agent_id).in_(team_members(team_id)) if allowed else false(),
    ]


def can_follow_agent(actor: Actor, agent: User | None) -> bool:
    """One agent's trend: the agent themselves, their team's supervisor, admins."""
    if agent is None or agent.role != Role.agent:
        return False
    if actor.is_agent:
        return agent.id == actor.id
    if actor.is_supervisor:
        return actor.team_id is not None and agent.team_id == actor.team_id
    return actor.is_admin


# ---------------------------------------------------------------- sampling plans, assignments


def can_manage_plan(actor: Actor, plan: SamplingPlanRow) -> bool:
    """Read, edit, run and follow a sampling plan: admins; a supervisor, their team's."""
    if actor.is_admin:
        return True
    return actor.is_supervisor and actor.team_id is not None and plan.team_id == actor.team_id


def plan_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the plans `can_manage_plan` allows."""
    if actor.is_admin:
        return true()
    if actor.is_supervisor and actor.team_id is not None:
        return col(SamplingPlanRow.team_id) == actor.team_id
    return false()


def can_see_assignment(session: Session, actor: Actor, row: AssignmentRow) -> bool:
    """An assignment: its scorer; admins; supervisors of the call's agent's team."""
    if row.scorer_id == actor.id and actor.can_score:
        return True
    if actor.is_admin:
        return True
    return actor.is_supervisor and _same_team(session, actor, row.agent_id)


def assignment_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the assignments `can_see_assignment` allows."""
    if actor.is_admin:
        return true()
    if not actor.is_supervisor:
        return false()
    own = col(AssignmentRow.scorer_id) == actor.id
    if actor.team_id is None:
        return own
    return or_(own, col(AssignmentRow.agent_id).in_(team_members(actor.team_id)))


def can_change_assignment(session: Session, actor: Actor, row: AssignmentRow) -> bool:
    """Replace or hand over: its scorer, admins, the agent's team's supervisors."""
    return can_see_assignment(session, actor, row)


# ---------------------------------------------------------------- audit trail


def can_read_audit(session: Session, actor: Actor, entity: str, entity_id: int) -> bool:
    """An entity's audit events, for admins and supervisors who may read the entity."""
    if not actor.can_score:
        return False
    if entity == "evaluation":
        ev = session.get(Evaluation, entity_id)
        return ev is not None and can_read_evaluation(session, actor, ev)
    if entity == "dispute":
        dispute = session.get(Dispute, entity_id)
        return dispute is not None and can_decide_dispute(session, actor, dispute)
    if entity == "calibration_session":
        cal = session.get(CalibrationSession, entity_id)
        return cal is not None and can_see_session(session, actor, cal)
    if entity == "rubric":
        return True
    return actor.is_admin  # users, teams and anything else: administrators


# ---------------------------------------------------------------- text evidence, suggestions


def can_see_text_evidence(session: Session, actor: Actor, call: Call) -> bool:
    """Text evidence is read like the transcript it comes from: whoever may see the call."""
    return can_see_call(session, actor, call)


def text_evidence_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL on Call: the calls whose text evidence `actor` may read."""
    return call_filter(actor)


def can_see_suggestions(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """Suggested levels: scorers who may read the evaluation; in calibration only after
    this evaluation is submitted (no anchoring of blind scorers)."""
    if not actor.can_score or not can_read_evaluation(session, actor, ev):
        return False
    return ev.purpose == Purpose.regular or ev.status == Status.submitted


def suggestion_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL on Evaluation: the evaluations whose suggestions `can_see_suggestions` allows."""
    if not actor.can_score:
        return false()
    return and_(
        evaluation_filter(actor),
        or_(
            col(Evaluation.purpose) == Purpose.regular,
            col(Evaluation.status) == Status.submitted,
        ),
    )


def can_take_suggestion(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """Taking a suggestion is a draft edit by a scorer who sees it."""
    return can_see_suggestions(session, actor, ev) and can_change_evaluation(session, actor, ev)


def can_read_notification(actor: Actor, row: Notification) -> bool:
    """A notification is its recipient's alone (admins read nobody else's either)."""
    return row.user_id == actor.id


def notification_filter(actor: Actor) -> ColumnElement[bool]:
    return col(Notification.user_id) == actor.id


def can_change_password(actor: Actor, user: User) -> bool:
    """Changing a password with the current one: only the user's own."""
    return user.id == actor.id


def can_reset_password(actor: Actor, user: User) -> bool:
    """A temporary password: admins, for other users (their own they change)."""
    return actor.is_admin and user.id != actor.id


def can_edit_rubric(actor: Actor) -> bool:
    """A new rubric version made in the app: admins."""
    return actor.is_admin


def can_manage_sso(actor: Actor) -> bool:
    """Requiring single sign-on and naming the break-glass admin: admins."""
    return actor.is_admin


# ---------------------------------------------------------------- export API


def can_export_evaluation(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """The export API's evaluations (with items and comments): submitted regular ones the
    actor may read, so an agent's token gets exactly their own submitted feedback."""
    return (
        ev.purpose == Purpose.regular
        and ev.status == Status.submitted
        and can_read_evaluation(session, actor, ev)
    )


def export_evaluation_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the evaluations `can_export_evaluation` allows."""
    return and_(
        col(Evaluation.purpose) == Purpose.regular,
        col(Evaluation.status) == Status.submitted,
        evaluation_filter(actor),
    )


def can_export_calibration(session: Session, actor: Actor, ev: Evaluation) -> bool:
    """Calibration results: submitted calibration evaluations of a REVEALED session the
    actor may see; nothing of a blind session, not even the actor's own scores."""
    if ev.purpose != Purpose.calibration or ev.status != Status.submitted:
        return False
    cal = session.get(CalibrationSession, ev.calibration_session_id)
    return cal is not None and can_see_results(session, actor, cal)


def export_calibration_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the evaluations `can_export_calibration` allows."""
    return and_(
        col(Evaluation.purpose) == Purpose.calibration,
        col(Evaluation.status) == Status.submitted,
        col(Evaluation.calibration_session_id).in_(
            select(CalibrationSession.id).where(
                col(CalibrationSession.revealed).is_(True), session_filter(actor)
            )
        ),
    )


def can_manage_token(actor: Actor, token: ApiToken) -> bool:
    """A personal access token: only its owner lists and revokes it (an admin deactivating
    the owner stops it instead)."""
    return token.user_id == actor.id


def token_filter(actor: Actor) -> ColumnElement[bool]:
    """SQL: the tokens `can_manage_token` allows."""
    return col(ApiToken.user_id) == actor.id
