"""The beat: grooves and fills learnt from real drummers, and the drummer who plays a track's groove.

The vocabulary (``models/grooves.json``, learnt by lofid.training.grooves from the Groove MIDI
Dataset) holds grooves, each a few bars as one drummer played them, and fills. A hit is a symbol,
not audio: a 16th of its bar, a General MIDI drum key, a velocity and its offset from the straight
16th as played, as a share of a 16th, so the feel scales to any tempo. The engine plays the hits
through the soundfont's drum kit on the notes' grid, each on its own sample, and ``lofid generate``
writes the same hits into its MIDI files.

A ``Drummer`` plays one track: the groove's bars in turn, each varied as a drummer varies (a ghost
note dropped or moved a 16th, an open hat to end a four-bar phrase), and a fill in the bar before a
break or the ending (and now and then before a new section). The kicks never move: the bass
answers them (lofid.compose.harmony). Every choice is seeded by the track and the bar, so the
engine and the MIDI writer, playing the same track, play the same hits.
"""

from __future__ import annotations

import functools
import json
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from lofid.music.notes import BAR
from lofid.music.tracks import Section, Track

log = logging.getLogger(__name__)

CYMBALS = frozenset({42, 44, 46, 51, 53, 59})  # General MIDI hats and rides: what a light beat keeps
KICKS = frozenset({35, 36})  # General MIDI bass drums: the sidechain dips under them, the bass answers them
CLOSED_HAT, OPEN_HAT = 42, 46
LIGHT_VELOCITY = 0.7  # of the groove's velocity, for a light beat
SOFT = 50  # MIDI velocity: a hit below it is soft (a ghost note, a hat between the beats)
OFFSET_UNIT = 100  # the vocabulary stores offsets in hundredths of a 16th
PHRASE_BARS = 4  # a drummer's phrase: an open hat may close it
OPEN_HAT_SHARE = 0.5  # of phrase ends with an open hat (where the groove plays closed hats late in the bar)
DROP_SHARE = 0.35  # of bars that drop one ghost note
MOVE_SHARE = 0.35  # of bars that move one ghost note a 16th
DEFAULT_FAMILY = "hiphop"  # the style played before any track picks a groove: lo-fi's own
SECTION_FILL_SHARE = 0.5  # of changes between two full sections with a fill before them (breaks: always)


class DrumHit(NamedTuple):
    """One hit of a bar (a NamedTuple: a vocabulary holds some 30,000, read at start-up)."""

    step: int  # 16th within the bar
    pitch: int  # General MIDI percussion key
    velocity: int
    offset: float = 0.0  # 16ths from its straight 16th as played (-0.5 .. 0.5): the drummer's feel


@dataclass(frozen=True)
class Groove:
    name: str  # the performance it was learnt from, e.g. "drummer1/session1/12"
    style: str  # the dataset's style, e.g. "hiphop" or "soul/motown"
    bpm: float  # the tempo it was played at
    swing: float  # how late its off-beat 16ths sit against its on-beat ones, in 16ths
    kicks: tuple[int, ...]  # 16ths of the bar where its bass drum plays, in every bar
    bars: tuple[tuple[DrumHit, ...], ...]  # as played, in order

    @property
    def family(self) -> str:
        return self.style.split("/")[0]


@dataclass(frozen=True)
class Fill:
    name: str
    style: str
    bpm: float
    hits: tuple[DrumHit, ...]  # one bar

    @property
    def family(self) -> str:
        return self.style.split("/")[0]


@dataclass(frozen=True)
class Vocabulary:
    grooves: tuple[Groove, ...] = ()
    fills: tuple[Fill, ...] = ()

    def groove(self, name: str) -> Groove | None:
        return next((g for g in self.grooves if g.name == name), None)

    @property
    def default(self) -> Groove | None:
        """The groove played before any track picks one: the first of DEFAULT_FAMILY, else the first."""
        return next((g for g in self.grooves if g.family == DEFAULT_FAMILY), self.grooves[0] if self.grooves else None)


class PlacedHit(NamedTuple):
    """A hit on the stream's timeline: what the MIDI writer writes."""

    sixteenth: int  # on the stream's timeline (not `index`, which a tuple has)
    pitch: int
    velocity: int
    offset: float  # 16ths from the straight 16th
    fill: bool  # part of a fill


def _hits(rows: Sequence[Sequence[int]]) -> tuple[DrumHit, ...]:
    return tuple(DrumHit(int(s), int(p), int(v), _offset(int(o))) for s, p, v, o in rows)


@functools.cache
def _offset(hundredths: int) -> float:
    """One float object per offset the vocabulary holds (about 100), shared by its 21,000 hits."""
    return hundredths / OFFSET_UNIT


def hit_rows(hits: Sequence[DrumHit]) -> list[list[int]]:
    """Hits as the vocabulary stores them: [16th, key, velocity, offset in hundredths of a 16th]."""
    return [[h.step, h.pitch, h.velocity, round(h.offset * OFFSET_UNIT)] for h in hits]


