"""The radio's plan: every track drawn whole (key, tempo, swing, loop, palette, groove, density,
title) and given a form, a few minutes of sections, before its first note is written.

What a track draws, and the settings that pin it instead: key and mode (``music.key``), tempo
within the range lo-fi uses (``music.bpm``), swing (``music.swing``), length (``music.track_minutes``),
the palette (``sound.palette``) and its programs (``sound.program_<part>``). Each draw avoids the track before, so the radio
moves. A mood (``music.mood``, read by lofid.music.mood) gives the ranges and shares the draws take,
the palettes, grooves and progressions they prefer and how much of the groove the loop plays; a
pinned setting still wins over it. The form: an intro, the loop (A) and its variation (B) taking turns, a
break of 2-4 bars with the drums out, an ending, then a short transition with rain alone. The
intro plays only the groove's cymbals, softly: the full beat comes in with the loop. The groove
is one a drummer played near the track's tempo (lofid.music.drums), in a style that suits the
palette's kit more often than not; its own feel is the track's swing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lofid.compose.loops import LoopChord, draw_loop, vary_loop
from lofid.compose.titles import TitleMaker
from lofid.config import minutes_range, part_programs
from lofid.music.drums import Groove
from lofid.music.keys import key_setting
from lofid.music.mood import INSTRUMENTS, Mood, read_mood
from lofid.music.notes import BAR
from lofid.music.tracks import PALETTES, Palette, Section, Track

LOFI_BPM = (65, 95)  # beats per minute a drawn tempo lies in
MIN_TEMPO_STEP = 3  # bpm: a drawn tempo differs at least this much from the track before
MINOR_SHARE = 0.4  # of drawn keys
SWING = (0.06, 0.24)  # share of a 16th a drawn swing delays the off-beats by (without grooves to draw)
GROOVE_BPM = 10  # a groove is drawn from those played within this many bpm of the track's tempo, if any
KIT_STYLES = {40: ("jazz", "soul", "neworleans", "latin"), 32: ("jazz", "soul", "funk", "neworleans"),
              8: ("hiphop", "funk", "soul", "pop"), 0: ("hiphop", "funk", "reggae", "pop")}  # drum kit -> styles it suits
KIT_WEIGHT = 3.0  # how much likelier a groove whose style suits the palette's kit is drawn
RECENT_GROOVES = 8  # a drawn groove is none of the last this many
DENSITY = (0.75, 1.3)  # melody density drawn per track
INTRO_BARS = 4
ENDING_BARS = 4
BREAK_BARS = (2, 4)
TRANSITION_S = 1.2  # seconds of rain and crackle alone between two tracks
HELD_TURNS = 200  # A-B turns a held track's form is given: two hours or more at lo-fi tempos

@dataclasses.dataclass(frozen=True)
class PlannedTrack:
    """A track and the two progressions its sections play."""

    track: Track
    loops: Mapping[str, tuple[LoopChord, ...]]  # "A": the loop, "B": its variation

    def loop_at(self, t: int) -> tuple[Section, tuple[LoopChord, ...]]:
        section = self.track.section_at(t)
        return section, self.loops[section.variant]


def form(start: int, bars: int, loop_bars: int, rng: np.random.Generator) -> tuple[Section, ...]:
    """Sections filling ``bars`` from ``start``: intro, A and B taking turns with one break, ending."""
    body = max(loop_bars, bars - INTRO_BARS - ENDING_BARS)
    turns = ("A", "A", "B", "A") if loop_bars == 4 else ("A", "B", "A")
    plan: list[list[Any]] = [["intro", INTRO_BARS, "light", "A"]]  # name, bars, beat, variant
    break_at = int(body * rng.uniform(0.5, 0.7))
    done, turn, broke = 0, 0, False
    while done < body:
        if not broke and done >= break_at:
            length = min(int(rng.integers(BREAK_BARS[0], BREAK_BARS[1] + 1)), body - done)
            plan.append(["break", length, "off", "A"])
            broke = True
        else:
            name, turn = turns[turn % len(turns)], turn + 1
            length = min(loop_bars, body - done)
            if plan[-1][0] == name:  # one section of several loops
                plan[-1][1] += length
            else:
                plan.append([name, length, "full", name])
        done += length
    plan.append(["ending", ENDING_BARS, "off", "A"])
    sections, at = [], start
    for name, length, beat, variant in plan:
        sections.append(Section(name, at, length, beat, variant))
        at += length * BAR
    return tuple(sections)


class TrackPlanner:
    """Draws the next track from the settings, the learnt loops and ``rng``."""

    def __init__(self, settings: Mapping[str, Any], loops: dict | None, grooves: Sequence[Groove],
                 rng: np.random.Generator) -> None:
        self.settings, self.table, self.rng = settings, loops, rng
        self.grooves = tuple(grooves)
        self.titles = TitleMaker(rng)
        self._last: Track | None = None
        self._recent: list[str] = []  # the grooves drawn last

    def update(self, settings: Mapping[str, Any]) -> None:
        self.settings = settings

    @property
    def mood(self) -> Mood:
        return read_mood(self.settings.get("music.mood", "auto"))

    def _pick(self, options: Sequence, avoid: object = None):
        choices = [o for o in options if o != avoid and getattr(o, "name", o) != getattr(avoid, "name", avoid)]
        choices = choices or list(options)
        return choices[int(self.rng.integers(len(choices)))]

    def _key(self) -> tuple[int, bool]:
        pinned = self.settings["music.key"]
        if pinned != "auto":
            return key_setting(pinned)
        mood = self.mood
        if mood.key is not None:
            return mood.key
        share = MINOR_SHARE if mood.minor is None else mood.minor
        last = (self._last.tonic, self._last.minor) if self._last else None
        while True:
            key = (int(self.rng.integers(12)), bool(self.rng.random() < share))
            if key != last:
                return key

    def _bpm(self) -> float:
        pinned = self.settings["music.bpm"]
        if pinned != "auto":
            return float(pinned)
        low, high = (round(b) for b in (self.mood.bpm or LOFI_BPM))
        while True:
            bpm = float(self.rng.integers(low, high + 1))
            narrow = high - low < 2 * MIN_TEMPO_STEP  # too narrow a range to move by a step each time
            if self._last is None or narrow or abs(bpm - self._last.bpm) >= MIN_TEMPO_STEP:
                return bpm

    def _swing(self, groove: Groove | None) -> float:
        """The pinned swing, else the groove's own (its feel), else a drawn one."""
        pinned = self.settings["music.swing"]
        if pinned != "auto":
            return float(pinned)
        return groove.swing if groove is not None else round(float(self.rng.uniform(*(self.mood.swing or SWING))), 2)

    def _groove(self, bpm: float, kit: int, mood: Mood) -> Groove | None:
        """A groove the mood allows (its swing in the mood's range where one is), played near ``bpm``
        (the nearest ones if none is), likelier in a style that suits the ``kit``, and none of the
        last RECENT_GROOVES."""
        allowed = self._grooves(mood)
        options = [g for g in allowed if g.name not in self._recent] or list(allowed)
        if mood.swing:
            options = [g for g in options if mood.swing[0] <= g.swing <= mood.swing[1]] or options
        if not options:
            return None
        reach = max(GROOVE_BPM, min(abs(g.bpm - bpm) for g in options))
        near = [g for g in options if abs(g.bpm - bpm) <= reach]
        weights = np.array([KIT_WEIGHT if g.family in KIT_STYLES.get(kit, ()) else 1.0 for g in near])
        groove = near[int(self.rng.choice(len(near), p=weights / weights.sum()))]
        self._recent = [*self._recent, groove.name][-RECENT_GROOVES:]
        return groove

    def _palettes(self, mood: Mood) -> Sequence[Palette]:
        """The palettes a track draws from: those playing the mood's instruments (and none it turned away), if any."""
        def plays(palette: Palette, words: Sequence[str]) -> bool:
            return any(w in palette.name or INSTRUMENTS[w] & set(palette.programs.values()) for w in words)

        allowed = [p for p in PALETTES if not plays(p, [w for w in mood.avoid if w in INSTRUMENTS])]
        return [p for p in allowed if plays(p, mood.instruments)] or allowed or PALETTES

    def _grooves(self, mood: Mood) -> Sequence[Groove]:
        """The grooves a track draws from: those whose name or style holds one of the mood's groove
        words, if any, and none it turned away."""
        def named(groove: Groove) -> str:
            return f"{groove.name} {groove.style}"

        allowed = [g for g in self.grooves if not any(w in named(g) for w in mood.avoid)] or self.grooves
        return [g for g in allowed if any(w in named(g) for w in mood.grooves)] or allowed

    def plan(self, number: int, start: int) -> PlannedTrack:
        """Track ``number``, starting at 16th ``start``."""
        tonic, minor = self._key()
        bpm = self._bpm()
        minutes = float(self.rng.uniform(*minutes_range(self.settings["music.track_minutes"])))
        loop_bars = 4 if self.rng.random() < 0.7 else 8
        mood = self.mood
        loop = draw_loop(self.table, self.rng, minor, loop_bars, tags=mood.tags)
        loops = {"A": loop, "B": vary_loop(loop, self.rng, minor)}
        bars = max(INTRO_BARS + ENDING_BARS + loop_bars, round(minutes * bpm / 4))
        pinned = self.settings["sound.palette"]
        palette = next((p for p in PALETTES if p.name == pinned), None) or self._pick(
            self._palettes(mood), self._last.palette if self._last else None)
        palette = Palette(palette.name, part_programs(self.settings, palette.programs), palette.kit)  # pinned parts
        groove = self._groove(bpm, palette.kit, mood)
        track = Track(number=number, title=self.titles.next(), tonic=tonic, minor=minor, bpm=bpm,
                      swing=self._swing(groove), palette=palette, groove=groove.name if groove else "",
                      density=round(float(self.rng.uniform(*(mood.density or DENSITY))), 2), start=start,
                      sections=drummed(form(start, bars, loop_bars, self.rng), mood.drums),
                      transition=TRANSITION_S if self._last is not None else 0.0)
        self._last = track
        return PlannedTrack(track, loops)


