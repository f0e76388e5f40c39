"""Copy rate: how much of a piece is a verbatim 15-note run of the training corpus.

A seed's measure of over-fitting. Both sides are compared as the model sees music: every song is
moved to C major / A minor by lofid.model.songs' own key normalisation (POP909's key_audio.txt, else a
Krumhansl-Schmuckler estimate) and read as pitch streams in onset-then-pitch order (see STREAMS). A 15-note run
is the same as a corpus run when its pitches are equal after moving the whole run by whole octaves:
the key is (first pitch class, the 14 intervals). The octave allowance matters because key
normalisation moves a song by -5..+6 semitones, so the same tune written in C and in G ends up an
octave apart; a copy in another key is still caught, since both are first normalised to C.

The corpus index is a sorted array of 64-bit hashes of those keys (collisions: about one in 2^64
per pair), built once per corpus state and cached under $XDG_CACHE_HOME/lofid, never in the checkout.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from lofid.errors import LofidError
from lofid.model.songs import song_rows
from lofid.music.annotations import MELODY_TRACKS
from lofid.music.midi import midi_files
from lofid.paths import cache_dir, write_atomically

log = logging.getLogger("lofid")

NGRAM = 15  # notes in a run compared with the corpus
_FORMAT = 2  # bump when the key, the hash or the streams change, so old caches are not read
# Each song is indexed as every track together, and as its melody tracks alone (what the note model
# learns from, lofid.music.annotations.MELODY_TRACKS) and its MELODY track alone (what lofid eval calls the tune).
STREAMS = (None, MELODY_TRACKS, MELODY_TRACKS[:1])
_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (golden ratio)


def ngram_hashes(pitches: ArrayLike, n: int = NGRAM) -> np.ndarray:
    """Hash of every run of ``n`` pitches, moved by octaves to one canonical place."""
    p = np.asarray(pitches, dtype=np.int64)
    if len(p) < n:
        return np.zeros(0, dtype=np.uint64)
    runs = np.lib.stride_tricks.sliding_window_view(p, n)
    keys = np.concatenate([runs[:, :1] % 12, np.diff(runs, axis=1) + 128], axis=1).astype(np.uint64)
    h = np.zeros(len(keys), dtype=np.uint64)
    for column in keys.T:
        h = h * _BASE + column + np.uint64(1)
    return h ^ (h >> np.uint64(29))


def copy_rate(pitches: Sequence[int], index: np.ndarray) -> float | None:
    """Share of the piece's 15-note runs found in ``index`` (None if the piece is shorter than one run)."""
    runs = ngram_hashes(pitches)
    if len(runs) == 0:
        return None
    return float(np.isin(runs, index, assume_unique=False).mean())


def _fingerprint(folder: Path, files: Sequence[Path]) -> str:
    """Changes when any MIDI file or the annotations that move it (key, beats) change."""
    digest = hashlib.sha256(f"{_FORMAT} {NGRAM} {folder.resolve()}".encode())
    for path in files:
        for p in (path, path.parent / "key_audio.txt", path.parent / "beat_midi.txt"):
            try:
                st = p.stat()
                digest.update(f"{p.relative_to(folder)} {st.st_size} {st.st_mtime_ns}\n".encode())
            except OSError:
                digest.update(f"{p.relative_to(folder)} -\n".encode())
    return digest.hexdigest()[:24]


def build_index(files: Sequence[Path]) -> tuple[np.ndarray, int]:
    """Sorted unique run hashes of every readable file, and how many files could not be read."""
    parts, unreadable = [], 0
    for path in files:
        try:
            parts += [ngram_hashes(song_rows(path, tracks)[:, 0]) for tracks in STREAMS]
        except Exception:  # LofidError or a file that parses but is broken: skip it, as training does
            unreadable += 1
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.uint64), unreadable


def corpus_index(folder: str | os.PathLike) -> np.ndarray:
    """The index of a corpus folder, from the cache when the folder has not changed."""
    root = Path(folder)
    if not root.is_dir():
        raise LofidError(f"{root}: no such corpus folder")
    files = midi_files(root)
    if not files:
        raise LofidError(f"{root}: no MIDI files in the corpus folder")
    cached = cache_dir() / f"copy-index-{_fingerprint(root, files)}.npy"
    try:
        return np.load(cached)
    except (OSError, ValueError):
        pass
    log.info("indexing the %d MIDI files under %s for the copy rate (once; cached in %s)", len(files), root,
             cached.parent)
    index, unreadable = build_index(files)
    if unreadable:
        log.warning("copy rate: skipped %d unreadable MIDI file%s in %s", unreadable, "s" * (unreadable > 1), root)
    if len(index) == 0:
        raise LofidError(f"{root}: no song in the corpus has {NGRAM} notes")
    try:
        buffer = io.BytesIO()
        np.save(buffer, index)
        write_atomically(cached, buffer.getvalue())
    except OSError as e:
        log.warning("copy rate: cannot cache the index in %s (%s)", cached.parent, e.strerror or e)
    return index
