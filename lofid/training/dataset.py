"""A folder of MIDI files -> key-normalised note rows per song -> training sequences (tf.data).

Every song is read as model rows (lofid.model.songs: moved to C major / A minor, so the model
learns one key and the player moves its output to ``music.key``). Songs, not windows, are split
into training and validation, so validation measures music the model has never seen.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lofid.errors import LofidError
from lofid.model.encoding import COLUMNS, HEADS
from lofid.model.songs import song_rows
from lofid.music.midi import midi_files

log = logging.getLogger("lofid")


@dataclass
class Corpus:
    """Key-normalised model rows, one (n, 6) array per song, split by song."""

    train: list[np.ndarray] = field(default_factory=list)
    val: list[np.ndarray] = field(default_factory=list)
    files: int = 0
    unreadable: int = 0
    too_short: int = 0

    def summary(self) -> dict:
        return {"files": self.files, "unreadable": self.unreadable, "too_short": self.too_short,
                "train_songs": len(self.train), "val_songs": len(self.val),
                "train_notes": int(sum(len(s) for s in self.train)), "val_notes": int(sum(len(s) for s in self.val))}


def load_corpus(folder: str | os.PathLike, window: int, tracks: Sequence[str] | None = None,
                val_fraction: float = 0.1, seed: int = 0) -> Corpus:
    """Read every usable song under ``folder``. Unreadable files are skipped and counted in one warning."""
    root = Path(folder)
    if not root.is_dir():
        raise LofidError(f"{root}: no such folder of MIDI files")
    files = midi_files(root)
    songs, failures, too_short = [], [], 0
    for path in files:
        try:
            rows = song_rows(path, tracks)
        except LofidError as e:
            failures.append(str(e))
            continue
        except Exception as e:  # a file that parses but has broken timing or tracks: skip it the same way
            failures.append(f"{path}: {e.__class__.__name__}: {e}")
            continue
        if len(rows) > window:
            songs.append(rows)
        else:
            too_short += 1
    if failures:
        log.warning("skipped %d unreadable MIDI file%s (first: %s)", len(failures), "s" * (len(failures) > 1),
                    failures[0])
    if not songs:
        which = f" in tracks {', '.join(tracks)}" if tracks else ""
        raise LofidError(f"{root}: no usable notes{which} ({len(files)} MIDI files, {len(failures)} unreadable, "
                         f"{too_short} with {window} notes or fewer)")
    random.Random(seed).shuffle(songs)
    n_val = max(1, round(len(songs) * val_fraction)) if len(songs) >= 2 and val_fraction > 0 else 0
    return Corpus(train=songs[n_val:], val=songs[:n_val], files=len(files), unreadable=len(failures),
                  too_short=too_short)


def sequences(songs: Sequence[np.ndarray], window: int) -> np.ndarray:
    """Non-overlapping (window + 1)-note pieces of each song: inputs are [:-1], targets [1:].

    Sequence-to-sequence: every position of a piece is a training target, so each note is
    learnt once per epoch at about 1/window of the cost of one window per target.
    """
    length = window + 1
    pieces = [song[i:i + length] for song in songs for i in range(0, len(song) - length + 1, window)]
    return np.stack(pieces).astype(np.int32) if pieces else np.zeros((0, length, len(COLUMNS)), np.int32)


def dataset(seqs: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0):
    """A tf.data pipeline of (inputs (b, window, 6), {head: targets (b, window)}): each position is
    told its own note, chord and place in the bar, and learns the next note."""
    import tensorflow as tf

    def split(seq):
        return seq[:, :-1], {head: seq[:, 1:, i] for i, head in enumerate(HEADS)}

    ds = tf.data.Dataset.from_tensor_slices(seqs)
    if shuffle:
        ds = ds.shuffle(len(seqs), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).map(split, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
