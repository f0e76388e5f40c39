"""A whole piece as the daemon would play it: the notes, the chords under them, the beat's hits.

``lofid generate`` writes it to a MIDI file, ``lofid eval --generate`` measures it; both go
through ``compose`` so what they judge is what the daemon plays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lofid.compose.generator import NoteGenerator
from lofid.config import Config
from lofid.errors import LofidError
from lofid.model.songs import song_rows
from lofid.music.drums import DrumPlan, load_patterns
from lofid.music.notes import Note
from lofid.paths import BEATS


def read_primer(path: str) -> np.ndarray:
    """A MIDI file's model rows (key-normalised, with chords and bar positions) to start from."""
    rows = song_rows(Path(path))
    if len(rows) == 0:
        raise LofidError(f"{path}: the primer has no notes")
    return rows


def compose(cfg: Config, n: int, seed: int, primer: np.ndarray | None = None
            ) -> tuple[list[Note], list[tuple[int, str]]]:
    """``n`` notes exactly as the daemon would play them, and the chord changes under them
    as (16th, label in ``music.key``)."""
    generator = NoteGenerator(cfg, seed=seed, primer=primer, keep_chords=True)
    notes = generator.notes(n)
    end = sum(note.step for note in notes)
    return notes, [(at, label) for at, label in generator.chords() if at <= end]


def drum_hits(length: int) -> list[tuple[int, int, int]]:
    """The beat layer's hits over the first ``length`` 16ths, as (16th, GM drum key, velocity)."""
    plan = DrumPlan(load_patterns(BEATS))
    return [(i, hit.pitch, hit.velocity) for i in range(length) for hit in plan.hits_at(i)]
