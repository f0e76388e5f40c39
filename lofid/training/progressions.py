"""Learning the chord layer's progressions from POP909's ``chord_midi.txt`` annotations.

Each song's chords, moved to C major / A minor like its notes, are read as a chain of diatonic
roots (I ii iii IV V vi; chords outside the key are skipped, so the layer never leaves the key).
``learn`` counts second-order transitions between them and how often a bar holds two chords
instead of one; the table is stored in the model's .json, where lofid.compose.harmony reads it.
"""

from __future__ import annotations

import bisect
import json
from pathlib import Path

from lofid.compose.harmony import DIATONIC_CLASS
from lofid.model.encoding import CHORD_QUALITIES, chord_token
from lofid.music.annotations import read_beat_file, read_key_file
from lofid.paths import write_atomically

BOUNDARY_SLACK_S = 0.05  # seconds: a chord change this close before a beat counts as on it


def _degree(label: str, shift: int) -> int | None:
    """The diatonic root (model space) a Harte label moved by ``shift`` stands for, or None."""
    token = chord_token(label, shift)
    if token == 0:
        return None
    root, cls = divmod(token - 1, len(CHORD_QUALITIES))
    wanted = DIATONIC_CLASS.get(root)
    return root if wanted and CHORD_QUALITIES[cls] in (wanted if isinstance(wanted, tuple) else (wanted,)) else None


def song_progression(folder: Path) -> tuple[list[int], list[int]]:
    """A POP909 song folder -> (diatonic roots in order, repeats merged; each chord's length in beats)."""
    beats = read_beat_file(folder / "beat_midi.txt") or []
    segments = read_key_file(folder / "key_audio.txt")
    if not segments:
        raise ValueError(f"{folder}: no usable key_audio.txt")
    key_starts = [start for start, _, _ in segments]
    roots, lengths = [], []
    for line in (folder / "chord_midi.txt").read_text().splitlines():
        if not line.strip():
            continue
        start, end, label = line.split()
        i = max(0, bisect.bisect_right(key_starts, float(start)) - 1)
        root = _degree(label, segments[i][2])
        if beats:
            first_beat = bisect.bisect_left(beats, float(start) - BOUNDARY_SLACK_S)
            lengths.append(bisect.bisect_left(beats, float(end) - BOUNDARY_SLACK_S) - first_beat)
        if root is not None and (not roots or roots[-1] != root):
            roots.append(root)
    return roots, lengths


def learn(data: str | Path) -> dict:
    """The progression table from every annotated song under ``data``: second-order transition
    counts between diatonic roots, first-order as a fallback, and how often a bar holds two chords."""
    second: dict[str, dict[str, int]] = {}
    first: dict[str, dict[str, int]] = {}
    halves = wholes = songs = 0
    for chord_file in sorted(Path(data).rglob("chord_midi.txt")):
        try:
            roots, lengths = song_progression(chord_file.parent)
        except (OSError, ValueError, IndexError):
            continue  # a song without usable annotations teaches nothing
        songs += 1
        halves += sum(n == 2 for n in lengths)
        wholes += sum(n == 4 for n in lengths)
        for a, b in zip(roots, roots[1:]):
            first.setdefault(str(a), {}).setdefault(str(b), 0)
            first[str(a)][str(b)] += 1
        for a, b, c in zip(roots, roots[1:], roots[2:]):
            key = f"{a},{b}"
            second.setdefault(key, {}).setdefault(str(c), 0)
            second[key][str(c)] += 1
    if not songs:
        raise ValueError(f"{data}: no chord_midi.txt annotations found")
    split = (halves / 2) / (halves / 2 + wholes) if halves + wholes else 0.0
    return {"songs": songs, "split_bar": round(split, 3), "first": first, "second": second,
            "source": "POP909 chord_midi.txt, diatonic chords in C major / A minor"}


def relearn(data: str | Path, base: str | Path) -> int:
    """Learn the table from ``data`` into the existing model ``base``.json; returns the songs used."""
    path = Path(f"{base}.json")
    meta = json.loads(path.read_text())
    meta["harmony"] = learn(data)
    write_atomically(path, json.dumps(meta, indent=2) + "\n")
    return meta["harmony"]["songs"]
