"""Text evidence: precision and recall on labelled conversations, and each rule on its own.

The conversations are in tests/fixtures/conversations (format in its README.md). Run with
``-s`` to see the precision/recall table.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from scoring.text_evidence import (
    RULES_VERSION,
    TEXT_METRICS,
    PhraseFileError,
    TextEvidence,
    analyze_text,
    compile_phrase,
    default_phrases,
    load_phrases,
    normalise,
)
from scoring.transcripts import Transcript, Utterance, Word

CONVERSATIONS = Path(__file__).parents[1] / "fixtures" / "conversations"
LABELS = ("paraphrase", "open", "closed", "defensive", "completion", "repeat", "empathy")

# Bounds asserted on every labelled conversation together (dev and held-out). Set from what
# the rules reach (see the printed table), not lowered to pass: a change that loses
# precision or recall on these conversations fails here.
MIN_PRECISION = 0.9
MIN_RECALL = 0.85


def _timed(by: str, start: float, end: float, text: str) -> Utterance:
    """An utterance with its words spread evenly over [start, end]."""
    tokens = text.split()
    step = (end - start) / max(len(tokens), 1)
    words = tuple(
        Word(token, round(start + k * step, 3), round(start + (k + 1) * step, 3))
        for k, token in enumerate(tokens)
    )
    return Utterance(by, by.upper(), start, end, text, words)  # type: ignore[arg-type]


def load_conversation(path: Path) -> tuple[Transcript, list[list[str]], str]:
    """(transcript, expected labels per utterance, set name) from one fixture file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    utterances: list[Utterance] = []
    expected: list[list[str]] = []
    clock = 0.0
    for index, row in enumerate(data["u"]):
        unknown = [label for label in row.get("expect", []) if label not in LABELS]
        assert not unknown, f"{path.name} u[{index}]: unknown labels {unknown}"
        start = float(row.get("at", clock + 0.4 if utterances else 0.0))
        end = float(row.get("end", start + 0.3 * len(row["text"].split())))
        utterances.append(_timed(row["by"], start, end, row["text"]))
        expected.append(list(row.get("expect", [])))
        clock = end
    return Transcript("fixture", tuple(utterances)), expected, str(data.get("set", "dev"))


def found_labels(evidence: TextEvidence, n_utterances: int) -> list[list[str]]:
    """The labels the rules produced, per utterance, in the fixtures' vocabulary."""
    found: list[list[str]] = [[] for _ in range(n_utterances)]
    for moment in evidence.paraphrases:
        found[moment.utterance].append("paraphrase")
    for moment in evidence.questions:
        found[moment.utterance].append(str(moment.kind))
    for name, label in (
        ("defensive", "defensive"),
        ("completions", "completion"),
        ("repeats", "repeat"),
        ("empathy", "empathy"),
    ):
        for moment in getattr(evidence, name):
            found[moment.utterance].append(label)
    return found


def score_conversations(sets: tuple[str, ...]) -> dict[str, tuple[int, int, int]]:
    """label -> (true positives, false positives, false negatives), counted per utterance."""
    totals = {label: [0, 0, 0] for label in LABELS}
    for path in sorted(CONVERSATIONS.glob("*.toml")):
        transcript, expected, which = load_conversation(path)
        if which not in sets:
            continue
        found = found_labels(analyze_text(transcript), len(expected))
        for want, got in zip(expected, found, strict=True):
            want_count, got_count = Counter(want), Counter(got)
            for label in LABELS:
                hit = min(want_count[label], got_count[label])
                totals[label][0] += hit
                totals[label][1] += got_count[label] - hit
                totals[label][2] += want_count[label] - hit
    return {label: (tp, fp, fn) for label, (tp, fp, fn) in totals.items()}


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def print_table(title: str, counts: dict[str, tuple[int, int, int]]) -> None:
    print(f"\n{title}")
    print(f"{'label':<12}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}")
    for label, (tp, fp, fn) in counts.items():
        print(
            f"{label:<12}{tp:>5}{fp:>5}{fn:>5}"
            f"{_ratio(tp, tp + fp):>11.2f}{_ratio(tp, tp + fn):>8.2f}"
        )


