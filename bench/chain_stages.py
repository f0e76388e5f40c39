"""Chain stages: what each stage of the lo-fi chain costs, beside the synth, on the render thread's real blocks.

    .venv/bin/python -m bench.chain_stages [--seconds 120] [--seed 7] [--paced] [--set KEY=VALUE ...]

The engine renders ``--seconds`` of the default composition (the note model, every layer on) in
the blocks the daemon's render thread renders at a wake-up (``render_frames`` of
``output.block_size``), but as fast as it can. Each
stage's method that does the work (``process``, or the sidechain's ``gains``) is timed with a
wrapper around it, so what a stage costs is read where it is spent; the synth's rendering, the note
model (the engine's source: LiteRT and the composer, on the producer thread in the daemon) and the
whole block are timed the same way, and what is left of the whole (scheduling the notes, reading the
loops, mixing the ambience, the Python between the stages) is shown as the rest. Each is the render
thread's own CPU time (``time.thread_time``), so other work on a shared machine stretches it less than
a wall clock. The figures are per second of audio, as a share of one core (1 % is 10 ms of compute
for each second heard), the median of REPEATS runs. With --paced the engine sleeps a block's length after each block, as the
daemon's render thread does between the sound card's pulls: each block then starts with caches other
work has cooled, and costs about twice as much as back to back (BENCHMARKS.md). bench.chain_cost
measures the whole daemon against the bare fluidsynth player; this says where lofid's share goes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from lofid.audio.engine import Engine
from lofid.audio.sinks import render_frames
from lofid.compose.generator import NoteGenerator
from lofid.config import Config, defaults, parse_set

SEED = 7
SECONDS = 120.0
REPEATS = 3
WHOLE = "engine.render, the whole block"
MODEL = "note model and composer"  # the daemon runs it on the producer thread; here it is the engine's source
REST = "the rest: scheduling, layers, mix, Python per block"  # the whole block less the synth, chain and model


def _timed(spent: dict[str, float], name: str, method: Callable) -> Callable:
    def wrapper(*args, **kwargs):
        start = time.thread_time()
        try:
            return method(*args, **kwargs)
        finally:
            spent[name] += time.thread_time() - start
    return wrapper


def _stages(chain) -> dict[str, object]:
    """Every stage object of the chain that does work on a block: name -> object."""
    found = {}
    for name, value in vars(chain).items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for key, stage in items:
            if hasattr(stage, "process") or hasattr(stage, "gains"):
                found[name if key is None else f"{name}.{key}"] = stage
    return found


def once(cfg: Config, seconds: float, seed: int, paced: bool = False) -> dict[str, float]:
    """One render of ``seconds``: compute seconds spent in each stage, the synth and the whole;
    ``paced``: a block's length asleep after each block, as in real time."""
    engine = Engine(cfg, NoteGenerator(cfg, seed=seed).next_note)
    spent: dict[str, float] = defaultdict(float)
    try:
        for name, stage in _stages(engine.chain).items():
            method = "process" if hasattr(stage, "process") else "gains"
            setattr(stage, method, _timed(spent, name, getattr(stage, method)))
        engine.synth.render = _timed(spent, "synth (FluidSynth)", engine.synth.render)
        engine.source = _timed(spent, MODEL, engine.source)
        engine.chain.process = _timed(spent, "chain, all of it", engine.chain.process)
        rate = cfg["output.sample_rate"]
        block, frames = render_frames(cfg["output.block_size"]), int(seconds * rate)
        whole = 0.0
        for _ in range(0, frames, block):
            start = time.thread_time()
            engine.render(block)
            whole += time.thread_time() - start
            if paced:
                time.sleep(block / rate)
        spent[WHOLE] = whole
    finally:
        engine.close()
    spent[REST] = spent[WHOLE] - spent["synth (FluidSynth)"] - spent["chain, all of it"] - spent[MODEL]
    return dict(spent)


def run(seconds: float = SECONDS, seed: int = SEED, settings: Sequence[str] = (), repeats: int = REPEATS,
        paced: bool = False) -> dict:
    """Each stage's cost, % of one core: median over ``repeats`` renders (the figures for `make bench`)."""
    cfg = defaults().replace(dict(parse_set(item) for item in settings))
    runs = [once(cfg, seconds, seed, paced) for _ in range(repeats)]
    names = list(runs[0])
    return {"seconds": seconds, "seed": seed, "block_frames": render_frames(cfg["output.block_size"]), "repeats": repeats,
            "settings": list(settings), "paced": paced,
            "pct_of_core": {n: round(float(np.median([100 * r.get(n, 0.0) / seconds for r in runs])), 3) for n in names}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"audio rendered per run (default {SECONDS:g})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the composition (default {SEED})")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"runs, the median is shown (default {REPEATS})")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting for the render")
    parser.add_argument("--paced", action="store_true", help="sleep a block's length after each block, as in real time")
    args = parser.parse_args()
    results = run(args.seconds, args.seed, args.set, args.repeats, args.paced)
    print(f"chain stages: % of one core per second of audio, {results['block_frames']}-frame blocks"
          f"{', paced' if args.paced else ''}, median of {results['repeats']} x {results['seconds']:g} s")
    for name, pct in sorted(results["pct_of_core"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<34} {pct:7.3f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
