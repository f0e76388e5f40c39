"""The finished loudness: a slow stage that brings the programme to ``fx.loudness`` (LUFS), then a
true-peak limiter that keeps every peak, between the samples too, at or under -1 dBTP.

The loudness stage measures as BS.1770 does (K-weighted power) in HOP_S hops on the absolute
sample clock, so any split into blocks measures and sounds the same. Each hop that is not near
silence (the gap between tracks, a fade) updates a running estimate with a TIME_CONSTANT_S
memory, and the gain moves toward target - estimate by at most SLEW_DB_PER_S: seconds, not beats,
so nothing pumps and nothing jumps. The gain is ramped across the hop after the measurement.
A hop counts only while the music itself plays (the ``lead``: keys, bass, melody and drums): with
the music and beat turned off, the rain is not pushed up to the target, it keeps its level.

The limiter looks ahead LOOKAHEAD_S: it estimates true peaks with a 4x polyphase interpolator
(BS.1770-4 Annex 2's way), holds the reduction each peak needs over the lookahead, lets it go at
RELEASE_DB_PER_S, and smooths it with a moving average as long as the lookahead, so the gain has
reached the reduction when the delayed peak passes.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import firwin

from lofid.audio.filters import Filter, k_weighting

HOP_S = 0.1  # the loudness stage's measuring step
TIME_CONSTANT_S = 6.0  # its memory: several bars, so a beat or a phrase does not move it
SLEW_DB_PER_S = 1.5  # its fastest gain change once settled: inaudible as a movement
WARMUP_SLEW_DB_PER_S = 6.0  # ...and while its first TIME_CONSTANT_S of music are measured
START_GAIN_DB = 6.0  # where the gain starts: near what the default mix needs for -16 LUFS
MIN_GAIN_DB, MAX_GAIN_DB = -12.0, 18.0  # the most it takes away or adds
ABSOLUTE_GATE_LUFS = -50.0  # hops quieter than this are silence: the gain holds
LEAD_GATE_DBFS = -60.0  # ...and so are hops whose music (the lead) is quieter than this (mean square)
RELATIVE_GATE_LU = -15.0  # hops this far under the estimate (a gap, a fade-out) do not count either
LUFS_OFFSET = -0.691  # BS.1770: loudness = -0.691 + 10 log10(K-weighted power)

CEILING_DBTP = -1.0  # no true peak above this...
CEILING = 10 ** (CEILING_DBTP / 20)  # ...and so no sample either (linear, full scale = 1)
THRESHOLD_DB = -1.5  # where the limiter aims: margin for the interpolator's estimate
LOOKAHEAD_S = 0.003  # how long before a peak the gain starts to come down
RELEASE_DB_PER_S = 30.0  # how fast a reduction is let go
TRUE_PEAK_GUARD_DB = 3.0  # a block whose sample peaks stay this far under the threshold needs no
# interpolation: inter-sample peaks of music low-passed as lofid's is stay well within it
OVERSAMPLE = 4
TAPS_PER_PHASE = 16
_FIR_DELAY = (OVERSAMPLE * TAPS_PER_PHASE - 1) / 2 / OVERSAMPLE  # the interpolator's delay, input samples
_SLACK = 4  # frames of alignment slack either side of the estimated peak


def lufs(power: float) -> float:
    return LUFS_OFFSET + 10 * math.log10(max(power, 1e-20))


class LoudnessStage:
    """Slow gain toward a loudness target; ``target`` None leaves unity gain (the stage off)."""

    def __init__(self, target: float | None, sample_rate: int) -> None:
        self.target = target
        self.hop = round(HOP_S * sample_rate)
        self._weigh = Filter(k_weighting(sample_rate))
        self._sum, self._filled = 0.0, 0  # the K-weighted energy of the hop being measured
        self._lead = 0.0  # and the lead's plain energy
        self._estimate: float | None = None  # mean K-weighted power of the music heard
        self._counted = 0  # hops in the estimate
        self.gain_db = START_GAIN_DB if target is not None else 0.0
        self._from = self._to = 10 ** (self.gain_db / 20)  # linear gain ramped across the current hop

    def process(self, x: np.ndarray, lead: np.ndarray | None = None) -> np.ndarray:
        """``x`` with the stage's gain; ``lead`` (same shape) is the music in it, None if all of it is."""
        power = np.square(self._weigh.process(x)).sum(axis=1)
        lead_power = power if lead is None else np.square(lead).sum(axis=1)
        out = np.empty_like(x)
        done = 0
        while done < len(x):
            take = min(len(x) - done, self.hop - self._filled)
            where = (self._filled + 1 + np.arange(take)) / self.hop
            out[done:done + take] = x[done:done + take] * (self._from + (self._to - self._from) * where)[:, None]
            self._sum += float(power[done:done + take].sum())
            self._lead += float(lead_power[done:done + take].sum())
            self._filled += take
            done += take
            if self._filled == self.hop:
                self._end_hop(self._sum / self.hop, self._lead / self.hop > 10 ** (LEAD_GATE_DBFS / 10))
                self._sum, self._lead, self._filled = 0.0, 0.0, 0
        return out

    def _end_hop(self, power: float, lead_playing: bool) -> None:
        level = lufs(power)
        near = self._estimate is None or level > lufs(self._estimate) + RELATIVE_GATE_LU
        if lead_playing and level > ABSOLUTE_GATE_LUFS and near:
            self._counted += 1
            weight = max(1 / self._counted, HOP_S / TIME_CONSTANT_S)
            self._estimate = power if self._estimate is None else self._estimate + weight * (power - self._estimate)
        if self.target is None:
            wanted = 0.0
        elif self._estimate is None:
            wanted = self.gain_db
        else:
            wanted = min(MAX_GAIN_DB, max(MIN_GAIN_DB, self.target - lufs(self._estimate)))
        warm = self._counted * HOP_S < TIME_CONSTANT_S
        step = (WARMUP_SLEW_DB_PER_S if warm or self.target is None else SLEW_DB_PER_S) * HOP_S
        self.gain_db += min(step, max(-step, wanted - self.gain_db))
        self._from, self._to = self._to, 10 ** (self.gain_db / 20)


