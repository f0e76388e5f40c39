"""A track's chord loop: a 4- or 8-bar progression drawn from the loops POP909's songs repeat,
coloured the lo-fi way, and its variation for the track's B part.

- **Table.** lofid.training.loops learns, per mode, the 4-bar loops POP909's songs repeat and how
  many songs use each. A loop is text: bars split by ``|``, a bar's one or two chords as
  ``degree:class`` (``"0:maj|9:min|2:min|7:maj"`` is I vi ii V), the degree in semitones above the
  tonic (a minor key counts from its minor tonic), the class one of ``CHORD_CLASS``'s values.
  Without a table (a tiny test model), a few classic loops stand in.
- **Drawing.** A loop's weight is its songs ** (1 / TEMPERATURE). The table may also hold
  progressions tagged with moods (lofid.training.progressions, from free-midi-chords: ``"moods"``,
  and ``"songs": 0`` where POP909 has none); MOOD_SHARE of the draws go to those, evenly. Eight
  bars are two different loops, or one loop and its variation.
- **Colour.** Each chord of the loop takes one lo-fi voicing wherever it recurs (``_COLOURS``:
  I and IV maj7/maj9, ii and vi min7/min9, V 7/9/13, secondary dominants 7...); sometimes a
  whole-bar V becomes ii | V, and a major loop's IV becomes IV | iv (the borrowed minor iv).
- **In key.** A drawn loop keeps at least IN_KEY of its chord tones in the key's scale
  (``in_key_share``), so the chords alone never pull a track under it; a loop that would is drawn
  again. Borrowed chords and secondary dominants stay occasional that way: half a bar of
  one fits a 4-bar loop, a whole bar only an 8-bar one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from lofid.music.chords import QUALITIES
from lofid.music.keys import MAJOR_SCALE, RELATIVE_MINOR
from lofid.music.notes import BAR

HALF = BAR // 2  # 16ths: a bar holds one chord or two half-bar ones
LOOP_BARS = 4  # bars of a learnt loop; an 8-bar loop is two of them
TEMPERATURE = 0.5  # weight = songs ** (1 / TEMPERATURE): songs squared favours the loops many songs share
TWO_LOOPS = 0.5  # chance an 8-bar loop is two learnt loops rather than one and its variation
II_V = 0.35  # chance a loop's first whole-bar V becomes ii | V
BORROWED_IV = 0.25  # chance a major loop's last whole-bar IV becomes IV | iv
IN_KEY = 0.95  # share of a loop's chord tones that must lie in the key's scale (in_key_share)
DRAWS = 8  # loops tried from the table before the classic ones stand in
MOOD_SHARE = 0.25  # of the draws that go to the loops tagged with moods (free-midi-chords'), shared evenly
TAG_WEIGHT = 4.0  # how much likelier a loop tagged (its "moods") with one of a mood's tags is drawn

# A mode's scale as pitch classes above its tonic (major; natural minor).
SCALES = {False: MAJOR_SCALE, True: frozenset((pc - RELATIVE_MINOR) % 12 for pc in MAJOR_SCALE)}
# Harte quality (as annotated or as voiced) -> its class, the level at which loops are learnt and
# matched: C:maj7 is a maj chord; a dominant 7 stays its own class, since it may be a secondary dominant.
CHORD_CLASS = {"maj": "maj", "maj7": "maj", "maj9": "maj", "maj6": "maj",
               "min": "min", "min7": "min", "min9": "min", "min6": "min", "minmaj7": "min",
               "7": "7", "9": "7", "13": "7", "dim": "dim", "hdim7": "dim", "dim7": "dim",
               "aug": "aug", "sus2": "sus2", "sus4": "sus4"}
# (minor, class, degree) -> the voicings that chord may take, one drawn per loop; else _PLAIN[class].
_COLOURS: dict[tuple[bool, str, int], tuple[str, ...]] = {
    (False, "maj", 0): ("maj7", "maj9"), (False, "maj", 5): ("maj7", "maj9"),
    (False, "min", 2): ("min7", "min9"), (False, "min", 9): ("min7", "min9"),  # iii: min7, its 9th is off the key
    (False, "maj", 7): ("7", "9", "13"), (False, "7", 7): ("7", "9", "13"),
    (False, "maj", 2): ("7",), (False, "maj", 4): ("7",), (False, "maj", 9): ("7",), (False, "maj", 11): ("7",),
    (False, "maj", 10): ("7",),  # bVII: the backdoor dominant
    (False, "min", 5): ("min6",),  # the borrowed iv: of ivm6 only the minor third leaves the key
    (True, "min", 0): ("min7", "min9"), (True, "min", 5): ("min7", "min9"),
    (True, "maj", 3): ("maj7", "maj9"), (True, "maj", 8): ("maj7", "maj9"), (True, "maj", 10): ("7", "9"),
    (True, "maj", 7): ("7",), (True, "maj", 5): ("7",),
}
_PLAIN = {"maj": "maj7", "min": "min7", "7": "7", "dim": "hdim7", "aug": "aug", "sus2": "sus2", "sus4": "sus4"}
# (degree, class) -> chords of the same function sharing two tones with it: what a variation may
# put in its place, per mode.
_RELATIVES: dict[bool, dict[tuple[int, str], tuple[tuple[int, str], ...]]] = {
    False: {(0, "maj"): ((9, "min"), (4, "min")), (2, "min"): ((5, "maj"),), (4, "min"): ((0, "maj"), (7, "maj")),
            (5, "maj"): ((2, "min"),), (7, "maj"): ((11, "dim"), (7, "sus4")), (9, "min"): ((0, "maj"), (5, "maj"))},
    True: {(0, "min"): ((3, "maj"), (8, "maj")), (3, "maj"): ((0, "min"), (7, "min")), (5, "min"): ((2, "dim"), (8, "maj")),
           (7, "min"): ((10, "maj"),), (7, "maj"): ((7, "min"),), (8, "maj"): ((5, "min"), (0, "min")),
           (10, "maj"): ((7, "min"), (2, "dim"))},
}
# Chords a variation may end its last bar on instead (the turnaround), per mode.
_TURNAROUNDS = {False: ((7, "7"), (5, "maj"), (2, "min")), True: ((10, "maj"), (7, "min"), (5, "min"))}
# Loops that stand in when there is no table, one song each (so drawn uniformly).
_CLASSIC = {
    False: ("0:maj|9:min|2:min|7:maj", "2:min|7:maj|0:maj|9:min", "0:maj|7:maj|9:min|5:maj",
            "9:min|5:maj|0:maj|7:maj", "5:maj|7:maj|4:min|9:min"),
    True: ("0:min|5:min|10:maj|3:maj", "0:min|8:maj|3:maj|10:maj", "0:min|10:maj|8:maj|10:maj",
           "0:min|3:maj|5:min|8:maj"),
}


def chord_tones(root: int, quality: str) -> frozenset[int]:
    """The pitch classes of a chord on ``root`` (any reference) voiced as ``quality``."""
    return frozenset((root + i) % 12 for i in QUALITIES[quality])


@dataclasses.dataclass(frozen=True, slots=True)
class LoopChord:
    start: int  # 16ths from the loop's start
    length: int  # 16ths
    root: int  # pitch class relative to the track's tonic (a minor track counts from its minor tonic)
    quality: str  # Harte quality as voiced: "maj7", "min9", "13", ...; a class of CHORD_CLASS before colouring

    def __post_init__(self) -> None:
        if self.quality not in QUALITIES:
            raise ValueError(f"unknown chord quality {self.quality!r}")

    @property
    def pitch_classes(self) -> frozenset[int]:
        """Relative to the tonic, like ``root``."""
        return chord_tones(self.root, self.quality)


Loop = tuple[LoopChord, ...]


def encode_loop(bars: Iterable[Iterable[tuple[int, str]]]) -> str:
    """Bars of (degree, class) chords -> the table's text: ``"0:maj|7:7 9:min|5:maj|0:maj"``."""
    return "|".join(" ".join(f"{degree}:{cls}" for degree, cls in bar) for bar in bars)


