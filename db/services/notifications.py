"""Notifications: what waits for a user, in the app (the bell) and by e-mail.

Made in the same transaction as the change they tell about, from each flush
(``notifications_from_flush``, hooked in db/models.py), so no service has to remember to
call anything:

- feedback: a regular evaluation becomes submitted -> its agent;
- dispute waiting: an ``open_dispute`` audit event -> the agent's team supervisors (the
  admins when the team has none);
- dispute decided: a ``resolve_dispute`` audit event -> the dispute's agent;
- calibration to score: a new calibration seat -> its scorer;
- reply: a new reply on an evaluation -> its agent and its scorer, but not its author;
- calibration revealed: a ``reveal`` audit event -> the session's seat holders;
- assignment due: derived by query when the bell is read (open assignments due within
  ASSIGNMENT_DUE_WITHIN), at most once per assignment.

E-mail goes out through SMTP from background jobs (jobs/email_tasks.py), never inside a
click: a notification whose recipient wants e-mail "each" queues one job after the
transaction commits; "daily" recipients get one digest a day (a periodic task). Links in
e-mails open the exact page under EARSHOT_BASE_URL.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import event, func, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import get_history
from sqlmodel import Session, col, select

from db.access import Actor, can_read_notification, current_actor, notification_filter
from db.engine import read_scope, session_scope
from db.models import (
    AssignmentRow,
    AssignmentStatus,
    AuditEvent,
    CalibrationSeat,
    CalibrationSession,
    Call,
    Dispute,
    Evaluation,
    EvaluationReply,
    Notification,
    NotificationPreference,
    Purpose,
    Role,
    Status,
    User,
    utcnow,
)

log = logging.getLogger("earshot.notifications")

ASSIGNMENT_DUE_WITHIN = timedelta(days=1)
LIST_LIMIT = 50
_PENDING_KEY = "earshot_pending_emails"


class NotificationKind(StrEnum):
    feedback = "feedback"
    dispute_waiting = "dispute_waiting"
    dispute_decided = "dispute_decided"
    calibration_to_score = "calibration_to_score"
    calibration_revealed = "calibration_revealed"
    assignment_due = "assignment_due"
    reply = "reply"


KIND_LABELS: dict[str, str] = {
    NotificationKind.feedback: "New feedback on one of my calls",
    NotificationKind.dispute_waiting: "A dispute waits for my decision",
    NotificationKind.dispute_decided: "A dispute of mine was decided",
    NotificationKind.calibration_to_score: "A calibration session for me to score",
    NotificationKind.reply: "A reply on an evaluation of mine",
    NotificationKind.calibration_revealed: "A calibration session was revealed",
    NotificationKind.assignment_due: "An assignment of mine is due soon",
}
# Which kinds each role can receive (the preferences form shows only these).
KINDS_FOR_ROLE: dict[str, tuple[str, ...]] = {
    Role.agent: (
        NotificationKind.feedback,
        NotificationKind.dispute_decided,
        NotificationKind.reply,
    ),
    Role.supervisor: (
        NotificationKind.dispute_waiting,
        NotificationKind.calibration_to_score,
        NotificationKind.calibration_revealed,
        NotificationKind.assignment_due,
        NotificationKind.reply,
    ),
    Role.admin: (
        NotificationKind.dispute_waiting,
        NotificationKind.calibration_to_score,
        NotificationKind.calibration_revealed,
        NotificationKind.assignment_due,
        NotificationKind.reply,
    ),
}
EMAIL_MODES = {"each": "One e-mail for each", "daily": "One digest a day", "off": "No e-mail"}


# ---------------------------------------------------------------- settings


def _secrets() -> dict[str, Any]:
    from db.operations.config import _secrets_file

    return _secrets_file()


def setting(name: str, default: str = "") -> str:
    """`name` from the environment (upper case), else `.streamlit/secrets.toml` (lower
    case), else `default`."""
    value = os.environ.get(name.upper()) or _secrets().get(name.lower())
    return default if value in (None, "") else str(value)


@dataclass(frozen=True)
class SmtpSettings:
    """Where e-mail goes: host and port; tls "starttls" (default), "ssl" (implicit TLS)
    or "none"; optional login; the sender address; timeout in seconds per attempt."""

    host: str
    port: int
    tls: str
    username: str
    password: str
    sender: str
    timeout_s: float

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)


def smtp_settings() -> SmtpSettings:
    tls = setting("earshot_smtp_tls", "starttls").strip().lower()
    if tls not in ("starttls", "ssl", "none"):
        raise ValueError(f"EARSHOT_SMTP_TLS must be starttls, ssl or none, got {tls!r}")
    port_text = setting("earshot_smtp_port", "465" if tls == "ssl" else "587")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"EARSHOT_SMTP_PORT must be a port number, got {port_text!r}") from None
    timeout_text = setting("earshot_smtp_timeout_seconds", "10")
    try:
        timeout = float(timeout_text)
    except ValueError:
        raise ValueError(
            f"EARSHOT_SMTP_TIMEOUT_SECONDS must be a number, got {timeout_text!r}"
        ) from None
    return SmtpSettings(
        host=setting("earshot_smtp_host"),
        port=port,
        tls=tls,
        username=setting("earshot_smtp_user"),
        password=setting("earshot_smtp_password"),
        sender=setting("earshot_smtp_sender"),
        timeout_s=max(0.1, timeout),
    )


def base_url() -> str:
    """EARSHOT_BASE_URL: where users open the app (links in e-mails), no trailing slash."""
    return setting("earshot_base_url", "http://localhost:8501").rstrip("/")


# ---------------------------------------------------------------- made from each flush


def _supervisors_of_agent(session: Session, agent_id: int) -> list[int]:
    team_id = session.exec(select(User.team_id).where(User.id == agent_id)).first()
    supervisors = list(
        session.exec(
            select(User.id).where(
                User.role == Role.supervisor, User.team_id == team_id, col(User.active)
            )
        ).all()
        if team_id is not None
        else []
    )
    if not supervisors:
        supervisors = list(
            session.exec(select(User.id).where(User.role == Role.admin, col(User.active))).all()
        )
    return [int(i) for i in supervisors if i is not None]


def _add(
    session: Session,
    user_id: int,
    kind: str,
    title: str,
    page: str,
    params: dict[str, Any] | None = None,
    body: str = "",
    dedupe_key: str | None = None,
) -> Notification:
    row = Notification(
        user_id=user_id,
        kind=kind,
        title=title[:200],
        body=body[:1000],
        page=page,
        params=urlencode(params or {}),
        dedupe_key=dedupe_key,
    )
    session.add(row)
    pending: list[Notification] = session.info.setdefault(_PENDING_KEY, [])
    pending.append(row)
    return row


def _from_evaluation(session: Session, ev: Evaluation) -> None:
    status = get_history(ev, "status")
    # A draft submitted now; rows written already submitted (demo history, restores) are
    # the past, not news.
    became_submitted = ev.status == Status.submitted and Status.draft in (status.deleted or ())
    if became_submitted and ev.purpose == Purpose.regular:
        _add(
            session,
            ev.agent_id,
            NotificationKind.feedback,
            "New feedback on one of your calls",
            "my_feedback",
            {"evaluation": ev.id},
        )


def _from_audit(session: Session, event_row: AuditEvent) -> None:
    if event_row.entity == "dispute" and event_row.entity_id is not None:
        dispute = session.get(Dispute, event_row.entity_id)
        if dispute is None:
            return
        if event_row.action == "open_dispute":
            for user_id in _supervisors_of_agent(session, dispute.agent_id):
                _add(
                    session,
                    user_id,
                    NotificationKind.dispute_waiting,
                    "A dispute waits for your decision",
                    "disputes",
                    {"dispute": dispute.id},
                )
        elif event_row.action == "resolve_dispute":
            decision = (event_row.after or {}).get("status", "decided")
            _add(
                session,
                dispute.agent_id,
                NotificationKind.dispute_decided,
                f"Your dispute was decided: {str(decision).replace('_', ' ')}",
                "my_feedback",
                {"evaluation": dispute.evaluation_id},
            )
    elif (
        event_row.entity == "calibration_session"
        and event_row.action == "reveal"
        and event_row.entity_id is not None
    ):
        cal = session.get(CalibrationSession, event_row.entity_id)
        seats = session.exec(
            select(CalibrationSeat.scorer_id).where(
                CalibrationSeat.session_id == event_row.entity_id
            )
        ).all()
        title = cal.title if cal is not None else f"session {event_row.entity_id}"
        for user_id in sorted({*seats, *([cal.facilitator_id] if cal else [])}):
            _add(
                session,
                user_id,
                NotificationKind.calibration_revealed,
                f"Calibration revealed: {title}",
                "calibration",
                {"session": event_row.entity_id},
            )


def _from_seat(session: Session, seat: CalibrationSeat) -> None:
    cal = session.get(CalibrationSession, seat.session_id)
    title = cal.title if cal is not None else f"session {seat.session_id}"
    _add(
        session,
        seat.scorer_id,
        NotificationKind.calibration_to_score,
        f"Calibration to score: {title}",
        "calibration",
        {"session": seat.session_id},
    )


def _from_reply(session: Session, reply: EvaluationReply) -> None:
    ev = session.get(Evaluation, reply.evaluation_id)
    author = session.get(User, reply.author_id)
    if ev is None or author is None:
        return
    external_id = session.exec(select(Call.external_id).where(Call.id == ev.call_id)).first()
    about = f"call {external_id}" if external_id else "a call"
    body = reply.text if len(reply.text) <= 1000 else reply.text[:999] + "…"
    if ev.agent_id != author.id:
        _add(
            session,
            ev.agent_id,
            NotificationKind.reply,
            f"{author.display_name} replied about your {about}",
            "my_feedback",
            {"evaluation": ev.id},
            body,
        )
    if ev.scorer_id != author.id:
        _add(
            session,
            ev.scorer_id,
            NotificationKind.reply,
            f"{author.display_name} replied on your evaluation of {about}",
            "evaluations",
            {"evaluation": ev.id},
            body,
        )


def notifications_from_flush(session: OrmSession) -> None:
    """Add the notifications this flush's changes call for (see the module docstring)."""
    changed = [*session.new, *session.dirty]
    watched = Evaluation | AuditEvent | CalibrationSeat | EvaluationReply
    if not any(isinstance(o, watched) for o in changed):
        return
    assert isinstance(session, Session)
    with session.no_autoflush:
        for obj in changed:
            if isinstance(obj, Evaluation):
                _from_evaluation(session, obj)
            elif isinstance(obj, AuditEvent) and obj in session.new:
                _from_audit(session, obj)
            elif isinstance(obj, CalibrationSeat) and obj in session.new:
                _from_seat(session, obj)
            elif isinstance(obj, EvaluationReply) and obj in session.new:
                _from_reply(session, obj)
    if session.info.get(_PENDING_KEY) and not session.info.get("earshot_email_hook"):
        session.info["earshot_email_hook"] = True
        event.listen(session, "after_commit", _after_commit, once=True)
        event.listen(session, "after_rollback", _after_rollback, once=True)


