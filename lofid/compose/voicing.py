"""How the keys voice a chord: open lo-fi shapes in the middle of the keyboard, moving little.

A voicing is drawn in two steps. First its shape:
- **drop-2** (four voices): the chord's four colour tones (rootless 3 5 7 9 where it has a ninth,
  3 7 9 13 for a 13th, else root 3 5 7) in close position, the second voice from the top dropped
  an octave, so they spread over about a tenth;
- **shell** (three voices): the third and seventh with the ninth on top where the chord has one
  (else the fifth), spread over at least a sixth;
- **quartal** (four voices, now and then): fourths stacked, on minor chords from the root
  (root 11 b7 b3) and on major ones from the third (3 6 9 5), only where every tone lies in the key
  (a dominant keeps its tritone: never quartal);
- triads and other small chords: **open** (root, third and fifth, or third, fifth and seventh,
  spread over at least a sixth).
Then where: of the shape's placements inside the register (lofid.compose.register.KEYS, as
heard), the one closest to the chord before (the smallest total move) and to the register's
centre. Adjacent voices are never a semitone apart: a cluster is what lo-fi keys avoid.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from lofid.compose.register import Register
from lofid.music.chords import QUALITIES
from lofid.music.keys import MAJOR_SCALE

SHAPES = ("drop2", "shell", "quartal")  # drawn in proportion to SHAPE_SHARE; "open" stands in for triads
SHAPE_SHARE = {"drop2": 0.5, "shell": 0.4, "quartal": 0.1}
MIN_SPREAD = {3: 9, 4: 12}  # semitones from lowest to highest voice, at least, by voices: open, not clustered
MAX_SPREAD = 19  # semitones: a hand's reach with the notes rolled (an octave and a fifth)
CENTRE_WEIGHT = 1.5  # cost of each semitone the voicing's mean lies from the register's centre, against voice moves
MIN_GAP = 2  # semitones between adjacent voices at least


class Voicing(NamedTuple):
    pitches: tuple[int, ...]  # MIDI pitches, low to high
    shape: str  # one of SHAPES, or "open"


def _tones(quality: str) -> tuple[int | None, ...]:
    """(third, fifth, seventh, ninth, thirteenth) of a quality as intervals above its root (None if absent)."""
    intervals = {i % 12 for i in QUALITIES[quality]}

    def pick(*options: int) -> int | None:
        return next((i for i in options if i in intervals), None)

    return pick(4, 3, 5, 2), pick(7, 6, 8), pick(10, 11, 9) if len(intervals) >= 4 else None, \
        pick(2) if 2 in intervals and len(intervals) >= 5 else None, pick(9) if quality == "13" else None


def shape_tones(root: int, quality: str, shape: str) -> tuple[int, ...] | None:
    """The pitch classes of ``shape`` for the chord, bottom-up as the shape stacks them (quartal)
    or as a set (the others); None where the shape does not fit the chord."""
    third, fifth, seventh, ninth, thirteenth = _tones(quality)
    pcs = lambda *intervals: tuple((root + i) % 12 for i in intervals)  # noqa: E731
    if shape == "drop2" and seventh is not None:
        if thirteenth is not None:
            return pcs(third, seventh, ninth, thirteenth)
        return pcs(third, fifth, seventh, ninth) if ninth is not None else pcs(0, third, fifth, seventh)
    if shape == "shell" and seventh is not None and third is not None:
        return pcs(third, seventh, ninth if ninth is not None else fifth)
    if shape == "quartal" and third in (3, 4) and fifth == 7 and not (third == 4 and seventh == 10):  # not a dominant
        stack = pcs(0, 5, 10, 15) if third == 3 else pcs(4, 9, 14, 19)
        return stack if set(stack) <= MAJOR_SCALE else None
    if shape == "open":
        return pcs(*(i for i in ((0, third, fifth) if seventh is None else (third, fifth, seventh)) if i is not None))
    return None


def placements(tones: Sequence[int], shape: str, register: Register) -> list[tuple[int, ...]]:
    """Every way to lay ``tones`` out in ``register`` as ``shape`` lays them: quartal keeps its stack;
    drop-2 drops the second voice from the top of each close position; the others take every
    order of their tones, each voice within an octave above the one below."""
    if shape == "quartal":
        stacks = [tuple(low + (tones[0] - low) % 12 + 5 * k for k in range(len(tones)))
                  for low in range(register.low, register.low + 12)]
        return sorted({s for s in stacks if s[-1] <= register.high})
    found = set()
    for bottom in range(register.low - 12, register.high + 1):
        for order in itertools.permutations(tones):
            if order[0] != bottom % 12:
                continue
            chord = [bottom]
            for pc in order[1:]:
                chord.append(chord[-1] + 1 + (pc - chord[-1] - 1) % 12)  # the next tone up
            if shape == "drop2":
                if chord[-1] - chord[0] > 11:
                    continue  # not a close position
                chord = sorted([chord[-2] - 12, *chord[:-2], chord[-1]])
            found.add(tuple(chord))
    return sorted(c for c in found if register.low <= c[0] and c[-1] <= register.high)


def spread(chord: Sequence[int]) -> bool:
    """Open enough (MIN_SPREAD), within a hand (MAX_SPREAD), no two neighbours closer than MIN_GAP."""
    span = chord[-1] - chord[0]
    return MIN_SPREAD.get(len(chord), 0) <= span <= MAX_SPREAD and all(b - a >= MIN_GAP for a, b in zip(chord, chord[1:]))


def movement(chord: Sequence[int], previous: Sequence[int]) -> float:
    """How far the voices move: each voice's distance to the nearest voice of the other chord, both ways, halved."""
    if not previous:
        return 0.0
    there = sum(min(abs(p - q) for q in previous) for p in chord)
    back = sum(min(abs(p - q) for q in chord) for p in previous)
    return (there + back) / 2


def voice(previous: Sequence[int], root: int, quality: str, register: Register, rng: np.random.Generator,
          voices: int | None = None) -> Voicing:
    """A voicing of the chord (see the module docstring); ``voices`` 3 or 4 asks for a shell or a
    four-voice shape, None draws the shape. Always draws one number from ``rng``."""
    draw = rng.random()
    if voices == 3:
        wanted = "shell"
    elif voices == 4:
        wanted = "quartal" if draw < SHAPE_SHARE["quartal"] else "drop2"
    else:
        cumulative = np.cumsum([SHAPE_SHARE[s] for s in SHAPES])
        wanted = SHAPES[int(np.searchsorted(cumulative, draw * cumulative[-1], side="right"))]
    for shape in dict.fromkeys((wanted, "shell", "open") if voices == 3 else (wanted, "drop2", "shell", "open")):
        tones = shape_tones(root, quality, shape)
        if tones is None:
            continue
        laid = [c for c in placements(tones, shape, register) if spread(c)]
        if laid:
            best = min(laid, key=lambda c: (movement(c, previous) + CENTRE_WEIGHT * abs(sum(c) / len(c) - register.centre), c))
            return Voicing(best, shape)
    return Voicing(tuple(sorted(previous)), "open")
