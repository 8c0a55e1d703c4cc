"""Standalone demo page for the call player (driven by tests/e2e/test_player.py).

This file plays two roles:

* ``streamlit run tests/e2e/player_app.py`` finds the ``st.App`` below and imports the
  file as a module (``__name__ != "__main__"``): that builds the ASGI app with the
  signed audio route and a resolver reading a temp folder.
* That st.App then executes the same file as its page script, where ``__name__`` is
  ``"__main__"``: that renders the page.

Environment: ``PLAYER_DEMO_AUDIO_DIR`` holds ``<call_id>.<ext>`` audio files;
``EARSHOT_MEDIA_SECRET`` is the token key. ``?call=N`` picks the call (default 1);
``?expired_first=1`` serves an expired link on the first run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import streamlit as st

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # for a manual `streamlit run` without PYTHONPATH
    sys.path.insert(0, str(REPO_ROOT))

from media.signing import sign_media_token  # noqa: E402
from player.routes import audio_url, media_routes  # noqa: E402

AUDIO_EXTENSIONS = (".wav", ".opus", ".ogg", ".mp3", ".flac")
DEMO_USER_ID = 7
# Shown as marker tooltips: must come out as literal text, never as markup.
XSS_LABEL = '<img src=x onerror="window.__xss=1"> Greeting <b>ok</b>'


def _secret() -> bytes:
    return os.environ["EARSHOT_MEDIA_SECRET"].encode()


def _resolve(call_id: int, _user_id: int = 0) -> Path | None:
    folder = Path(os.environ["PLAYER_DEMO_AUDIO_DIR"])
    for ext in AUDIO_EXTENSIONS:
        path = folder / f"{call_id}{ext}"
        if path.is_file():
            return path
    return None


def _turns(peaks: list[float], duration: float, threshold: float = 0.05) -> list[list[float]]:
    """Spans where a lane is above ``threshold``: a stand-in for real diarisation."""
    step = duration / max(1, len(peaks))
    spans: list[list[float]] = []
    for i, value in enumerate(peaks):
        if value < threshold:
            continue
        if spans and abs(spans[-1][1] - i * step) < 1e-9:
            spans[-1][1] = (i + 1) * step
        else:
            spans.append([i * step, (i + 1) * step])
    return spans


def page() -> None:
    import soundfile as sf

    from media.waveform import waveform_peaks
    from player.component import call_player

    @st.cache_data
    def analyse(path: str) -> tuple[float, list[list[float]]]:
        samples, rate = sf.read(path, dtype="int16", always_2d=True)
        return len(samples) / rate, waveform_peaks(samples)

    state = st.session_state
    state.setdefault("runs", 0)
    state.runs += 1
    state.setdefault("comments", [{"t_s": 8.0, "label": XSS_LABEL}])
    state.setdefault("seek_to", None)
    state.setdefault("seek_nonce", 0)
    state.setdefault("pinned", None)

    def go_to(t_s: float) -> None:
        state.seek_to = t_s
        state.seek_nonce += 1

    call_id = int(st.query_params.get("call", "1"))
    path = _resolve(call_id)
    st.title("Call player demo")
    if state.get("banner"):
        st.info("Score saved.")  # an element appearing above the player on a rerun
    if path is None:
        st.error(f"No audio for call {call_id}")
        return
    duration, peaks = analyse(str(path))
    names = ["Agent", "Customer"] if len(peaks) == 2 else ["Call"]
    lanes = [
        {"label": name, "peaks": lane, "turns": _turns(lane, duration)}
        for name, lane in zip(names, peaks, strict=True)
    ]
    markers = [
        {"t_s": 9.5, "kind": "interruption", "label": "Customer talks over the agent"},
        {"t_s": 20.0, "kind": "silence", "label": "Silence, 4 s"},
        {"t_s": 25.0, "end_s": 28.0, "kind": "hold", "label": "On hold 3 s"},
    ] + [{"t_s": c["t_s"], "kind": "comment", "label": c["label"]} for c in state.comments]

    # A fresh token every run, as the real pages do: the player must not reload for it.
    # ?expired_first=1 hands out an already expired link on the first run only.
    expired = st.query_params.get("expired_first") == "1" and state.runs == 1
    now = time.time() - 3600 if expired else None
    token = sign_media_token(call_id, DEMO_USER_ID, _secret(), ttl_s=600, now=now)
    result = call_player(
        audio_url=audio_url(token),
        duration_s=duration,
        lanes=lanes,
        markers=markers,
        seek_to=state.seek_to,
        seek_nonce=state.seek_nonce,
        seek_play=True,  # every seek here is a comment's "Go to": play from there
        pause_while_typing_in=".st-key-comment_text textarea",
        allow_pin=not state.get("read_only", False),
        no_pin_reason="Read only: comments are closed.",
        key="player",
    )
    if result is not None and result.pin is not None:
        state.pinned = result.pin.t_s
        state.comments.append({"t_s": result.pin.t_s, "label": "Pinned"})
        st.rerun()  # show the new marker at once

    st.text(f"runs={state.runs}")
    st.text(f"time_s={None if result is None else result.time_s}")
    st.text(f"pinned_at={state.pinned}")
    notes = st.text_area("Notes", key="notes")
    st.text(f"notes_len={len(notes)}")
    st.checkbox("Show banner", key="banner")
    st.checkbox("Read only", key="read_only")
    st.text_area("Comment text", key="comment_text")
    level = st.radio("Item one", ["1", "2", "3", "4", "5", "N/A"], index=None, key="item_one")
    st.text(f"item_one={level}")
    st.subheader("Comments")
    for i, comment in enumerate(state.comments):
        st.button(
            f"Go to {comment['t_s']:.2f}",
            key=f"goto-{i}",
            on_click=go_to,
            args=(comment["t_s"],),
        )


if __name__ == "__main__":
    page()
else:
    app = st.App(__file__, routes=media_routes(_resolve, _secret))
