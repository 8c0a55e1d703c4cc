"""Standalone page for the transcript pane of the call player (driven by
tests/e2e/test_transcript_pane.py), built like tests/e2e/player_app.py: ``streamlit run``
imports this file for its ``st.App`` (the signed audio route), which then runs it as the
page script.

Environment: ``PLAYER_DEMO_AUDIO_DIR`` holds ``1.wav``; ``EARSHOT_MEDIA_SECRET`` is the key.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from media.signing import sign_media_token  # noqa: E402
from player.routes import audio_url, media_routes  # noqa: E402

XSS_TEXT = '<img src=x onerror="window.__xss=1"> <b>bold</b> claims'
UTTERANCES = [
    {
        "start_s": 0.5,
        "end_s": 2.2,
        "speaker": "agent",
        "label": "Agent",
        "text": "Service desk, how can I help?",
        "words": [
            ["Service", 0.5, 0.9],
            ["desk,", 0.9, 1.3],
            ["how", 1.3, 1.5],
            ["can", 1.5, 1.7],
            ["I", 1.7, 1.8],
            ["help?", 1.8, 2.2],
        ],
    },
    {
        "start_s": 2.5,
        "end_s": 6.0,
        "speaker": "customer",
        "label": "Customer",
        "text": "My invoice is wrong again this month.",
    },
    {
        "start_s": 9.0,
        "end_s": 11.5,
        "speaker": "agent",
        "label": "Agent",
        "text": "That's not our fault.",
    },
    {
        "start_s": 12.0,
        "end_s": 15.5,
        "speaker": "customer",
        "label": "Customer",
        "text": XSS_TEXT,
    },
    {
        "start_s": 16.0,
        "end_s": 19.5,
        "speaker": "agent",
        "label": "Agent",
        "text": "So what I'm hearing is the invoice shows the old plan.",
    },
]
MARKERS = [
    {"t_s": 9.0, "kind": "defensive", "label": "shifts blame: That's not our fault."},
    {"t_s": 16.0, "kind": "paraphrase", "label": "reflective opener"},
    {"t_s": 20.0, "kind": "silence", "label": "Silence, 4 s"},
]


def _secret() -> bytes:
    return os.environ["EARSHOT_MEDIA_SECRET"].encode()


def _resolve(call_id: int, _user_id: int = 0) -> Path | None:
    path = Path(os.environ["PLAYER_DEMO_AUDIO_DIR"]) / f"{call_id}.wav"
    return path if path.is_file() else None


def page() -> None:
    from player.component import call_player

    state = st.session_state
    state.setdefault("seek", (None, 0))
    state.setdefault("pinned", None)

    def go_to(t_s: float) -> None:
        state.seek = (t_s, state.seek[1] + 1)

    st.title("Transcript pane demo")
    token = sign_media_token(1, 7, _secret(), ttl_s=600)
    seek_to, nonce = state.seek
    result = call_player(
        audio_url=audio_url(token),
        duration_s=30.0,
        lanes=[{"label": "Agent", "peaks": []}, {"label": "Customer", "peaks": []}],
        markers=MARKERS,
        seek_to=seek_to,
        seek_nonce=nonce,
        utterances=UTTERANCES,
        key="player",
    )
    if result is not None and result.pin is not None:
        state.pinned = result.pin.t_s
    st.text(f"pinned_at={state.pinned}")
    # Like a moment beside a rubric item on the Score page: Python asks the player to seek.
    st.button("Moment at 0:09", on_click=go_to, args=(9.0,))


if __name__ == "__main__":
    page()
else:
    app = st.App(__file__, routes=media_routes(_resolve, _secret))
