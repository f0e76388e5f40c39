"""Chord labels and spans: POP909's ``chord_midi.txt`` (Harte labels) and chords guessed per bar.

``lofid eval`` asks "is this melody note a chord tone?", so a chord here is just the set of
pitch classes it holds over a stretch of the 16th grid. Labels follow Harte et al. (2005), the
syntax POP909 uses: ``root:quality(extra,*removed)/bass``, e.g. ``C:maj``, ``A:min7``, ``G:7``,
``F#:maj/3``, ``D:sus4(b7)``, ``N`` (no chord).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lofid.music.keys import TONICS, pitch_name

# Harte shorthands -> intervals above the root (semitones).
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8), "sus2": (0, 2, 7), "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10), "dim7": (0, 3, 6, 9), "hdim7": (0, 3, 6, 10),
    "minmaj7": (0, 3, 7, 11), "maj6": (0, 4, 7, 9), "min6": (0, 3, 7, 9), "9": (0, 4, 7, 10, 2),
    "maj9": (0, 4, 7, 11, 2), "min9": (0, 3, 7, 10, 2), "5": (0, 7), "1": (0,),
    "13": (0, 4, 7, 10, 2, 9), "min11": (0, 3, 7, 10, 2, 5), "7sus4": (0, 5, 7, 10), "add9": (0, 4, 7, 2),
}
_DEGREES = {1: 0, 2: 2, 3: 4, 4: 5, 5: 7, 6: 9, 7: 11, 8: 0, 9: 2, 10: 4, 11: 5, 12: 7, 13: 9}
_LABEL = re.compile(r"^([A-G][#b]*)(?::([^(/]*))?(?:\(([^)]*)\))?(?:/([#b]*\d+))?$")
# Chords a bar is matched against when there is no annotation: the triads and sevenths of pop and lo-fi.
_ESTIMATE_QUALITIES = ("maj", "min", "7", "maj7", "min7", "dim")


@dataclass(frozen=True, slots=True)
class Chord:
    start: int  # first 16th of the span
    end: int  # 16th after it
    label: str  # Harte label; "N" = no chord
    pcs: frozenset[int]  # the pitch classes it holds; empty for "N"


def _degree(text: str) -> int:
    """``"b7"`` -> 10: a Harte interval degree as semitones above the root."""
    flats, sharps = text.count("b"), text.count("#")
    number = int(text.lstrip("b#"))
    if number not in _DEGREES:
        raise ValueError(f"no degree {number}")
    return _DEGREES[number] - flats + sharps


def _root(text: str) -> int:
    """``"Bb"`` -> 10: a Harte root's pitch class."""
    return (TONICS[text[0]] + text.count("#") - text[1:].count("b")) % 12


def chord_pitch_classes(label: str) -> frozenset[int]:
    """The pitch classes of a Harte label (the bass note counts); ValueError if it is not one."""
    label = label.strip()
    if label in ("N", "X"):
        return frozenset()
    m = _LABEL.match(label)
    if not m or m.group(1)[0] not in TONICS:
        raise ValueError(f"not a chord label: {label!r}")
    root_text, quality, extra, bass = m.groups()
    root = _root(root_text)
    if quality is None or quality == "":
        quality = "maj" if extra is None else "1"  # Harte: "C" is C:maj, "C:(1,3)" lists every note
    if quality not in QUALITIES:
        raise ValueError(f"unknown chord quality {quality!r} in {label!r}")
    intervals = set(QUALITIES[quality])
    for item in (extra or "").split(","):
        item = item.strip()
        if item.startswith("*"):
            intervals.discard(_degree(item[1:]) % 12)
        elif item:
            intervals.add(_degree(item) % 12)
    if bass:
        intervals.add(_degree(bass) % 12)
    return frozenset((root + i) % 12 for i in intervals)


def parse_label(label: str) -> tuple[int, str] | None:
    """``"Bb:min7/5"`` -> (10, "min7"): a Harte label's root pitch class and quality, None if unreadable."""
    m = _LABEL.match(label.strip())
    if not m or m.group(1)[0] not in TONICS:
        return None
    return _root(m.group(1)), m.group(2) or "maj"


def _templates() -> tuple[list[str], np.ndarray]:
    """Labels and unit-length pitch-class vectors of every estimable chord (12 roots x qualities)."""
    labels, vectors = [], []
    for quality in _ESTIMATE_QUALITIES:
        for root in range(12):
            v = np.zeros(12)
            v[[(root + i) % 12 for i in QUALITIES[quality]]] = 1.0
            labels.append(f"{pitch_name(root)}:{quality}")
            vectors.append(v / np.linalg.norm(v))
    return labels, np.array(vectors)


_TEMPLATE_LABELS, _TEMPLATE_VECTORS = _templates()


def best_chord(histogram: Sequence[float] | np.ndarray) -> str:
    """The chord whose pitch classes best match a duration-weighted pitch-class histogram (cosine
    similarity, so a 4-note chord does not win merely by covering more), "N" for an empty one.
    Ties go to the simpler chord (triads are listed first)."""
    h = np.asarray(histogram, dtype=np.float64)
    if not h.any():
        return "N"
    return _TEMPLATE_LABELS[int(np.argmax(_TEMPLATE_VECTORS @ (h / np.linalg.norm(h))))]


def estimate_chords(spans: Sequence[tuple[int, int, int]], bar_starts: Sequence[int], end: int) -> list[Chord]:
    """One chord per bar from (onset, release, pitch) notes in 16ths, each weighted by how long it
    sounds in the bar. ``bar_starts`` are the bars' first 16ths in order; the last bar ends at ``end``."""
    onset = np.array([s[0] for s in spans], dtype=np.int64)
    release = np.array([s[1] for s in spans], dtype=np.int64)
    pcs = np.array([s[2] for s in spans], dtype=np.int64) % 12
    edges = list(bar_starts) + [end]
    chords = []
    for a, b in zip(edges[:-1], edges[1:]):
        overlap = np.clip(np.minimum(release, b) - np.maximum(onset, a), 0, None)
        label = best_chord(np.bincount(pcs, weights=overlap, minlength=12))
        chords.append(Chord(a, b, label, chord_pitch_classes(label)))
    return chords
