"""Listening evidence for a mono call from its transcript (issue 19).

A mono recording cannot tell the parties apart by channel, but a transcript that names
them can: each utterance's ``speaker`` ("agent" / "customer", see ``scoring.transcripts``)
and its ``start_s``/``end_s`` are the party's speech runs, and the usual definitions
(``scoring.listening.report_from_speech``) give every agent/customer metric.

Where to call it: when a mono call (``ListeningReport.is_mono``) has a transcript that
names both parties, the service that stores listening reports replaces the audio report
by ``report_from_transcript(utterances, report.duration_s, hold_spans=report.holds)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from scoring.listening import AGENT, CUSTOMER, ListeningReport, Span, report_from_speech
from scoring.transcripts import Utterance


def report_from_transcript(
    utterances: Sequence[Utterance],
    duration_s: float,
    *,
    hold_spans: Iterable[Span | Sequence[float]] = (),
    **thresholds: Any,
) -> ListeningReport:
    """Report from transcript turns: ``utterances`` with ``speaker`` "agent"/"customer"
    (others, e.g. "unknown", are left out and their seconds recorded in
    ``params["unnamed_s"]``), times in seconds; ``duration_s`` the recording's length.
    The report has ``channels=2`` (two parties) and ``params["turns_from"] ==
    "transcript"``. ``hold_spans``: holds found in the audio (``report.holds``).
    ``thresholds``: as ``report_from_speech``.

    Raises ``ValueError`` naming the problem when an utterance's times are not a forward
    span or the transcript names neither the agent nor the customer.
    """
    agent: list[tuple[float, float]] = []
    customer: list[tuple[float, float]] = []
    unnamed = 0.0
    for k, u in enumerate(utterances):
        if not u.end_s >= u.start_s >= 0:
            raise ValueError(f"utterance {k}: times {u.start_s}..{u.end_s} s are not a span")
        if u.speaker == AGENT:
            agent.append((u.start_s, u.end_s))
        elif u.speaker == CUSTOMER:
            customer.append((u.start_s, u.end_s))
        else:
            unnamed += u.end_s - u.start_s
    if not agent and not customer:
        raise ValueError("the transcript names neither the agent nor the customer")
    holds = [(h.start_s, h.end_s) if isinstance(h, Span) else (h[0], h[1]) for h in hold_spans]
    return report_from_speech(
        agent,
        customer,
        duration_s,
        hold_spans=holds,
        params={"turns_from": "transcript", "unnamed_s": round(unnamed, 3)},
        **thresholds,
    )
