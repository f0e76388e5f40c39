"""How the music breathes: themes that return, comping off the beat, and the colour of the chords.

Definitions (exact, because targets are judged on them):
- theme return: of the melody's 4-interval figures (the semitone steps between 5 consecutive
  melody notes), from the 65th note on, the share that also starts somewhere in the 64 notes
  before it (POP909's MELODY tracks: 0.43 pooled over all songs);
- chord onsets off the beat: of the 16ths on which the keys strike a chord (two or more keys
  notes starting together), the share that is not on a beat;
- rich chords: of those strikes, the share whose keys notes sounding at that moment (struck or
  still held) hold four or more pitch classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Protocol

from lofid.music.notes import STEPS_PER_BEAT

FIGURE_INTERVALS = 4  # melodic intervals in a figure
THEME_WINDOW = 64  # notes: how far back a figure counts as heard before
RICH_PITCH_CLASSES = 4  # a chord with this many pitch classes or more is coloured (7ths, 9ths)


class Timed(Protocol):
    """What these measures read of a note (lofid.evaluation.metrics.TimedNote)."""

    @property
    def pitch(self) -> int: ...
    @property
    def onset(self) -> int: ...  # 16th
    @property
    def release(self) -> int: ...  # 16th
    @property
    def part(self) -> str: ...


def theme_return(pitches: Sequence[int], window: int = THEME_WINDOW, figure: int = FIGURE_INTERVALS) -> float | None:
    """Share of figures heard in the ``window`` notes before; None when the line is too short."""
    steps = [b - a for a, b in zip(pitches, pitches[1:])]
    figures = [tuple(steps[i:i + figure]) for i in range(len(steps) - figure + 1)]
    scored = heard = 0
    for i in range(window, len(figures)):
        scored += 1
        heard += figures[i] in figures[i - window:i]
    return heard / scored if scored else None


def chord_strikes(notes: Sequence[Timed]) -> list[tuple[int, list[Timed]]]:
    """(onset 16th, keys notes sounding then) for every 16th where two or more keys notes start."""
    keys = sorted((n for n in notes if n.part == "keys"), key=lambda n: n.onset)
    strikes = []
    for onset, group in groupby(keys, key=lambda n: n.onset):
        if len(list(group)) >= 2:
            strikes.append(onset)
    return [(at, [n for n in keys if n.onset <= at < n.release]) for at in strikes]


def off_beat_share(strikes: Sequence[tuple[int, list[Timed]]], downbeat: int) -> float | None:
    if not strikes:
        return None
    return sum((at - downbeat) % STEPS_PER_BEAT != 0 for at, _ in strikes) / len(strikes)


def rich_share(strikes: Sequence[tuple[int, list[Timed]]]) -> float | None:
    if not strikes:
        return None
    return sum(len({n.pitch % 12 for n in sounding}) >= RICH_PITCH_CLASSES for _, sounding in strikes) / len(strikes)