def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop("earshot_email_hook", None)


def _after_commit(session: OrmSession) -> None:
    """Queue one e-mail job per committed notification whose recipient wants it now.
    Never raises: the user's change is committed whatever the queue says."""
    pending: list[Notification] = session.info.pop(_PENDING_KEY, [])
    session.info.pop("earshot_email_hook", None)
    ids = [n.id for n in pending if n.id is not None]
    if not ids or not smtp_settings().configured:  # no e-mail set up: the bell only
        return
    from db.engine import _unit_of_work
    from db.services.jobs import enqueue

    # The committed unit of work is still the current one until its scope closes: the
    # job rows are written in units of their own.
    token = _unit_of_work.set(None)
    try:
        for notification_id in wanted_now(ids):
            enqueue(EMAIL_JOB, subject=str(notification_id))
    except Exception:
        log.exception("could not queue e-mail for notifications %s", ids)
    finally:
        _unit_of_work.reset(token)


EMAIL_JOB = "email"
DIGEST_JOB = "email digest"


# ---------------------------------------------------------------- preferences


@dataclass(frozen=True)
class Preferences:
    """Kinds shown in the app, kinds e-mailed, the e-mail mode, and the address."""

    in_app: tuple[str, ...]
    emailed: tuple[str, ...]
    email_mode: str
    email: str | None