def _interpolator() -> np.ndarray:
    """(OVERSAMPLE, TAPS_PER_PHASE) polyphase taps: phase p estimates the signal p/4 of a sample on."""
    taps = firwin(OVERSAMPLE * TAPS_PER_PHASE, 1 / OVERSAMPLE) * OVERSAMPLE
    return taps.reshape(TAPS_PER_PHASE, OVERSAMPLE).T


class TruePeakLimiter:
    """Look-ahead limiter on true peaks; ``latency`` frames late by design."""

    def __init__(self, sample_rate: int) -> None:
        self.window = max(2, round(LOOKAHEAD_S * sample_rate))  # the smoothing's length, frames
        self.hold = self.window + 2 * _SLACK  # how long a peak's reduction is held
        self.latency = self.window - 1 + math.ceil(_FIR_DELAY) + _SLACK
        self._release = RELEASE_DB_PER_S / sample_rate  # dB per frame
        self._phases = _interpolator()
        self._tail = np.zeros((TAPS_PER_PHASE - 1, 2))  # the interpolator's memory: the last input frames
        self._guard = 10 ** ((THRESHOLD_DB - TRUE_PEAK_GUARD_DB) / 20)
        self._needed = np.zeros(self.hold - 1)  # the last reductions each peak needed (dB)
        self._released = 0.0  # the last held-and-released reduction (dB)
        self._smoothed = np.zeros(self.window - 1)  # the last released reductions, for the moving average
        self._delay = np.zeros((self.latency, 2))

    def process(self, x: np.ndarray) -> np.ndarray:
        frames = len(x)
        reduction = self._reduction(self._needed_db(x))
        delayed = np.concatenate([self._delay, x])
        self._delay = delayed[frames:]
        out = delayed[:frames]
        if reduction is not None:
            out = out * (10 ** (-reduction / 20))[:, None]
        return np.clip(out, -CEILING, CEILING)

    def _needed_db(self, x: np.ndarray) -> np.ndarray:
        """The reduction each frame's true peak needs, in dB (mostly zeros; the interpolator only runs near the top)."""
        recent = np.concatenate([self._tail, x])
        self._tail = recent[len(x):]
        if np.abs(recent).max() < self._guard:
            return np.zeros(len(x))
        frames = len(x)
        lag = TAPS_PER_PHASE - 1 - math.ceil(_FIR_DELAY)  # where the samples themselves line up with the estimates
        peak = np.abs(recent[lag:lag + frames]).max(axis=1)  # the samples count too: exact at full band
        for taps in self._phases:
            for channel in range(recent.shape[1]):
                np.maximum(peak, np.abs(np.convolve(recent[:, channel], taps, "valid")), out=peak)
        return np.maximum(0.0, 20 * np.log10(np.maximum(peak, 1e-12)) - THRESHOLD_DB)

    def _reduction(self, needed: np.ndarray) -> np.ndarray | None:
        """The smoothed reduction in dB per frame, or None where there is none at all (the usual case)."""
        frames = len(needed)
        held_in = np.concatenate([self._needed, needed])
        self._needed = held_in[frames:]
        if self._released == 0.0 and not held_in.any() and not self._smoothed.any():
            return None
        held = np.lib.stride_tricks.sliding_window_view(held_in, self.hold).max(axis=1)
        ramp = np.arange(frames) * self._release
        released = np.maximum(np.maximum.accumulate(held + ramp), self._released - self._release) - ramp
        released = np.maximum(released, 0.0)
        self._released = float(released[-1])
        averaged_in = np.concatenate([self._smoothed, released])
        self._smoothed = averaged_in[frames:]
        sums = np.cumsum(np.concatenate([[0.0], averaged_in]))
        return (sums[self.window:] - sums[:-self.window]) / self.window
