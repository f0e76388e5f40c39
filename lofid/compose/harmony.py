"""The accompaniment under the melody: the radio's tracks played as chords, comping and bass.

``Harmony`` plans ahead on the generator's 16th timeline, one loop at a time: it asks the
planner (lofid.compose.tracks) for the next track when one ends, plays each section's progression
(the loop, or its variation in B sections), voices every chord in the middle of the keyboard
(lofid.compose.voicing: drop-2, shells with a ninth, now and then quartal, moving little), lets
the comper (lofid.compose.comping) strike them in rhythms learnt from POP909's piano parts and
leave them to ring, lays the pad under intros, breaks and thin bars (lofid.compose.pad), and
writes a bass that answers the drum groove's kicks (lofid.compose.bassline). It also writes the
cues: where each track and section starts, for the engine and the MIDI files.

Everything here is in model space: C major for a major track, A minor for a minor one (the
relative minor, as the note model learnt it); the generator transposes on the way out.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from lofid.compose.bassline import bass_line
from lofid.compose.comping import Comper
from lofid.compose.loops import LoopChord
from lofid.compose.pad import pad_part
from lofid.compose.register import KEYS, in_model
from lofid.compose.tracks import PlannedTrack, TrackPlanner, ended, held
from lofid.compose.voicing import voice
from lofid.model.encoding import chord_token
from lofid.music.chords import QUALITIES
from lofid.music.drums import Groove
from lofid.music.keys import model_tonic, pitch_name
from lofid.music.notes import BAR
from lofid.music.tracks import Section, Track

OPENING_VOICING = (59, 64, 67, 74)  # B3 E4 G4 D5: where the keys start from (model space)
KEYS_VELOCITY = 54  # MIDI velocity of the keys, before accents and swell
SWELL = 6  # MIDI velocity: how far the swell moves loudness up and down
SWELL_BARS = 8  # bars the swell takes to rise and fall
SECTION_DENSITY = {"intro": 0.6, "break": 0.8, "ending": 0.6}  # comping density, else 1.0
ROLL_S = 0.004  # seconds between the notes of a keys chord, low to high (POP909's piano rolls its chords)
LATE_S = 0.012  # seconds a keys strike lands after its 16th at most: laid back, never off the groove
TRIM_BATCH = 1024  # events let go of at once: dropping the front of a list moves all the rest


@dataclasses.dataclass(frozen=True, slots=True)
class ChordSpan:
    start: int  # first 16th, on the generator's timeline
    end: int  # the 16th after it
    root: int  # pitch class, model space
    quality: str  # Harte quality as voiced, e.g. "min9"
    top: int  # the keys' highest voice: the melody stays above it

    @property
    def label(self) -> str:
        return f"{pitch_name(self.root)}:{self.quality}"

    @property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset((self.root + i) % 12 for i in QUALITIES[self.quality])

    @property
    def token(self) -> int:
        """What the note model is told about this chord (lofid.model.encoding.chord_token)."""
        return chord_token(self.label)


class Accompaniment(NamedTuple):
    """A keys, pad or bass note as planned, in model space."""

    onset: int  # 16th on the generator's timeline
    pitch: int
    duration: int  # 16ths
    velocity: int
    part: str  # "keys", "pad" or "bass"
    nudge: float  # seconds it lands after its 16th (a hand's lateness)


class SectionCue(NamedTuple):
    """Where a track or a section starts, as planned."""

    onset: int  # 16th on the generator's timeline
    section: Section
    track: Track
    new: bool  # a new track starts here


def swell(onset: int) -> int:
    """Gentle dynamics: a velocity offset that rises and falls every SWELL_BARS bars (±SWELL)."""
    return round(SWELL * math.sin(2 * math.pi * onset / (SWELL_BARS * BAR)))


def base_of(track: Track) -> int:
    """The track's tonic in model space: C for major, A for minor."""
    return model_tonic(track.minor)


def loop_length(loop: Sequence[LoopChord]) -> int:
    """16ths in a loop."""
    return max(c.start + c.length for c in loop)