def _kinds_for(role: str) -> tuple[str, ...]:
    return KINDS_FOR_ROLE.get(role, ())


def _prefs(session: Session, user: User) -> Preferences:
    row = session.get(NotificationPreference, user.id)
    every = tuple(k.value for k in NotificationKind)
    if row is None:
        return Preferences(every, every, "each", user.email)
    return Preferences(tuple(row.in_app), tuple(row.emailed), row.email_mode, user.email)


def preferences(actor: Actor) -> Preferences:
    """The acting user's own preferences (defaults: everything in the app, each by e-mail)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        user = session.get(User, actor.id)
        assert user is not None
        return _prefs(session, user)


def save_preferences(
    actor: Actor, in_app: Iterable[str], emailed: Iterable[str], email_mode: str
) -> Preferences:
    """Store the acting user's choices; unknown kinds or modes are refused by name."""
    known = {k.value for k in NotificationKind}
    in_app, emailed = list(dict.fromkeys(in_app)), list(dict.fromkeys(emailed))
    for kind in [*in_app, *emailed]:
        if kind not in known:
            raise ValueError(
                f"{kind!r} is not a kind of notification ({', '.join(sorted(known))})."
            )
    if email_mode not in EMAIL_MODES:
        raise ValueError(f"E-mail mode {email_mode!r} is not one of {', '.join(EMAIL_MODES)}.")
    with session_scope() as session:
        actor = current_actor(session, actor)
        row = session.get(NotificationPreference, actor.id) or NotificationPreference(
            user_id=actor.id
        )
        row.in_app, row.emailed, row.email_mode = in_app, emailed, email_mode
        session.add(row)
        session.flush()
        user = session.get(User, actor.id)
        assert user is not None
        return _prefs(session, user)


