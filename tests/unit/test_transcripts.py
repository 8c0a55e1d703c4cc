"""Transcript parsers against fixtures written from each format's public documentation,
roles from listening turns, and hostile files (every message names the file and where)."""

import json
from pathlib import Path

import pytest

from scoring.transcripts import (
    Transcript,
    TranscriptError,
    Utterance,
    Word,
    assign_roles,
    parse_transcript,
    party_from_channel,
    party_from_label,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"


def parse(name: str, **kwargs) -> Transcript:
    return parse_transcript((FIXTURES / name).read_bytes(), name, **kwargs)


def rows(t: Transcript) -> list[tuple[str, str, float, float, str]]:
    return [(u.speaker, u.label, u.start_s, u.end_s, u.text) for u in t.utterances]


def assert_sorted(t: Transcript) -> None:
    starts = [u.start_s for u in t.utterances]
    assert starts == sorted(starts)


# --- WebVTT ------------------------------------------------------------------------------


def test_webvtt_voice_spans_markup_and_entities():
    t = parse("webvtt_voices.vtt")
    assert t.format == "webvtt"
    assert rows(t) == [
        ("agent", "Agent", 1.23, 4.95, "Good morning, service desk, Ana speaking. How can I help?"),
        ("customer", "Customer", 5.61, 9.78, "Hi Ana. My password isn't working & I'm locked out."),
        ("agent", "Agent", 10.39, 14.03, "Welcome back. Can I take your username, please?"),
        ("customer", "Customer", 14.55, 15.5, "Sure, it's m dot okafor <at> work."),
    ]
    # STYLE and NOTE blocks are not cues; every utterance has no word timings.
    assert all(u.words == () for u in t.utterances)


def test_webvtt_without_hours_and_name_prefixes():
    t = parse("webvtt_no_hours.vtt")
    assert rows(t) == [
        ("agent", "Rep", 1.0, 3.5, "Thanks for calling, this is Ben."),
        ("customer", "CALLER", 4.0, 7.25, "My VPN drops every ten minutes."),
        ("agent", "Representative", 7.5, 9.0, "Okay, which office are you in?"),
        ("customer", "client", 62.0, 64.5, "The Leeds office."),
    ]


def test_webvtt_diarised_labels_stay_unknown():
    t = parse("webvtt_diarised.vtt")
    assert {u.label for u in t.utterances} == {"SPEAKER_00", "SPEAKER_01"}
    assert {u.speaker for u in t.utterances} == {"unknown"}


def test_webvtt_detected_by_content_whatever_the_name():
    data = (FIXTURES / "webvtt_voices.vtt").read_bytes()
    assert parse_transcript(data, "upload.txt").format == "webvtt"
    deepgram = (FIXTURES / "deepgram_multichannel.json").read_bytes()
    assert parse_transcript(deepgram, "misnamed.vtt").format == "deepgram"


def test_headerless_cues_named_vtt_read_as_webvtt():
    data = b"00:01.000 --> 00:02.500\n<v Agent>Hello.\n"
    (u,) = parse_transcript(data, "no-header.vtt").utterances
    assert (u.speaker, u.start_s, u.end_s, u.text) == ("agent", 1.0, 2.5, "Hello.")
    assert parse_transcript(data, "no-header.vtt").format == "webvtt"
    assert parse_transcript(data, "no-header.srt").format == "srt"


# --- SRT -----------------------------------------------------------------------------------


def test_srt_crlf_multiline_cues_and_hours():
    t = parse("srt_names_crlf.srt")
    assert t.format == "srt"
    assert rows(t) == [
        ("agent", "Agent", 1.23, 4.95, "Good morning, service desk, Chloe speaking."),
        ("customer", "Customer", 5.61, 9.78, "I lost my phone and now I am locked out."),
        ("agent", "Agent", 10.39, 14.03, "I am sorry to hear that. Let us get you back in."),
        ("customer", "Customer", 3600.0, 3602.5, "Thank you."),
    ]


def test_srt_bracket_speakers_and_tags_stripped():
    t = parse("srt_speaker_brackets.srt")
    assert rows(t) == [
        ("unknown", "SPEAKER_00", 0.48, 2.9, "Thank you for calling the service desk."),
        ("unknown", "SPEAKER_01", 3.1, 6.05, "The shared mailbox has vanished from my Outlook."),
        ("unknown", "SPEAKER_00", 6.3, 8.0, "When did you last see it?"),
        ("unknown", "", 8.2, 9.1, "Yesterday afternoon."),
    ]


def test_srt_same_text_with_lf_or_crlf_or_bom():
    crlf = (FIXTURES / "srt_names_crlf.srt").read_bytes()
    lf = crlf.replace(b"\r\n", b"\n")
    bom = b"\xef\xbb\xbf" + lf
    utf16 = lf.decode().encode("utf-16")
    expected = rows(parse_transcript(crlf, "a.srt"))
    for data in (lf, bom, utf16):
        assert rows(parse_transcript(data, "a.srt")) == expected


def test_subtitle_text_is_plain_never_markup():
    data = b"1\n00:00:01,000 --> 00:00:02,000\n<script>alert(1)</script><b>Hi</b> &lt;b&gt;\n"
    (u,) = parse_transcript(data, "x.srt").utterances
    assert u.text == "alert(1)Hi <b>"  # tags dropped; escaped text kept as the characters


# --- Amazon Connect Contact Lens ----------------------------------------------------------


def test_contact_lens_roles_through_participants_and_sorted():
    t = parse("contact_lens.json")
    assert t.format == "contact_lens"
    assert_sorted(t)
    assert [(u.speaker, u.label, u.start_s, u.end_s) for u in t.utterances] == [
        ("agent", "AGENT", 0.0, 3.38),
        ("customer", "CUSTOMER", 3.96, 6.21),
        ("agent", "AGENT", 6.67, 9.8),
        ("customer", "CUSTOMER", 10.25, 15.02),
        ("unknown", "SYSTEM", 15.5, 17.0),
    ]


def test_contact_lens_redactions_kept_in_seconds():
    t = parse("contact_lens.json")
    redacted = [u for u in t.utterances if u.redactions]
    assert len(redacted) == 1
    assert redacted[0].text == "Sure, it's [PII] and my postcode is [PII]."
    assert redacted[0].redactions == ((11.01, 12.6), (13.71, 14.95))


def test_contact_lens_participant_id_is_the_role():
    t = parse("contact_lens_role_ids.json")
    assert [(u.speaker, u.text) for u in t.utterances] == [
        ("agent", "Service desk, George here."),
        ("customer", "The printer on floor two is jammed again."),
    ]


# --- Genesys Cloud --------------------------------------------------------------------------


def test_genesys_epoch_times_purposes_and_words():
    t = parse("genesys.json")
    assert t.format == "genesys"
    assert [(u.speaker, u.label, u.start_s, u.end_s) for u in t.utterances] == [
        ("unknown", "acd", 0.2, 0.7),
        ("agent", "internal", 0.8, 3.4),
        ("customer", "external", 4.0, 7.2),
    ]
    agent = t.utterances[1]
    assert agent.text == "Thank you for calling. How can I help?"  # decoratedText wins
    assert agent.words[0] == Word("thank", 0.8, 1.08)
    assert len(agent.words) == 8
    assert t.utterances[0].text == "you are now being connected"  # text when not decorated


def test_genesys_duration_ms():
    t = parse("genesys_duration_ms.json")
    assert rows(t) == [
        ("agent", "internal", 0.5, 1.4, "yes it is how can i help"),
        ("customer", "external", 1.5, 3.5, "hello is that the service desk"),
    ]


def test_genesys_offsets_when_no_conversation_start():
    data = json.loads((FIXTURES / "genesys.json").read_text())
    del data["conversationStartTime"]
    data["transcripts"][0]["phrases"].pop()  # the acd phrase has no offset
    t = parse_transcript(json.dumps(data).encode(), "g.json")
    assert [u.start_s for u in t.utterances] == [0.8, 4.0]


# --- Deepgram --------------------------------------------------------------------------------


def test_deepgram_multichannel_utterances_party_from_channel():
    t = parse("deepgram_multichannel.json")
    assert t.format == "deepgram"
    assert [(u.speaker, u.label, u.text) for u in t.utterances] == [
        ("agent", "0", "Service desk, Dev speaking."),
        ("customer", "1", "Hi, my emails to a supplier keep bouncing."),
        ("agent", "0", "Sorry, could you say that again?"),
    ]
    assert t.utterances[0].words[0] == Word("Service", 0.42, 0.77)  # punctuated_word


def test_deepgram_agent_on_the_right_channel():
    t = parse("deepgram_multichannel.json", agent_channel=1)
    assert [u.speaker for u in t.utterances] == ["customer", "agent", "customer"]


def test_deepgram_without_utterances_builds_them_from_channel_words():
    built = parse("deepgram_multichannel_words.json")
    given = parse("deepgram_multichannel.json")
    assert rows(built) == rows(given)
    assert [u.words for u in built.utterances] == [u.words for u in given.utterances]


def test_deepgram_diarised_words_split_by_speaker_and_pause():
    t = parse("deepgram_diarised_words.json")
    assert [(u.speaker, u.label, u.text) for u in t.utterances] == [
        ("unknown", "0", "Good afternoon, IT support."),
        ("unknown", "1", "My screen keeps flickering."),
        ("unknown", "1", "Since this morning."),  # a 0.95 s pause splits the turn
        ("unknown", "0", "Which monitor is it?"),
    ]


# --- AssemblyAI ------------------------------------------------------------------------------


def test_assemblyai_milliseconds_and_speaker_letters():
    t = parse("assemblyai_speakers.json")
    assert t.format == "assemblyai"
    assert [(u.speaker, u.label, u.start_s, u.end_s) for u in t.utterances] == [
        ("unknown", "A", 0.24, 2.9),
        ("unknown", "B", 3.3, 7.66),
        ("unknown", "A", 8.1, 9.5),
    ]
    assert t.utterances[0].words[0] == Word("Hello,", 0.24, 0.58)


def test_assemblyai_multichannel_channels_count_from_one():
    t = parse("assemblyai_multichannel.json")
    assert [(u.speaker, u.label, u.start_s) for u in t.utterances] == [
        ("agent", "1", 0.24),
        ("customer", "2", 3.3),
    ]
    swapped = parse("assemblyai_multichannel.json", agent_channel=1)
    assert [u.speaker for u in swapped.utterances] == ["customer", "agent"]


def test_assemblyai_words_only():
    t = parse("assemblyai_words_only.json")
    assert [(u.label, u.start_s, u.text) for u in t.utterances] == [
        ("", 0.24, "Hello, you're through to the service desk."),
        ("", 6.0, "Let me check their account."),
    ]


# --- Whisper family ---------------------------------------------------------------------------


def test_whisper_segments_and_words():
    t = parse("whisper_words.json")
    assert t.format == "whisper"
    assert [(u.start_s, u.end_s, u.text) for u in t.utterances] == [
        (0.0, 2.4, "Thanks for calling, Fatima speaking."),
        (3.1, 8.0, "So if I've understood, the printer prints blank pages since Monday?"),
    ]
    assert t.utterances[0].words[0] == Word("Thanks", 0.0, 0.41)
    assert len(t.utterances[1].words) == 11


def test_whisper_without_words():
    (u,) = parse("whisper_no_words.json").utterances
    assert (u.speaker, u.label, u.start_s, u.end_s, u.words) == ("unknown", "", 0.5, 2.9, ())


def test_whisperx_speakers_and_unaligned_words_skipped():
    t = parse("whisperx_diarised.json")
    assert [(u.label, u.text) for u in t.utterances] == [
        ("SPEAKER_00", "Service desk, Hana here."),
        ("SPEAKER_01", "Ticket 42 is still open."),
    ]
    assert [w.text for w in t.utterances[1].words] == ["Ticket", "is", "still", "open."]


def test_faster_whisper_list_of_segments():
    t = parse("faster_whisper_segments.json")
    assert t.format == "whisper"
    assert [(u.text, len(u.words)) for u in t.utterances] == [
        ("Hello, service desk.", 3),
        ("Hi there.", 0),
    ]


# --- parties ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "party"),
    [
        ("Agent", "agent"),
        ("REP", "agent"),
        ("representative", "agent"),
        ("Agent 2", "agent"),
        ("Customer", "customer"),
        ("caller", "customer"),
        ("CLIENT", "customer"),
        ("SPEAKER_00", "unknown"),
        ("A", "unknown"),
        ("Ana", "unknown"),
        ("", "unknown"),
    ],
)
def test_party_from_label(label, party):
    assert party_from_label(label) == party


