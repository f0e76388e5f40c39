"""Progressions tagged with moods (free-midi-chords' Roman numerals) as loops of the loop table.

Ludovic Drolez's free-midi-chords project (MIT licence) lists 190 progressions as Roman numerals,
each with the moods it carries (Nostalgic, Hopeful, Relaxed, Sad, Mysterious, ...), in a CSV of
``mode,progression,moods``. Its numerals are read as its renderer (mingus) reads them:

- the numeral is a degree of the mode's scale (major: Ionian; minor: natural minor; modal: Ionian,
  the tonic shared), moved by its ``b``/``#``; its case is not its quality;
- the suffix is the quality: ``M`` major, ``m`` minor, ``dim``, ``sus2``/``sus4``, ``dom7`` and
  ``9`` a dominant, ``M7``/``M9``/``6``/``69`` major, ``m7``/``m9``/``m6``/``mM7`` minor; none,
  ``7``, ``add9`` or ``5`` the scale's own chord there (``7`` its seventh chord: V7 a dominant);
  a numeral with an accidental and no suffix takes its case. Other suffixes (``M-5``, ``M7+5``) are
  not lofid's chords: their progressions are left out;
- modal progressions are minor if they hold a minor tonic chord, else major;
- the chords, one a bar, fill lofid's 4-bar loop: three chords take bars 1, 2 and 3-4 (the last
  doubled, as the project renders them); five to eight share bars, the last bars holding two
  chords; longer ones are left out, and so are "Cadence" rows (endings, not loops);
- a loop under compose.loops.IN_KEY of its chord tones in its mode's scale is left out, as a
  drawn one would be (lofid's keys stay in key).

``merge`` adds them to a loop table: a loop POP909 already has takes their moods; a new one
enters with no songs, its moods and its source, and compose.loops draws it as if MOOD_SONGS songs
used it.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import NamedTuple

from lofid.compose.loops import IN_KEY, LOOP_BARS, decode_loop, encode_loop, in_key_share
from lofid.errors import LofidError

SOURCE = "free-midi-chords (Ludovic Drolez, MIT licence)"
NOT_MOODS = ("New", "Cadence")  # tags that mark a row, not a mood
IONIAN = (0, 2, 4, 5, 7, 9, 11)
AEOLIAN = (0, 2, 3, 5, 7, 8, 10)
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
_NUMERAL = re.compile(r"^([b#]*)(vii|iii|vi|iv|ii|v|i)(.*)$", re.IGNORECASE)
# Suffix -> class (compose.loops.CHORD_CLASS's values), or None for the scale's own chord there.
SUFFIXES: dict[str, str | None] = {
    "": None, "7": None, "add9": None, "5": None,
    "M": "maj", "M7": "maj", "M9": "maj", "M6": "maj", "6": "maj", "69": "maj",
    "m": "min", "m7": "min", "m9": "min", "m6": "min", "mM7": "min", "madd9": "min",
    "dim": "dim", "dim7": "dim", "sus2": "sus2", "sus4": "sus4", "dom7": "7", "9": "7",
}
_TRIADS: dict[tuple[int, ...], str] = {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}
_SEVENTHS: dict[tuple[int, ...], str] = {(4, 7, 10): "7", (4, 7, 11): "maj", (3, 7, 10): "min", (3, 6, 10): "dim",
                                         (3, 7, 11): "min"}


class MoodLoop(NamedTuple):
    loop: str  # compose.loops' text: "0:maj|9:min|5:maj|7:maj"
    moods: tuple[str, ...]  # as tagged: ("Hopeful", "Romantic")


class Progressions(NamedTuple):
    major: list[MoodLoop]
    minor: list[MoodLoop]
    left_out: int  # rows that did not become loops (cadences, chords lofid lacks, too long, out of key)


def _stacked(scale: tuple[int, ...], index: int, tones: int) -> tuple[int, ...]:
    """Intervals above degree ``index`` of ``scale`` of its chord in thirds: (third, fifth[, seventh])."""
    root = scale[index]
    return tuple((scale[(index + 2 * k) % 7] - root) % 12 for k in range(1, tones))


def chord(token: str, scale: tuple[int, ...]) -> tuple[int, str] | None:
    """A numeral -> (degree in semitones above the tonic, class); None for a chord lofid has no class for."""
    m = _NUMERAL.match(token)
    if m is None:
        raise ValueError(f"not a Roman numeral: {token!r}")
    accidentals, numeral, suffix = m.groups()
    if suffix not in SUFFIXES:
        return None
    index = ROMAN[numeral.lower()] - 1
    degree = (scale[index] + accidentals.count("#") - accidentals.count("b")) % 12
    cls = SUFFIXES[suffix]
    if cls is None and accidentals:
        cls = "maj" if numeral.isupper() else "min"
    if cls is None:
        cls = _SEVENTHS[_stacked(scale, index, 4)] if suffix == "7" else _TRIADS[_stacked(scale, index, 3)]
    return degree, cls


def bars_of(chords: list[tuple[int, str]]) -> list[list[tuple[int, str]]] | None:
    """Chords, one a bar, laid into LOOP_BARS bars (see the module docstring); None if they do not fit."""
    n = len(chords)
    if n < 3 or n > 2 * LOOP_BARS:
        return None
    if n == 3:
        return [[chords[0]], [chords[1]], [chords[2]], [chords[2]]]
    doubled = n - LOOP_BARS  # bars holding two chords, the last ones
    bars, i = [], 0
    for b in range(LOOP_BARS):
        take = 2 if b >= LOOP_BARS - doubled else 1
        bar = chords[i:i + take]
        bars.append(bar[:1] if len(bar) == 2 and bar[0] == bar[1] else bar)
        i += take
    return bars


def read_progressions(path: str | Path) -> Progressions:
    """The CSV as loops per mode, in file order, each loop once (the moods of its rows joined)."""
    try:
        with Path(path).open(newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise LofidError(f"{path}: cannot read the progressions ({e.strerror or e})") from None
    if not rows or not {"mode", "progression", "moods"} <= set(rows[0]):
        raise LofidError(f"{path}: not a progressions CSV (columns mode, progression, moods)")
    loops: dict[str, dict[str, list[str]]] = {"major": {}, "minor": {}}
    left_out = 0
    for row in rows:
        tags = row["moods"].split()
        mode = row["mode"].strip().lower()
        if "Cadence" in tags or mode not in ("major", "minor", "modal"):
            left_out += 1
            continue
        scale = AEOLIAN if mode == "minor" else IONIAN
        try:
            chords = [chord(token, scale) for token in row["progression"].split()]
        except ValueError as e:
            raise LofidError(f"{path}: {e}") from None
        minor = mode == "minor" or (mode == "modal" and (0, "min") in chords)
        bars = None if None in chords else bars_of(chords)  # type: ignore[arg-type]
        if bars is None or len({c for bar in bars for c in bar}) < 2:
            left_out += 1
            continue
        text = encode_loop(bars)
        if in_key_share(decode_loop(text), minor) < IN_KEY:
            left_out += 1
            continue
        moods = loops["minor" if minor else "major"].setdefault(text, [])
        moods += [t for t in tags if t not in NOT_MOODS and t not in moods]
    major, minor = ([MoodLoop(t, tuple(m)) for t, m in loops[mode].items()] for mode in ("major", "minor"))
    return Progressions(major, minor, left_out)


def merge(table: dict, progressions: Progressions) -> dict:
    """The loop table with the progressions in it (see the module docstring), its source noted."""
    loops = {mode: [dict(e) for e in entries] for mode, entries in table.get("loops", {}).items()}
    added = 0
    for mode in ("major", "minor"):
        entries = loops.setdefault(mode, [])
        known = {e["loop"]: e for e in entries}
        for p in getattr(progressions, mode):
            entry = known.get(p.loop)
            if entry is None:
                entry = {"loop": p.loop, "songs": 0, "source": SOURCE}
                entries.append(entry)
                known[p.loop] = entry
                added += 1
            entry["moods"] = list(dict.fromkeys([*entry.get("moods", []), *p.moods]))
    moods = {"source": SOURCE, "added": added, "left_out": progressions.left_out}
    return {**table, "loops": loops, "moods": moods}