SETS = ("dev", "batch2", "batch3", "held-out")


def test_conversations_are_enough_and_labelled():
    files = sorted(CONVERSATIONS.glob("*.toml"))
    assert len(files) >= 10
    for path in files:
        _, expected, which = load_conversation(path)
        assert which in SETS, path.name
        assert any(expected), f"{path.name} has no labelled findings"


def test_precision_and_recall_on_labelled_conversations():
    # When each set was written and what it scored on first run: see the fixtures' README.
    print_table("dev (01-09, rules tuned on these)", score_conversations(("dev",)))
    print_table("batch2 (10-13, tuned on after one run)", score_conversations(("batch2",)))
    print_table("batch3 (14-17, tuned on after one run)", score_conversations(("batch3",)))
    print_table("held-out (18-19, never tuned on)", score_conversations(("held-out",)))
    both = score_conversations(SETS)
    print_table("all conversations (bounds asserted here)", both)
    for label, (tp, fp, fn) in both.items():
        assert tp + fn >= 3, f"too few labelled {label} examples to measure recall"
        precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        assert precision >= MIN_PRECISION, f"{label}: precision {precision:.2f}"
        assert recall >= MIN_RECALL, f"{label}: recall {recall:.2f}"


# --- Focused rule tests ---------------------------------------------------------------


def _call(*lines: tuple[str, str]) -> Transcript:
    """Utterances one after another, 0.3 s per word and 0.4 s apart, with word timings."""
    utterances, clock = [], 0.0
    for by, text in lines:
        end = clock + 0.3 * len(text.split())
        utterances.append(_timed(by, clock, end, text))
        clock = end + 0.4
    return Transcript("test", tuple(utterances))


def _questions(text: str) -> list[tuple[str | None, str]]:
    evidence = analyze_text(_call(("customer", "My printer is broken."), ("agent", text)))
    return [(q.kind, q.reason) for q in evidence.questions]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("What happens when you print?", ["open"]),
        ("Tell me about the error you see.", ["open"]),  # imperative, no question mark
        ("Walk me through what you did", ["open"]),
        ("Could you describe the noise?", ["open"]),
        ("Can you tell me the model number?", ["open"]),
        ("Can you tell me if it is switched on?", ["closed"]),  # indirect yes/no
        ("I was wondering whether you restarted it.", ["closed"]),
        ("So roughly how long has it been like this?", ["open"]),
        ("The error, what does it say?", ["open"]),
        ("What made it stop, do you think?", ["open"]),  # an aside does not make it closed
        ("When you log in, is the screen blank?", ["closed"]),
        ("Is it the laptop or the desktop?", ["closed"]),
        ("Which one, the laptop or the desktop?", ["closed"]),  # a choice, not open
        ("It's plugged in, right?", ["closed"]),
        ("It worked yesterday, didn't it?", ["closed"]),
        ("Is that right?", ["closed"]),
        ("Did you restart it? And what happened then?", ["closed", "open"]),
        ("Sorry?", []),  # asks nothing about the problem
        ("I'll restart it now.", []),
        ("Let me tell you what happened on our side.", []),  # "tell you", not "tell me"
    ],
)
def test_question_kinds(text, kinds):
    assert [kind for kind, _ in _questions(text)] == kinds


def test_question_reasons_say_why():
    assert _questions("Is it the laptop or the desktop?") == [("closed", "closed: either/or")]
    assert _questions("It's plugged in, right?")[0][1] == "closed: a statement with a tag question"


def test_unpunctuated_transcripts_still_find_questions():
    evidence = analyze_text(
        _call(
            ("customer", "my printer is broken"),
            ("agent", "what does the screen say"),
            ("customer", "error 49"),
            ("agent", "did you open the tray"),
            ("agent", "i will reset it"),
        )
    )
    assert [q.kind for q in evidence.questions] == ["open", "closed"]


