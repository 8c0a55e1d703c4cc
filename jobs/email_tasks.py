"""Job kinds for e-mail (db/services/notifications.py): one notification, or one user's daily
digest. A server that refuses or hangs is retried with a growing pause, at most
EMAIL_ATTEMPTS times; then the job fails with the server's answer, for an admin to read."""

from __future__ import annotations

from jobs.config import setting
from jobs.runner import JobContext, JobFailed, JobRetry, handler

EMAIL_ATTEMPTS = 5


def retry_delay_s(attempt: int) -> float:
    """The pause before attempt `attempt` + 1: base · 2^(attempt − 1), base
    EARSHOT_SMTP_RETRY_SECONDS (default 60), at most an hour."""
    base = float(setting("earshot_smtp_retry_seconds", "60"))
    delay: float = base * 2.0 ** max(attempt - 1, 0)
    return min(delay, 3600.0)


def _send_or_retry(context: JobContext, send: object) -> None:
    from db.services.notifications import EmailFailed, smtp_settings

    if not smtp_settings().configured:  # a setting to fix, not a server to wait for
        raise JobFailed("e-mail is not configured: set EARSHOT_SMTP_HOST and EARSHOT_SMTP_SENDER")
    if not context.subject.isdigit():
        raise JobFailed(f"a {context.kind} job names an id; got {context.subject!r}")
    try:
        send(int(context.subject))  # type: ignore[operator]
    except EmailFailed as exc:
        if context.attempt >= EMAIL_ATTEMPTS:
            raise JobFailed(f"{exc} (gave up after {context.attempt} attempts)") from exc
        raise JobRetry(
            f"{exc} (attempt {context.attempt} of {EMAIL_ATTEMPTS})",
            retry_delay_s(context.attempt),
        ) from exc


@handler("email")
def email(context: JobContext) -> None:
    """E-mail one notification (subject: its id) to its recipient."""
    from db.services.notifications import email_notification

    _send_or_retry(context, email_notification)


@handler("email digest")
def email_digest(context: JobContext) -> None:
    """E-mail one user's digest (subject: the user id)."""
    from db.services.notifications import email_digest as send_digest

    _send_or_retry(context, send_digest)
