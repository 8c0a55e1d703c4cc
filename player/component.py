"""Python side of the call player (a ``st.components.v2`` component).

The browser half lives in ``player/frontend`` (plain HTML/JS/CSS, inlined at import;
nothing is loaded from a CDN). Mount it once per page with a stable ``key``: reruns
with unchanged arguments leave the ``<audio>`` element alone, so typing a note or
changing a score never interrupts playback.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from media.signing import unverified_subject

COMPONENT_NAME = "earshot_call_player"
TEXT_MARKER_KINDS = frozenset(
    {"paraphrase", "question", "defensive", "completion", "repeat", "empathy"}
)
"""Markers for text-evidence moments (``scoring.text_moments``), drawn with a legend."""
MARKER_KINDS = frozenset({"comment", "interruption", "silence", "hold"}) | TEXT_MARKER_KINDS
PARTIES = frozenset({"agent", "customer", "unknown"})
_FRONTEND = Path(__file__).resolve().parent / "frontend"


def _asset(name: str) -> str:
    return (_FRONTEND / name).read_text(encoding="utf-8")


_mount = st.components.v2.component(
    COMPONENT_NAME,
    html=_asset("player.html"),
    css=_asset("player.css"),
    js=_asset("player.js"),
)


@dataclass(frozen=True)
class Pin:
    """A "comment here" request: "c" key or the button, at playhead ``t_s``."""

    t_s: float
    nonce: int  # increases with every pin in the browser tab


@dataclass(frozen=True)
class PlayerState:
    # Playhead as last reported (after a pause, seek or pin, never continuously);
    # None until the first report.
    time_s: float | None
    # A pin not yet returned by an earlier run of this page, else None. Each pin is
    # returned once (the browser keeps it as state, not as a trigger, so a rerun
    # interrupted by another widget change cannot lose it).
    pin: Pin | None


def _noop() -> None:
    """Callbacks must be registered for Streamlit to surface state/trigger values."""


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return float(value)


def _clamped_peaks(raw: Sequence[Any]) -> list[float]:
    return [min(1.0, max(0.0, round(_finite(p, "peak"), 3))) for p in raw]


# The same call's peaks arrive on every rerun of its page: checked and rounded once per
# process (a few thousand floats per lane), by their values.
_PEAKS_SEEN: dict[tuple[tuple[Any, ...], tuple[type, ...]], list[float]] = {}
_PEAKS_SEEN_MAX = 64


def _peaks(raw: Sequence[Any]) -> list[float]:
    try:
        values = tuple(raw)
        key = (values, tuple(map(type, values)))  # True is not 1 here: _finite refuses it
        done = _PEAKS_SEEN.get(key)
    except TypeError:  # an unhashable value: _finite names it
        return _clamped_peaks(raw)
    if done is None:
        done = _clamped_peaks(values)
        if len(_PEAKS_SEEN) >= _PEAKS_SEEN_MAX:
            _PEAKS_SEEN.clear()
        _PEAKS_SEEN[key] = done
    return list(done)


def _lane(lane: dict[str, Any], i: int) -> dict[str, Any]:
    peaks = _peaks(lane.get("peaks", []))
    out: dict[str, Any] = {"label": str(lane.get("label", f"Channel {i + 1}")), "peaks": peaks}
    turns = []
    for turn in lane.get("turns") or []:
        start, end = (_finite(x, f"lanes[{i}].turns") for x in turn)
        if end > start:
            turns.append([round(start, 2), round(end, 2)])
    if turns:
        out["turns"] = turns
    return out


def _marker(marker: dict[str, Any]) -> dict[str, Any]:
    kind = marker.get("kind", "comment")
    if kind not in MARKER_KINDS:
        raise ValueError(f"marker kind must be one of {sorted(MARKER_KINDS)}, got {kind!r}")
    out: dict[str, Any] = {
        "t_s": round(_finite(marker["t_s"], "marker t_s"), 2),
        "kind": kind,
        "label": str(marker.get("label", "")),
    }
    if marker.get("end_s") is not None:  # a span (hold): drawn from t_s to end_s
        out["end_s"] = max(out["t_s"], round(_finite(marker["end_s"], "marker end_s"), 2))
    return out


def _utterance(u: dict[str, Any], i: int) -> dict[str, Any]:
    start = _finite(u.get("start_s"), f"utterances[{i}].start_s")
    end = _finite(u.get("end_s"), f"utterances[{i}].end_s")
    speaker = str(u.get("speaker", "unknown"))
    if speaker not in PARTIES:
        raise ValueError(
            f"utterances[{i}].speaker must be one of {sorted(PARTIES)}, got {speaker!r}"
        )
    out: dict[str, Any] = {
        "start_s": round(start, 2),
        "end_s": round(max(end, start), 2),
        "speaker": speaker,
        "label": str(u.get("label", "")),
        "text": str(u.get("text", "")),  # shown with textContent, never parsed as HTML
    }
    words = []
    for w in u.get("words") or ():
        text, w_start, w_end = w
        words.append(
            [
                str(text),
                round(_finite(w_start, f"utterances[{i}].words"), 2),
                round(_finite(w_end, f"utterances[{i}].words"), 2),
            ]
        )
    if words:
        out["words"] = words
    return out


def _source_id(audio_url: str) -> str:
    """What identifies the recording, so a re-signed URL does not reload it.

    Pages sign a fresh token per rerun, which changes the URL but not the call; the
    browser keeps its current (still valid) URL until it fails. The subject is read
    without verification: it only decides whether to reload, it grants nothing.
    """
    token = urlsplit(audio_url).path.rstrip("/").rsplit("/", 1)[-1]
    subject = unverified_subject(token)
    return f"call:{subject[0]}:user:{subject[1]}" if subject else audio_url


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _state(result: Any, key: str) -> PlayerState:
    pin = None
    raw = result.get("pin")
    if isinstance(raw, dict) and _number(raw.get("t_s")) is not None:
        nonce = int(_number(raw.get("nonce")) or 0)
        seen_key = f"_earshot_call_player_pin_seen::{key}"
        if st.session_state.get(seen_key) != nonce:
            st.session_state[seen_key] = nonce
            pin = Pin(t_s=float(raw["t_s"]), nonce=nonce)
    return PlayerState(time_s=_number(result.get("time_s")), pin=pin)


def call_player(
    *,
    audio_url: str,
    duration_s: float,
    lanes: list[dict[str, Any]],
    markers: list[dict[str, Any]],
    seek_to: float | None = None,
    seek_nonce: int = 0,
    seek_play: bool = False,
    allow_pin: bool = True,
    no_pin_reason: str = "",
    pause_while_typing_in: str = "",
    utterances: Sequence[dict[str, Any]] = (),
    key: str,
) -> PlayerState | None:
    """Render the call player; return what the browser last reported.

    ``lanes``: one per speaker (one for mono), ``{"label", "peaks": [0..1, ...],
    "turns": [[start_s, end_s], ...]}`` (turns optional; peaks from
    :func:`media.waveform.waveform_peaks`). ``markers``: ``{"t_s", "kind":
    "comment" | "interruption" | "silence", "label"}``; clicking one seeks and plays.
    To seek from Python, set ``seek_to`` and increase ``seek_nonce``: each nonce
    seeks once (and briefly outlines the transcript line there); with ``seek_play`` it also
    plays from there ("Play from here"), except on the player's first mount. Clicking a
    marker seeks and plays. ``allow_pin`` False hides "Comment here", the C key and the
    lines' Comment buttons (read-only players, e.g. an agent's feedback); ``no_pin_reason``
    is then what the C key says instead (e.g. the evaluation is submitted).
    ``pause_while_typing_in``: a CSS selector of the page's comment field (e.g.
    ``".st-key-ev5_comment_text textarea"``); typing there pauses playback, unless the
    listener unticks "Pause while I type a comment" (kept in the browser). The player also
    takes the keys 1–5 and N (score the rubric item being worked on: the radio group with
    the focus or last clicked), ? (the list of shortcuts), and + and − or the wheel (zoom).
    ``utterances``: the transcript, ``{"start_s", "end_s", "speaker": "agent" |
    "customer" | "unknown", "label", "text", "words": [[text, start_s, end_s], ...]}``;
    when given, a pane under the player shows it, highlights the line (and word)
    being played and follows it, seeks on a click, searches (matches marked on the
    waveform) and pins a comment at a line's start. Text-evidence markers
    (``TEXT_MARKER_KINDS``) show a legend and badges on their lines. Returns None only
    outside a Streamlit script run.
    """
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    if not isinstance(audio_url, str) or not audio_url:
        raise ValueError("audio_url must be a non-empty string")
    duration = _finite(duration_s, "duration_s")
    if duration < 0:
        raise ValueError("duration_s must be >= 0")
    if isinstance(seek_nonce, bool) or not isinstance(seek_nonce, int):
        raise TypeError("seek_nonce must be an int")
    lines = [_utterance(u, i) for i, u in enumerate(utterances)]
    # The browser re-renders the pane only when this changes, not on every rerun.
    transcript_key = hashlib.sha1(
        json.dumps(lines, separators=(",", ":")).encode(), usedforsecurity=False
    ).hexdigest()[:16]
    data = {
        "audio_url": audio_url,
        "source_id": _source_id(audio_url),
        "duration_s": round(duration, 3),
        "lanes": [_lane(lane, i) for i, lane in enumerate(lanes)],
        "markers": [_marker(m) for m in markers],
        "seek_to": None if seek_to is None else round(_finite(seek_to, "seek_to"), 2),
        "seek_nonce": seek_nonce,
        "seek_play": bool(seek_play),
        "allow_pin": bool(allow_pin),
        "no_pin_reason": "" if allow_pin else str(no_pin_reason),
        "pause_while_typing_in": str(pause_while_typing_in),
        "utterances": lines,
        "transcript_key": transcript_key if lines else "",
    }
    result = _mount(
        key=key,
        data=data,
        on_time_s_change=_noop,
        on_pin_change=_noop,
        on_refresh_change=_noop,  # set by the browser on a 403: the rerun re-signs the URL
    )
    return _state(result, key)
