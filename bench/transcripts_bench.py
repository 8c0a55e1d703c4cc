"""How long does reading a one-hour transcript take? Target: under 1 s.

    .venv/bin/python -m bench.transcripts_bench

The case is the heaviest common shape: a Deepgram multichannel response for a one-hour
stereo call with ``utterances=true``, so each of its 10,000 words appears twice (once in
its utterance, once in its channel's word list; the parser reads the utterances and
validates every word's times). About 2 MB of JSON.
"""

from __future__ import annotations

import json
import time

from scoring.transcripts import parse_transcript

HOUR_S = 3600.0
UTTERANCES = 1000
WORDS_PER_UTTERANCE = 10
_SENTENCE = (
    "so the password expired while I was away on leave and now my laptop will not let "
    "me sign in could you reset it please thank you very much for your patience today"
)
_VOCABULARY = _SENTENCE.split()


def hour_long_deepgram() -> bytes:
    """A deterministic one-hour, 10,000-word Deepgram multichannel response (UTF-8 JSON).

    Utterances alternate channels 0 and 1, one every 3.6 s, each 3.0 s long with ten
    0.3 s words."""
    slot = HOUR_S / UTTERANCES
    utterances = []
    channel_words: list[list[dict[str, object]]] = [[], []]
    for i in range(UTTERANCES):
        start = i * slot
        words = []
        for j in range(WORDS_PER_UTTERANCE):
            token = _VOCABULARY[(i * WORDS_PER_UTTERANCE + j) % len(_VOCABULARY)]
            w_start = round(start + j * 0.3, 3)
            words.append(
                {
                    "word": token,
                    "start": w_start,
                    "end": round(w_start + 0.28, 3),
                    "confidence": 0.97,
                    "punctuated_word": token.capitalize() if j == 0 else token,
                }
            )
        channel = i % 2
        channel_words[channel].extend(words)
        utterances.append(
            {
                "start": words[0]["start"],
                "end": words[-1]["end"],
                "confidence": 0.96,
                "channel": channel,
                "transcript": " ".join(str(w["punctuated_word"]) for w in words) + ".",
                "words": words,
                "id": f"u-{i}",
            }
        )
    response = {
        "metadata": {"request_id": "bench", "duration": HOUR_S, "channels": 2},
        "results": {
            "channels": [
                {"alternatives": [{"transcript": "", "confidence": 0.96, "words": words}]}
                for words in channel_words
            ],
            "utterances": utterances,
        },
    }
    return json.dumps(response).encode()


def parse_hour_seconds(repeats: int = 5) -> float:
    """Seconds to parse `hour_long_deepgram` (best of ``repeats``; decode, JSON, checks)."""
    data = hour_long_deepgram()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        parse_transcript(data, "hour.json", duration_s=HOUR_S)
        best = min(best, time.perf_counter() - started)
    return best


if __name__ == "__main__":
    size_mb = len(hour_long_deepgram()) / 2**20
    print(f"one-hour transcript ({size_mb:.1f} MB): parsed in {parse_hour_seconds():.3f} s")