def wanted_now(notification_ids: Iterable[int]) -> list[int]:
    """Of these notifications, those whose recipient has an address and wants this kind
    e-mailed one by one."""
    ids = sorted(set(notification_ids))
    if not ids:
        return []
    with read_scope() as session:
        rows = session.exec(
            select(Notification, User, NotificationPreference)
            .join(User, col(User.id) == col(Notification.user_id))
            .outerjoin(
                NotificationPreference,
                col(NotificationPreference.user_id) == col(Notification.user_id),
            )
            .where(col(Notification.id).in_(ids))
        ).all()
    out = []
    for note, user, pref in rows:
        if not user.email or not user.active:
            continue
        wanted = pref is None or (pref.email_mode == "each" and note.kind in pref.emailed)
        if wanted and note.id is not None:
            out.append(note.id)
    return out


# ---------------------------------------------------------------- the bell


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    title: str
    body: str
    page: str
    params: dict[str, str]
    created_at: datetime
    read: bool

    @property
    def page_file(self) -> str:
        return f"pages/{self.page}.py"


def _row(n: Notification) -> NotificationRow:
    from urllib.parse import parse_qsl

    assert n.id is not None
    return NotificationRow(
        n.id,
        n.kind,
        n.title,
        n.body,
        n.page,
        dict(parse_qsl(n.params)),
        n.created_at,
        n.read_at is not None,
    )


def _shown_kinds(session: Session, actor: Actor) -> list[str]:
    row = session.get(NotificationPreference, actor.id)
    return [k.value for k in NotificationKind] if row is None else list(row.in_app)


def note_due_assignments(actor: Actor, now: datetime | None = None) -> int:
    """Derive "assignment due" notifications for the acting scorer: one per open
    assignment due within ASSIGNMENT_DUE_WITHIN, never twice. Returns how many were new."""
    if not actor.can_score:
        return 0
    now = now or utcnow()
    with session_scope() as session:
        actor = current_actor(session, actor)
        due = session.exec(
            select(AssignmentRow.id, AssignmentRow.due_at)
            .where(
                AssignmentRow.scorer_id == actor.id,
                AssignmentRow.status == AssignmentStatus.open,
                col(AssignmentRow.due_at).is_not(None),
                col(AssignmentRow.due_at) <= now + ASSIGNMENT_DUE_WITHIN,
            )
            .limit(200)
        ).all()
        if not due:
            return 0
        keys = {f"assignment:{a_id}": (a_id, at) for a_id, at in due}
        have = set(
            session.exec(
                select(Notification.dedupe_key).where(
                    Notification.user_id == actor.id, col(Notification.dedupe_key).in_(keys)
                )
            ).all()
        )
        for key, (_a_id, at) in keys.items():
            if key not in have:
                _add(
                    session,
                    actor.id,
                    NotificationKind.assignment_due,
                    f"An assignment is due {at:%Y-%m-%d %H:%M} UTC",
                    "queue",
                    dedupe_key=key,
                )
        return len(keys) - len(have)