@functools.lru_cache(maxsize=4)
def load_vocabulary(path: Path) -> Vocabulary:
    """The grooves and fills of ``path``; a missing or broken file is said in one line and no beat plays.
    Read once a process (the engine and the generator share it; it never changes)."""
    try:
        table = json.loads(Path(path).read_text())
        grooves = tuple(Groove(g["name"], g["style"], float(g["bpm"]), float(g["swing"]), tuple(g["kicks"]),
                               tuple(_hits(bar) for bar in g["bars"])) for g in table["grooves"])
        fills = tuple(Fill(f["name"], f["style"], float(f["bpm"]), _hits(f["hits"])) for f in table["fills"])
    except FileNotFoundError:
        log.warning("%s: no drum grooves (learn them with lofid train --grooves); the beat is silent", path)
        return Vocabulary()
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("%s: not a grooves file (%s: %s); the beat is silent", path, e.__class__.__name__, e)
        return Vocabulary()
    return Vocabulary(grooves, fills)


def track_seed(track: Track) -> int:
    """What seeds a track's drummer: the same track always plays the same hits."""
    return zlib.crc32(f"{track.number} {track.title} {track.groove}".encode())


def fill_bars(sections: Sequence[Section], origin: int, seed: int) -> frozenset[int]:
    """Bars (counted from ``origin``) that play a fill: the last bar of a full section of two bars or
    more before a section without the full beat (a break, the ending), and now and then before a
    full section of another name."""
    bars = set()
    for section, after in zip(sections, sections[1:]):
        if not section.drums or section.bars < 2:
            continue
        last = (section.end - origin) // BAR - 1
        if not after.drums or (after.name != section.name
                               and np.random.default_rng([seed, last, 1]).random() < SECTION_FILL_SHARE):
            bars.add(last)
    return frozenset(bars)


class Drummer:
    """One track's drums, bar by bar, from 16th ``origin`` of the stream's timeline."""

    def __init__(self, groove: Groove, fills: Sequence[Fill], seed: int, origin: int,
                 sections: Sequence[Section] = ()) -> None:
        self.groove, self.seed, self.origin = groove, seed, origin
        own = [f for f in fills if f.family == groove.family] or list(fills)
        self.fills = sorted(own, key=lambda f: abs(f.bpm - groove.bpm))[:max(4, len(own) // 3)]  # nearest tempi
        self.fill_bars = fill_bars(sections, origin, seed)
        self._bar: tuple[int, dict[int, list[DrumHit]], bool] | None = None  # the bar last asked for

    @classmethod
    def for_track(cls, track: Track, vocabulary: Vocabulary, origin: int) -> Drummer | None:
        """The drummer of ``track`` (None when its groove is not in the vocabulary)."""
        groove = vocabulary.groove(track.groove)
        if groove is None:
            return None
        return cls(groove, vocabulary.fills, track_seed(track), origin, track.sections)

    def bar(self, number: int) -> tuple[tuple[DrumHit, ...], bool]:
        """The hits of bar ``number`` (from the origin), and whether it is a fill."""
        rng = np.random.default_rng([self.seed, number])
        if number in self.fill_bars and self.fills:
            return self.fills[int(rng.integers(len(self.fills)))].hits, True
        hits = list(self.groove.bars[number % len(self.groove.bars)])
        ghosts = [i for i, h in enumerate(hits) if h.velocity < SOFT and h.pitch not in KICKS]
        if ghosts and rng.random() < MOVE_SHARE:
            i = ghosts[int(rng.integers(len(ghosts)))]
            step = hits[i].step + int(rng.choice((-1, 1)))
            if 0 <= step < BAR and all((h.step, h.pitch) != (step, hits[i].pitch) for h in hits):
                hits[i] = DrumHit(step, hits[i].pitch, hits[i].velocity, hits[i].offset)
        if ghosts and rng.random() < DROP_SHARE:
            del hits[ghosts[int(rng.integers(len(ghosts)))]]
        if number % PHRASE_BARS == PHRASE_BARS - 1 and rng.random() < OPEN_HAT_SHARE:
            late = [i for i, h in enumerate(hits) if h.pitch == CLOSED_HAT and h.step >= BAR - 4]
            if late:
                h = hits[late[-1]]
                hits[late[-1]] = DrumHit(h.step, OPEN_HAT, max(h.velocity, SOFT), h.offset)
        return tuple(sorted(hits, key=lambda h: (h.step, h.pitch))), False

    def hits_at(self, index: int, beat: str) -> tuple[list[DrumHit], bool]:
        """The hits at 16th ``index`` for a section's ``beat`` (full, light: its cymbals, softer; or
        off), and whether they belong to a fill."""
        if beat == "off" or index < self.origin:
            return [], False
        number, step = divmod(index - self.origin, BAR)
        if self._bar is None or self._bar[0] != number:
            hits, fill = self.bar(number)
            by_step: dict[int, list[DrumHit]] = {}
            for h in hits:
                by_step.setdefault(h.step, []).append(h)
            self._bar = (number, by_step, fill)
        _, by_step, fill = self._bar
        at_step = by_step.get(step, [])
        if beat == "light":
            return [DrumHit(h.step, h.pitch, max(1, round(h.velocity * LIGHT_VELOCITY)), h.offset)
                    for h in at_step if h.pitch in CYMBALS], fill
        return at_step, fill
