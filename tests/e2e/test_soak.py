"""The endless run: hours of music through the real generator, producer and engine, faster than real time.

This is the daemon's pipeline without the clock: the shipped model through LiteRT writes notes
(``NoteGenerator``) into the bounded queue on the producer thread (``Producer``), the engine takes
them just in time and renders every block through FluidSynth and the master chain into a null sink
that does not wait for the wall clock. Each hour of music is then checked:

- no stall: the engine never found the queue empty for longer than ``STALL_S`` of wall time (when
  it is empty the test waits for the producer, as real time would; a producer that stopped writing
  fails here), and notes were heard all through the hour;
- the guardrails of ``lofid eval`` (lofid/evaluation/metrics.py) hold on every track that ended
  in that hour, each judged in its own key and tempo: in key, repetition, fewest distinct pitches
  in 64 notes, longest silence, most voices at once (the targets of its METRICS table);
- memory: the resident set grows by less than ``MAX_GROWTH_MB`` an hour after the first (the first
  hour fills the engine's bounded history of played notes and the allocator's pools).

``LOFID_SOAK_HOURS`` sets the length of ``make soak`` (default 8). The default suite runs the same
check on five minutes of music in one-minute "hours", so a regression shows without the soak.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from lofid import paths
from lofid.audio.engine import Engine
from lofid.audio.sinks import NullSink
from lofid.compose.generator import NoteGenerator
from lofid.compose.queue import Producer
from lofid.config import defaults
from lofid.evaluation.metrics import METRICS, measure, piece_from_notes
from lofid.music.keys import key_shift
from lofid.music.notes import Note
from lofid.music.tracks import Cue, Event

MODEL = paths.MODELS / "lofid"
STALL_S = 10.0  # wall-clock seconds the engine may wait for a note before the run counts as stalled
MAX_GROWTH_MB = 5.0  # per hour of music, after the first
BLOCK = 4096
GUARDRAILS = ("in_key", "repetition", "fewest_distinct_pitches", "longest_silence", "most_voices")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class Feed:
    """The engine's note source: the producer's queue, waiting (and counting) when it is empty."""

    def __init__(self, producer: Producer) -> None:
        self.producer, self.notes, self.waits = producer, [], 0

    def __call__(self) -> Event | None:
        note = self.producer.take()
        if note is None:
            self.waits += 1
            started = time.monotonic()
            while note is None:
                assert time.monotonic() - started < STALL_S, f"stall: no note for {STALL_S} s"
                self.producer.wait_for(1, timeout=STALL_S)
                note = self.producer.take()
        self.notes.append(note)
        return note


def finished_tracks(events: list[Event]) -> tuple[list[tuple[object, list[Event]]], list[Event]]:
    """The tracks that ended within ``events`` as (track, its events), and the events of the one still playing."""
    starts = [i for i, e in enumerate(events) if isinstance(e, Cue) and e.new]
    done = [(events[a].track, events[a:b]) for a, b in zip(starts, starts[1:])]
    return done, events[starts[-1]:] if starts else events


def soak(hours: float, hour_s: float) -> list[dict]:
    """Render ``hours`` hours of music; one report per ``hour_s`` seconds of it."""
    cfg = defaults().replace({"model.path": str(MODEL), "music.track_minutes": "1-2" if hour_s < 600 else "2-4"})
    producer = Producer(NoteGenerator(cfg, seed=11), cfg["generation.queue_size"])
    feed = Feed(producer)
    engine = Engine(cfg, feed)
    sink = NullSink(cfg["output.sample_rate"])  # unpaced: as fast as the machine renders
    targets = {m.name: m for m in METRICS}
    reports, broken, pending = [], [], []
    producer.start()
    try:
        rate = engine.sample_rate
        for hour in range(max(1, round(hours * 3600 / hour_s))):
            began = time.monotonic()
            frames = int(hour_s * rate)
            for done in range(0, frames, BLOCK):
                sink.write(engine.render(min(BLOCK, frames - done)))
            events, feed.notes = feed.notes, []
            tracks, pending = finished_tracks(pending + events)
            worst = {}
            for track, run in tracks:
                figures = measure(piece_from_notes(run, track.bpm, key_shift(track.tonic, track.minor), track.key_name))
                broken += [f"hour {hour + 1}, track {track.number} ({track.key_name}): {name} = {figures[name]} "
                           f"({targets[name].target()})" for name in GUARDRAILS if not targets[name].ok(figures[name])]
                worst = {k: min(worst.get(k, v), v) if k != "longest_silence" and k != "most_voices"
                         else max(worst.get(k, v), v) for k, v in figures.items() if k in GUARDRAILS}
            notes = sum(isinstance(e, Note) for e in events)
            report = {"hour": hour + 1, "notes": notes, "tracks": len(tracks),
                      "render_x": hour_s / (time.monotonic() - began), "rss_mb": rss_mb(), "waits_so_far": feed.waits,
                      **worst}
            print(" ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in report.items()),
                  file=sys.stderr, flush=True)
            reports.append(report)
            assert notes, f"hour {hour + 1}: nothing played"
    finally:
        producer.stop()
        engine.close()
    assert not broken, broken  # every hour is checked before this fails, so a soak reports them all
    assert sink.frames == sum(int(hour_s * engine.sample_rate) for _ in reports)
    if len(reports) > 2:
        growth = (reports[-1]["rss_mb"] - reports[0]["rss_mb"]) / (len(reports) - 1)
        assert growth < MAX_GROWTH_MB, f"memory grew {growth:.1f} MB an hour: {[r['rss_mb'] for r in reports]}"
    return reports


@pytest.mark.slow
def test_five_minutes_of_music_without_a_stall_within_the_guardrails():
    reports = soak(5 / 60, hour_s=60)
    assert len(reports) == 5


@pytest.mark.soak
@pytest.mark.timeout(0)  # hours of music at ~10-40x real time: longer than the suite's per-test limit
def test_hours_of_music_without_a_stall_within_the_guardrails_in_bounded_memory():
    hours = float(os.environ.get("LOFID_SOAK_HOURS", "8"))
    reports = soak(hours, hour_s=3600)
    assert len(reports) == round(hours)
