"""Glue compression on the bus: the music and the beat pressed gently together, as a mix-bus compressor does.

An RMS compressor: the detector is the mean square of the bus's mid over a TIME_CONSTANT_S memory
(a one-pole on the squared signal, so attack and release are one slow, smooth time: glue, not
pumping; the sidechain does the pumping), and above THRESHOLD_DBFS the level is brought down by
``fx.glue`` of what is over (0.5 is a 2:1 ratio, 0 is off). Threshold and gain are in mean-square
terms, so the gain is (power / threshold) ** (-glue / 2) with no log per sample. The kick drives it
most, and the keys dip with it a little: what makes a loop sound like one record.
"""

from __future__ import annotations

import math

import numpy as np

from lofid.audio.filters import OnePole
from lofid.audio.fx import SETTING_GLIDE_SECONDS, Gain

TIME_CONSTANT_S = 0.08  # the detector's memory: a beat's hits, not each cycle of the bass
THRESHOLD_DBFS = -26.0  # mean-square level of the bus's mid (before the loudness stage) where it starts
_THRESHOLD = 10 ** (THRESHOLD_DBFS / 10)


class Glue:
    """The bus compressor; ``amount`` 0-1 is the share of the level over the threshold taken away."""

    def __init__(self, amount: float, sample_rate: int) -> None:
        self._detector = OnePole(1 / (2 * math.pi * TIME_CONSTANT_S), sample_rate, channels=1)
        self._amount = Gain(amount, SETTING_GLIDE_SECONDS * sample_rate)

    def set(self, amount: float) -> None:
        self._amount.set(amount)

    def process(self, x: np.ndarray) -> np.ndarray:
        mid = (x[:, :1] + x[:, 1:]) * 0.5
        power = self._detector.process(mid * mid)  # runs while off too: turned on, it knows the level at once
        amount = self._amount.curve(len(x))
        if np.isscalar(amount) and amount == 0.0:
            return x
        over = np.maximum(power, _THRESHOLD)
        over *= 1 / _THRESHOLD
        exponent = -0.5 * (amount[:, None] if isinstance(amount, np.ndarray) else amount)
        return x * over ** exponent

    @property
    def reduction_db(self) -> float:
        """The gain reduction at the last frame, dB (0 under the threshold or off)."""
        return self._amount.value * 10 * math.log10(max(float(self._detector.state[0]), _THRESHOLD) / _THRESHOLD)
