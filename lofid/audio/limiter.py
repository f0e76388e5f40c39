"""The true-peak limiter at the end of the chain: no peak, between the samples too, over -1 dBTP.

It looks ahead LOOKAHEAD_S: it estimates true peaks with a 4x polyphase interpolator (BS.1770-4
Annex 2's way), holds the reduction each peak needs over the lookahead, lets it go at
RELEASE_DB_PER_S, and smooths it with a moving average as long as the lookahead, so the gain has
reached the reduction when the delayed peak passes. Blocks far under the threshold (most of them,
after the loudness stage) skip the interpolator; every piece of state is carried across blocks.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.fx import Carry

CEILING_DBTP = -1.0  # no true peak above this...
CEILING = 10 ** (CEILING_DBTP / 20)  # ...and so no sample either (linear, full scale = 1)
THRESHOLD_DB = -1.5  # where the limiter aims: margin for the interpolator's estimate
LOOKAHEAD_S = 0.003  # how long before a peak the gain starts to come down
RELEASE_DB_PER_S = 30.0  # how fast a reduction is let go
TRUE_PEAK_GUARD_DB = 3.0  # a block whose sample peaks stay this far under the threshold needs no
# interpolation: inter-sample peaks of music low-passed as lofid's is stay well within it
OVERSAMPLE = 4
TAPS_PER_PHASE = 20  # the interpolator's length in input samples (as scipy's resample_poly, a meter's choice)
KAISER_BETA = 5.0  # its window
_FIR_DELAY = TAPS_PER_PHASE // 2  # its delay, input samples: phase 0 is the sample this far back, exactly
_SLACK = 4  # frames of alignment slack either side of the estimated peak


def _interpolator() -> np.ndarray:
    """(OVERSAMPLE - 1, TAPS_PER_PHASE) taps of a Kaiser-windowed sinc at the input's Nyquist frequency:
    row p-1 estimates the signal p/OVERSAMPLE of a sample after the one _FIR_DELAY back (phase 0 is
    that sample itself)."""
    half = TAPS_PER_PHASE / 2
    rows = []
    for p in range(1, OVERSAMPLE):
        t = np.arange(TAPS_PER_PHASE) - _FIR_DELAY + p / OVERSAMPLE  # distance from the estimated point
        taps = np.sinc(t) * np.i0(KAISER_BETA * np.sqrt(np.clip(1 - (t / half) ** 2, 0, 1))) / np.i0(KAISER_BETA)
        rows.append(taps / taps.sum())
    return np.array(rows)


class TruePeakLimiter:
    """Look-ahead limiter on true peaks; ``latency`` frames late by design."""

    def __init__(self, sample_rate: int) -> None:
        self.window = max(2, round(LOOKAHEAD_S * sample_rate))  # the smoothing's length, frames
        self.hold = self.window + 2 * _SLACK  # how long a peak's reduction is held
        self.latency = self.window - 1 + _FIR_DELAY + _SLACK
        self._release = RELEASE_DB_PER_S / sample_rate  # dB per frame
        self._phases = _interpolator()
        self._tail = Carry(TAPS_PER_PHASE - 1)  # the interpolator's memory: the last input frames
        self._guard = 10 ** ((THRESHOLD_DB - TRUE_PEAK_GUARD_DB) / 20)
        self._needed = Carry(self.hold - 1, None)  # the last reductions each peak needed (dB)
        self._released = 0.0  # the last held-and-released reduction (dB)
        self._smoothed = Carry(self.window - 1, None)  # the last released reductions, for the moving average
        self._delay = Carry(self.latency)
        self._idle = True  # no reduction held, released or smoothed: a quiet block passes with its delay alone

    def process(self, x: np.ndarray) -> np.ndarray:
        frames = len(x)
        recent = self._tail.join(x)
        quiet = self._idle and np.abs(recent).max() < self._guard  # the usual block: nothing to do but delay it
        reduction = None if quiet else self._reduction(self._needed_db(recent, frames))
        out = self._delay.join(x)[:frames]
        if reduction is not None:
            out = out * (10 ** (-reduction / 20))[:, None]
        return np.clip(out, -CEILING, CEILING)

    def _needed_db(self, recent: np.ndarray, frames: int) -> np.ndarray:
        """The reduction each of the last ``frames`` of ``recent`` (the block after the interpolator's
        memory) needs for its true peak, in dB (mostly zeros; the interpolator only runs near the top)."""
        if np.abs(recent).max() < self._guard:
            return np.zeros(frames)
        lag = TAPS_PER_PHASE - 1 - _FIR_DELAY
        peak = np.abs(recent[lag:lag + frames]).max(axis=1)  # phase 0: the samples themselves
        for taps in self._phases:
            for channel in range(recent.shape[1]):
                np.maximum(peak, np.abs(np.convolve(recent[:, channel], taps, "valid")), out=peak)
        return np.maximum(0.0, 20 * np.log10(np.maximum(peak, 1e-12)) - THRESHOLD_DB)

    def _reduction(self, needed: np.ndarray) -> np.ndarray | None:
        """The smoothed reduction in dB per frame, or None where there is none at all (the usual case)."""
        frames = len(needed)
        held_in = self._needed.join(needed)
        self._idle = self._released == 0.0 and not held_in.any() and not self._smoothed.last.any()
        if self._idle:
            return None
        held = np.lib.stride_tricks.sliding_window_view(held_in, self.hold).max(axis=1)
        ramp = np.arange(frames) * self._release
        released = np.maximum(np.maximum.accumulate(held + ramp), self._released - self._release) - ramp
        released = np.maximum(released, 0.0)
        self._released = float(released[-1])
        averaged_in = self._smoothed.join(released)
        sums = np.cumsum(np.concatenate([[0.0], averaged_in]))
        return (sums[self.window:] - sums[:-self.window]) / self.window
