"""Tape hiss: a quiet, dark bed of noise under everything, as a cassette deck leaves it.

Made once at start, not per block: LOOP_S of noise shaped in the frequency domain (random phases,
a magnitude flat from LOW_HZ up and falling 12 dB/octave above TOP_HZ, the hiss of a tape heard
through a dark chain), so the loop is periodic by construction and joins itself without a seam.
The right channel reads it half a loop later than the left: two uncorrelated hisses from one
table. ``fx.hiss`` is its level, 1 being FULL_DBFS RMS before the loudness stage (which lifts the
whole mix by some 10 dB); it is ambience, like the rain and the crackle, so it dips under the
kick with them and is not counted as music by the loudness stage; but it is the tape's, so it
plays only while the music or the beat does (the chain scales it by their layers' volumes).
"""

from __future__ import annotations

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.fx import RAMP_SECONDS, Gain
from lofid.audio.layers import PCM_SCALE, to_pcm16

LOOP_S = 9.7  # about (smooth_length): long enough that noise never sounds frozen
LOW_HZ = 150.0  # below this the hiss thins out (first order)
TOP_HZ = 4500.0  # above this it falls 12 dB per octave
FULL_DBFS = -48.0  # RMS at fx.hiss 1
SEED = 24  # the same hiss every run: a render is reproducible


def hiss_loop(sample_rate: int, seconds: float = LOOP_S) -> np.ndarray:
    """The shaped noise loop, float32 mono, RMS 1."""
    n = smooth_length(int(seconds * sample_rate))
    rng = np.random.default_rng(SEED)
    f = np.fft.rfftfreq(n, 1 / sample_rate)
    shape = f / np.hypot(f, LOW_HZ) / (1 + (f / TOP_HZ) ** 2)
    spectrum = shape * (rng.standard_normal(len(f)) + 1j * rng.standard_normal(len(f)))
    loop = np.fft.irfft(spectrum, n)
    return (loop / np.sqrt(np.mean(loop ** 2))).astype(np.float32)


def smooth_length(n: int) -> int:
    """The least length >= ``n`` with no prime factor above 5: its FFT is fast. 9.7 s at 44.1 kHz is
    2 x 3 x 5 x 3 x 7^2 x 97 frames, whose inverse FFT took 0.1-0.3 s of every start."""
    best = 2 * n
    five = 1
    while five < best:
        three = five
        while three < best:
            two = three
            while two < n:
                two *= 2
            best = min(best, two)
            three *= 3
        five *= 5
    return best


class Hiss:
    """The hiss loop read on the absolute clock; ``level`` 0-1 (fx.hiss). The loop is kept as 16-bit
    PCM at its peak (its rounding 80 dB under its RMS, so some 130 dB under full scale as played)."""

    def __init__(self, level: float, sample_rate: int) -> None:
        loop = hiss_loop(sample_rate)
        peak = float(np.abs(loop).max())
        self._loop = to_pcm16(loop / peak)
        self._unit = peak / PCM_SCALE  # one step of the PCM loop, in the loop's RMS
        self._level = Gain(level * 10 ** (FULL_DBFS / 20), RAMP_SECONDS * sample_rate)
        self._time = 0

    def set(self, level: float) -> None:
        self._level.set(level * 10 ** (FULL_DBFS / 20))

    def add_to(self, x: np.ndarray, scale: float | np.ndarray = 1.0) -> None:
        """Add the hiss to ``x`` (frames, 2) in place, times ``scale`` (a number or one per frame); the
        loop runs on even while silent."""
        frames, n = len(x), len(self._loop)
        at = self._time
        self._time = (self._time + frames) % n
        level = np.atleast_1d(self._level.curve(frames) * scale * self._unit)
        if len(level) == 1 and level[0] == 0.0:
            return
        dsp.add_loop(x, self._loop, at, (at + n // 2) % n, level)
