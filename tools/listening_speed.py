"""How fast is the listening analysis, compared with real time and with decoding alone?

    .venv/bin/python tools/listening_speed.py RECORDING
    .venv/bin/python tools/listening_speed.py --make-hour demo/audio/x.opus /tmp/hour.wav
    .venv/bin/python tools/listening_speed.py /tmp/hour.wav

``measure_listening_speed(path)`` decodes the file (``scoring.audio.read_audio``) and
analyses the decoded samples (``scoring.listening.analyze``), each timed separately, best
of ``repeats`` runs. Everything runs on one core (the numpy work here uses no BLAS and
no threads), so the figures are per core.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring.audio import read_audio
from scoring.listening import analyze


def measure_listening_speed(
    path: str | os.PathLike[str], *, repeats: int = 3, vad: str = "webrtc", agent_channel: int = 0
) -> dict[str, float]:
    """Time decode and analysis of one recording.

    Returns ``duration_s`` (audio length), ``decode_s`` (read_audio), ``analyze_s``
    (analyze on the decoded samples), ``realtime_x`` = duration_s / analyze_s,
    ``ratio_to_decode`` = analyze_s / decode_s, and ``end_to_end_x`` =
    duration_s / (decode_s + analyze_s). Times are the best of ``repeats`` runs.
    """
    decode_s = analyze_s = float("inf")
    samples = None
    rate = 0
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        samples, rate = read_audio(path)
        decode_s = min(decode_s, time.perf_counter() - t0)
    assert samples is not None
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        analyze(samples, rate, agent_channel, vad=vad)
        analyze_s = min(analyze_s, time.perf_counter() - t0)
    duration_s = samples.shape[0] / rate
    return {
        "duration_s": round(duration_s, 3),
        "decode_s": round(decode_s, 4),
        "analyze_s": round(analyze_s, 4),
        "realtime_x": round(duration_s / analyze_s, 1),
        "ratio_to_decode": round(analyze_s / decode_s, 3),
        "end_to_end_x": round(duration_s / (decode_s + analyze_s), 1),
    }


def make_long_recording(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], seconds: float = 3600.0
) -> Path:
    """Tile ``src`` to ``seconds`` and write ``dst`` (format from the suffix: .wav is
    16-bit PCM, .opus is Ogg Opus at 16 kbit/s per the demo recordings)."""
    import soundfile as sf

    samples, rate = read_audio(src)
    reps = int(np.ceil(seconds * rate / samples.shape[0]))
    long = np.tile(samples, (reps, 1))[: int(seconds * rate)]
    dst = Path(dst)
    if dst.suffix == ".opus":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from callsynth import write_opus

        write_opus(dst, long, rate)
    else:
        sf.write(dst, long, rate, subtype="PCM_16")
    return dst


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path", nargs="+")
    ap.add_argument(
        "--make-hour",
        action="store_true",
        help="tile PATH[0] to one hour and write it to PATH[1], then measure it",
    )
    ap.add_argument("--vad", default="webrtc", choices=["webrtc", "energy"])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    target = args.path[0]
    if args.make_hour:
        if len(args.path) != 2:
            ap.error("--make-hour needs SOURCE and DESTINATION")
        target = str(make_long_recording(args.path[0], args.path[1]))
    print(json.dumps(measure_listening_speed(target, repeats=args.repeats, vad=args.vad)))


if __name__ == "__main__":
    main()
