"""The finished loudness: a slow stage that brings the programme to ``fx.loudness`` (LUFS).

It measures as BS.1770 does, the K-weighted power, in HOP_S hops on the absolute sample clock, so
any split into blocks measures and sounds the same: BS.1770's two K-weighting biquads run on every
sample in compiled code (``KMeter``), which a kept take's meter (lofid.audio.master) shares. Each
hop that is not near silence (the gap between tracks, a fade) updates a running estimate with a
TIME_CONSTANT_S memory, and the gain moves toward target - estimate by at most SLEW_DB_PER_S:
seconds, not beats, so nothing pumps and nothing jumps. Each hop's step (a tenth of a dB or so)
glides in over GLIDE_S. A hop counts only while the music itself plays (the ``lead``: keys, bass,
melody and drums): with the music and beat turned off, the rain is not pushed up to the target, it
keeps its level.
"""

from __future__ import annotations

import math

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.fx import Gain

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
GLIDE_S = 0.02  # each hop's small gain step is ramped over this long

# BS.1770-4's K-weighting: a high shelf (+4 dB above ~1.7 kHz), then the "RLB" high-pass near 38 Hz,
# as biquads designed for any sample rate (the formulas libebur128 uses).
_SHELF_HZ, _SHELF_DB, _SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
_RLB_HZ, _RLB_Q = 38.13547087602444, 0.5003270373238773


def lufs(power: float) -> float:
    """A K-weighted mean square (summed over the channels) as loudness, LUFS."""
    return LUFS_OFFSET + 10 * math.log10(max(power, 1e-20))


def k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770-4's K-weighting at ``sample_rate``: the shelf's and the high-pass's b0 b1 b2 a1 a2 (a0 = 1)."""
    k = math.tan(math.pi * _SHELF_HZ / sample_rate)
    vh, q = 10 ** (_SHELF_DB / 20), _SHELF_Q
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    k, q = math.tan(math.pi * _RLB_HZ / sample_rate), _RLB_Q
    a0 = 1 + k / q + k * k
    rlb = [1.0, -2.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array(shelf + rlb)


class KMeter:
    """The K-weighted energy of a stream, block by block: BS.1770's filter run on every sample
    (compiled: lofid.audio._dsp.k_energy), its state carried, so any split into blocks reads the same."""

    def __init__(self, sample_rate: int, channels: int = 2) -> None:
        self._coefs = k_weighting(sample_rate)
        self._state = np.zeros(4 * channels)

    def energy(self, x: np.ndarray) -> float:
        """The sum over frames and channels of ``x`` (frames, channels) K-weighted and squared."""
        return dsp.k_energy(np.ascontiguousarray(x, dtype=np.float64), self._state, self._coefs)


class LoudnessStage:
    """Slow gain toward a loudness target; ``target`` None leaves unity gain (the stage off)."""

    def __init__(self, target: float | None, sample_rate: int) -> None:
        self.target = target
        self.hop = round(HOP_S * sample_rate)
        self._meter = KMeter(sample_rate)
        self._filled = 0  # frames of the hop being measured
        self._energy = 0.0  # their K-weighted energy
        self._lead = 0.0  # the lead's plain energy in them
        self._estimate: float | None = None  # mean K-weighted power of the music heard
        self._counted = 0  # hops in the estimate
        self.gain_db = START_GAIN_DB if target is not None else 0.0
        self._gain = Gain(10 ** (self.gain_db / 20), GLIDE_S * sample_rate)

    @property
    def measured(self) -> float | None:
        """The loudness the stage has heard (its running estimate), LUFS; None before any music."""
        return None if self._estimate is None else lufs(self._estimate)

    def process(self, x: np.ndarray, lead: np.ndarray | None = None) -> np.ndarray:
        """``x`` with the stage's gain, in place; ``lead`` (same shape) is the music in it, None if all of it is."""
        lead = x if lead is None else lead
        done = 0
        while done < len(x):
            take = min(len(x) - done, self.hop - self._filled)
            piece, music = x[done:done + take], lead[done:done + take]
            self._energy += self._meter.energy(piece)  # measured before its gain
            self._lead += float(np.vdot(music, music))
            self._gain.apply(piece)
            self._filled += take
            done += take
            if self._filled == self.hop:
                self._end_hop(self._energy / self.hop, self._lead / self.hop > 10 ** (LEAD_GATE_DBFS / 10))
                self._energy, self._lead, self._filled = 0.0, 0.0, 0
        return x

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
        self._gain.set(10 ** (self.gain_db / 20))
