"""The tempo grid: 16th-note indexes <-> sample positions, at the current bpm and swing.

Notes and drum patterns share this one grid, so beat and notes can never drift apart. Times are
music-time samples (the synth's clock, which stops while paused). FluidSynth applies events only
between its 64-frame control blocks, so every event is placed on that lattice (``lattice``).
"""

from __future__ import annotations

from lofid.music.notes import STEPS_PER_BEAT, swing_offset

CONTROL_FRAMES = 64  # FluidSynth's control block: events take effect only on its boundaries


class Grid:
    """16th-note index <-> music-time sample position, for the current bpm and swing.

    A tempo change re-anchors the grid at "now", so positions already passed never move and the
    beat carries on from where it is.
    """

    def __init__(self, bpm: float, swing: float, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.anchor_index = 0.0
        self.anchor_sample = 0.0
        self.bpm, self.swing = bpm, swing
        self.step_frames = sample_rate * 60 / bpm / STEPS_PER_BEAT

    def position(self, index: int) -> float:
        """Music-time sample of 16th ``index``; off-beat 16ths are late by ``swing`` of a 16th."""
        base = self.anchor_sample + (index - self.anchor_index) * self.step_frames
        return base + swing_offset(index, self.swing) * self.step_frames

    def played(self, index: int, offset: float) -> float:
        """Music-time sample of a hit ``offset`` 16ths from straight 16th ``index``: a drummer's feel
        stands in for the swing."""
        return self.anchor_sample + (index + offset - self.anchor_index) * self.step_frames

    def phase(self, sample: float) -> float:
        """How many (straight) 16ths have passed at music-time ``sample``."""
        return self.anchor_index + (sample - self.anchor_sample) / self.step_frames

    def retime(self, bpm: float, swing: float, now: int) -> None:
        self.anchor_index, self.anchor_sample = self.phase(now), float(now)
        self.bpm, self.swing = bpm, swing
        self.step_frames = self.sample_rate * 60 / bpm / STEPS_PER_BEAT

    def retime_at(self, index: int, bpm: float, swing: float, delay: float = 0.0) -> None:
        """A new tempo from 16th ``index`` on (a track's first 16th), ``delay`` samples later than
        the old tempo would have it (a transition): earlier positions stay put."""
        self.anchor_sample += (index - self.anchor_index) * self.step_frames + delay
        self.anchor_index = float(index)
        self.bpm, self.swing = bpm, swing
        self.step_frames = self.sample_rate * 60 / bpm / STEPS_PER_BEAT


def lattice(sample: float) -> int:
    """The control-block boundary nearest ``sample``."""
    return int(round(sample / CONTROL_FRAMES)) * CONTROL_FRAMES