def test_paraphrase_by_opener_and_by_restatement():
    evidence = analyze_text(
        _call(
            ("customer", "The shared calendar stopped syncing on my phone after the update."),
            ("agent", "Just to make sure I follow, this is only on the phone?"),
            ("customer", "Yes, only the phone."),
            ("agent", "So since the update the shared calendar won't sync on your phone."),
        )
    )
    assert [(p.utterance, p.reason) for p in evidence.paraphrases][0] == (1, "a reflective opener")
    assert evidence.paraphrases[1].utterance == 3
    assert "calendar" in evidence.paraphrases[1].reason


@pytest.mark.parametrize(
    "agent_line",
    [
        "I'll reset the shared calendar on your phone now.",  # the agent's own action
        "What made the shared calendar stop syncing, do you think?",  # an open question
        "Updates sometimes reset the sync settings, so let's look at the account first.",
    ],
)
def test_reusing_the_customers_words_is_not_always_a_paraphrase(agent_line):
    evidence = analyze_text(
        _call(
            ("customer", "The shared calendar stopped syncing on my phone after the update."),
            ("agent", agent_line),
        )
    )
    assert evidence.paraphrases == ()


def test_defensive_kinds_and_polite_near_misses():
    evidence = analyze_text(
        _call(
            ("customer", "Nobody told me the account would close."),
            ("agent", "You should have read the email we sent."),
            ("agent", "That's the policy, there is nothing I can do."),
            ("agent", "Please calm down."),
            ("agent", "You should have received a confirmation email."),
            ("agent", "It's not your fault, the letter was unclear."),
            ("agent", "I'm afraid I need to ask a couple of security questions."),
        )
    )
    assert [(d.utterance, d.reason) for d in evidence.defensive] == [
        (1, "shifts the blame"),
        (2, "dismisses the complaint"),
        (3, "shuts the customer down"),
    ]
    assert evidence.defensive[0].phrase == "you should have"


def test_empathy_and_near_misses():
    evidence = analyze_text(
        _call(
            ("customer", "I've lost a whole day of work to this."),
            ("agent", "That sounds really stressful."),
            ("agent", "That sounds like a driver problem."),
            ("agent", "I understand."),
            ("agent", "I'm sorry to hear that."),
            ("agent", "I can see why that's frustrating."),
        )
    )
    assert [e.utterance for e in evidence.empathy] == [1, 4, 5]


def _completion_call(agent_start: float, customer_end: float, agent_text: str) -> Transcript:
    customer = _timed("customer", 0.0, customer_end, "I opened the file and")
    customer = Utterance(
        "customer",
        "C",
        0.0,
        customer_end,
        customer.text,
        tuple(w for w in customer.words),
    )
    agent = _timed("agent", agent_start, agent_start + 1.0, agent_text)
    return Transcript("test", (customer, agent))


def test_completion_when_the_agent_ends_an_unfinished_sentence():
    evidence = analyze_text(_completion_call(2.1, 2.0, "it crashed?"))
    assert [(c.utterance, c.t_s) for c in evidence.completions] == [(1, 2.1)]
    assert "and" in evidence.completions[0].reason


def test_no_completion_when_the_agent_waits_or_only_backchannels():
    assert analyze_text(_completion_call(3.0, 2.0, "it crashed?")).completions == ()  # waited
    assert analyze_text(_completion_call(2.1, 2.0, "Mm-hmm.")).completions == ()


def test_no_completion_when_the_customer_carries_on():
    customer = _timed("customer", 0.0, 5.0, "I opened the file and then it crashed again")
    agent = _timed("agent", 1.9, 2.5, "it crashed?")  # starts right after "and"
    assert analyze_text(Transcript("t", (customer, agent))).completions == ()


def test_no_completion_without_word_timings():
    customer = Utterance("customer", "C", 0.0, 2.0, "I opened the file and")
    agent = Utterance("agent", "A", 2.1, 3.0, "it crashed?")
    assert analyze_text(Transcript("t", (customer, agent))).completions == ()


