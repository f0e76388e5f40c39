"""`make bench`: every lofid benchmark in one run, one table, bench/results.json and BENCHMARKS.md.

    .venv/bin/python -m bench.run [--model models/lofid] [--steady-seconds 600] [--only NAMES]

Side by side on one machine in one run, so the figures compare even where the machine is
shared. Nothing is carried over from earlier runs: every figure in the table is measured now.
The benchmarks that need a sound server share one private PulseAudio null sink
(``tests.support.pulse.PulseServer``); those run first, while this process is still light (the per-note
benchmark loads TensorFlow into it). The stream benchmark plays into lofid's own null sink
(output.device=none), with no sound server, and runs next, still before TensorFlow is loaded here. Importing bench_inference and
bench_render loads neither TensorFlow nor a model; their functions do.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    balance,
    bench_inference,
    bench_render,
    chain_cost,
    chain_stages,
    control_latency,
    first_sound,
    footprint,
    lightness,
    loudness,
    report,
    steadiness,
    streams,
    threads,
)
from bench.procfs import machine_busy
from lofid.errors import LofidError
from lofid.model.runtime import read_info
from tests.support.pulse import PulseServer, pulse_available

ROOT = Path(__file__).resolve().parent.parent
SOUND = ("first_sound", "control", "footprint", "chain_cost", "lightness", "threads", "steadiness")
NULL_SINK = ("streams",)  # real time into output.device=none: no sound server
OFFLINE = ("per_note", "render", "loudness", "balance", "chain_stages")
RENDER_REPEAT = 3
CHAIN_STAGES_S = 60.0  # audio rendered in each of bench.chain_stages' two paced runs


def _timed(name: str, work: Callable[[], dict], results: dict) -> None:
    """Run one benchmark; a failure is recorded as its result, so the others still run."""
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    start, busy = time.monotonic(), machine_busy()
    try:
        results[name] = work()
    except Exception as e:  # one broken benchmark must not lose the rest of a 15-minute run
        traceback.print_exc()
        results[name] = {"error": f"{type(e).__name__}: {e}"}
    results.setdefault("took_s", {})[name] = round(time.monotonic() - start, 1)
    # How busy the whole machine was meanwhile (this benchmark included): other work skews timings.
    after = machine_busy()
    results.setdefault("machine_busy_pct", {})[name] = round(100 * (after[0] - busy[0]) / (after[1] - busy[1]), 1)
    print(f"[bench] {name} done in {results['took_s'][name]:.0f} s", file=sys.stderr, flush=True)


def measure(args: argparse.Namespace) -> dict:
    model = Path(args.model).resolve()
    training = read_info(model).meta.get("training", {})  # a missing or broken model stops here, in one line
    results: dict = {"model": {"path": str(model), **{k: training.get(k) for k in ("units", "layers", "window")}},
                     "settings": {"steady_seconds": args.steady_seconds, "footprint_seconds": args.footprint_seconds,
                                  "first_sound_runs": args.first_sound_runs, "calls": args.calls,
                                  "loudness_minutes": args.loudness_minutes, "chain_rounds": args.chain_rounds,
                                  "stream_seconds": args.stream_seconds, "balance_minutes": args.balance_minutes,
                                  "balance_seeds": args.balance_seeds}}
    wanted = [name for name in (*SOUND, *NULL_SINK, *OFFLINE) if name in args.only]
    if any(name in SOUND for name in wanted):
        if not pulse_available():
            raise SystemExit("bench: PulseAudio is not installed (make bench installs it via scripts/sysdeps.sh)")
        with PulseServer() as pulse:
            work = {"first_sound": lambda: first_sound.run(pulse, model, args.first_sound_runs),
                    "control": lambda: control_latency.run(pulse, model, args.calls),
                    "footprint": lambda: footprint.run(pulse, model, args.footprint_seconds),
                    "chain_cost": lambda: chain_cost.run(pulse, model, args.chain_rounds),
                    # the stream outputs' share is bench.streams' own figure, shown beside it in the table
                    "lightness": lambda: lightness.run(pulse, model, args.chain_rounds, with_streams=False),
                    "threads": lambda: threads.run(pulse, model),
                    "steadiness": lambda: steadiness.run(pulse, model, args.steady_seconds)}
            for name in SOUND:
                if name in wanted:
                    _timed(name, work[name], results)
    if "streams" in wanted:
        _timed("streams", lambda: streams.run(model, args.stream_seconds), results)
    if "per_note" in wanted:
        _timed("per_note", lambda: bench_inference.measure(model), results)
    if "render" in wanted:
        results["render_repeat"] = RENDER_REPEAT
        _timed("render", lambda: bench_render.run(60.0, RENDER_REPEAT), results)
    if "loudness" in wanted:
        _timed("loudness", lambda: loudness.run(args.loudness_minutes), results)
    if "balance" in wanted:
        _timed("balance", lambda: balance.run(args.balance_minutes, args.balance_seeds), results)
    if "chain_stages" in wanted:
        # paced as the daemon renders (a block's length asleep between blocks), where the caches start cold
        _timed("chain_stages", lambda: chain_stages.run(CHAIN_STAGES_S, repeats=2, paced=True), results)
    return results


def _finite(value):
    """results as strict JSON: a latency that never happened (inf) is written "never"."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return "never" if isinstance(value, float) and math.isinf(value) else value


