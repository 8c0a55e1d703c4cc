"""scoring.listening: the definitions on hand-built speech runs, and accuracy on TTS calls."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from scoring.audio import AudioProblem, read_audio
from scoring.listening import (
    SUMMARY_METRICS,
    Event,
    ListeningReport,
    Span,
    Turn,
    analyze,
    analyze_file,
    detect_speech,
    report_from_speech,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "listening"
STEREO_FIXTURES = ["interruption", "backchannels", "silence"]


def rep(agent, customer, duration=60.0, **kw) -> ListeningReport:
    return report_from_speech(agent, customer, duration, **kw)


# --- turns --------------------------------------------------------------------------


def test_runs_closer_than_merge_gap_form_one_turn():
    r = rep([(0, 1), (1.4, 2)], [])
    assert r.turns == [Turn("agent", 0.0, 2.0)]


def test_runs_merge_gap_apart_are_two_turns():
    r = rep([(0, 1), (1.5, 2)], [])
    assert [t.start_s for t in r.turns] == [0.0, 1.5]


def test_merge_gap_is_a_parameter():
    r = rep([(0, 1), (1.5, 2)], [], merge_gap_s=0.6)
    assert len(r.turns) == 1
    assert r.params["merge_gap_s"] == 0.6


def test_runs_are_sorted_merged_and_clipped():
    r = rep([(5, 7), (-1, 1), (0.5, 2), (9, 12)], [], duration=10)
    assert r.turns == [Turn("agent", 0.0, 2.0), Turn("agent", 5.0, 7.0), Turn("agent", 9.0, 10.0)]


def test_turns_are_in_time_order_with_speakers():
    r = rep([(0, 2), (6, 8)], [(2.5, 5)])
    assert [t.speaker for t in r.turns] == ["agent", "customer", "agent"]


# --- backchannels -------------------------------------------------------------------


def test_short_agent_turn_inside_customer_turn_is_a_backchannel():
    r = rep([(3, 3.5)], [(0, 10)])
    assert r.backchannels == [Event(3.0, "agent")]
    assert r.interruptions == []
    assert r.summary()["backchannels"] == 1


def test_backchannel_must_be_shorter_than_the_limit():
    assert rep([(3, 3.99)], [(0, 10)]).backchannels
    long = rep([(3, 4.0)], [(0, 10)])
    assert long.backchannels == []
    assert long.interruptions == [Event(3.0, "agent")]  # the customer goes on for 6 s


def test_short_turn_ending_after_the_host_is_neither():
    r = rep([(4.6, 5.4)], [(0, 5)])
    assert r.backchannels == [] and r.interruptions == []


def test_short_turn_in_silence_is_not_a_backchannel():
    assert rep([(3, 3.5)], [(0, 2)]).backchannels == []


def test_customer_backchannel_is_not_counted_for_the_agent():
    r = rep([(0, 10)], [(4, 4.4)])
    assert r.backchannels == [Event(4.0, "customer")]
    assert r.summary()["backchannels"] == 0


def test_backchannel_limit_is_a_parameter():
    assert rep([(3, 4.2)], [(0, 10)], backchannel_max_s=1.5).backchannels == [Event(3.0, "agent")]


# --- interruptions ------------------------------------------------------------------


def test_agent_starting_over_the_customer_is_an_interruption():
    r = rep([(4, 8)], [(0, 10)])
    assert r.interruptions == [Event(4.0, "agent")]
    assert r.overtalk_s == 4.0
    assert r.summary()["interruptions"] == 1


def test_interruption_needs_the_other_to_go_on_long_enough():
    assert rep([(4, 8)], [(0, 5.0)]).interruptions == [Event(4.0, "agent")]  # exactly 1.0 s
    assert rep([(4, 8)], [(0, 4.99)]).interruptions == []


def test_interruption_overlap_is_a_parameter():
    assert rep([(4, 8)], [(0, 5.0)], interruption_min_overlap_s=1.5).interruptions == []


def test_customer_interrupting_is_attributed_to_the_customer():
    r = rep([(0, 10)], [(3, 6)])
    assert r.interruptions == [Event(3.0, "customer")]
    assert r.summary()["interruptions"] == 0


def test_simultaneous_starts_are_not_interruptions():
    assert rep([(2, 6)], [(2, 7)]).interruptions == []


def test_each_party_interrupting_is_listed_in_time_order():
    r = rep([(0, 10), (13, 14)], [(5, 12)])
    assert r.interruptions == [Event(5.0, "customer")]
    r = rep([(0, 4), (6, 11)], [(3, 9)])
    assert r.interruptions == [Event(3.0, "customer"), Event(6.0, "agent")]


# --- silences -----------------------------------------------------------------------


def test_long_silence_between_speech():
    r = rep([(0, 2)], [(5, 6)])
    assert r.long_silences == [Span(2.0, 5.0)]  # exactly 3.0 s counts
    assert rep([(0, 2)], [(4.99, 6)]).long_silences == []


def test_silence_before_first_and_after_last_speech_does_not_count():
    r = rep([(10, 12)], [(12.5, 13)], duration=60)
    assert r.long_silences == []


def test_silence_needs_both_parties_silent():
    r = rep([(0, 2), (8, 9)], [(3, 7)])
    assert r.long_silences == []


def test_long_silence_threshold_is_a_parameter():
    assert rep([(0, 2)], [(4.5, 6)], long_silence_s=2.0).long_silences == [Span(2.0, 4.5)]


# --- response gaps, talk share, longest turn ----------------------------------------


def test_response_gap_from_customer_end_to_agent_start():
    r = rep([(0, 2), (5.8, 8)], [(2.5, 5)])
    assert r.response_gaps_s == [0.8]
    assert r.summary()["response_gaps"] == 0.8


def test_response_gap_is_negative_when_the_agent_starts_early():
    r = rep([(4, 8)], [(0, 5)])
    assert r.response_gaps_s == [-1.0]


def test_backchannels_are_not_responses():
    r = rep([(2, 2.4), (6, 8)], [(0, 5)])
    assert r.response_gaps_s == [1.0]


def test_gap_is_measured_from_the_customers_last_turn():
    r = rep([(7, 9)], [(0, 3), (4, 6)])
    assert r.response_gaps_s == [1.0]


def test_customer_backchannel_does_not_make_a_gap():
    r = rep([(0, 10), (12, 13)], [(4, 4.4), (10.5, 11.5)])
    assert r.response_gaps_s == [0.5]


def test_median_response_gap():
    r = rep([(2, 3), (5, 6), (9, 10)], [(0, 1.5), (3.5, 4), (6.5, 8)])
    assert r.response_gaps_s == [0.5, 1.0, 1.0]
    assert r.summary()["response_gaps"] == 1.0


def test_talk_share_and_longest_turn():
    r = rep([(0, 2), (4, 5)], [(2.5, 3.5)])
    assert r.agent_talk_s == 3.0 and r.customer_talk_s == 1.0
    assert r.agent_talk_share == 0.75
    assert r.longest_agent_turn_s == 2.0


def test_no_speech_gives_an_empty_report():
    r = rep([], [], duration=30)
    assert r.turns == [] and r.interruptions == [] and r.long_silences == []
    assert r.summary() == {
        "talk_share": None,
        "longest_agent_turn": 0.0,
        "overtalk": 0.0,
        "interruptions": 0,
        "backchannels": 0,
        "response_gaps": None,
        "long_silences": 0,
    }


# --- mono, summary, storage ---------------------------------------------------------


def test_mono_report_has_mixed_turns_and_silences_only():
    r = report_from_speech([(0, 2), (2.3, 4), (9, 10)], None, 20)
    assert r.channels == 1
    assert r.turns == [Turn("mixed", 0.0, 4.0), Turn("mixed", 9.0, 10.0)]
    assert r.long_silences == [Span(4.0, 9.0)]
    s = r.summary()
    assert s["long_silences"] == 1
    assert all(s[k] is None for k in SUMMARY_METRICS if k != "long_silences")


def test_summary_keys_match_the_rubric_metric_names():
    from scoring.rubric import METRIC_NAMES

    assert tuple(rep([(0, 1)], [(2, 3)]).summary()) == SUMMARY_METRICS
    assert set(SUMMARY_METRICS) == set(METRIC_NAMES)


def test_to_dict_round_trips_through_json():
    r = rep([(0, 2), (3, 3.4), (6, 9)], [(2.5, 5), (8, 12), (20, 21)], duration=25)
    data = json.loads(json.dumps(r.to_dict()))
    back = ListeningReport.from_dict(data)
    assert back == r
    assert back.summary() == r.summary()
    mono = report_from_speech([(1, 2)], None, 5)
    assert ListeningReport.from_dict(json.loads(json.dumps(mono.to_dict()))) == mono


def test_from_dict_refuses_garbage():
    with pytest.raises(ValueError, match="not a listening report"):
        ListeningReport.from_dict({"turns": "nope"})


# --- analysing audio ----------------------------------------------------------------


def _truth(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _assert_events_match(found: list[Event], expected: list[dict], what: str) -> None:
    assert len(found) == len(expected), f"{what}: {found} vs {expected}"
    for f, e in zip(found, expected, strict=True):
        assert f.by == e["by"], what
        assert abs(f.t_s - e["t_s"]) <= 0.5, f"{what}: {f} vs {e}"


@pytest.mark.parametrize("vad", ["webrtc", "energy"])
@pytest.mark.parametrize("name", STEREO_FIXTURES)
def test_accuracy_on_tts_calls(name, vad):
    truth = _truth(name)
    expected = truth["report"]
    r = analyze_file(FIXTURES / truth["file"], agent_channel=truth["agent_channel"], vad=vad)
    assert r.channels == 2
    assert r.duration_s == pytest.approx(truth["duration_s"], abs=0.1)
    _assert_events_match(r.interruptions, expected["interruptions"], "interruptions")
    _assert_events_match(r.backchannels, expected["backchannels"], "backchannels")
    assert len(r.long_silences) == len(expected["long_silences"])
    for f, e in zip(r.long_silences, expected["long_silences"], strict=True):
        assert abs(f.start_s - e["start_s"]) <= 0.5
        assert abs(f.end_s - e["end_s"]) <= 0.5
    assert r.agent_talk_s == pytest.approx(expected["agent_talk_s"], rel=0.10)
    assert r.customer_talk_s == pytest.approx(expected["customer_talk_s"], rel=0.10)


def test_fixtures_cover_the_cases():
    reports = {n: _truth(n)["report"] for n in STEREO_FIXTURES}
    assert any(e["by"] == "agent" for e in reports["interruption"]["interruptions"])
    assert sum(e["by"] == "agent" for e in reports["backchannels"]["backchannels"]) == 2
    assert len(reports["silence"]["long_silences"]) == 1
    assert _truth("mono")["report"]["channels"] == 1


def test_mono_file():
    truth = _truth("mono")
    r = analyze_file(FIXTURES / truth["file"])
    assert r.channels == 1
    assert {t.speaker for t in r.turns} == {"mixed"}
    assert len(r.long_silences) == len(truth["report"]["long_silences"]) == 1
    assert abs(r.long_silences[0].start_s - truth["report"]["long_silences"][0]["start_s"]) <= 0.5
    assert r.summary()["talk_share"] is None
    assert r.summary()["long_silences"] == 1


def test_agent_channel_swaps_the_parties():
    truth = _truth("interruption")["report"]
    r = analyze_file(FIXTURES / "interruption.opus", agent_channel=1)
    swap = {"agent": "customer", "customer": "agent"}
    assert [swap[e.by] for e in r.interruptions] == [e["by"] for e in truth["interruptions"]]
    assert r.agent_talk_s == pytest.approx(truth["customer_talk_s"], rel=0.1)


def test_identical_channels_are_analysed_as_mono():
    samples, rate = read_audio(FIXTURES / "mono.wav")
    r = analyze(np.repeat(samples, 2, axis=1), rate)
    assert r.channels == 1
    assert "analysed as mono" in r.params["note"]


def test_mono_copied_to_both_channels_with_gain_and_noise_is_mono():
    samples, rate = read_audio(FIXTURES / "mono.wav")
    noise = np.random.default_rng(5).normal(0, 1e-4, (samples.shape[0], 2))
    x = (np.hstack([samples, samples * 0.7]) + noise).astype(np.float32)
    assert analyze(x, rate).channels == 1


@pytest.mark.parametrize("echo_db", [-35, -25, -15])
def test_crosstalk_echo_is_not_speech(echo_db):
    samples, rate = read_audio(FIXTURES / "backchannels.opus")
    gain = np.float32(10 ** (echo_db / 20))
    x = samples + gain * samples[:, ::-1]  # each party leaks into the other's channel
    truth = _truth("backchannels")["report"]
    r = analyze(x, rate)
    assert r.channels == 2
    _assert_events_match(r.backchannels, truth["backchannels"], "backchannels")
    assert r.interruptions == []
    assert r.agent_talk_s == pytest.approx(truth["agent_talk_s"], rel=0.10)
    assert r.customer_talk_s == pytest.approx(truth["customer_talk_s"], rel=0.10)
    # without the echo check, the echo reads as the other party talking over
    loose = analyze(x, rate, crosstalk=False)
    assert loose.overtalk_s > r.overtalk_s


def test_moderate_line_noise():
    samples, rate = read_audio(FIXTURES / "interruption.opus")
    noise = np.random.default_rng(6).normal(0, 10 ** (-40 / 20), samples.shape)
    r = analyze((samples + noise).astype(np.float32), rate)
    truth = _truth("interruption")["report"]
    _assert_events_match(r.interruptions, truth["interruptions"], "interruptions")
    assert r.agent_talk_s == pytest.approx(truth["agent_talk_s"], rel=0.10)


def test_one_dimensional_samples_are_mono():
    samples, rate = read_audio(FIXTURES / "mono.wav")
    assert analyze(samples[:, 0], rate).channels == 1


@pytest.mark.parametrize("rate", [11025, 22050, 16000])
def test_other_sample_rates(rate):
    samples, src = read_audio(FIXTURES / "backchannels.opus")
    x = resample_poly(samples, rate, src, axis=0).astype(np.float32)
    r = analyze(x, rate)
    truth = _truth("backchannels")["report"]
    _assert_events_match(r.backchannels, truth["backchannels"], "backchannels")


@pytest.mark.parametrize(
    "samples",
    [
        np.zeros((8000 * 20, 2), dtype=np.float32),
        np.random.default_rng(0).normal(0, 1e-3, (8000 * 20, 2)).astype(np.float32),
        np.zeros((100, 2), dtype=np.float32),  # shorter than one frame
        np.zeros((0, 2), dtype=np.float32),
    ],
    ids=["digital-silence", "noise-floor", "tiny", "empty"],
)
def test_silent_audio_gives_an_empty_report(samples):
    r = analyze(samples, 8000)
    assert r.turns == [] and r.interruptions == [] and r.long_silences == []
    assert r.summary()["talk_share"] is None


def test_non_finite_samples_are_silence():
    samples, rate = read_audio(FIXTURES / "interruption.opus")
    x = samples.copy()
    x[1000:5000] = np.nan
    x[9000] = np.inf
    r = analyze(x, rate)
    truth = _truth("interruption")["report"]
    _assert_events_match(r.interruptions, truth["interruptions"], "interruptions")


def test_silent_file_gives_an_empty_report(tmp_path):
    path = tmp_path / "silent.wav"
    sf.write(path, np.zeros((8000 * 10, 2)), 8000)
    r = analyze_file(path)
    assert r.turns == [] and r.duration_s == 10.0


@pytest.mark.parametrize("content", [b"", b"not audio at all" * 10])
def test_bad_files_raise_audio_problem(tmp_path, content):
    path = tmp_path / "call.opus"
    path.write_bytes(content)
    with pytest.raises(AudioProblem, match="call.opus"):
        analyze_file(path)


def test_bad_arguments():
    x = np.zeros((8000, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="agent_channel"):
        analyze(x, 8000, agent_channel=2)
    with pytest.raises(ValueError, match="vad"):
        analyze(x, 8000, vad="magic")
    with pytest.raises(ValueError, match="aggressiveness"):
        detect_speech(x, 8000, aggressiveness=7)


def test_detect_speech_returns_runs_per_channel():
    samples, rate = read_audio(FIXTURES / "silence.opus")
    runs = detect_speech(samples, rate)
    assert len(runs) == 2
    for channel in runs:
        assert channel == sorted(channel)
        assert all(0 <= a < b <= samples.shape[0] / rate for a, b in channel)


# --- the demo recordings ------------------------------------------------------------

DEMO = Path(__file__).resolve().parents[2] / "demo"
ITEM_KEYS = {
    "stop_talking",
    "open_mind",
    "active_listening",
    "natural_pauses",
    "eye_contact",
    "understand_remember",
    "paraphrase",
    "not_defensive",
    "be_patient",
    "lose_distractions",
}


def test_demo_catalogue_is_complete_and_small():
    calls = json.loads((DEMO / "calls.json").read_text())
    assert len(calls) >= 22
    assert {c["agent"] for c in calls} == {
        "ana",
        "ben",
        "chloe",
        "dev",
        "eli",
        "fatima",
        "george",
        "hana",
    }
    assert len({c["key"] for c in calls}) == len({c["external_id"] for c in calls}) == len(calls)
    total = 0
    for c in calls:
        path = DEMO / "audio" / f"{c['key']}.opus"
        total += path.stat().st_size
        assert 60 <= c["duration_s"] <= 240
        assert c["agent_channel"] == 0
        assert set(c["quality"]) == ITEM_KEYS
        assert c["quality"]["eye_contact"] is None
        assert all(1 <= v <= 5 for k, v in c["quality"].items() if k != "eye_contact")
        assert c["segments"] and all(s["speaker"] in ("agent", "customer") for s in c["segments"])
    assert total < 15 * 1024 * 1024


def test_demo_call_evidence_matches_its_script():
    calls = {c["key"]: c for c in json.loads((DEMO / "calls.json").read_text())}
    call = calls["ben-02-printer-restart"]
    segs = call["segments"]
    scripted = report_from_speech(
        [(s["start_s"], s["end_s"]) for s in segs if s["speaker"] == "agent"],
        [(s["start_s"], s["end_s"]) for s in segs if s["speaker"] == "customer"],
        call["duration_s"],
    )
    r = analyze_file(DEMO / "audio" / f"{call['key']}.opus")
    _assert_events_match(
        r.interruptions, [{"t_s": e.t_s, "by": e.by} for e in scripted.interruptions], "ben"
    )
    assert r.summary()["interruptions"] >= 3


def test_a_transposed_array_is_refused_with_its_shape_named():
    """(channels, frames) given as (frames, channels) would be thousands of channels, each
    a pass over the audio: refused at once, naming the shape, instead of minutes of work."""
    transposed = np.zeros((2, 8000 * 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"shape \(2, 32000\) have 32000 channels"):
        analyze(transposed, 8000)
    report = analyze(transposed.T, 8000)  # the same audio the right way round
    assert report.summary()["interruptions"] == 0