def test_repeats_by_phrase_by_content_and_not_when_confirming():
    evidence = analyze_text(
        _call(
            ("customer", "My badge stopped opening the car park barrier on Monday."),
            ("agent", "Is it a new badge?"),
            ("customer", "No. My badge stopped opening the car park barrier."),  # repeat
            ("agent", "So your badge stopped opening the barrier, right?"),
            ("customer", "Yes, the badge stopped opening the barrier."),  # confirming
            ("agent", "Have you tried the other entrance?"),
            ("customer", "Like I told you, it's only the car park."),  # phrase
        )
    )
    assert [r.utterance for r in evidence.repeats] == [2, 6]
    assert all(r.by == "customer" for r in evidence.repeats)


def test_moments_carry_utterance_start_and_party_and_skip_unknown_speakers():
    transcript = Transcript(
        "t",
        (
            Utterance("customer", "C", 3.5, 6.0, "It keeps crashing."),
            Utterance("agent", "A", 7.25, 9.0, "What happens just before it crashes?"),
            Utterance("unknown", "SPEAKER_02", 10.0, 11.0, "What is going on?"),
        ),
    )
    evidence = analyze_text(transcript)
    assert [(q.t_s, q.by, q.utterance) for q in evidence.questions] == [(7.25, "agent", 1)]


def test_summary_figures():
    evidence = analyze_text(
        _call(
            ("customer", "Outlook won't open."),
            ("agent", "What do you see when you click it? Is there an error?"),
            ("customer", "It just closes."),
            ("agent", "How long has it done that?"),
            ("customer", "Since this morning."),
            ("agent", "Let's try starting it in safe mode. Can you hold control while you click?"),
            ("agent", "Did that work?"),
        )
    )
    summary = evidence.summary()
    assert set(summary) == set(TEXT_METRICS)
    assert summary["questions"] == 5
    assert (summary["open_questions"], summary["closed_questions"]) == (2, 3)
    assert summary["open_question_share"] == pytest.approx(0.4)
    assert evidence.first_fix is not None and evidence.first_fix.utterance == 5
    assert summary["questions_before_fix"] == 3
    assert analyze_text(_call(("agent", "Hello."))).summary()["open_question_share"] is None


def test_to_dict_round_trips_through_json():
    transcript, _, _ = load_conversation(CONVERSATIONS / "02_double_charge_defensive.toml")
    evidence = analyze_text(transcript)
    again = TextEvidence.from_dict(json.loads(json.dumps(evidence.to_dict())))
    assert again == evidence
    assert again.rules_version == RULES_VERSION
    assert again.phrases_fingerprint == default_phrases().fingerprint
    with pytest.raises(ValueError, match="not a text evidence record"):
        TextEvidence.from_dict({"defensive": [{"t_s": 1}]})


# --- Phrase files ---------------------------------------------------------------------


def test_phrase_syntax():
    import re

    def matches(phrase: str, text: str) -> bool:
        return re.search(compile_phrase(phrase), normalise(text)) is not None

    assert matches("that's not * fault", "well that's not really our fault")
    assert matches("that's not * fault", "that's not fault")
    assert not matches("that's not * fault", "that's not any of my own fault")  # > 3 words
    assert matches("I'm (really|) sorry to hear", "i'm sorry to hear")
    assert matches("I'm (really|) sorry to hear", "i\u2019m really sorry to hear")
    assert matches("I understand", "i understand")
    assert not matches("calm down", "calm. down")  # never across a sentence end
    assert not matches("right", "alright")  # whole words
    for bad in ("(open", "open)", "()", "", "* fault", "sorry (to|)"):
        with pytest.raises(ValueError):
            compile_phrase(bad)