def decode_loop(text: str) -> Loop:
    """The table's text -> its chords, unvoiced (quality = class), a two-chord bar split in halves."""
    chords = []
    for b, bar in enumerate(text.split("|")):
        items = bar.split()
        for i, item in enumerate(items):
            degree, cls = item.split(":")
            chords.append(LoopChord(b * BAR + i * BAR // len(items), BAR // len(items), int(degree) % 12, cls))
    return tuple(chords)


def in_key_share(loop: Loop, minor: bool) -> float:
    """The share of the loop's chord tones in the mode's scale, each chord weighted by its 16ths
    (not by its tones, so a richer voicing does not let a chromatic chord in)."""
    inside = sum(c.length * len(c.pitch_classes & SCALES[minor]) / len(c.pitch_classes) for c in loop)
    return inside / sum(c.length for c in loop)


def _choices(table: dict | None, minor: bool) -> tuple[list[str], np.ndarray]:
    """The loops a draw picks from (the table's for the mode, else the classic ones) and their
    probabilities: by POP909's songs, and MOOD_SHARE shared evenly by the mood-tagged loops."""
    entries = ((table or {}).get("loops") or {}).get("minor" if minor else "major")
    texts = [e["loop"] for e in entries] if entries else list(_CLASSIC[minor])
    songs = np.array([e["songs"] for e in entries] if entries else [1] * len(texts), dtype=np.float64)
    weights = songs ** (1.0 / TEMPERATURE)
    tagged = np.array([bool(e.get("moods")) for e in entries] if entries else [False] * len(texts))
    p = weights / weights.sum() if weights.any() else np.full(len(texts), 1.0 / len(texts))
    if tagged.any():
        p = (1.0 - MOOD_SHARE) * p + MOOD_SHARE * tagged / tagged.sum()
    return texts, p / p.sum()


def _favoured(table: dict | None, minor: bool, p: np.ndarray, tags: Iterable[str]) -> np.ndarray:
    """``p`` (the table's loops' probabilities) with the loops tagged with one of ``tags`` (a mood's)
    TAG_WEIGHT times likelier; unchanged where none is tagged so."""
    entries = ((table or {}).get("loops") or {}).get("minor" if minor else "major") or []
    wanted = set(tags)
    weights = np.array([TAG_WEIGHT if wanted & set(e.get("moods") or ()) else 1.0 for e in entries])
    if not wanted or len(weights) != len(p) or not (weights > 1.0).any():
        return p
    return p * weights / (p * weights).sum()


def _voicings(minor: bool, degree: int, cls: str) -> tuple[str, ...]:
    return _COLOURS.get((minor, cls, degree), (_PLAIN[cls],))


def _identity(minor: bool, degree: int, cls: str) -> tuple[int, str]:
    """(degree, class of its voicings): what makes two chords of a loop the same chord. A major V and
    a V7 are one chord (both voiced as dominants); a voiced chord keeps the identity it had unvoiced."""
    return degree, CHORD_CLASS[_voicings(minor, degree, cls)[0]]


def _chord_id(chord: LoopChord, minor: bool) -> tuple[int, str]:
    return _identity(minor, chord.root, CHORD_CLASS[chord.quality])


def _colour(loop: Loop, rng: np.random.Generator, minor: bool, known: dict[tuple[int, str], str] | None = None) -> Loop:
    """Each chord of the loop voiced once (``known`` ones as they are), the same wherever it recurs."""
    voiced = dict(known or {})
    for chord in loop:
        key = _chord_id(chord, minor)
        if key not in voiced:
            options = _voicings(minor, chord.root, CHORD_CLASS[chord.quality])
            voiced[key] = options[int(rng.integers(len(options)))]
    return tuple(dataclasses.replace(c, quality=voiced[_chord_id(c, minor)]) for c in loop)


def _split(loop: Loop, i: int, first: tuple[int, str], second: tuple[int, str]) -> Loop:
    """Chord ``i`` (a whole bar) replaced by ``first`` | ``second`` in halves."""
    c = loop[i]
    halves = (LoopChord(c.start, HALF, *first), LoopChord(c.start + HALF, HALF, *second))
    return loop[:i] + halves + loop[i + 1:]


def _ii(minor: bool) -> tuple[int, str]:
    return (2, "dim") if minor else (2, "min")


def _dress(loop: Loop, rng: np.random.Generator, minor: bool) -> Loop:
    """The structural colour: maybe a ii-V into the first whole-bar V that no ii leads into, maybe
    (major only) IV | iv for the last whole-bar IV. Always draws two numbers."""
    ii_v, borrow = rng.random() < II_V, rng.random() < BORROWED_IV
    whole = [i for i, c in enumerate(loop) if c.length == BAR]
    if ii_v:
        dominant = [i for i in whole if _chord_id(loop[i], minor) == (7, "7") and loop[i - 1].root != 2]
        if dominant:
            loop = _split(loop, dominant[0], _ii(minor), (7, "7"))
            whole = [i for i, c in enumerate(loop) if c.length == BAR]
    if borrow and not minor:
        fours = [i for i in whole if _chord_id(loop[i], minor) == (5, "maj")]
        if fours:
            loop = _split(loop, fours[-1], (5, "maj"), (5, "min"))
    return loop


def _join(first: Loop, second: Loop) -> Loop:
    offset = first[-1].start + first[-1].length
    return first + tuple(dataclasses.replace(c, start=c.start + offset) for c in second)


def _draw_once(texts: list[str], p: np.ndarray, rng: np.random.Generator, minor: bool, bars: int) -> Loop:
    pick = int(rng.choice(len(texts), p=p))
    loop = decode_loop(texts[pick])
    if bars == LOOP_BARS:
        return _colour(_dress(loop, rng, minor), rng, minor)
    if rng.random() < TWO_LOOPS and len(texts) > 1:
        others = p.copy()
        others[pick] = 0.0
        second = decode_loop(texts[int(rng.choice(len(texts), p=others / others.sum()))])
        return _colour(_dress(_join(loop, second), rng, minor), rng, minor)
    first = _colour(_dress(loop, rng, minor), rng, minor)
    return _join(first, vary_loop(first, rng, minor))


def draw_loop(table: dict | None, rng: np.random.Generator, minor: bool, bars: int,
              tags: Iterable[str] = ()) -> tuple[LoopChord, ...]:
    """A track's loop of ``bars`` (4 or 8) bars, coloured, its chords in order covering it exactly.

    ``table`` is lofid.training.loops' (None: the classic loops). The same rng state gives the
    same loop. A table's loop under IN_KEY is drawn again; after DRAWS tries a classic loop is
    used, and every classic loop fits the key however it is dressed or varied. ``tags`` (a mood's)
    favour the table's loops tagged so.
    """
    if bars not in (LOOP_BARS, 2 * LOOP_BARS):
        raise ValueError(f"a loop is {LOOP_BARS} or {2 * LOOP_BARS} bars, not {bars}")
    if table:
        texts, p = _choices(table, minor)
        p = _favoured(table, minor, p, tags)
        for _ in range(DRAWS):
            loop = _draw_once(texts, p, rng, minor, bars)
            if in_key_share(loop, minor) >= IN_KEY:
                return loop
    return _draw_once(*_choices(None, minor), rng, minor, bars)


def _last_bar(loop: Loop) -> int:
    """Index of the first chord in the loop's last bar."""
    end = loop[-1].start + loop[-1].length
    return next(i for i, c in enumerate(loop) if c.start >= end - BAR)


def _substitute(loop: Loop, rng: np.random.Generator, minor: bool) -> Loop | None:
    """One or two chords (never the first) for functional relatives; None if none has one."""
    relatives = {_identity(minor, *chord): options for chord, options in _RELATIVES[minor].items()}
    places = [i for i in range(1, len(loop)) if _chord_id(loop[i], minor) in relatives]
    if not places:
        return None
    varied = list(loop)
    for i in rng.permutation(places)[:1 + int(rng.integers(2))].tolist():
        options = relatives[_chord_id(loop[i], minor)]
        degree, cls = options[int(rng.integers(len(options)))]
        varied[i] = dataclasses.replace(loop[i], root=degree, quality=cls)
    return tuple(varied)


def _approach(loop: Loop, minor: bool) -> Loop | None:
    """The last bar as the key's ii | V; None if it already is."""
    last = _last_bar(loop)
    if tuple(c.root for c in loop[last:]) == (2, 7):
        return None
    start = loop[last].start
    return loop[:last] + (LoopChord(start, HALF, *_ii(minor)), LoopChord(start + HALF, HALF, 7, "7"))


def _turnaround(loop: Loop, rng: np.random.Generator, minor: bool) -> Loop:
    """The last chord changed for a turnaround chord not already in its bar."""
    taken = {_chord_id(c, minor) for c in loop[_last_bar(loop):]}
    options = [c for c in _TURNAROUNDS[minor] if _identity(minor, *c) not in taken]
    degree, cls = options[int(rng.integers(len(options)))]
    return loop[:-1] + (dataclasses.replace(loop[-1], root=degree, quality=cls),)


def vary_loop(loop: tuple[LoopChord, ...], rng: np.random.Generator, minor: bool) -> tuple[LoopChord, ...]:
    """The loop's B part: one or two chords for functional relatives, a ii-V approach in the last
    bar, or its last chord changed (picked at random among those that apply); never the loop itself,
    and in key wherever the loop is (IN_KEY). The turnaround always qualifies: its chords are the
    key's own. Chords the loop has keep their voicing, new ones are coloured."""
    known = {_chord_id(c, minor): c.quality for c in loop}
    candidates = (_substitute(loop, rng, minor), _approach(loop, minor), _turnaround(loop, rng, minor))
    varied = [_colour(c, rng, minor, known) for c in candidates if c is not None]
    floor = min(IN_KEY, in_key_share(loop, minor))
    fitting = [c for c in varied if in_key_share(c, minor) >= floor]
    return fitting[int(rng.integers(len(fitting)))]
