"""The note generator (window -> model -> sampling -> Note) and the ``lofid generate`` command.

``NoteGenerator`` is the loop the daemon's producer thread runs and that ``lofid generate``
writes to a MIDI file. The model thinks in C major / A minor; the window holds notes in that
space and each note is transposed to ``music.key`` only on the way out, so a key change takes
effect on the next note without confusing the model's context.

Without a primer it starts from a short lo-fi ii-V-I-vi phrase written here (never notes
taken from the training corpus).
"""

from __future__ import annotations

import argparse
import logging
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from lofid.config import Config
from lofid.errors import LofidError
from lofid.inference import NoteModel, load_model
from lofid.notes import MAX_STEP, STEPS_PER_BEAT, Note, fold_pitch, from_row, notes_from_onsets, to_rows
from lofid.sampling import Sampler

log = logging.getLogger("lofid")

_PITCH_CLASS = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6, "G": 7,
                "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}
MAX_REWIND = 4096  # the largest note queue the settings allow: the daemon never discards more


def key_offset(key: str) -> int:
    """Semitones from C to ``key``, -5..+6, so the music moves as little as possible."""
    pc = _PITCH_CLASS[key]
    return pc - 12 if pc > 6 else pc


def _lofi_primer() -> list[Note]:
    """Four bars in C: Dm9 - G13 - Cmaj9 - Am9 half-bar voicings under a lazy melody."""
    bar = 4 * STEPS_PER_BEAT
    chords = ((50, 53, 57, 60, 64), (43, 53, 57, 59, 64), (48, 52, 55, 59, 62), (45, 55, 60, 64, 71))
    melody = (((4, 69, 2), (6, 72, 4), (12, 74, 3)), ((2, 71, 2), (4, 67, 6), (14, 65, 2)),
              ((0, 64, 6), (8, 67, 2), (10, 71, 5)), ((3, 72, 3), (6, 69, 4), (12, 67, 4)))
    events = []
    for i, (voicing, line) in enumerate(zip(chords, melody)):
        events += [(i * bar, p, bar - 2, 56, "keys") for p in voicing]
        events += [(i * bar + at, p, d, 72, "keys") for at, p, d in line]
    return notes_from_onsets(events)


PRIMER: tuple[Note, ...] = tuple(_lofi_primer())


class NoteGenerator:
    """Writes notes one at a time from a sliding window of the last ``generation.window`` notes.

    Thread-safe: the producer thread calls ``next_note`` while the control thread may call
    ``update``, ``reset`` or ``rewind``; each call sees the others whole.
    """

    def __init__(self, cfg: Config, seed: int | None = None, primer: Sequence[Note] | None = None) -> None:
        self._lock = threading.Lock()
        self._cfg = cfg
        self._model: NoteModel = load_model(cfg["model.path"], cfg["model.backend"], cfg["generation.window"])
        self._sampler = Sampler(cfg["generation.temperature"], cfg["generation.top_p"], seed)
        self._offset = key_offset(cfg["music.key"])
        self._history: list[tuple[int, int, int, int]] = []
        self._generated = 0
        self.reset(primer)

    @property
    def window(self) -> int:
        return self._model.window

    def reset(self, primer: Sequence[Note] | None = None) -> None:
        """Start a fresh phrase from ``primer`` (model-space notes, C major / A minor) or the built-in one.

        A primer shorter than the window is repeated to fill it.
        """
        rows = to_rows(primer if primer else PRIMER)
        if len(rows) == 0:
            raise LofidError("the primer has no notes")
        rows = np.concatenate([rows] * -(-self.window // len(rows)))[-self.window:]
        with self._lock:
            self._history = [tuple(int(v) for v in r) for r in rows]
            self._generated = 0

    def next_note(self) -> Note:
        """One step: the window through the model, sampled, transposed to ``music.key``."""
        with self._lock:
            window = np.asarray(self._history[-self.window:], dtype=np.int32)
            row = self._sampler.sample(self._model.heads(self._model.logits(window)))
            self._history.append(tuple(int(v) for v in row))
            self._generated += 1
            if len(self._history) > 2 * (self.window + MAX_REWIND):
                del self._history[:len(self._history) - (self.window + MAX_REWIND)]
            offset = self._offset
        note = from_row(row)
        return Note(fold_pitch(note.pitch + offset), min(note.step, MAX_STEP), note.duration, note.velocity, note.part)

    def notes(self, n: int) -> list[Note]:
        return [self.next_note() for _ in range(n)]

    def rewind(self, n: int) -> None:
        """Forget the last ``n`` generated notes (never the primer), so they are written again."""
        with self._lock:
            n = max(0, min(n, self._generated, len(self._history) - self.window))
            if n:
                del self._history[-n:]
                self._generated -= n

    def update(self, cfg: Config) -> None:
        """Apply live settings (temperature, top_p, key; a new model path or backend reloads it)."""
        reload = any(cfg[k] != self._cfg[k] for k in ("model.path", "model.backend", "generation.window"))
        model = load_model(cfg["model.path"], cfg["model.backend"], cfg["generation.window"]) if reload else None
        with self._lock:
            if model is not None:
                if model.window != self._model.window:
                    raise LofidError(f"the new model's window ({model.window}) differs from the playing one")
                self._model = model
            self._sampler.configure(cfg["generation.temperature"], cfg["generation.top_p"])
            self._offset = key_offset(cfg["music.key"])
            self._cfg = cfg


# ---- the `lofid generate` command ----

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notes", type=int, default=256, help="how many notes to write (default 256)")
    parser.add_argument("--output", required=True, metavar="FILE.mid", help="the MIDI file to write")
    parser.add_argument("--temperature", type=float, help="sampling temperature (default generation.temperature)")
    parser.add_argument("--seed", type=int, help="random seed: the same seed writes the same file")
    parser.add_argument("--primer", metavar="FILE.mid", help="start from this MIDI file's notes (key-normalised)")


def read_primer(path: str) -> list[Note]:
    """A MIDI file's notes moved to C major / A minor, as the model expects its window."""
    from lofid.corpus import song_rows

    rows = song_rows(Path(path))
    if len(rows) == 0:
        raise LofidError(f"{path}: the primer has no notes")
    return [from_row(r) for r in rows]


def main(args: argparse.Namespace) -> int:
    if args.notes < 1:
        raise LofidError(f"--notes must be at least 1, got {args.notes}")
    cfg: Config = args.cfg
    if args.temperature is not None:
        cfg = cfg.replace({"generation.temperature": args.temperature})
    seed = args.seed if args.seed is not None else cfg["generation.seed"]
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**31 - 1))
    primer = read_primer(args.primer) if args.primer else None
    generator = NoteGenerator(cfg, seed=seed, primer=primer)
    notes = generator.notes(args.notes)
    from lofid.notes import part_programs, write_midi

    write_midi(notes, args.output, cfg["music.bpm"], part_programs(cfg))
    log.info("wrote %d notes to %s (seed %d, temperature %g, key %s)", len(notes), args.output, seed,
             cfg["generation.temperature"], cfg["music.key"])
    return 0
