"""Regenerate the small listening test recordings in tests/fixtures/listening/.

Each fixture is a short synthetic call with known timing, plus ``<name>.json`` holding the
truth: the placed speech (segments and per-party runs) and the report that
``scoring.listening.report_from_speech`` computes from those runs (the definitions applied
to exact timing, independent of any voice-activity detector).

    .venv/bin/python tools/make_listening_fixtures.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from callsynth import AGENT, CUSTOMER, Line, Voice, render, write_opus  # noqa: E402

from scoring.listening import report_from_speech  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "listening"
VOICES = {
    AGENT: Voice("en-gb+m3", speed=165, pitch=45),
    CUSTOMER: Voice("en-us+f3", speed=170, pitch=60, gain_db=-2),
}


def A(text: str, **kw) -> Line:
    return Line(AGENT, text, **kw)


def C(text: str, **kw) -> Line:
    return Line(CUSTOMER, text, **kw)


FIXTURES: dict[str, dict] = {
    # The agent talks over the customer (who carries on for ~1.8 s), later the customer
    # cuts in on the agent; a clean hand-over in between.
    "interruption": {
        "description": "agent interrupts the customer once; the customer interrupts once",
        "lines": [
            A("Service desk, you are speaking with Tom. What can I do for you?"),
            C(
                "Hi. I am trying to print the monthly report on the third floor printer, and "
                "every time I send it, the job just disappears from the queue without "
                "printing anything at all."
            ),
            A(
                "Right, that printer is being replaced, just use the one on the second floor.",
                during=3.0,
                talk_over=1.8,
            ),
            C("I tried the second floor one already.", gap=0.7),
            A(
                "Okay. Then I will clear the print queue on the server and send you a test "
                "page. It takes about a minute, and you should see it come out of the third "
                "floor printer.",
                gap=0.6,
            ),
            C("Sorry, which printer should I stand next to?", during=5.5, talk_over=1.5),
            A("The third floor one, by the lifts.", gap=0.6),
            C("Great, thank you.", gap=0.5),
        ],
    },
    # Two agent backchannels inside a long customer turn, one customer "okay" inside an
    # agent turn.
    "backchannels": {
        "description": "two agent backchannels in one customer turn; one customer backchannel",
        "lines": [
            A("Hello, service desk, Tom speaking."),
            C(
                "Hi Tom. So since the update last night, Outlook opens, but it keeps asking me "
                "for my password. I type it in, it thinks for a while, and then it asks again. "
                "My phone gets email fine, it is just the laptop."
            ),
            A("mm-hmm", during=2.6),
            A("right", during=7.8),
            A(
                "Thanks, that helps. It sounds like the saved sign-in on the laptop is stale. "
                "I will walk you through removing it, and then Outlook will ask you once "
                "and remember it.",
                gap=0.6,
            ),
            C("okay", during=4.2),
            C("Sounds good, go ahead.", gap=0.6),
        ],
    },
    # Dead air: the agent goes quiet for ~6 s while checking; a normal 2 s pause elsewhere.
    "silence": {
        "description": "one long silence of about 6 s; a 2 s pause that does not count",
        "lines": [
            A("Service desk, Tom speaking, how can I help?"),
            C(
                "Hi, I need access to the finance shared drive. My manager approved it on Monday.",
                gap=0.5,
            ),
            A("Let me look that up.", gap=0.8),
            A("I can see the approval. I will add you to the group now.", gap=6.0),
            C("Thank you.", gap=0.6),
            A("Done. Please sign out and back in, and the drive will appear.", gap=2.0),
            C("Perfect, thanks for your help.", gap=0.7),
        ],
    },
}

MONO = {
    "description": "mono mu-law WAV (both parties on one channel), one long silence",
    "lines": [
        A("Service desk, Tom speaking."),
        C("Hi, my VPN keeps dropping every ten minutes since this morning.", gap=0.6),
        A("Okay. Let me check the VPN gateway status for you.", gap=0.7),
        A("There is a known issue on one gateway. I will move you to the other one.", gap=4.5),
        C("Great, thank you very much.", gap=0.7),
    ],
}


def _truth(rendered, lines_desc: str, mono: bool) -> dict:
    runs = rendered.runs
    if mono:
        report = report_from_speech(runs[AGENT] + runs[CUSTOMER], None, rendered.duration_s)
    else:
        report = report_from_speech(runs[AGENT], runs[CUSTOMER], rendered.duration_s)
    return {
        "description": lines_desc,
        "agent_channel": 0,
        "sample_rate": rendered.sample_rate,
        "duration_s": round(rendered.duration_s, 3),
        "segments": [
            {"speaker": s.speaker, "start_s": s.start_s, "end_s": s.end_s, "text": s.text}
            for s in rendered.segments
        ],
        "runs": {who: [list(r) for r in rs] for who, rs in runs.items()},
        "report": report.to_dict(),
        "summary": report.summary(),
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for seed, (name, spec) in enumerate(FIXTURES.items(), start=1):
        r = render(spec["lines"], VOICES, seed=seed)
        write_opus(OUT / f"{name}.opus", r.audio, r.sample_rate, kbps=16)
        truth = _truth(r, spec["description"], mono=False)
        truth["file"] = f"{name}.opus"
        (OUT / f"{name}.json").write_text(json.dumps(truth, indent=1) + "\n")
        print(name, truth["summary"])
    r = render(MONO["lines"], VOICES, seed=9)
    mixed = np.clip(r.audio.sum(axis=1), -1, 1)
    sf.write(OUT / "mono.wav", mixed, r.sample_rate, subtype="ULAW")
    truth = _truth(r, MONO["description"], mono=True)
    truth["file"] = "mono.wav"
    (OUT / "mono.json").write_text(json.dumps(truth, indent=1) + "\n")
    print("mono", truth["summary"])


if __name__ == "__main__":
    main()
