"""The read-only player both the agent's feedback and a dispute draw: lanes and markers
from the stored listening report, the shown moments and extra markers in time order, the
page's seek, and never "Comment here"."""

from dataclasses import dataclass

import pytest
import streamlit as st

import ui.player
from ui.player import read_only_player


@dataclass(frozen=True)
class Call:
    duration_s: float = 30.0
    channels: int = 2
    agent_channel: int = 0


LISTENING = {
    "report": {
        "turns": [
            {"speaker": "agent", "start_s": 0.0, "end_s": 4.0},
            {"speaker": "customer", "start_s": 4.5, "end_s": 9.0},
        ],
        "interruptions": [{"t_s": 6.0, "by": "agent", "overlap_s": 0.8}],
    },
    "peaks": [[0.1, 0.5], [0.2, 0.4]],
}


@pytest.fixture
def drawn(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr(ui.player, "call_player", lambda **kw: calls.append(kw))
    return calls


def test_it_draws_lanes_moments_and_the_seek_without_pinning(drawn):
    st.session_state["card_seek"] = (12.5, 3)
    st.session_state["card_seek_play"] = 3
    read_only_player(
        Call(),
        LISTENING,
        [(20.0, "Cited by the agent"), (2.0, "A comment")],
        audio_url="/audio/x",
        prefix="card",
        key="p1",
        extra_markers=[{"t_s": 10.0, "kind": "phrase", "label": "Sorry"}],
        utterances=[{"start_s": 0.0, "end_s": 4.0, "text": "Hello"}],
    )
    (kw,) = drawn
    assert kw["allow_pin"] is False and kw["key"] == "p1" and kw["audio_url"] == "/audio/x"
    assert (kw["seek_to"], kw["seek_nonce"], kw["seek_play"]) == (12.5, 3, True)
    assert [lane["label"] for lane in kw["lanes"]] == ["Agent", "Customer"]
    assert kw["lanes"][0]["peaks"] == [0.1, 0.5] and kw["lanes"][1]["turns"] == [[4.5, 9.0]]
    times = [m["t_s"] for m in kw["markers"]]
    assert times == sorted(times) and {2.0, 6.0, 10.0, 20.0} <= set(times)
    assert kw["utterances"] == [{"start_s": 0.0, "end_s": 4.0, "text": "Hello"}]
    assert kw["duration_s"] == 30.0


def test_without_a_listening_report_it_still_draws_the_moments(drawn):
    read_only_player(
        Call(channels=1), None, [(3.0, "Here")], audio_url="/a", prefix="none", key="p2"
    )
    (kw,) = drawn
    assert [lane["label"] for lane in kw["lanes"]] == ["Call (mono)"]
    assert [(m["t_s"], m["kind"]) for m in kw["markers"]] == [(3.0, "comment")]
    assert kw["seek_to"] is None and kw["seek_play"] is False
