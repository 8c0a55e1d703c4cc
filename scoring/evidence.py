"""Listening evidence for people: metric lines beside rubric items, and the player's
timeline (speaker lanes and markers) built from a stored listening report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scoring.metrics import BY_NAME, LISTENING

METRIC_LABELS: dict[str, str] = {m.name: m.line_label for m in LISTENING}
"""Listening metrics shown beside items, by name (from the registry, `scoring.metrics`)."""


def format_metric(name: str, value: float | int | None) -> str:
    """One metric as a short line, e.g. 'Agent talk share: 62%'. None reads 'not measured'."""
    metric = BY_NAME.get(name)
    if metric is None:
        return f"{name}: {'not measured' if value is None else value}"
    return f"{metric.line_label}: {metric.format(value)}"


def evidence_lines(summary: Mapping[str, Any] | None, metrics: Sequence[str]) -> list[str]:
    """Lines for the listening metrics a rubric item names, from a report's `summary()`
    (text-evidence metrics it also names are drawn by `scoring.text_moments`)."""
    if not summary:
        return []
    return [format_metric(m, summary.get(m)) for m in metrics if m in METRIC_LABELS]


def player_timeline(
    report: dict[str, Any] | None,
    peaks: list[list[float]] | None,
    channels: int,
    agent_channel: int,
    comments: Sequence[tuple[float, str]] = (),
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Lanes and markers for the call player.

    `report` is `ListeningReport.to_dict()` (or None), `peaks` one envelope per channel,
    `comments` (t_s, text) pairs. Lanes: agent then customer for stereo, one for mono.
    Markers: comments, agent/customer interruptions, holds (kind "hold", with ``end_s``:
    a span, neither party's talk) and long silences, in time order.
    """
    peaks = peaks or [[] for _ in range(max(channels, 1))]
    turns = (report or {}).get("turns", [])
    if channels >= 2:
        customer_channel = 1 - agent_channel if agent_channel in (0, 1) else 0
        lanes = [
            {
                "label": "Agent",
                "peaks": peaks[agent_channel] if agent_channel < len(peaks) else [],
                "turns": [[t["start_s"], t["end_s"]] for t in turns if t["speaker"] == "agent"],
            },
            {
                "label": "Customer",
                "peaks": peaks[customer_channel] if customer_channel < len(peaks) else [],
                "turns": [[t["start_s"], t["end_s"]] for t in turns if t["speaker"] == "customer"],
            },
        ]
    else:
        lanes = [
            {
                "label": "Call (mono)",
                "peaks": peaks[0] if peaks else [],
                "turns": [[t["start_s"], t["end_s"]] for t in turns],
            }
        ]
    markers: list[dict[str, Any]] = [
        {"t_s": t, "kind": "comment", "label": text[:80]} for t, text in comments
    ]
    for event in (report or {}).get("interruptions", []):
        markers.append(
            {
                "t_s": event["t_s"],
                "kind": "interruption",
                "label": f"{event['by'].title()} interrupts",
            }
        )
    for span in (report or {}).get("holds", []):
        length = span["end_s"] - span["start_s"]
        markers.append(
            {
                "t_s": span["start_s"],
                "end_s": span["end_s"],
                "kind": "hold",
                "label": f"On hold {length:.0f} s",
            }
        )
    for span in (report or {}).get("long_silences", []):
        length = span["end_s"] - span["start_s"]
        markers.append(
            {"t_s": span["start_s"], "kind": "silence", "label": f"Silence {length:.0f} s"}
        )
    markers.sort(key=lambda m: float(m["t_s"]))
    return lanes, markers