def test_extra_phrase_file_extends_and_replaces(tmp_path):
    extra = tmp_path / "ours.toml"
    extra.write_text(
        '[defensive]\ndismiss = ["computer says no"]\n'
        '[empathy]\nreplace = true\nphrases = ["what a pain"]\n',
        encoding="utf-8",
    )
    book = load_phrases(extra)
    assert book.sources[-1] == str(extra)
    assert book.fingerprint != default_phrases().fingerprint
    evidence = analyze_text(
        _call(
            ("customer", "My refund hasn't arrived."),
            ("agent", "Sorry, computer says no."),
            ("agent", "Oh, what a pain."),
            ("agent", "That sounds really stressful."),  # default empathy list replaced
            ("agent", "That's the policy."),  # default defensive lists kept
        ),
        book,
    )
    assert [d.utterance for d in evidence.defensive] == [1, 4]
    assert [e.utterance for e in evidence.empathy] == [2]
    by_path = analyze_text(
        _call(("customer", "My refund hasn't arrived."), ("agent", "Computer says no.")),
        str(extra),
    )
    assert [d.phrase for d in by_path.defensive] == ["computer says no"]
    with pytest.raises(PhraseFileError, match="cannot read the phrase file"):
        analyze_text(_call(("agent", "Hello.")), tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[defensiv]\nphrases = []\n", r"unknown table \[defensiv\]"),
        ("[defensive]\nblames = []\n", r"\[defensive\] unknown key 'blames'"),
        ("[defensive]\nblame = 'you'\n", r"\[defensive\] blame must be a list of strings"),
        ("[defensive]\nblame = ['ok', 3]\n", r"\[defensive\] blame\[1\] must be a non-empty"),
        ("[defensive]\nblame = ['(not my']\n", r"\[defensive\] blame\[0\] '\(not my'"),
        ("[paraphrase]\nmin_overlap = 1.5\n", r"\[paraphrase\] min_overlap must be a share"),
        ("[repeats]\nwindow_turns = 0\n", r"\[repeats\] window_turns must be a whole number"),
        ("[empathy]\nreplace = 'yes'\n", r"\[empathy\] replace must be true or false"),
        ("[empathy\n", "not valid TOML"),
    ],
)
def test_bad_phrase_files_name_the_file_and_key(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PhraseFileError, match=message) as caught:
        load_phrases(path)
    assert str(path) in str(caught.value)


def test_missing_phrase_file(tmp_path):
    with pytest.raises(PhraseFileError, match="cannot read the phrase file"):
        load_phrases(tmp_path / "absent.toml")


def test_named_lists_in_phrases(tmp_path):
    import re

    lists = {"feelings": ["stressful", "a nightmare"], "soft": ["really", "so"]}
    source = compile_phrase("that (sounds|is) ({soft}|) {feelings}", lists)
    for text in ("that sounds stressful", "that is so stressful", "that is a nightmare"):
        assert re.search(source, text), text
    assert not re.search(source, "that sounds fine")
    with pytest.raises(ValueError, match=r"unknown list \{moods\}"):
        compile_phrase("that is {moods}", lists)
    extra = tmp_path / "ours.toml"
    extra.write_text('[lists]\nfeelings = ["gutting"]\n', encoding="utf-8")
    evidence = analyze_text(
        _call(("customer", "They cancelled my flight."), ("agent", "Oh, that's gutting.")),
        load_phrases(extra),
    )
    assert [e.phrase for e in evidence.empathy] == ["that's gutting"]
    bad = tmp_path / "bad.toml"
    bad.write_text('[empathy]\nphrases = ["so {moods}"]\n', encoding="utf-8")
    with pytest.raises(PhraseFileError, match=r"\[empathy\] phrases\[0\].*unknown list"):
        load_phrases(bad)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("And you want to leave when?", ["open"]),  # ends on a wh-word
        ("What cable is it, do you know?", ["open"]),  # an aside after the question
        ("Is it broken, or what?", ["closed"]),
    ],
)
def test_more_question_shapes(text, kinds):
    assert [kind for kind, _ in _questions(text)] == kinds


