"""The Note and the time grid every part of lofid shares.

A Note is one event of the stream the model writes and the engine plays. Time is counted on a
16th-note grid: ``step`` is how many 16ths after the previous note's onset this note starts
(0 = together with it, so a chord is a run of notes with step 0), ``duration`` how many 16ths
it sounds. Seconds only appear where a tempo is applied (the engine, MIDI files), and both place
a 16th through one ``Stretch`` of the stream (its tempo, its swing, the transition before a track),
so a saved file and what was heard agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

STEPS_PER_BEAT = 4  # the 16th-note grid: 16ths per quarter-note beat
BAR = 4 * STEPS_PER_BEAT  # 16ths in a 4/4 bar
MAX_STEP = 32  # 16ths (two 4/4 bars); longer rests are clamped to this
MAX_DURATION = 32  # 16ths
VELOCITY_BINS = 8  # bin b covers velocities 16b..16b+15; it plays back as its centre
PARTS = ("keys", "bass", "melody", "pad")


@dataclass(frozen=True, slots=True)
class Note:
    pitch: int  # MIDI note number 0-127
    step: int  # 16ths after the previous note's onset; 0 = together with it
    duration: int  # 16ths it sounds, >= 1
    velocity: int  # MIDI velocity 1-127
    part: str = "keys"  # the instrument that plays it: one of PARTS, each with its sound.program_<part>
    nudge: float = 0.0  # seconds it sounds after its 16th (a player's hand: a rolled chord, a laid-back strike)


def velocity_bin(velocity: int) -> int:
    return min(VELOCITY_BINS - 1, max(0, int(velocity)) // 16)


def bin_velocity(b: int) -> int:
    """The velocity a bin plays back as: the centre of its range."""
    return int(b) * 16 + 8


def notes_from_onsets(events: Iterable[tuple[int, int, int, int, str]]) -> list[Note]:
    """(onset 16th, pitch, duration, velocity, part) events -> Notes with steps, in time order.

    Notes starting together are ordered low to high, so a chord always reads the same way.
    """
    notes, prev = [], None
    for onset, pitch, duration, velocity, part in sorted(events, key=lambda ev: (ev[0], ev[1])):
        step = 0 if prev is None else onset - prev
        notes.append(Note(pitch, min(step, MAX_STEP), min(duration, MAX_DURATION), velocity, part))
        prev = onset
    return notes


def fold_pitch(pitch: int) -> int:
    """A pitch moved by octaves into 0-127, so a transposed note keeps its pitch class."""
    while pitch > 127:
        pitch -= 12
    while pitch < 0:
        pitch += 12
    return pitch


def swing_offset(index: int, swing: float) -> float:
    """How late 16th ``index`` sounds, in 16ths: off-beat 16ths by ``swing``, on-beat ones not at all."""
    return swing if index % 2 else 0.0


def step_seconds(bpm: float) -> float:
    """Seconds of one straight 16th at ``bpm``."""
    return 60.0 / bpm / STEPS_PER_BEAT


@dataclass(frozen=True, slots=True)
class Stretch:
    """A stretch of the stream at one tempo and swing: the straight 16th ``index`` sounds at ``at``,
    and each 16th lasts ``step``, in the caller's unit (samples for the engine, ticks for a MIDI file)."""

    index: float
    at: float
    step: float
    swing: float  # share of a 16th the off-beat 16ths are late

    def position(self, index: int) -> float:
        """Where 16th ``index`` sounds (off-beat 16ths late by the swing)."""
        return self.at + (index - self.index) * self.step + swing_offset(index, self.swing) * self.step

    def phase(self, at: float) -> float:
        """How many straight 16ths have passed at ``at``."""
        return self.index + (at - self.at) / self.step

    def retimed(self, at: float, step: float, swing: float) -> Stretch:
        """A new tempo and swing from ``at`` on (a live change): what has passed stays where it was."""
        return Stretch(self.phase(at), at, step, swing)

    def next_track(self, index: int, step: float, swing: float, delay: float = 0.0) -> Stretch:
        """A track's tempo and swing from its first 16th ``index`` on, ``delay`` later than this
        stretch would place that 16th (the transition before the track)."""
        return Stretch(index, self.at + (index - self.index) * self.step + delay, step, swing)
