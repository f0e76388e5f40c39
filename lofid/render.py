"""The ``lofid render`` command: the note model played by the engine, offline, into a WAV file.

The same engine as the daemon's, with the same layers and settings (``--set`` works as
everywhere), but pulled as fast as the machine can go instead of at the sound card's pace, and
deterministic: the same ``--seed`` and settings write the same file.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Callable

from lofid.config import Config
from lofid.errors import LofidError

log = logging.getLogger("lofid")

OFFLINE_BLOCK = 8192  # big blocks: offline there is no latency to keep small


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the render (default 60)")
    parser.add_argument("--output", required=True, metavar="FILE.wav", help="the WAV file to write")
    parser.add_argument("--seed", type=int, help="random seed (default generation.seed); the same seed writes the same file")


def render_to(render: Callable[[int], object], sink, frames: int, block: int = OFFLINE_BLOCK) -> None:
    """Pull ``frames`` from ``render`` into ``sink`` in blocks: the offline loop, shared with bench/."""
    for done in range(0, frames, block):
        sink.write(render(min(block, frames - done)))


def render_file(cfg: Config, seconds: float, output: Path, seed: int | None) -> float:
    """Render ``seconds`` of lofid to ``output``; returns the compute time in seconds."""
    from lofid.audio.engine import Engine
    from lofid.audio.sinks import WavSink
    from lofid.generate import NoteGenerator

    if not 0 < seconds <= 24 * 3600:
        raise LofidError(f"--seconds {seconds:g}: give a length from a fraction of a second to 24 hours")
    generator = NoteGenerator(cfg, seed=seed)
    start = time.perf_counter()
    engine = Engine(cfg, generator.next_note)
    sink = WavSink(output, cfg["output.sample_rate"])
    try:
        render_to(engine.render, sink, int(round(seconds * cfg["output.sample_rate"])))
    finally:
        sink.close()
        engine.close()
    return time.perf_counter() - start


def main(args: argparse.Namespace) -> int:
    cfg: Config = args.cfg
    seed = args.seed if args.seed is not None else cfg["generation.seed"]
    took = render_file(cfg, args.seconds, Path(args.output), seed)
    log.info("wrote %s: %.1f s of audio in %.1f s (%.0fx real time)",
             args.output, args.seconds, took, args.seconds / max(took, 1e-9))
    return 0
