"""The bass: low, round and simple, answering the kick, with a passing note into a chord now and then.

Each chord's root is struck on its first 16th, in the octave nearest the bass's centre
(lofid.compose.register.BASS, E1-C3 as heard); then a note on each kick of the groove inside the
chord (the fifth on the first, the root after, and so on), each held to the next; without a groove
(an intro, a break, an ending) a whole-bar chord gets its fifth on beat 3. Into the next chord,
PASSING of the changes get an approach note on the last 8th or 16th before it: a step of the key
from the side the bass comes from, or (CHROMATIC of them) a semitone below or above the new root.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lofid.compose.register import BASS, Register, in_model
from lofid.music.keys import MAJOR_SCALE
from lofid.music.notes import BAR, STEPS_PER_BEAT
from lofid.music.tracks import Track

VELOCITY = 70  # MIDI velocity of a chord's first note
LATER = 8  # MIDI velocity: how much softer the notes after it are
PASSING_VELOCITY = 58  # MIDI velocity of an approach note: a lean into the chord, not a new accent
PASSING = 0.3  # share of chord changes the bass walks into
CHROMATIC = 0.35  # share of approach notes a semitone from the new root rather than a step of the key
PASSING_STEPS = (1, 2)  # 16ths an approach note lasts: the last 16th or the last 8th before the change
MIN_HELD = 3  # 16ths the note before an approach keeps at least

BassNote = tuple[int, int, int, int]  # (onset 16th, MIDI pitch, duration 16ths, velocity)


def root_pitch(root: int, register: Register) -> int:
    """The pitch of pitch class ``root`` in ``register`` nearest its centre, with room for a fifth
    above or below."""
    candidates = [p for p in range(register.low, register.high + 1) if p % 12 == root]
    return min(candidates, key=lambda p: (abs(p - register.centre), p))


def fifth_of(pitch: int, register: Register) -> int:
    """The fifth above ``pitch``, or below where above leaves the register."""
    return pitch + 7 if pitch + 7 <= register.high else pitch - 5


def approach(previous: int, target: int, chromatic: bool, register: Register) -> int:
    """The note leading into ``target`` from ``previous``'s side: the next key step (or semitone) toward it."""
    direction = 1 if previous < target else -1  # coming from below: approach from below
    note = target - direction
    while not chromatic and note % 12 not in MAJOR_SCALE:
        note -= direction
    return min(register.high, max(register.low, note))


def chord_notes(pitch: int, start: int, length: int, kicks: Sequence[int], register: Register) -> list[BassNote]:
    """One chord's bass: the root, then a note on each kick inside it, alternating fifth and root."""
    hits = [t for bar in range(start - start % BAR, start + length, BAR) for t in (bar + k for k in kicks)
            if start < t < start + length]
    if not kicks and length >= BAR:
        hits = [start + length // 2]
    if length <= STEPS_PER_BEAT:
        hits = []
    onsets = [start, *hits]
    fifth = fifth_of(pitch, register)
    return [(onset, pitch if i % 2 == 0 else fifth, (onsets[i + 1] if i + 1 < len(onsets) else start + length) - onset,
             VELOCITY - (LATER if i else 0)) for i, onset in enumerate(onsets)]


def bass_line(track: Track, spans: Sequence[tuple[int, int, int, str]], kicks: Sequence[int],
              rng: np.random.Generator) -> list[BassNote]:
    """The bass under consecutive chord spans (start 16th, length, root pitch class, quality) of
    ``track`` (model space). Draws three numbers per chord change."""
    register = in_model(BASS, track)
    notes: list[BassNote] = []
    for k, (start, length, root, _) in enumerate(spans):
        pitch = root_pitch(root, register)
        line = chord_notes(pitch, start, length, kicks, register)
        if k + 1 < len(spans) and spans[k + 1][2] != root:
            walk, chromatic = rng.random() < PASSING, rng.random() < CHROMATIC
            steps = PASSING_STEPS[int(rng.integers(len(PASSING_STEPS)))]
            onset, last, held, velocity = line[-1]
            if walk and held - steps >= MIN_HELD:
                target = root_pitch(spans[k + 1][2], register)
                line[-1] = (onset, last, held - steps, velocity)
                line.append((start + length - steps, approach(last, target, chromatic, register), steps, PASSING_VELOCITY))
        notes += line
    return notes
