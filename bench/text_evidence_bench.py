"""Text evidence speed: seconds to analyse a generated one-hour transcript (target < 2 s).

    .venv/bin/python -m bench.text_evidence_bench

The transcript alternates customer and agent utterances drawn (seeded) from lines that set
off every rule, with word timings, until an hour is filled: about 1,000 utterances and
10,000 words, the size of an hour of two people talking.
"""

from __future__ import annotations

import random
import statistics
import time

from scoring.text_evidence import analyze_text, default_phrases
from scoring.transcripts import Transcript, Utterance, Word

CUSTOMER_LINES = (
    "My laptop keeps dropping off the VPN whenever it goes to sleep and then I have to",
    "The printer on the third floor says error 49 but there is no paper stuck anywhere.",
    "As I said, I already restarted it twice this morning and nothing changed at all.",
    "It started after the update last Tuesday, and since then the sync has been paused.",
    "I have a deadline at five and I really need these files uploaded before then.",
    "No, I clicked it once. I've been charged twice for the same order this month.",
    "It just spins and says connecting, forever, until I give up and restart the laptop.",
    "Yes, exactly, that's it.",
)
AGENT_LINES = (
    "Mm-hmm.",
    "So what I'm hearing is the VPN drops every time the laptop sleeps, is that right?",
    "Can you walk me through what happens after you click the link? And when did it start?",
    "That sounds really frustrating, especially with a deadline this afternoon.",
    "Is it the wired connection or the wireless one?",
    "Well, you should have checked the confirmation page before paying again.",
    "I'll push the updated profile to your laptop now and we'll test it together.",
    "It's connected through the docking station, right?",
    "Okay, and how long have you left it spinning before restarting it?",
)


def one_hour_transcript(seed: int = 0, seconds: float = 3600.0) -> Transcript:
    """Alternating customer/agent utterances with even word timings, filling ``seconds``."""
    rng = random.Random(seed)
    utterances: list[Utterance] = []
    clock = 0.0
    speaker = "customer"
    while clock < seconds:
        text = rng.choice(CUSTOMER_LINES if speaker == "customer" else AGENT_LINES)
        tokens = text.split()
        length = 0.3 * len(tokens)
        step = length / len(tokens)
        words = tuple(
            Word(token, clock + k * step, clock + (k + 1) * step) for k, token in enumerate(tokens)
        )
        utterances.append(
            Utterance(speaker, speaker.upper(), clock, clock + length, text, words)  # type: ignore[arg-type]
        )
        clock += length + rng.uniform(0.1, 1.2)
        speaker = "agent" if speaker == "customer" else "customer"
    return Transcript("bench", tuple(utterances))


def text_evidence_seconds(reps: int = 3, seed: int = 0) -> float:
    """Median seconds of ``analyze_text`` on one generated hour (phrase lists preloaded)."""
    transcript = one_hour_transcript(seed)
    default_phrases()  # loaded once per process in production too
    times: list[float] = []
    for _ in range(reps):
        started = time.perf_counter()
        analyze_text(transcript)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    hour = one_hour_transcript()
    n_words = sum(len(u.words) for u in hour.utterances)
    print(f"{len(hour.utterances)} utterances, {n_words} words")
    print(f"text evidence, one hour: {text_evidence_seconds():.3f} s (target < 2 s)")