def test_restatement_by_reuse_must_address_the_customer_or_echo():
    customer = (
        "customer",
        "Only the warehouse labels disappear, the label printer never gets them.",
    )
    addressed = ("agent", "So your warehouse labels never reach the label printer.")
    general = ("agent", "The warehouse system sends labels to a label printer downstairs.")
    echo = ("agent", "Warehouse labels disappearing, label printer never gets them.")
    assert len(analyze_text(_call(customer, addressed)).paraphrases) == 1
    assert analyze_text(_call(customer, general)).paraphrases == ()
    assert len(analyze_text(_call(customer, echo)).paraphrases) == 1


def test_a_new_topic_is_not_a_repeat():
    evidence = analyze_text(
        _call(
            ("customer", "My calendar isn't showing on my phone."),
            ("agent", "Let's remove the account and add it again."),
            (
                "customer",
                "Done, it works. One more thing: my shared calendar isn't showing on my phone.",
            ),
        )
    )
    assert evidence.repeats == ()


# --- The demo calls: scripts written for the demo, with the levels they were written to show


def _demo_rows() -> list[tuple[dict[str, int | None], dict[str, float | int | None]]]:
    calls = json.loads((Path(__file__).parents[2] / "demo" / "calls.json").read_text("utf-8"))
    rows = []
    for call in calls:
        transcript = Transcript(
            "demo",
            tuple(
                Utterance(s["speaker"], s["speaker"], s["start_s"], s["end_s"], s["text"])
                for s in call["segments"]
            ),
        )
        rows.append((call["quality"], analyze_text(transcript).summary()))
    return rows


def _mean(values: list[float | int | None]) -> float:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present)


def test_evidence_follows_the_levels_the_demo_calls_were_written_to_show():
    rows = _demo_rows()
    assert len(rows) >= 20
    # Defensive turns only where the script shows a defensive agent.
    for quality, found in rows:
        if quality["not_defensive"] <= 2:
            assert found["defensive"] >= 2
        else:
            assert found["defensive"] == 0
    # Agents written as good at playing back paraphrase; the weak ones mostly do not.
    good = [f["paraphrases"] for q, f in rows if q["paraphrase"] >= 4]
    weak = [f["paraphrases"] for q, f in rows if q["paraphrase"] <= 2]
    assert all(count >= 1 for count in good)
    assert _mean(good) > _mean(weak) + 0.5
    # Customers repeat themselves to agents written as not taking in the details.
    forgetful = [f["repeats"] for q, f in rows if (q["understand_remember"] or 5) <= 2]
    attentive = [f["repeats"] for q, f in rows if (q["understand_remember"] or 0) >= 4]
    assert _mean(forgetful) > _mean(attentive) + 0.5


def test_fullwidth_and_invisible_characters_do_not_hide_phrases():
    text = "Ｉ’ｍ ｓｏｒｒｙ to hear\u200b that. Calm\u00ad down."
    evidence = analyze_text(_call(("customer", "It broke again."), ("agent", text)))
    assert [e.phrase for e in evidence.empathy] == ["i'm sorry to hear"]
    assert [d.phrase for d in evidence.defensive] == ["calm down"]


def test_long_phrases_are_cut():
    question = "What happened " + "and then " * 100 + "after that?"
    (found,) = analyze_text(_call(("customer", "It broke."), ("agent", question))).questions
    assert len(found.phrase) == 160 and found.phrase.endswith("…")


def test_utterances_out_of_order_are_read_in_time_order():
    lines = [
        Utterance("agent", "A", 9.0, 10.0, "Let's try restarting it."),
        Utterance("customer", "C", 0.0, 2.0, "My laptop won't boot."),
        Utterance("agent", "A", 3.0, 4.0, "What do you see on the screen?"),
        Utterance("customer", "C", 5.0, 6.0, "Just a black screen."),
        Utterance("agent", "A", 7.0, 8.0, "Is the power light on?"),
        Utterance("agent", "A", 11.0, 12.0, "Did that work?"),
    ]
    evidence = analyze_text(Transcript("t", tuple(lines)))
    assert [q.utterance for q in evidence.questions] == [2, 4, 5]
    assert evidence.first_fix is not None and evidence.first_fix.utterance == 0
    assert evidence.summary()["questions_before_fix"] == 2