def drummed(sections: tuple[Section, ...], drums: str | None) -> tuple[Section, ...]:
    """The sections as a mood's drums ask: ``light`` plays the groove's cymbals alone where it would play
    it all, ``off`` plays none of it; ``on`` and None leave the form's own."""
    if drums not in ("light", "off"):
        return sections
    return tuple(dataclasses.replace(s, beat=drums if s.beat == "full" or drums == "off" else s.beat) for s in sections)


def held(planned: PlannedTrack, at: int) -> PlannedTrack:
    """The track going on from bar ``at``: its sections up to there, then A (two loops) and B (one)
    taking turns HELD_TURNS times, hours of it; released, it is cut to an ending again."""
    loop_bars = max(c.start + c.length for c in planned.loops["A"]) // BAR
    more, t = [], at
    for _ in range(HELD_TURNS):
        for name, loops in (("A", 2), ("B", 1)):
            more.append(Section(name, t, loops * loop_bars, "full", variant=name))
            t += loops * loop_bars * BAR
    return PlannedTrack(dataclasses.replace(planned.track, sections=_cut(planned.track.sections, at) + tuple(more)),
                        planned.loops)


def ended(planned: PlannedTrack, at: int, ending: bool = True) -> PlannedTrack:
    """The track ending from bar ``at``: an ending (or, for ``ctl next``, none); the next one's
    transition follows."""
    track = planned.track
    kept = _cut(track.sections, at)
    tail = (Section("ending", at, ENDING_BARS, "off"),) if ending else ()
    if not kept and not tail:
        tail = (Section("ending", at, 1, "off"),)
    return PlannedTrack(dataclasses.replace(track, sections=kept + tail), planned.loops)


def _cut(sections: tuple[Section, ...], at: int) -> tuple[Section, ...]:
    """The sections before 16th ``at`` (a bar line), the one holding it shortened to end there."""
    kept = []
    for section in sections:
        if section.start >= at:
            break
        if section.end > at:
            section = dataclasses.replace(section, bars=(at - section.start) // BAR)
        if section.bars > 0:
            kept.append(section)
    return tuple(kept)
