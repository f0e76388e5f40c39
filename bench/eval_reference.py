"""What real pop music scores on ``lofid eval``: the metrics over POP909 songs, as context for the
targets of issue 6 (is 70% chord tones on strong beats what real melodies do?).

Each song is measured twice: against its annotated chords (chord_midi.txt) and against chords
estimated per bar from its accompaniment, as generated music is, so the estimator's bias shows.
Copy rate is left out: these songs are the corpus.

    .venv/bin/python bench/eval_reference.py [--data ../shared/data/pop909] [--every 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lofid.evaluation.metrics import METRICS, guess_chords, measure, piece_from_midi  # noqa: E402
from lofid.music.midi import load_midi  # noqa: E402


def measure_songs(data: Path, every: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {m.name: [] for m in METRICS if m.name != "copy_rate"}
    figures["strong_beat_chord_tones_estimated"] = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir())[::every]:
        midi_path = folder / f"{folder.name}.mid"
        if not midi_path.is_file():
            continue
        piece = piece_from_midi(load_midi(midi_path), folder, name=str(midi_path))
        for name, value in measure(piece).items():
            if name in figures and value is not None:
                figures[name].append(value)
        piece.chords = guess_chords(piece.notes, piece.downbeat)
        estimated = measure(piece)["strong_beat_chord_tones"]
        if estimated is not None:
            figures["strong_beat_chord_tones_estimated"].append(estimated)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "pop909"))
    parser.add_argument("--every", type=int, default=10, help="measure every Nth song (default 10)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure_songs(Path(args.data), args.every)
    by_name = {m.name: m for m in METRICS}
    by_name["strong_beat_chord_tones_estimated"] = by_name["strong_beat_chord_tones"]
    report = {}
    for name, values in figures.items():
        v = np.asarray(values, dtype=float)
        p10, p50, p90 = np.percentile(v, [10, 50, 90])
        met = [by_name[name].ok(x) for x in values]
        report[name] = {"n": len(values), "p10": round(p10, 4), "median": round(p50, 4), "p90": round(p90, 4),
                        "meets_target": None if met[0] is None else round(sum(met) / len(met), 3)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{'metric':<36}{'n':>5}{'p10':>9}{'median':>9}{'p90':>9}   songs meeting the target")
    for name, r in report.items():
        met = "" if r["meets_target"] is None else f"{r['meets_target'] * 100:.0f}% ({by_name[name].target()})"
        print(f"{name:<36}{r['n']:>5}{r['p10']:>9.3f}{r['median']:>9.3f}{r['p90']:>9.3f}   {met}")


if __name__ == "__main__":
    main()