class Harmony:
    """Plans the tracks' accompaniment ahead and keeps it as events, chords and cues.

    ``plan_until(t)`` makes sure everything exists up to 16th ``t``. The keys and bass notes, in
    time order, and the cue of every section start are read by their number since the start
    (``event(n)``, ``cue(n)``), so a reader keeps its place while ``forget`` lets the played ones go;
    ``chords`` holds the chord spans, ``tracks`` the planned tracks, in order.
    """

    def __init__(self, planner: TrackPlanner, comping: dict | None, grooves: Mapping[str, Groove],
                 rng: np.random.Generator) -> None:
        self.planner, self.comping, self.grooves, self.rng = planner, comping, grooves, rng
        self.chords: list[ChordSpan] = []
        self.events: list[Accompaniment] = []  # from number _events_gone on
        self.cues: list[SectionCue] = []  # from number _cues_gone on
        self._events_gone = self._cues_gone = 0  # events and cues let go of from the front
        self.tracks: list[PlannedTrack] = []
        self._starts: list[int] = []
        self._end = 0
        self._voicing: tuple[int, ...] = OPENING_VOICING
        self._comper: Comper | None = None

    # -- what is planned --
    def plan_until(self, t: int) -> None:
        while self._end <= t:
            self._plan_next()

    def chord_at(self, t: int) -> ChordSpan:
        self.plan_until(t)
        return self.chords[max(0, bisect.bisect_right(self._starts, t) - 1)]

    def track_at(self, t: int) -> PlannedTrack:
        self.plan_until(t)
        starts = [p.track.start for p in self.tracks]
        return self.tracks[max(0, bisect.bisect_right(starts, t) - 1)]

    def event(self, n: int) -> Accompaniment | None:
        """The ``n``-th keys or bass note planned since the start (from 0); None if not planned yet."""
        return _nth(self.events, n - self._events_gone)

    def cue(self, n: int) -> SectionCue | None:
        """The ``n``-th cue planned since the start (from 0); None if not planned yet."""
        return _nth(self.cues, n - self._cues_gone)

    def forget(self, events: int, cues: int, t: int) -> None:
        """Let go of what will not be read again: the notes before the ``events``-th, the cues before
        the ``cues``-th, chords and tracks that ended before 16th ``t`` (endless play must not grow).
        Done a batch at a time."""
        spare = events - self._events_gone
        if spare <= TRIM_BATCH:
            return
        del self.events[:spare], self.cues[:cues - self._cues_gone]
        self._events_gone, self._cues_gone = events, cues
        keep = max(0, bisect.bisect_right(self._starts, t) - 2)
        del self.chords[:keep], self._starts[:keep]
        while len(self.tracks) > 2 and self.tracks[1].track.end <= t:
            del self.tracks[0]

    # -- changing course --
    def redirect(self, at: int, how: str) -> None:
        """From bar ``at`` on: ``next`` ends the track there (its transition, then a new one),
        ``hold`` keeps it going, ``release`` lets a held track end. What was planned from ``at``
        is written again."""
        self.plan_until(at)
        planned = self.track_at(at - 1) if at > 0 else self.tracks[-1]
        if how == "hold":
            changed = held(planned, at)
        else:
            changed = ended(planned, at, ending=how == "release")
        index = self.tracks.index(planned)
        del self.tracks[index:]
        self.tracks.append(changed)
        keep = bisect.bisect_left(self._starts, at)
        del self.chords[keep:], self._starts[keep:]
        if self.chords and self.chords[-1].end > at:
            self.chords[-1] = dataclasses.replace(self.chords[-1], end=at)
        self.events = [e for e in self.events if e.onset < at]
        self.cues = [c for c in self.cues if c.onset < at]
        self.cues.append(SectionCue(at, changed.track.section_at(at), changed.track, False))  # the new plan, from here
        self._end = at

    # -- writing --
    def _plan_next(self) -> None:
        """Plan the next stretch: up to the end of the current loop pass or section, or a new track."""
        current = self.tracks[-1] if self.tracks else None
        if current is None or self._end >= current.track.end:
            self._start_track(self._end)
            return
        track = current.track
        section, loop = current.loop_at(self._end)
        if section.start == self._end and (section.start != track.start):
            self.cues.append(SectionCue(self._end, section, track, False))
        length = loop_length(loop)
        into = (self._end - section.start) % length
        stop = min(section.end, self._end + length - into)
        spans = self._chords(track, section, loop, self._end, stop)
        self._play(track, section, spans)
        self._end = stop

    def _start_track(self, at: int) -> None:
        planned = self.planner.plan(self.tracks[-1].track.number + 1 if self.tracks else 1, at)
        self.tracks.append(planned)
        self._comper = Comper(self.comping, self.rng)
        self.cues.append(SectionCue(at, planned.track.sections[0], planned.track, True))

    def _chords(self, track: Track, section: Section, loop: Sequence[LoopChord], start: int, stop: int
                ) -> list[tuple[int, int, int, str]]:
        """(start, length, model-space root, quality) of the chords from ``start`` to ``stop``."""
        base, length = base_of(track), loop_length(loop)
        if section.name == "ending" and start >= section.start + section.bars * BAR // 2:
            return [(start, stop - start, base, "min9" if track.minor else "maj9")]  # home, held
        spans = []
        for chord in loop:
            origin = start - (start - section.start) % length
            a, b = max(start, origin + chord.start), min(stop, origin + chord.start + chord.length)
            if a < b:
                spans.append((a, b - a, (base + chord.root) % 12, chord.quality))
        return spans

    def _play(self, track: Track, section: Section, spans: list[tuple[int, int, int, str]]) -> None:
        voiced = []
        for start, length, root, quality in spans:
            self._voicing = voice(self._voicing, root, quality, in_model(KEYS, track), self.rng).pitches
            self._add_chord(start, length, root, quality)
            voiced.append((start, length, self._voicing))
        assert self._comper is not None
        self._comper.density = SECTION_DENSITY.get(section.name, 1.0)
        keys = self._comper.comp(voiced, KEYS_VELOCITY + swell(spans[0][0]))
        if section.name == "ending" and len(spans) == 1 and spans[0][2] == base_of(track):
            start, length, _ = voiced[0]
            keys = [(start, p, length, KEYS_VELOCITY) for p in voiced[0][2]]  # the last chord rings
        pad = pad_part(track, section, spans, keys, self.rng)
        self._raise_tops(sorted(keys + pad))
        kicks = self._kicks(track) if section.drums else ()
        bass = bass_line(track, spans, kicks, self.rng)
        new = [Accompaniment(*e) for e in humanised(keys, self.rng)] + [Accompaniment(*n, "pad", 0.0) for n in pad] \
            + [Accompaniment(*b, "bass", 0.0) for b in bass]
        self.events += sorted(new, key=lambda e: (e.onset, e.pitch))

    def _raise_tops(self, keys: list[tuple[int, int, int, int]]) -> None:
        """Each chord's top is the highest keys or pad note sounding under it (``keys``, in time order),
        an anticipated chord's included: the melody stays above them."""
        if not keys:
            return
        first = bisect.bisect_right(self._starts, keys[0][0]) - 1
        for i in range(max(0, first), len(self.chords)):
            chord = self.chords[i]
            top = max([p for at, p, length, _ in keys if at < chord.end and at + length > chord.start], default=chord.top)
            if top > chord.top:
                self.chords[i] = dataclasses.replace(chord, top=top)

    def _add_chord(self, start: int, length: int, root: int, quality: str) -> None:
        top = max(self._voicing)
        held_on = self.chords and self.chords[-1].root == root and self.chords[-1].quality == quality
        if held_on and self.chords[-1].end == start:
            last = self.chords[-1]
            self.chords[-1] = dataclasses.replace(last, end=start + length, top=max(last.top, top))
        else:
            self.chords.append(ChordSpan(start, start + length, root, quality, top))
            self._starts.append(start)

    def _kicks(self, track: Track) -> tuple[int, ...]:
        """16ths of a bar where the groove's bass drum plays (in every bar: lofid.music.drums)."""
        groove = self.grooves.get(track.groove)
        return groove.kicks if groove is not None else ()


def _nth(items: list, index: int):
    """``items[index]``, None past the end; an index before the start was let go of, which is a bug."""
    if index < 0:
        raise IndexError(f"read {-index} items before what is kept")
    return items[index] if index < len(items) else None


def humanised(keys: list[tuple[int, int, int, int]], rng: np.random.Generator
              ) -> list[tuple[int, int, int, int, str, float]]:
    """Keys notes as a hand plays them: each strike a little late (up to LATE_S), its notes rolled
    upward ROLL_S apart; the 16th they belong to does not move, so nothing leaves the groove."""
    out, onset, rank, late = [], None, 0, 0.0
    for at, pitch, duration, velocity in sorted(keys):
        if at != onset:
            onset, rank, late = at, 0, float(rng.uniform(0.0, LATE_S))
        out.append((at, pitch, duration, velocity, "keys", round(late + rank * ROLL_S, 4)))
        rank += 1
    return out
