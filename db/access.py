"""Who is asking, and what they may see. Every service function starts here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from db.models import CalibrationCall, CalibrationSeat, CalibrationSession, Call, Role, User


class AccessDenied(PermissionError):
    """The acting user may not see or change this. The message is safe to show."""


class NotFound(LookupError):
    """No such record (or none this user may know about)."""


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None

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
        return cls(user.id, user.username, user.display_name, user.role, user.team_id)


def reload_actor(session: Session, actor: Actor) -> Actor:
    """The actor as the database has them now; a deactivated user is refused."""
    return active_actor(session.get(User, actor.id))


def active_actor(user: User | None) -> Actor:
    """The actor of a user row just read; a missing or deactivated user is refused."""
    if user is None or not user.active:
        raise AccessDenied("Your account is not active. Ask an administrator.")
    return Actor.of(user)


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise AccessDenied(f"This needs the role {' or '.join(roles)}; you are {actor.role}.")


def in_calibration_seat(session: Session, actor: Actor, call_id: int) -> bool:
    """True when the actor scores or facilitates a calibration session on this call."""
    seat = session.exec(
        select(CalibrationCall.session_id)
        .join(CalibrationSession, CalibrationSession.id == CalibrationCall.session_id)
        .outerjoin(
            CalibrationSeat,
            (CalibrationSeat.session_id == CalibrationCall.session_id)
            & (CalibrationSeat.scorer_id == actor.id),
        )
        .where(CalibrationCall.call_id == call_id)
        .where(
            (CalibrationSeat.scorer_id == actor.id)
            | (CalibrationSession.facilitator_id == actor.id)
        )
    ).first()
    return seat is not None


def can_see_call(session: Session, actor: Actor, call: Call) -> bool:
    """Admins: every call. Supervisors: their team's calls and their calibration calls.
    Agents: their own calls."""
    if actor.is_admin:
        return True
    if actor.is_agent:
        return call.agent_id == actor.id
    agent = session.get(User, call.agent_id)
    if agent is not None and agent.team_id is not None and agent.team_id == actor.team_id:
        return True
    return in_calibration_seat(session, actor, call.id)


def get_visible_call(session: Session, actor: Actor, call_id: int) -> Call:
    call = session.get(Call, call_id)
    # The same message for "missing" and "not yours": no probing for ids.
    if call is None or not can_see_call(session, actor, call):
        raise NotFound(f"Call {call_id} was not found or is not yours to open.")
    return call


def team_scope(actor: Actor) -> int | None:
    """The team a supervisor is limited to; None means every team (admins)."""
    if actor.is_admin:
        return None
    if actor.team_id is None:
        raise AccessDenied("You are not in a team yet. Ask an administrator.")
    return actor.team_id
