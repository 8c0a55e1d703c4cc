"""Write the demo calls' transcripts (demo/transcripts/<key>.vtt) from their scripts.

    .venv/bin/python tools/make_demo_transcripts.py

The demo generator (tools/make_demo_audio.py) knows what each party says and when; it
records that in demo/calls.json as segments (speaker, start_s, end_s, text). This turns
them into WebVTT, the plainest format a contact centre exports, with `<v Agent>` and
`<v Customer>` voices, so `make run` shows transcripts out of the box and the import
path (parse, store, search) is the one real imports take. Deterministic.
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "demo" / "calls.json"
OUT_DIR = ROOT / "demo" / "transcripts"
VOICES = {"agent": "Agent", "customer": "Customer"}


def vtt_time(seconds: float) -> str:
    """Seconds → WebVTT "HH:MM:SS.mmm"."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def webvtt(segments: list[dict]) -> str:
    """A WebVTT file, one cue per segment in start order, the party as the cue's voice."""
    cues = ["WEBVTT", ""]
    for n, seg in enumerate(sorted(segments, key=lambda s: (s["start_s"], s["end_s"])), 1):
        voice = VOICES[seg["speaker"]]
        cues += [
            str(n),
            f"{vtt_time(seg['start_s'])} --> {vtt_time(seg['end_s'])}",
            f"<v {voice}>{html.escape(seg['text'], quote=False)}",
            "",
        ]
    return "\n".join(cues)


def main() -> int:
    catalogue = json.loads(CATALOGUE.read_text())
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for spec in catalogue:
        (OUT_DIR / f"{spec['key']}.vtt").write_text(webvtt(spec["segments"]), encoding="utf-8")
    print(f"wrote {len(catalogue)} transcripts to {OUT_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
