"""One-pole filters: the warm low-pass that darkens the ambience's loops (lofid.audio.layers.darken),
and the pole the parts' tone, the glue's detector and the stereo stages are built from.

Built from one-pole sections, y[n] = a*y[n-1] + (1-a)*x[n], run sample by sample in compiled code
(lofid.audio._dsp; no scipy at run time: importing scipy.signal alone costs about 0.9 s of start-up
and tens of MB). A filter keeps its state, so a signal cut into blocks comes out exactly as one long
block would. The parts' own low-passes are FluidSynth's (lofid.audio.synth).
"""

from __future__ import annotations

import math

import numpy as np

from lofid.audio.compiled import dsp

OPEN_HZ = 20000.0  # a low-pass set this high (or higher) passes everything: no filter is run


def pole(cutoff_hz: float, sample_rate: float) -> float:
    """The pole ``a`` of a one-pole low-pass at ``cutoff_hz`` (held under 0.45 of the rate)."""
    return math.exp(-2 * math.pi * min(cutoff_hz, 0.45 * sample_rate) / sample_rate)


class OnePole:
    """A one-pole low-pass per channel, y[n] = a*y[n-1] + (1-a)*x[n], with state across blocks."""

    def __init__(self, cutoff_hz: float, sample_rate: float, channels: int = 2) -> None:
        self.sample_rate = sample_rate
        self.state = np.zeros(channels)
        self.set_cutoff(cutoff_hz)

    def set_cutoff(self, cutoff_hz: float) -> None:
        self.a = pole(cutoff_hz, self.sample_rate)

    def process(self, x: np.ndarray, dry: float = 0.0, wet: float = 1.0) -> np.ndarray:
        """``dry`` * ``x`` + ``wet`` * ``x`` filtered, for ``x`` (frames, channels): the low-pass by
        default, (1, -1) the high-pass; a new float64 array out, ``x`` untouched."""
        y = np.array(x, dtype=np.float64, order="C")
        dsp.one_pole(y, self.state, self.a, dry, wet)
        return y


class LowPass:
    """The warm low-pass: two one-poles in series (12 dB/octave), -3 dB at the cutoff; open at OPEN_HZ."""

    _SPREAD = 1 / math.sqrt(math.sqrt(2) - 1)  # two equal poles this far above the cutoff meet at -3 dB

    def __init__(self, cutoff_hz: float, sample_rate: int, channels: int = 2) -> None:
        self._poles = [OnePole(OPEN_HZ, sample_rate, channels) for _ in range(2)]
        self.set_cutoff(cutoff_hz)

    def set_cutoff(self, cutoff_hz: float) -> None:
        self.cutoff_hz = cutoff_hz
        for pole in self._poles:
            pole.set_cutoff(cutoff_hz * self._SPREAD)

    def process(self, x: np.ndarray) -> np.ndarray:
        if self.cutoff_hz >= OPEN_HZ:
            return x
        for pole in self._poles:
            x = pole.process(x)
        return x

