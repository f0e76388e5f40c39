"""The pad: a soft, held chord under the intros, the breaks, the endings and the bars where the keys rest.

A pad swells rather than strikes: each chord's three voices (a shell of lofid.compose.voicing, in
the pad's register under the keys, lofid.compose.register.PAD) are held for as long as the chord
sounds in those bars, and their velocity rises across the section, from SWELL[0] at its start to
SWELL[1] at its end, so a section's pad grows into what follows. In a sparse track (melody density
under SPARSE) it holds the B sections too, where the melody leaves room. A bar where no keys note
starts is thin: the pad holds it, so a resting comp never leaves a hole.

MIDI velocity is all the swell a note gets here: a swell inside a held note would need the
channel's expression (CC 11) ramped by the engine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lofid.compose.register import PAD, in_model
from lofid.compose.voicing import voice
from lofid.music.notes import BAR
from lofid.music.tracks import Section, Track

SECTIONS = ("intro", "break", "ending")  # where the pad holds every bar
SPARSE = 0.9  # melody density under which a track's B sections get the pad too
SWELL = (26, 44)  # MIDI velocity of the pad at its section's start and end
VOICES = 3

PadNote = tuple[int, int, int, int]  # (onset 16th, MIDI pitch, duration 16ths, velocity)


def pad_bars(track: Track, section: Section, start: int, stop: int, keys: Sequence[tuple[int, ...]]) -> list[int]:
    """First 16ths of the bars in [start, stop) the pad holds: every bar of a pad section, else those
    where no keys note starts."""
    bars = range(start - (start - section.start) % BAR, stop, BAR)
    if section.name in SECTIONS or (section.name == "B" and track.density < SPARSE):
        return list(bars)
    struck = {(k[0] - section.start) // BAR for k in keys}
    return [b for b in bars if (b - section.start) // BAR not in struck]


def swell(section: Section, onset: int) -> int:
    """The pad's velocity at ``onset``: rising across the section."""
    share = min(1.0, max(0.0, (onset - section.start) / max(1, section.end - section.start)))
    return round(SWELL[0] + (SWELL[1] - SWELL[0]) * share)


def pad_part(track: Track, section: Section, spans: Sequence[tuple[int, int, int, str]],
             keys: Sequence[tuple[int, ...]], rng: np.random.Generator) -> list[PadNote]:
    """The pad's notes under consecutive chord spans (start 16th, length, root, quality) of a
    stretch of ``section`` whose keys notes (onset first) are ``keys``. Draws one number per chord."""
    if not spans:
        return []
    start, stop = spans[0][0], spans[-1][0] + spans[-1][1]
    held = pad_bars(track, section, start, stop, keys)
    register = in_model(PAD, track)
    notes: list[PadNote] = []
    for at, length, root, quality in spans:
        pitches = voice((), root, quality, register, rng, VOICES).pitches
        pieces = [(max(at, b), min(at + length, b + BAR)) for b in held if b < at + length and b + BAR > at]
        runs: list[list[int]] = []
        for a, b in pieces:  # bars that follow each other make one held note
            if runs and runs[-1][1] == a:
                runs[-1][1] = b
            else:
                runs.append([a, b])
        notes += [(a, p, b - a, swell(section, a)) for a, b in runs for p in pitches]
    return notes
