"""Offline rendering: the note model played by the engine into a WAV file (``lofid render``).

The same engine as the daemon's, with the same layers and settings (``--set`` works as
everywhere), but pulled as fast as the machine can go instead of at the sound card's pace, and
deterministic: the same ``--seed`` and settings write the same file. Each track's start is marked
in the file, named by its title (lofid.audio.wavmarks), for an editor to show and a bench to cut by.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from lofid.audio.engine import Engine
from lofid.audio.sinks import WavSink, wav_max_seconds
from lofid.compose.generator import NoteGenerator
from lofid.config import Config
from lofid.errors import LofidError

OFFLINE_BLOCK = 8192  # big blocks: offline there is no latency to keep small


def render_to(render: Callable[[int], object], sink, frames: int, block: int = OFFLINE_BLOCK,
              after: Callable[[], None] | None = None) -> None:
    """Pull ``frames`` from ``render`` into ``sink`` in blocks, calling ``after`` after each: the
    offline loop, shared with bench/."""
    for done in range(0, frames, block):
        sink.write(render(min(block, frames - done)))
        if after is not None:
            after()


class TrackMarks:
    """Marks each track's start in a WAV sink as the engine begins it: its number and title."""

    def __init__(self, engine: Engine, sink: WavSink) -> None:
        self.engine, self.sink = engine, sink
        self._number = 0  # the last track marked (tracks count from 1)

    def __call__(self) -> None:
        track = self.engine.track
        if track is not None and track.number != self._number:  # a re-planned track (held, ended early) keeps its number
            self.sink.mark(self.engine.track_started, f"{track.number}. {track.title}")
            self._number = track.number


def render_file(cfg: Config, seconds: float, output: Path, seed: int) -> float:
    """Render ``seconds`` of lofid to ``output``; returns the compute time in seconds."""
    longest = wav_max_seconds(cfg["output.sample_rate"])
    if not 0 < seconds <= longest:
        raise LofidError(f"--seconds {seconds:g}: give a length from a fraction of a second to {longest / 3600:.1f} hours "
                         f"(what a WAV file holds at {cfg['output.sample_rate']} Hz)")
    generator = NoteGenerator(cfg, seed=seed)
    start = time.perf_counter()
    engine = Engine(cfg, generator.next_note)
    sink = WavSink(output, cfg["output.sample_rate"])
    try:
        render_to(engine.render, sink, int(round(seconds * cfg["output.sample_rate"])), after=TrackMarks(engine, sink))
    finally:
        sink.close()
        engine.close()
    return time.perf_counter() - start
