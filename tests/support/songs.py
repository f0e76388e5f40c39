"""Small MIDI songs the tests write themselves (pretty_midi), so no test depends on a corpus.

Each song is a simple progression of triads with a melody over it, in a chosen key and tempo,
plus a drum track that the corpus must skip.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi

MAJOR = (0, 2, 4, 5, 7, 9, 11)
PROGRESSION = (0, 3, 4, 5)  # I, IV, V, vi: scale degrees of the chord roots


def write_song(path: Path, tonic: int = 0, bpm: float = 90.0, bars: int = 8, seed: int = 0) -> Path:
    """A song of ``bars`` bars in ``tonic`` major; returns its path."""
    rng = np.random.default_rng(seed)
    midi = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    beat = 60.0 / bpm
    piano = pretty_midi.Instrument(program=0, name="PIANO")
    melody = pretty_midi.Instrument(program=0, name="MELODY")
    drums = pretty_midi.Instrument(program=0, name="DRUMS", is_drum=True)
    for bar in range(bars):
        start = bar * 4 * beat
        degree = PROGRESSION[bar % len(PROGRESSION)]
        for third in (0, 2, 4):  # a diatonic triad: every other scale note from the root
            d = degree + third
            pitch = 48 + tonic + MAJOR[d % 7] + 12 * (d // 7)
            piano.notes.append(pretty_midi.Note(70, pitch, start, start + 4 * beat))
        for eighth in range(8):
            degree = MAJOR[int(rng.integers(0, 7))]
            t = start + eighth * beat / 2
            melody.notes.append(pretty_midi.Note(int(rng.integers(60, 100)), 72 + tonic + degree, t, t + beat / 2))
        for b in range(4):
            drums.notes.append(pretty_midi.Note(100, 36, start + b * beat, start + b * beat + 0.1))
    midi.instruments += [piano, melody, drums]
    path.parent.mkdir(parents=True, exist_ok=True)
    midi.write(str(path))
    return path


def write_folder(folder: Path, songs: int = 6, bars: int = 8) -> Path:
    """A corpus folder with songs in different keys and tempi, some in sub-folders."""
    for i in range(songs):
        sub = folder / f"album{i % 2}"
        write_song(sub / f"song{i}.mid", tonic=(i * 5) % 12, bpm=80 + 5 * i, bars=bars, seed=i)
    return folder
