"""Listening evidence formatting and the player's timeline, as data."""

from scoring.evidence import evidence_lines, format_metric, player_timeline

REPORT = {
    "turns": [
        {"speaker": "customer", "start_s": 0.0, "end_s": 6.0},
        {"speaker": "agent", "start_s": 4.0, "end_s": 9.0},
        {"speaker": "customer", "start_s": 14.0, "end_s": 20.0},
    ],
    "interruptions": [{"t_s": 4.0, "by": "agent"}],
    "long_silences": [{"start_s": 9.0, "end_s": 14.0}],
}


def test_metrics_read_as_people_say_them():
    assert format_metric("talk_share", 0.623) == "Agent talk share: 62%"
    assert format_metric("longest_agent_turn", 95.4) == "Longest agent turn: 1:35"
    assert format_metric("response_gaps", -0.4) == "Median response gap: -0.4 s"
    assert format_metric("interruptions", 3) == "Agent interruptions: 3"
    assert format_metric("backchannels", None).endswith("not measured")


def test_evidence_lines_follow_the_items_metric_list():
    summary = {"talk_share": 0.5, "longest_agent_turn": 30.0}
    assert evidence_lines(summary, ("talk_share", "longest_agent_turn")) == [
        "Agent talk share: 50%",
        "Longest agent turn: 0:30",
    ]
    assert evidence_lines(None, ("talk_share",)) == []


def test_stereo_timeline_puts_the_agent_lane_first_whatever_its_channel():
    lanes, markers = player_timeline(
        REPORT, [[0.1], [0.9]], channels=2, agent_channel=1, comments=[(12.0, "<b>pause</b>")]
    )
    assert [lane["label"] for lane in lanes] == ["Agent", "Customer"]
    assert lanes[0]["peaks"] == [0.9] and lanes[0]["turns"] == [[4.0, 9.0]]
    assert lanes[1]["turns"] == [[0.0, 6.0], [14.0, 20.0]]
    assert [(m["t_s"], m["kind"]) for m in markers] == [
        (4.0, "interruption"),
        (9.0, "silence"),
        (12.0, "comment"),
    ]
    assert markers[2]["label"] == "<b>pause</b>"  # passed as text; the player sets textContent


def test_mono_timeline_has_one_lane_and_survives_a_missing_report():
    lanes, markers = player_timeline(None, None, channels=1, agent_channel=0)
    assert [lane["label"] for lane in lanes] == ["Call (mono)"] and markers == []
