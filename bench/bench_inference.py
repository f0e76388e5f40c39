"""Time for one note (window in, sampled note out) on the shipped model, backend by backend.

Side by side in one run, so the ratios hold even on a busy machine:
  numpy             the daemon's default: the frozen weights (.npz) through numpy
  litert            the .tflite on LiteRT's built-in kernels
  litert+xnnpack    the same file through LiteRT's default XNNPACK delegate (why we do not use it)
  tensorflow        the .keras through a compiled tf.function (the reference backend)
  keras predict     ``model.predict`` once per note, as the seeds' generation loop did
and what importing each runtime costs (a fresh process each).

    .venv/bin/python bench/bench_inference.py [--model models/lofid] [--notes 300] [--json]

``measure()`` returns the figures for other benchmarks (``make bench``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lofid.compose.sampling import Sampler, harmony_bias  # noqa: E402
from lofid.model.encoding import COLUMNS, HEADS, primer_rows  # noqa: E402
from lofid.model.runtime import NoteModel, load_model, read_info  # noqa: E402
from lofid.music.notes import BAR  # noqa: E402

PACED_NOTES = 50  # notes in the paced CPU measure
PACED_PAUSE_S = 0.05  # between them (playing: 0.2-0.5 s)
# Peak memory from /proc (VmHWM, KiB): ru_maxrss would carry over this process's peak across fork+exec.
IMPORT_COST = ("import time; t = time.perf_counter(); import {module}; s = time.perf_counter() - t; "
               "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]; print(s, hwm)")


def _per_note(step: Callable[[np.ndarray], np.ndarray], notes: int, warmup: int = 5, pause: float = 0.0) -> list[float]:
    """Seconds per note for the melody loop: the last 30 rows in, one sampled row appended (step,
    then pitch under the default strict harmony bias over a Dm9, duration, velocity); ``pause``
    seconds of sleep after each, as playing paces the notes (not counted)."""
    history = [tuple(r) for r in primer_rows(30)]
    sampler = Sampler(1.0, 0.95, seed=0)
    dm9 = frozenset({2, 5, 9, 0, 4})
    times = []
    for i in range(warmup + notes):
        started = time.perf_counter()
        heads = step(np.asarray(history[-30:], dtype=np.int32))
        beats = sampler.draw("step", heads["step"], forbidden=(0,))
        position = (history[-1][5] + beats) % BAR
        pitch = sampler.draw("pitch", heads["pitch"], bias=harmony_bias("strict", dm9, position % 8 == 0))
        row = (pitch, beats, sampler.draw("duration", heads["duration"], forbidden=(0,)),
               sampler.draw("velocity", heads["velocity"]), 14, position)
        history.append(row)
        if i >= warmup:
            times.append(time.perf_counter() - started)
        time.sleep(pause)
    return times


def _cpu_per_note(step: Callable[[np.ndarray], np.ndarray], notes: int = PACED_NOTES) -> float:
    """Milliseconds of this process's CPU (every thread) per note, the notes paced PACED_PAUSE_S apart:
    what a runtime costs the producer thread and any helper threads of its own (a BLAS thread that
    spins after each product would show here and not in the wall-clock figures)."""
    _per_note(step, 5)
    before = time.process_time()
    _per_note(step, notes, warmup=0, pause=PACED_PAUSE_S)
    return (time.process_time() - before) / notes * 1000


def _heads(model: NoteModel) -> Callable[[np.ndarray], dict]:
    return lambda rows: model.heads(model.logits(rows))


def _xnnpack(base: Path, window: int) -> Callable[[np.ndarray], dict]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(base.with_name(base.name + ".tflite")), num_threads=1)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def run(rows: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(inp, rows.reshape(1, window, len(COLUMNS)))
        interpreter.invoke()
        return interpreter.get_tensor(out)[0]

    return _heads(NoteModel(read_info(base), "litert+xnnpack", run))


def _predict(base: Path) -> Callable[[np.ndarray], dict]:
    from lofid.model.reference import load_keras

    keras_model = load_keras(base.with_name(base.name + ".keras"))

    def run(rows: np.ndarray) -> dict:
        out = keras_model.predict(rows[None], verbose=0)
        return {h: out[h][0, -1] for h in HEADS}

    return run


def _import_cost(module: str) -> dict:
    out = subprocess.run([sys.executable, "-c", IMPORT_COST.format(module=module)], capture_output=True, text=True,
                         timeout=300, check=True)
    seconds, kib = out.stdout.split()
    return {"seconds": round(float(seconds), 2), "max_rss_mb": round(int(kib) / 1024)}


def measure(model: str | Path = ROOT / "models" / "lofid", notes: int = 300, predict_notes: int = 40) -> dict:
    """Per-note times (ms: median, p10, p90, mean) for each way of running the model, plus import costs."""
    base = Path(model)
    window = read_info(base).window
    runs = {
        "numpy": (_heads(load_model(base, "numpy")), notes),
        "litert": (_heads(load_model(base, "litert")), notes),
        "litert+xnnpack": (_xnnpack(base, window), notes),
        "tensorflow": (_heads(load_model(base, "tensorflow")), notes),
        "keras predict": (_predict(base), predict_notes),
    }
    figures: dict = {"model": str(base), "window": window, "per_note_ms": {}}
    for name, (step, count) in runs.items():
        ms = [t * 1000 for t in _per_note(step, count)]
        q = statistics.quantiles(ms, n=10)
        figures["per_note_ms"][name] = {"notes": count, "median": round(statistics.median(ms), 3),
                                        "p10": round(q[0], 3), "p90": round(q[-1], 3),
                                        "mean": round(statistics.fmean(ms), 3)}
        if name != "keras predict":
            figures["per_note_ms"][name]["cpu_paced"] = round(_cpu_per_note(step), 3)
    litert = figures["per_note_ms"]["litert"]["median"]
    figures["ratio_to_litert"] = {k: round(v["median"] / litert, 2) for k, v in figures["per_note_ms"].items()}
    figures["import"] = {"ai_edge_litert": _import_cost("ai_edge_litert.interpreter"),
                         "tensorflow": _import_cost("tensorflow")}
    return figures


def table(figures: dict) -> str:
    lines = [f"one note (window of {figures['window']} in, sampled note out), model {figures['model']}",
             f"{'backend':<16}{'notes':>6}{'median ms':>11}{'p10':>9}{'p90':>9}{'x litert':>10}"
             f"{'CPU ms, paced':>15}"]
    for name, f in figures["per_note_ms"].items():
        cpu = f"{f['cpu_paced']:>15.3f}" if "cpu_paced" in f else f"{'—':>15}"
        lines.append(f"{name:<16}{f['notes']:>6}{f['median']:>11.3f}{f['p10']:>9.3f}{f['p90']:>9.3f}"
                     f"{figures['ratio_to_litert'][name]:>10.2f}{cpu}")
    lines.append(f"CPU ms, paced: the process's CPU (every thread) a note, {PACED_NOTES} notes {PACED_PAUSE_S} s apart")
    lines.append("import cost: " + ", ".join(f"{k} {v['seconds']} s / {v['max_rss_mb']} MB peak"
                                             for k, v in figures["import"].items()))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "lofid"), help="model path without extension")
    parser.add_argument("--notes", type=int, default=300, help="notes timed per backend (predict: a seventh)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    figures = measure(args.model, args.notes, max(10, args.notes // 7))
    print(json.dumps(figures, indent=2) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
