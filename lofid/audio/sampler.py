"""The sampler stage: the music as an old sampler would play it back, at a lower rate and fewer bits.

A producer samples the loop into an SP-1200 (26.04 kHz, 12 bits) or an early MPC and plays it from
there: a softer top and a fine grain on quiet tails. Here the music bus is read at ``fx.sampler_hz``
(each low-rate sample a linear interpolation of the input at its instant), rounded to
``fx.sampler_bits`` (no dither: the grain is the point), and read back at the output rate by
linear interpolation between the low-rate samples. Linear interpolation is a triangular kernel:
it band-limits both ways (the images around the low rate fall 25 dB and more under what made
them), costs two gathers per block, and softens the top gently (at 26 kHz: -0.06 dB at 1 kHz,
-1.4 dB at 5 kHz, -5 dB at 10 kHz). The parts reaching it are low-passed already, so nothing folds down.

Every instant is counted on the absolute sample clock, so any split into blocks gives the same
samples; it is LATENCY frames late (the interpolation looks ahead). FULL_SCALE is the level the
sampler's bits count from: the music bus peaks near it (-12 dBFS) before the loudness stage.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.fx import Carry

LATENCY = 8  # frames: the next low-rate sample may lie this far ahead (1/ratio, 5.5 frames at 8 kHz) plus one to read it
FULL_SCALE = 0.25  # the sampler's 0 dBFS on the bus (-12 dBFS): its bits are counted under this


class Sampler:
    """Sample-rate and bit reduction; ``hz`` None or at/above the output rate, and ``bits`` None, pass through."""

    def __init__(self, hz: float | None, bits: int | None, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._history = Carry(2 * LATENCY)  # and as far back: the low-rate sample before the block's first frame
        self._time = 0  # frames processed so far: the absolute clock
        self.set(hz, bits)

    def set(self, hz: float | None, bits: int | None) -> None:
        self.hz = hz if hz is not None and hz < self.sample_rate else None
        self.bits = bits
        self._step = None if bits is None else FULL_SCALE / 2 ** (bits - 1)  # one step of the rounding

    @property
    def latency(self) -> int:
        return LATENCY

    def process(self, x: np.ndarray) -> np.ndarray:
        frames, keep, start = len(x), len(self._history.last), self._time
        if frames == 0:
            return x
        buffer = self._history.join(x)
        self._time += frames
        if self.hz is None and self._step is None:  # off: the plain delay, so turning it on or off never jumps
            return buffer[keep - LATENCY:keep - LATENCY + frames]
        if self.hz is None:
            return self._round(buffer[keep - LATENCY:keep - LATENCY + frames].copy())
        ratio = self.hz / self.sample_rate  # low-rate samples per output frame
        at = (np.arange(start, start + frames, dtype=np.float64) - LATENCY) * ratio  # each output frame, in low-rate samples
        first = int(np.floor(at[0]))
        k = np.arange(first, int(np.floor(at[-1])) + 2)  # the low-rate samples the block reads between
        where = k / ratio - (start - keep)  # where each is in the buffer (frame index)
        low = _read(buffer, where)
        if self._step is not None:
            self._round(low)
        return _read(low, at - first)

    def _round(self, x: np.ndarray) -> np.ndarray:
        np.multiply(np.round(x / self._step), self._step, out=x)
        return x


def _read(x: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``x`` (n, channels) read at fractional frame positions ``where`` by linear interpolation."""
    i = np.floor(where).astype(np.intp)
    frac = (where - i)[:, None]
    below = x[i]
    return below + frac * (x[i + 1] - below)