def test_party_from_channel():
    assert [party_from_channel(c, 0) for c in (0, 1, 2)] == ["agent", "customer", "unknown"]
    assert [party_from_channel(c, 1) for c in (0, 1, 2)] == ["customer", "agent", "unknown"]


# --- assign_roles ------------------------------------------------------------------------------


def _diarised() -> Transcript:
    return Transcript(
        "whisper",
        (
            Utterance("unknown", "SPEAKER_00", 0.0, 4.0, "Service desk."),
            Utterance("unknown", "SPEAKER_01", 4.5, 6.0, "Hi."),
            Utterance("unknown", "SPEAKER_00", 6.5, 12.0, "How can I help?"),
            Utterance("agent", "Agent", 12.5, 13.0, "Already known."),
        ),
    )


def test_assign_roles_by_overlap_with_turns():
    turns = [("agent", 0.1, 3.9), ("customer", 4.4, 6.1), ("agent", 6.6, 11.8)]
    t = assign_roles(_diarised(), turns)
    assert [u.speaker for u in t.utterances] == ["agent", "customer", "agent", "agent"]
    assert [u.label for u in t.utterances] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00", "Agent"]


def test_assign_roles_never_makes_two_labels_the_same_party_of_a_pair():
    # The agent talks over most of the call, so both labels overlap agent turns more than
    # customer turns; the pair still splits into one agent and one customer.
    turns = [("agent", 0.0, 13.0), ("customer", 4.5, 6.0)]
    t = assign_roles(_diarised(), turns)
    assert [u.speaker for u in t.utterances] == ["agent", "customer", "agent", "agent"]


