"""Tracks and cues: what a radio of tracks is made of, as symbols.

A ``Track`` is one piece of a few minutes with its own key, tempo, swing, palette and groove; its
form is a run of ``Section``s (intro, A, B, break, ending), each a whole number of bars, and
every track starts on a bar line of the stream's 16th grid. The few seconds of transition before
a track (rain and crackle alone) are not on the grid: the engine and the MIDI writer insert them
as time, so a track's bars, beats and swing always count from its first 16th. A ``Cue``
sits in the note stream like a note (``step`` 16ths after the event before it) and tells the
engine and the MIDI writer that a track or a section starts there, so the tempo, the instruments
and the beat change on the exact 16th the music does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lofid.music.keys import pitch_name
from lofid.music.notes import Note, step_seconds

SECTIONS = ("intro", "A", "B", "break", "ending")
BEATS = ("full", "light", "off")  # how much of the groove a section plays: all, its cymbals alone, none


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # one of SECTIONS
    start: int  # 16th on the generator's timeline
    bars: int
    beat: str  # one of BEATS
    variant: str = "A"  # which progression it plays: the loop ("A") or its variation ("B")

    @property
    def drums(self) -> bool:
        """Whether the full groove plays (the bass follows its kicks)."""
        return self.beat == "full"

    @property
    def end(self) -> int:
        return self.start + self.bars * 16


@dataclass(frozen=True, slots=True)
class Palette:
    name: str
    programs: dict[str, int] = field(hash=False)  # General MIDI program per part (keys, bass, melody, pad)
    kit: int  # drum kit: program in bank 128 (0 standard, 8 room, 32 jazz, 40 brush)


DRUM_BANK = 128  # where General MIDI fonts keep their drum kits

# The bands lofid's own instruments (instruments/lofid.sf2) make, each on the General MIDI programs
# whose roles its instruments take, so any GM font plays them too: keys 0 felt piano, 1 upright
# piano, 4 tine (Rhodes-like) and 5 reed (Wurlitzer-like) electric piano; bass 32 upright, 33 finger,
# 38 sub; melody 11 vibes, 28 muted guitar, 73 soft flute; pad 89 warm pad; kits in bank 128:
# 0 dusty, 8 tape room, 32 soft jazz, 40 brushes (instruments/README.md describes each).
PALETTES = (
    Palette("tine rhodes, upright bass and vibes", {"keys": 4, "bass": 32, "melody": 11, "pad": 89}, kit=0),
    Palette("felt piano and flute in a tape room", {"keys": 0, "bass": 33, "melody": 73, "pad": 89}, kit=8),
    Palette("wurli and muted guitar", {"keys": 5, "bass": 33, "melody": 28, "pad": 89}, kit=0),
    Palette("upright piano trio with brushes", {"keys": 1, "bass": 32, "melody": 11, "pad": 89}, kit=40),
    Palette("rhodes and flute over a sub", {"keys": 4, "bass": 38, "melody": 73, "pad": 89}, kit=8),
    Palette("wurli and vibes, soft jazz kit", {"keys": 5, "bass": 32, "melody": 11, "pad": 89}, kit=32),
)


def palette_presets(palettes: tuple[Palette, ...] = PALETTES, extra: tuple[int, ...] = ()) -> tuple[tuple[int, int], ...]:
    """Every (bank, program) the palettes can play, and ``extra`` programs: what the synth keeps loaded."""
    melodic = sorted({p for palette in palettes for p in palette.programs.values()} | set(extra))
    return (*((0, p) for p in melodic), *((DRUM_BANK, k) for k in sorted({palette.kit for palette in palettes})))


@dataclass(frozen=True, slots=True)
class Track:
    number: int  # counted from 1 since the daemon started
    title: str
    tonic: int  # pitch class of the key's tonic
    minor: bool
    bpm: float
    swing: float  # delay of off-beat 16ths as a share of a 16th
    palette: Palette
    groove: str  # the drum pattern's name (effects/beats/NAME.mid)
    density: float  # melody density: 0.5 sparse .. 1.5 busy
    start: int  # first 16th on the generator's timeline
    sections: tuple[Section, ...] = field(hash=False)
    transition: float = 0.0  # seconds of rain and crackle alone before it starts (off the 16th grid)

    @property
    def end(self) -> int:
        """The 16th where the next track starts: every track starts on a bar line."""
        return self.sections[-1].end

    @property
    def key_name(self) -> str:
        """``"Eb minor"``."""
        return f"{pitch_name(self.tonic)} {'minor' if self.minor else 'major'}"

    @property
    def seconds(self) -> float:
        """How long it plays at its tempo (the transition before it not counted)."""
        return (self.end - self.start) * step_seconds(self.bpm)

    def section_at(self, t: int) -> Section:
        for section in reversed(self.sections):
            if section.start <= t:
                return section
        return self.sections[0]


@dataclass(frozen=True, slots=True)
class Cue:
    """A track or section starting at this point of the stream."""

    step: int  # 16ths after the previous event's onset, as a Note's
    section: Section  # the section starting here
    track: Track  # the track it belongs to (as planned now: a held track's form changes)
    new: bool  # a new track starts here


Event = Note | Cue  # what the note stream carries, in time order