def unread_notification_count(actor: Actor) -> int:
    """How many notifications of the kinds the user shows are unread (the bell's count)."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        query = unread_notifications_counted(actor, _shown_kinds(session, actor))
        return int(session.exec(query).one())


def unread_by_kind_counted(actor: Actor) -> list[Any]:
    """Scalar subqueries for a caller that counts several things in one round trip (the
    navigation): the kinds the user shows (their preferences' list; NULL when they have
    none, meaning every kind), then the unread count of each ``NotificationKind`` in
    order. ``bell_from`` turns their values into the bell's count."""
    shown = select(NotificationPreference.in_app).where(NotificationPreference.user_id == actor.id)
    unread = (unread_notifications_counted(actor, [k.value]) for k in NotificationKind)
    return [shown.scalar_subquery(), *(count.scalar_subquery() for count in unread)]


def bell_from(values: Sequence[Any]) -> int:
    """The bell's count (unread, of the kinds shown) from the values of
    ``unread_by_kind_counted``, in order."""
    in_app, *counts = values
    shown = {k.value for k in NotificationKind} if in_app is None else set(in_app)
    kinds = zip(NotificationKind, counts, strict=True)
    return sum(int(n) for kind, n in kinds if kind.value in shown)


def unread_notifications_counted(actor: Actor, kinds: Any) -> Any:
    """The statement of the bell's count (one column, one row) for ``actor`` as already
    re-read, of the notification ``kinds`` they show (a list, or an expanding bind
    parameter): a caller may count several things in one round trip (the navigation)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(
            notification_filter(actor),
            col(Notification.read_at).is_(None),
            col(Notification.kind).in_(kinds),
        )
    )


def list_notifications(actor: Actor, limit: int = LIST_LIMIT) -> list[NotificationRow]:
    """The user's newest notifications (kinds they show), unread first."""
    with read_scope() as session:
        actor = current_actor(session, actor)
        kinds = _shown_kinds(session, actor)
        rows = session.exec(
            select(Notification)
            .where(notification_filter(actor), col(Notification.kind).in_(kinds))
            .order_by(col(Notification.read_at).is_not(None), col(Notification.id).desc())
            .limit(max(1, min(int(limit), 500)))
        ).all()
        return [_row(n) for n in rows]


