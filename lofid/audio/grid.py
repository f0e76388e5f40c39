"""The tempo grid: 16th-note indexes <-> sample positions, at the current bpm and swing.

Notes and drum patterns share this one grid, so beat and notes can never drift apart. Times are
music-time samples (the synth's clock, which stops while paused); where a 16th falls is the
stream's ``Stretch`` (lofid.music.notes), as in the MIDI files. FluidSynth applies events only
between its 64-frame control blocks, so every event is placed on that lattice (``lattice``).
"""

from __future__ import annotations

from lofid.music.notes import Stretch, step_seconds

CONTROL_FRAMES = 64  # FluidSynth's control block: events take effect only on its boundaries


class Grid:
    """16th-note index <-> music-time sample position, for the current bpm and swing.

    A tempo change re-anchors the grid at "now", so positions already passed never move and the
    beat carries on from where it is.
    """

    def __init__(self, bpm: float, swing: float, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.bpm = bpm
        self.stretch = Stretch(0.0, 0.0, self._frames(bpm), swing)

    def _frames(self, bpm: float) -> float:
        return self.sample_rate * step_seconds(bpm)

    @property
    def swing(self) -> float:
        return self.stretch.swing

    @property
    def step_frames(self) -> float:
        """Samples of a straight 16th."""
        return self.stretch.step

    def position(self, index: int) -> float:
        """Music-time sample of 16th ``index``; off-beat 16ths are late by ``swing`` of a 16th."""
        return self.stretch.position(index)

    def phase(self, sample: float) -> float:
        """How many (straight) 16ths have passed at music-time ``sample``."""
        return self.stretch.phase(sample)

    def retime(self, bpm: float, swing: float, now: int) -> None:
        self.bpm = bpm
        self.stretch = self.stretch.retimed(float(now), self._frames(bpm), swing)

    def retime_at(self, index: int, bpm: float, swing: float, delay: float = 0.0) -> None:
        """A new tempo from 16th ``index`` on (a track's first 16th), ``delay`` samples later than
        the old tempo would have it (a transition): earlier positions stay put."""
        self.bpm = bpm
        self.stretch = self.stretch.next_track(index, self._frames(bpm), swing, delay)


def lattice(sample: float) -> int:
    """The control-block boundary nearest ``sample``."""
    return int(round(sample / CONTROL_FRAMES)) * CONTROL_FRAMES
