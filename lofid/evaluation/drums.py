"""The beat as played: how far its hits sit from the straight grid, how many are soft, its grooves and fills.

Definitions (exact, because targets are judged on them):
- a drum hit is a note of a drum instrument (MIDI channel 10);
- distance from the grid: a hit's distance from the nearest 16th of the straight grid (the track's
  beats from its marker, split in four, without swing), in ms at the track's tempo; a track's
  figure is the median over its hits, the run's the median over all hits;
- soft hits: the share of hits with velocity under 50 (lofid.music.drums.SOFT), per track and pooled;
- grooves per hour: distinct grooves (the ``groove NAME`` markers lofid writes at each track) per
  hour of the run;
- fills before breaks: of the breaks (``section break`` markers), the share with a ``fill`` marker
  at the start of the bar before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lofid.evaluation.metrics import Metric
from lofid.music.drums import SOFT
from lofid.music.notes import STEPS_PER_BEAT

BEATS_PER_BAR = 4
EPSILON = 1e-3  # seconds: markers this close are at one time

TRACK_DRUMS = (  # shown per track, judged over the run (one drummer may play few ghost notes)
    Metric("drum_offset_ms", "drum hits off the 16th grid, median", "ms"),
    Metric("soft_hits", "soft drum hits (velocity < 50)", "%"),
)
WHOLE_DRUMS = (
    Metric("drum_offset_ms", "drum hits off the 16th grid, median", "ms", low=8.0, high=30.0),
    Metric("soft_hits", "soft drum hits (velocity < 50)", "%", low=0.25),
    Metric("grooves_per_hour", "drum grooves per hour", "/h", low=8),
    Metric("fills_before_breaks", "fills before breaks", "%", low=0.9),
)


@dataclass(frozen=True)
class Beat:
    """What one track's drums measure."""

    distances_ms: np.ndarray  # of every hit from the straight grid
    velocities: np.ndarray
    breaks: int  # breaks in the track
    filled: int  # of them, those with a fill in the bar before


def grid_distances_ms(starts: Sequence[float], beats: np.ndarray, bpm: float) -> np.ndarray:
    """Each time's distance (ms at ``bpm``) from the nearest 16th of ``beats`` split in four (extended
    by its first and last beat interval beyond them)."""
    t = np.asarray(starts, dtype=np.float64)
    if len(t) == 0 or len(beats) < 2:
        return np.zeros(0)
    position = np.interp(t, beats, np.arange(len(beats), dtype=np.float64))
    position = np.where(t < beats[0], (t - beats[0]) / (beats[1] - beats[0]), position)
    position = np.where(t > beats[-1], len(beats) - 1 + (t - beats[-1]) / (beats[-1] - beats[-2]), position)
    sixteenths = position * STEPS_PER_BEAT
    return np.abs(sixteenths - np.rint(sixteenths)) * 60_000.0 / bpm / STEPS_PER_BEAT


def measure_beat(drum_notes: Sequence, beats: np.ndarray, bpm: float, breaks: Sequence[float],
                 fills: Sequence[float]) -> Beat:
    """A track's beat: its drum notes (pretty_midi), its beats, its tempo, and the times of its
    breaks and of the fills played."""
    bar = BEATS_PER_BAR * 60.0 / bpm
    filled = sum(any(abs(f - (b - bar)) < EPSILON for f in fills) for b in breaks)
    return Beat(grid_distances_ms([n.start for n in drum_notes], beats, bpm),
                np.asarray([n.velocity for n in drum_notes]), len(breaks), filled)


def track_values(beat: Beat) -> dict:
    """The per-track figures of TRACK_DRUMS (None without drums)."""
    hits = len(beat.velocities)
    return {"drum_offset_ms": float(np.median(beat.distances_ms)) if hits else None,
            "soft_hits": float(np.mean(beat.velocities < SOFT)) if hits else None}


def whole_values(beats: Sequence[Beat], grooves: Sequence[str], hours: float) -> dict:
    """The run's figures of WHOLE_DRUMS."""
    pooled = Beat(np.concatenate([b.distances_ms for b in beats] or [np.zeros(0)]),
                  np.concatenate([b.velocities for b in beats] or [np.zeros(0)]),
                  sum(b.breaks for b in beats), sum(b.filled for b in beats))
    named = {g for g in grooves if g}
    return {**track_values(pooled),
            "grooves_per_hour": len(named) / hours if hours > 0 and named else None,
            "fills_before_breaks": pooled.filled / pooled.breaks if pooled.breaks else None}