def mark_read(actor: Actor, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (None: all of them). Another user's ids are
    ignored as if they did not exist. Returns how many changed."""
    with session_scope() as session:
        actor = current_actor(session, actor)
        query = update(Notification).where(
            notification_filter(actor), col(Notification.read_at).is_(None)
        )
        if notification_ids is not None:
            ids = [int(i) for i in notification_ids]
            query = query.where(col(Notification.id).in_(ids))
        result = session.exec(query.values(read_at=utcnow()))
        return int(result.rowcount or 0)


def open_notification(actor: Actor, notification_id: int) -> NotificationRow:
    """Mark one read and return it (to follow its link); NotFound for another user's."""
    from db.access import NotFound

    with session_scope() as session:
        actor = current_actor(session, actor)
        row = session.get(Notification, notification_id)
        if row is None or not can_read_notification(actor, row):
            raise NotFound(f"Notification {notification_id} was not found.")
        if row.read_at is None:
            row.read_at = utcnow()
            session.add(row)
        return _row(row)


# ---------------------------------------------------------------- e-mail


class EmailFailed(Exception):
    """The SMTP server could not take the message (the reason names the server)."""


def link_for(page: str, params: str) -> str:
    return f"{base_url()}/{page}" + (f"?{params}" if params else "")


def send_message(to: str, subject: str, text: str, cfg: SmtpSettings | None = None) -> None:
    """Send one plain-text message through the configured SMTP server, or EmailFailed
    saying what went wrong (refused, timed out, unreachable)."""
    cfg = cfg or smtp_settings()
    if not cfg.configured:
        raise EmailFailed("e-mail is not configured: set EARSHOT_SMTP_HOST and EARSHOT_SMTP_SENDER")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = cfg.sender, to, subject
    message.set_content(text)
    where = f"{cfg.host}:{cfg.port}"
    try:
        if cfg.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
        with client:
            if cfg.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if cfg.username:
                client.login(cfg.username, cfg.password)
            client.send_message(message)
    except TimeoutError as exc:
        raise EmailFailed(
            f"the SMTP server {where} did not answer within {cfg.timeout_s:g} s"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailFailed(f"the SMTP server {where} refused: {type(exc).__name__}: {exc}") from exc


def _footer() -> str:
    return (
        "\n\n--\nEarshot. Choose what you hear about under Notifications: "
        f"{base_url()}/notifications\n"
    )


def email_notification(notification_id: int) -> bool:
    """Send one notification by e-mail (the job's work). False when there is nothing to
    send (already sent, the user no longer wants it or has no address); EmailFailed when
    the server did not take it (the job retries)."""
    with read_scope() as session:
        note = session.get(Notification, notification_id)
        user = session.get(User, note.user_id) if note is not None else None
        if note is None or user is None or note.emailed_at is not None:
            return False
        if note.id is None or note.id not in wanted_now([note.id]) or not user.email:
            return False
        to, subject = user.email, f"Earshot: {note.title}"
        text = (
            f"{note.title}\n\n{note.body}\n\nOpen it: {link_for(note.page, note.params)}".replace(
                "\n\n\n\n", "\n\n"
            )
        )
    send_message(to, subject, text + _footer())
    with session_scope() as session:
        session.exec(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .values(emailed_at=utcnow())
        )
    return True


def email_digest(user_id: int, now: datetime | None = None) -> int:
    """One e-mail with every notification of the kinds the user e-mails that has not been
    e-mailed yet, each with its link; marks them sent. Returns how many it held."""
    now = now or utcnow()
    with read_scope() as session:
        user = session.get(User, user_id)
        pref = session.get(NotificationPreference, user_id)
        if user is None or not user.active or not user.email:
            return 0
        kinds = [k.value for k in NotificationKind] if pref is None else list(pref.emailed)
        notes = session.exec(
            select(Notification)
            .where(
                Notification.user_id == user_id,
                col(Notification.emailed_at).is_(None),
                col(Notification.kind).in_(kinds),
                col(Notification.created_at) <= now,
            )
            .order_by(col(Notification.id))
            .limit(200)
        ).all()
        if not notes:
            return 0
        lines = [f"- {n.title}\n  {link_for(n.page, n.params)}" for n in notes]
        ids = [n.id for n in notes]
        to = user.email
    text = f"What waits for you in Earshot ({len(ids)}):\n\n" + "\n".join(lines)
    send_message(to, f"Earshot: {len(ids)} new since your last digest", text + _footer())
    with session_scope() as session:
        session.exec(
            update(Notification).where(col(Notification.id).in_(ids)).values(emailed_at=now)
        )
        row = session.get(NotificationPreference, user_id)
        if row is not None:
            row.last_digest_at = now
            session.add(row)
    return len(ids)


def digest_recipients() -> list[int]:
    """Users who chose a daily digest, have an address and something not yet e-mailed."""
    with read_scope() as session:
        pending = (
            select(Notification.user_id)
            .where(col(Notification.emailed_at).is_(None))
            .distinct()
            .scalar_subquery()
        )
        return list(
            session.exec(
                select(NotificationPreference.user_id)
                .join(User, col(User.id) == col(NotificationPreference.user_id))
                .where(
                    NotificationPreference.email_mode == "daily",
                    col(User.active),
                    col(User.email).is_not(None),
                    col(NotificationPreference.user_id).in_(pending),
                )
                .order_by(col(NotificationPreference.user_id))
            ).all()
        )


def queue_digests() -> int:
    """Queue one digest job per recipient (the daily periodic task). Returns how many."""
    from db.services.jobs import enqueue

    users = digest_recipients()
    for user_id in users:
        enqueue(DIGEST_JOB, subject=str(user_id))
    return len(users)
