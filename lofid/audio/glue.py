"""Glue compression on the bus: the music and the beat pressed gently together, as a mix-bus compressor does.

An RMS compressor: the detector is the mean square of the bus's mid over a TIME_CONSTANT_S memory
(a one-pole on the squared signal, so attack and release are one slow, smooth time: glue, not
pumping; the sidechain does the pumping), and above THRESHOLD_DBFS the level is brought down by
``fx.glue`` of what is over (0.5 is a 2:1 ratio, 0 is off). Threshold and gain are in mean-square
terms, so the gain is (power / threshold) ** (-glue / 2) with no log per sample. The kick drives it
most, and the keys dip with it a little: what makes a loop sound like one record.

Cheap: the detector moves far slower than the sound, so it runs on STEP-frame segments of the
absolute clock (each segment's mean square, one value), and each segment's gain holds from the end
of that segment to the end of the next (a step of a few hundredths of a dB every 0.36 ms, far below
hearing). A segment cut by a block's end is finished in the next block, so any split into blocks
gives the same gains. The loop over the samples is compiled (lofid.audio._dsp.glue).
"""

from __future__ import annotations

import math

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.filters import pole
from lofid.audio.fx import SETTING_GLIDE_SECONDS, Gain

TIME_CONSTANT_S = 0.08  # the detector's memory: a beat's hits, not each cycle of the bass
THRESHOLD_DBFS = -26.0  # mean-square level of the bus's mid (before the loudness stage) where it starts
STEP = 16  # frames per detector segment
_THRESHOLD = 10 ** (THRESHOLD_DBFS / 10)


class Glue:
    """The bus compressor; ``amount`` 0-1 is the share of the level over the threshold taken away."""

    def __init__(self, amount: float, sample_rate: int) -> None:
        self._pole = pole(1 / (2 * math.pi * TIME_CONSTANT_S), sample_rate / STEP)  # the detector, once a segment
        self._amount = Gain(amount, SETTING_GLIDE_SECONDS * sample_rate / STEP)  # moves once a segment
        # The open segment's sum of squares and frames, the detector's power, the last finished segment's gain.
        self._state = np.array([0.0, 0.0, 0.0, 1.0])

    def set(self, amount: float) -> None:
        self._amount.set(amount)

    def process(self, x: np.ndarray) -> np.ndarray:
        """``x`` (frames, 2) pressed; a new array out."""
        out = np.array(x, dtype=np.float64, order="C")
        finished = (int(self._state[1]) + len(out)) // STEP  # segments that end in this block
        amounts = self._amount.values(finished) if finished else np.array([self._amount.value])
        dsp.glue(out, self._state, amounts, STEP, self._pole, _THRESHOLD)
        return out

    @property
    def reduction_db(self) -> float:
        """The gain reduction the last finished segment set, dB (0 under the threshold or off)."""
        return -20 * math.log10(self._state[3])