def write_markdown(results: dict, table: list[report.Row], path: Path, command: str) -> None:
    """BENCHMARKS.md from a run's results, keeping the hand-written sections of the one it replaces."""
    methods = [(name, (mod.__doc__ or "").strip()) for name, mod in
               (("Per note", bench_inference), ("Footprint", footprint), ("First sound", first_sound),
                ("Control", control_latency), ("Steadiness", steadiness), ("Render", bench_render),
                ("Loudness", loudness), ("Chain cost", chain_cost), ("Lightness", lightness), ("Streams", streams),
                ("Tonal balance", balance), ("Chain stages", chain_stages), ("Threads", threads))]
    extra = ["## Tonal balance", "", balance.report(results["balance"]), ""] if "default" in results.get("balance", {}) else []
    kept = report.hand_written(path.read_text()) if path.is_file() else []
    path.write_text(report.markdown(results, table, command, methods, extra, kept))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "lofid"), help="model path without extension "
                        "(render always uses models/lofid: bench_render takes no model path)")
    parser.add_argument("--steady-seconds", type=float, default=600.0, help="steadiness run length (default 600)")
    parser.add_argument("--footprint-seconds", type=float, default=60.0, help="footprint window per backend (default 60)")
    parser.add_argument("--first-sound-runs", type=int, default=5, help="launches timed for first sound (default 5)")
    parser.add_argument("--calls", type=int, default=1000, help="control round trips timed (default 1000)")
    parser.add_argument("--loudness-minutes", type=float, default=loudness.MINUTES,
                        help=f"length of each loudness render (default {loudness.MINUTES:g})")
    parser.add_argument("--chain-rounds", type=int, default=chain_cost.ROUNDS,
                        help=f"turns of lofid run and fluidsynth in the chain cost (default {chain_cost.ROUNDS})")
    parser.add_argument("--stream-seconds", type=float, default=streams.WINDOW_S,
                        help=f"encoding CPU window per round of the streams benchmark (default {streams.WINDOW_S:g})")
    parser.add_argument("--balance-minutes", type=float, default=balance.MINUTES,
                        help=f"length of each tonal-balance render (default {balance.MINUTES:g})")
    parser.add_argument("--balance-seeds", type=lambda text: [int(s) for s in text.split(",")],
                        default=list(balance.SEEDS), help="the tonal balance's compositions (default 1,2,3)")
    parser.add_argument("--only", default=",".join((*SOUND, *NULL_SINK, *OFFLINE)),
                        help=f"comma-separated benchmarks to run (default all: {','.join((*SOUND, *NULL_SINK, *OFFLINE))})")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results.json"), help="JSON output")
    parser.add_argument("--markdown", default=str(ROOT / "BENCHMARKS.md"), help="Markdown output")
    args = parser.parse_args()
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(SOUND) - set(NULL_SINK) - set(OFFLINE)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}")
    started = time.monotonic()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = report.machine()
    try:
        results = {"date": date, "machine": machine, **measure(args)}
    except LofidError as e:  # no model, or a broken one: one line, as every lofid command says it
        print(f"bench: {e}", file=sys.stderr)
        return 2
    results["total_s"] = round(time.monotonic() - started, 1)
    table = report.rows(results)
    print(report.text_table(table))
    for line in report.errors(results):
        print(f"FAILED {line}")
    print("whole machine busy (all cores) during each: " +
          ", ".join(f"{k} {v:.0f} %" for k, v in results.get("machine_busy_pct", {}).items()))
    Path(args.results).write_text(json.dumps(_finite(results), indent=1, allow_nan=False) + "\n")
    write_markdown(results, table, Path(args.markdown), ("python -m bench.run " + " ".join(sys.argv[1:])).strip())
    print(f"\nwrote {args.results} and {args.markdown} ({results['total_s'] / 60:.1f} minutes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
