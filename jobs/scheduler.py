"""Periodic work the worker starts by itself (huey periodic tasks, see jobs/queue.py)."""

from __future__ import annotations

from db.services.jobs import JobView, enqueue
from jobs.handlers import DUE_PLANS, SAMPLE


def queue_due_sampling() -> JobView:
    """Record and queue one job that runs every active sampling plan for its current
    period (and closes the previous one): its state and errors show like any job's."""
    return enqueue(SAMPLE, subject=DUE_PLANS)
