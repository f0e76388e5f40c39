"""Notes <-> the note model's rows: what it predicts, what it is told, and the primer it starts from.

The model sees each note as a row of class indices: what it predicts (pitch 0-127, step
0-MAX_STEP, duration 0-MAX_DURATION, a velocity bin) and what it is told (the chord under the
note and its 16th within the bar). Rows live here so training and playing cannot disagree on
them, and so playing never needs TensorFlow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from lofid.music.chords import parse_label
from lofid.music.notes import BAR, MAX_DURATION, MAX_STEP, VELOCITY_BINS, Note, notes_from_onsets, velocity_bin
from lofid.music.primer import PRIMER_BARS, PRIMER_VELOCITY

HEADS = ("pitch", "step", "duration", "velocity")  # the model's output heads, in this order
VOCAB = {"pitch": 128, "step": MAX_STEP + 1, "duration": MAX_DURATION + 1, "velocity": VELOCITY_BINS}
# What the model is told about each note besides the note itself (see chord_token).
CONTEXT = ("chord", "position")
COLUMNS = HEADS + CONTEXT  # a row's columns, in this order
CHORD_QUALITIES = ("maj", "min", "dom", "dim", "sus", "aug")  # the coarse chord classes the model knows
INPUT_VOCAB = {**VOCAB, "chord": 1 + 12 * len(CHORD_QUALITIES), "position": BAR}
# Harte qualities -> the model's coarse chord classes.
_QUALITY_CLASS = {"maj": "maj", "maj7": "maj", "maj6": "maj", "maj9": "maj", "5": "maj", "1": "maj",
                  "min": "min", "min7": "min", "min6": "min", "min9": "min", "minmaj7": "min",
                  "7": "dom", "9": "dom", "11": "dom", "13": "dom", "min11": "min", "7sus4": "sus", "add9": "maj",
                  "dim": "dim", "dim7": "dim", "hdim7": "dim",
                  "sus2": "sus", "sus4": "sus", "aug": "aug"}


def to_rows(notes: Iterable[Note]) -> np.ndarray:
    """Notes -> an (n, 4) int32 array of the predicted columns, clamped to the model's vocabularies."""
    rows = [(min(127, max(0, n.pitch)), min(MAX_STEP, max(0, n.step)), min(MAX_DURATION, max(1, n.duration)),
             velocity_bin(n.velocity)) for n in notes]
    return np.asarray(rows, dtype=np.int32).reshape(-1, len(HEADS))


def with_context(rows: np.ndarray, chords: Sequence[int], positions: ArrayLike) -> np.ndarray:
    """(n, 4) note rows + each note's chord token and 16th in the bar -> (n, 6) model input rows."""
    context = np.stack([np.asarray(chords, np.int32), np.asarray(positions, np.int32) % BAR], axis=-1)
    return np.concatenate([np.asarray(rows, np.int32).reshape(-1, len(HEADS)), context.reshape(-1, 2)], axis=-1)


def chord_token(label: str, shift: int = 0) -> int:
    """The model's chord input for a Harte label moved by ``shift`` semitones: 0 for no chord,
    else 1 + root * 6 + quality class. Labels it cannot read count as no chord."""
    parsed = parse_label(label)
    if parsed is None:
        return 0
    root, quality = parsed
    cls = _QUALITY_CLASS.get(quality)
    return 0 if cls is None else 1 + (root + shift) % 12 * len(CHORD_QUALITIES) + CHORD_QUALITIES.index(cls)


def primer_rows(window: int) -> np.ndarray:
    """The last ``window`` model rows of the built-in opening, looped as often as it takes."""
    loops = -(-window // sum(len(line) for _, line in PRIMER_BARS)) + 1
    events = [(loop * 4 * BAR + bar * BAR + at, pitch, duration, PRIMER_VELOCITY, "melody")
              for loop in range(loops) for bar, (_, line) in enumerate(PRIMER_BARS) for at, pitch, duration in line]
    onsets = [e[0] for e in events]
    tokens = [chord_token(PRIMER_BARS[(onset // BAR) % 4][0]) for onset in onsets]
    return with_context(to_rows(notes_from_onsets(events)), tokens, onsets)[-window:]
