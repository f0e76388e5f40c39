"""Render speed: seconds of audio per second of compute, 60 s with every layer on.

    .venv/bin/python bench/bench_render.py [--seconds 60] [--repeat 3]

Two figures side by side in one run (the machine is shared, so compare within a run):
- ``engine``: the audio engine alone (FluidSynth, drums, rain, crackle, master chain) fed a fixed
  hand-written stream of notes, so it measures only the audio side;
- ``render``: what ``lofid render`` does, the shipped note model writing the notes (skipped when
  models/lofid.tflite is not there yet).
The target: 60 s of audio in under 3 s, i.e. at least 20x real time. ``run()`` returns the
figures for ``make bench``.
"""

from __future__ import annotations

import argparse
import itertools
import time

from lofid import paths
from lofid.audio.engine import Engine
from lofid.audio.sinks import NullSink
from lofid.config import Config, defaults
from lofid.daemon.offline import render_to
from lofid.music.notes import Note

ALL_ON = {"layers.music.enabled": True, "layers.rain.enabled": True, "layers.beat.enabled": True, "fx.crackle": 0.3}


def _hand_written() -> itertools.cycle:
    """A bar of lo-fi comping and a bass line, repeated: about as busy as the model writes."""
    bar = [Note(50, 0, 8, 60), Note(53, 0, 8, 58), Note(57, 0, 8, 58), Note(60, 0, 8, 56), Note(38, 0, 8, 80, "bass"),
           Note(69, 2, 2, 75, "melody"), Note(72, 2, 4, 70, "melody"), Note(74, 4, 2, 72, "melody"),
           Note(43, 8, 8, 80, "bass"), Note(53, 0, 8, 58), Note(57, 0, 8, 58), Note(59, 0, 8, 56)]
    return itertools.cycle(bar)


def _time(cfg: Config, source, seconds: float) -> float:
    engine = Engine(cfg, source)
    start = time.perf_counter()
    render_to(engine.render, NullSink(cfg["output.sample_rate"]), int(seconds * cfg["output.sample_rate"]))
    took = time.perf_counter() - start
    engine.close()
    return took


def run(seconds: float = 60.0, repeat: int = 3) -> dict:
    """Best-of-``repeat`` compute time and speed for each figure: {"engine": {...}, "render": {...}}."""
    cfg = defaults().replace(ALL_ON)
    figures = {}
    notes = _hand_written()
    best = min(_time(cfg, lambda: next(notes), seconds) for _ in range(repeat))
    figures["engine"] = {"audio_s": seconds, "compute_s": round(best, 3), "speed_x": round(seconds / best, 1)}
    if (paths.MODELS / "lofid.tflite").is_file():
        from lofid.compose.generator import NoteGenerator

        times = []
        for _ in range(repeat):
            generator = NoteGenerator(cfg, seed=1)
            times.append(_time(cfg, generator.next_note, seconds))
        best = min(times)
        figures["render"] = {"audio_s": seconds, "compute_s": round(best, 3), "speed_x": round(seconds / best, 1)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="render speed, all layers on")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = run(args.seconds, args.repeat)
    for name, f in figures.items():
        verdict = "meets" if f["compute_s"] < 3.0 * args.seconds / 60 else "misses"
        print(f"{name:7s} {f['audio_s']:.0f} s of audio in {f['compute_s']:.2f} s = {f['speed_x']:.1f}x real time "
              f"({verdict} the target of 60 s in < 3 s)")
    if "render" not in figures:
        print("render  skipped: models/lofid.tflite is not built yet")


if __name__ == "__main__":
    main()
