"""A folder of MIDI files -> key-normalised note rows per song -> training sequences (tf.data).

Every song is transposed to C major / A minor before training, so the model learns one key
and the player moves its output to ``music.key``; this uses POP909's ``key_audio.txt`` (one key
per segment, so key changes are followed) and otherwise estimates the key from the notes.
Songs, not windows, are split into training and validation, so validation measures music the
model has never seen.
"""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from lofid.errors import LofidError
from lofid.chords import chord_token, estimate_chords, read_chord_file
from lofid.notes import (BAR, COLUMNS, HEADS, PART_TRACKS, STEPS_PER_BEAT, TONICS, BeatGrid, downbeat_index,
                         fold_pitch, load_midi, midi_to_events, notes_from_onsets, read_beat_file, song_beats, to_rows,
                         with_context)

log = logging.getLogger("lofid")

MIDI_SUFFIXES = (".mid", ".midi")
MELODY_TRACKS = ("MELODY", "BRIDGE")  # POP909's lead lines: what the shipped model learns (--tracks)
# Krumhansl-Kessler key profiles, for files that do not say their key.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def key_shift(tonic: int, minor: bool) -> int:
    """Semitones (-5..+6) that move a key to C major, or A minor for a minor key."""
    target = 9 if minor else 0
    return (target - tonic + 5) % 12 - 5


def parse_key(name: str) -> tuple[int, bool] | None:
    """``"Gb:maj"`` -> (6, False); None if it is not a key name."""
    tonic, _, mode = name.strip().partition(":")
    if tonic not in TONICS or mode not in ("maj", "min", ""):
        return None
    return TONICS[tonic], mode == "min"


def read_key_file(path: Path) -> list[tuple[float, float, int]]:
    """(start, end, shift) segments from a POP909 ``key_audio.txt``; [] when absent or unusable."""
    try:
        lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
        segments = []
        for start, end, name in lines:
            key = parse_key(name)
            if key is None:
                return []
            segments.append((float(start), float(end), key_shift(*key)))
        return segments
    except (OSError, ValueError):
        return []


def estimate_shift(pitches: Sequence[int], weights: Sequence[float]) -> int:
    """Key-normalising shift of a song with no key annotation (Krumhansl-Schmuckler estimate)."""
    hist = np.bincount(np.asarray(pitches) % 12, weights=np.asarray(weights, dtype=np.float64), minlength=12)
    if not hist.any():
        return 0
    best = max(((np.corrcoef(hist, np.roll(profile, tonic))[0, 1], tonic, minor)
                for tonic in range(12) for minor, profile in ((False, _MAJOR), (True, _MINOR))),
               key=lambda t: t[0])
    return key_shift(best[1], best[2])


def normalise_key(midi, key_file: Path | None = None) -> list[tuple[float, float, int]]:
    """Transpose a pretty_midi object in place to C major / A minor (segment by segment if annotated).

    Returns the (start, end, shift) segments used, in seconds, so annotations can follow the notes.
    """
    notes = [n for inst in midi.instruments if not inst.is_drum for n in inst.notes]
    segments = read_key_file(key_file) if key_file else []
    if not segments:
        shift = estimate_shift([n.pitch for n in notes], [n.end - n.start for n in notes])
        segments = [(float("-inf"), float("inf"), shift)]
    starts = np.array([s for s, _, _ in segments])
    for n in notes:
        i = max(0, int(np.searchsorted(starts, n.start, side="right")) - 1)
        n.pitch = fold_pitch(n.pitch + segments[i][2])
    return segments


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


def midi_files(folder: Path) -> list[Path]:
    """Every .mid/.midi under ``folder`` (recursively), in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())


def song_rows(path: Path, tracks: Sequence[str] | None = None) -> np.ndarray:
    """One file's key-normalised model rows (n, 6): each note with the chord under it and its 16th
    in the bar. Raises LofidError when the file cannot be read."""
    midi = load_midi(path)
    segments = normalise_key(midi, path.parent / "key_audio.txt")
    beat_file = path.parent / "beat_midi.txt"
    beats = song_beats(midi, read_beat_file(beat_file))
    if len(beats) < 2:
        return np.zeros((0, len(COLUMNS)), np.int32)
    grid = BeatGrid(beats)
    events = midi_to_events(midi, tracks, grid, PART_TRACKS)
    if not events:
        return np.zeros((0, len(COLUMNS)), np.int32)
    downbeat = downbeat_index(beat_file, midi, beats) * STEPS_PER_BEAT
    onsets = np.array([e[0] for e in events])
    chords = song_chords(path.parent / "chord_midi.txt", midi, tracks, grid, segments, downbeat)
    starts = np.array([start for start, _, _ in chords] or [0])
    index = np.searchsorted(starts, onsets, side="right") - 1
    tokens = [chords[i][2] if i >= 0 and chords[i][1] > onset else 0 for i, onset in zip(index, onsets)]
    return with_context(to_rows(notes_from_onsets(events)), tokens, onsets - downbeat)


def song_chords(chord_file: Path, midi, tracks: Sequence[str] | None, grid: BeatGrid,
                segments: Sequence[tuple[float, float, int]], downbeat: int) -> list[tuple[int, int, int]]:
    """(start 16th, end 16th, chord token) spans in the normalised key, in time order.

    POP909's ``chord_midi.txt`` when present (each chord moved by its key segment's shift), else
    one chord per bar estimated from the tracks not learnt from (all tracks if every one is).
    """
    if chord_file.is_file():
        key_starts = grid.position(np.array([max(start, -1e9) for start, _, _ in segments]))
        spans = []
        for chord in read_chord_file(chord_file, grid.position):
            i = max(0, int(np.searchsorted(key_starts, chord.start, side="right")) - 1)
            spans.append((chord.start, chord.end, chord_token(chord.label, segments[i][2])))
        return spans
    wanted = {t.lower() for t in tracks} if tracks else None
    backing = [inst for inst in midi.instruments if not inst.is_drum and inst.notes and
               (wanted is None or (inst.name or "").strip().lower() not in wanted)]
    if not backing:
        backing = [inst for inst in midi.instruments if not inst.is_drum]
    notes = [n for inst in backing for n in inst.notes]
    if not notes:
        return []
    starts, ends = grid.position([n.start for n in notes]), grid.position([n.end for n in notes])
    spans = [(int(a), int(b), n.pitch) for n, a, b in zip(notes, starts, ends)]
    first = downbeat + (min(a for a, _, _ in spans) - downbeat) // BAR * BAR
    end = max(b for _, b, _ in spans)
    return [(c.start, c.end, chord_token(c.label)) for c in estimate_chords(spans, list(range(first, end, BAR)), end)]


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