def test_assign_roles_extra_label_and_no_overlap():
    base = _diarised()
    extra = Transcript(
        base.format,
        (
            *base.utterances,
            Utterance("unknown", "SPEAKER_02", 20.0, 21.0, "Cough."),
            Utterance("unknown", "SPEAKER_03", 14.0, 15.0, "Mm."),
        ),
    )
    turns = [("agent", 0.0, 4.0), ("customer", 4.5, 6.0), ("agent", 6.5, 12.0)]
    turns += [("customer", 13.8, 15.2), ("mixed", 20.0, 21.0)]
    t = assign_roles(extra, turns)
    by_label = {u.label: u.speaker for u in t.utterances}
    assert by_label == {
        "SPEAKER_00": "agent",
        "SPEAKER_01": "customer",
        "Agent": "agent",
        "SPEAKER_02": "unknown",  # overlaps no party's turn ("mixed" is not a party)
        "SPEAKER_03": "customer",
    }


def test_assign_roles_takes_listening_turns():
    from scoring.listening import Turn

    turns = [Turn("agent", 0.1, 3.9), Turn("customer", 4.4, 6.1), Turn("agent", 6.6, 11.8)]
    t = assign_roles(_diarised(), turns)
    assert [u.speaker for u in t.utterances] == ["agent", "customer", "agent", "agent"]


