"""The read-only call player: a scored call replayed where nobody pins comments (an
agent's own feedback, a dispute being decided). One set-up for both pages: the waveform
lanes and listening markers from the stored report, the moments shown on the timeline,
and the seek the page asked for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from player import call_player
from scoring.evidence import player_timeline
from ui.comments import seek_request


class PlayedCall(Protocol):
    """What the player needs of a call (``db.services.calls.CallRow`` has it)."""

    @property
    def duration_s(self) -> float: ...

    @property
    def channels(self) -> int: ...

    @property
    def agent_channel(self) -> int: ...


def read_only_player(
    call: PlayedCall,
    listening: Mapping[str, Any] | None,
    moments: Sequence[tuple[float, str]],
    *,
    audio_url: str,
    prefix: str,
    key: str,
    extra_markers: Sequence[dict[str, Any]] = (),
    utterances: Sequence[dict[str, Any]] = (),
) -> None:
    """Draw the player for `call` at `audio_url` without "Comment here".

    `listening` is the stored ``{"report", "peaks", ...}`` (or None: no lanes' turns or
    markers from it); `moments` are (t_s, label) pairs drawn as comment markers (the
    scorer's comments, the moments an agent cites); `extra_markers` (transcript moments)
    join them in time order. Seeks come from ``ui.comments.seek_request(prefix)``.
    """
    listening = listening or {}
    lanes, markers = player_timeline(
        listening.get("report"),
        listening.get("peaks"),
        call.channels,
        call.agent_channel,
        moments,
    )
    markers = sorted([*markers, *extra_markers], key=lambda m: float(m["t_s"]))
    seek_to, seek_nonce, seek_play = seek_request(prefix)
    call_player(
        audio_url=audio_url,
        duration_s=call.duration_s,
        lanes=lanes,
        markers=markers,
        seek_to=seek_to,
        seek_nonce=seek_nonce,
        seek_play=seek_play,
        allow_pin=False,
        utterances=utterances,
        key=key,
    )