def test_assign_roles_without_turns_changes_nothing():
    t = _diarised()
    assert assign_roles(t, []) == t


# --- hostile files: each message names the file and the place ----------------------------------


def refused(data: bytes, name: str, **kwargs) -> str:
    with pytest.raises(TranscriptError) as info:
        parse_transcript(data, name, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    return message


def test_empty_file():
    assert "empty" in refused(b"", "empty.vtt")
    assert "empty" in refused(b" \r\n\t\n", "blank.srt")


def test_unknown_text_format():
    message = refused(b"Agent said hello\nCustomer said hi\n", "notes.txt")
    assert "line 1" in message and "not a transcript format" in message


def test_unknown_json_format():
    message = refused(b'{"foo": [1, 2], "bar": {}}', "other.json")
    assert "top level" in message and "foo, bar" in message


def test_broken_json_names_line_and_column():
    data = b'{\n  "results": {\n    "utterances": [ {"start": 1.0,, }]\n  }\n}'
    message = refused(data, "dg.json")
    assert "line 3, column" in message and "broken JSON" in message


def test_not_utf8():
    message = refused(b"1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9\n", "latin1.srt")
    assert "line 3" in message and "UTF-8" in message


def test_over_the_size_limit_refused_before_parsing():
    # Not even valid text: refused for its size, so it was never read.
    big = b"\xff" * (50 * 2**20 + 1)
    message = refused(big, "huge.json")
    assert "50 MB limit" in message
    small = (FIXTURES / "webvtt_voices.vtt").read_bytes()
    assert "limit" in refused(small, "v.vtt", max_bytes=100)


def test_vtt_header_only_has_no_cues():
    assert "no cues" in refused(b"WEBVTT\n\nNOTE nothing here\n", "empty.vtt")


def test_srt_broken_timing_line_names_cue_and_line():
    data = b"1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:03 --> 00:00:04\nThere\n"
    message = refused(data, "bad.srt")
    assert "cue 2 (line 6)" in message and "00:00:03 --> 00:00:04" in message


def test_srt_reversed_times():
    data = b"1\n00:00:05,000 --> 00:00:04,000\nHi\n"
    message = refused(data, "rev.srt")
    assert "cue 1 (line 2)" in message and "ends before it starts" in message


def test_vtt_cue_without_timing_names_the_cue():
    data = b"WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n\nintro\nno timing here\n"
    message = refused(data, "v.vtt")
    assert "cue intro (line 7)" in message


def test_times_beyond_the_recording():
    message = refused((FIXTURES / "srt_names_crlf.srt").read_bytes(), "c.srt", duration_s=15.0)
    assert "cue 4 (line 15)" in message and "beyond the recording" in message
    # Within the tolerance of the end is accepted (rounding, codec padding).
    assert parse("webvtt_voices.vtt", duration_s=15.0).utterances[-1].end_s == 15.5


def test_json_times_beyond_recording_name_the_path():
    message = refused(
        (FIXTURES / "deepgram_multichannel.json").read_bytes(), "d.json", duration_s=5
    )
    assert "results.utterances[1].end" in message


def test_negative_time_names_the_json_path():
    data = json.loads((FIXTURES / "deepgram_multichannel.json").read_text())
    data["results"]["utterances"][2]["start"] = -0.5
    message = refused(json.dumps(data).encode(), "neg.json")
    assert "results.utterances[2].start" in message and "negative" in message


def test_negative_word_time_names_the_word():
    data = json.loads((FIXTURES / "assemblyai_speakers.json").read_text())
    data["utterances"][1]["words"][3]["end"] = -40
    message = refused(json.dumps(data).encode(), "aai.json")
    assert "utterances[1].words[3].end" in message


def test_reversed_contact_lens_turn():
    data = json.loads((FIXTURES / "contact_lens.json").read_text())
    data["Transcript"][2]["EndOffsetMillis"] = 100
    message = refused(json.dumps(data).encode(), "cl.json")
    assert "Transcript[2]:" in message and "ends before it starts" in message


def test_missing_and_mistyped_fields():
    data = json.loads((FIXTURES / "contact_lens.json").read_text())
    del data["Transcript"][1]["BeginOffsetMillis"]
    assert "Transcript[1].BeginOffsetMillis: missing" in refused(
        json.dumps(data).encode(), "cl.json"
    )
    data = json.loads((FIXTURES / "whisper_words.json").read_text())
    data["segments"][1]["start"] = "3.1"
    assert "segments[1].start: expected a number, found text" in refused(
        json.dumps(data).encode(), "w.json"
    )


def test_redaction_span_beyond_recording():
    message = refused((FIXTURES / "contact_lens.json").read_bytes(), "cl.json", duration_s=12.0)
    assert "Transcript[3].EndOffsetMillis" in message  # 15.02 s > 12 s + tolerance


def test_genesys_without_any_origin():
    data = json.loads((FIXTURES / "genesys_duration_ms.json").read_text())
    del data["conversationStartTime"]
    message = refused(json.dumps(data).encode(), "g.json")
    assert "transcripts[0].phrases[0]" in message and "conversationStartTime" in message


def test_assemblyai_text_without_timings():
    data = b'{"id": "x", "status": "completed", "text": "hello there", "words": []}'
    assert "words: the transcript has text but no word timings" in refused(data, "a.json")
