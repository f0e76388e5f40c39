"""The finished loudness: a slow stage that brings the programme to ``fx.loudness`` (LUFS).

It measures as BS.1770 does, the K-weighted power, in HOP_S hops on the absolute sample clock, so
any split into blocks measures and sounds the same. Each hop's power is read off its spectrum
(Parseval: the sum of |X(f)|^2 |K(f)|^2 with BS.1770's exact K-weighting response), one FFT
every 100 ms instead of a filter running on every sample. Each hop that is not near silence (the
gap between tracks, a fade) updates a running estimate with a TIME_CONSTANT_S memory, and the
gain moves toward target - estimate by at most SLEW_DB_PER_S: seconds, not beats, so nothing
pumps and nothing jumps. Each hop's step (a tenth of a dB or so) glides in over GLIDE_S. A hop counts
only while the music itself plays (the ``lead``: keys, bass, melody and drums): with the music
and beat turned off, the rain is not pushed up to the target, it keeps its level.
"""

from __future__ import annotations

import math

import numpy as np

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


def k_weighting_response(frames: int, sample_rate: int) -> np.ndarray:
    """|K(f)|^2 at the frequencies of ``np.fft.rfft`` of ``frames`` samples."""
    k = math.tan(math.pi * _SHELF_HZ / sample_rate)
    vh, q = 10 ** (_SHELF_DB / 20), _SHELF_Q
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = ([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
             [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    k, q = math.tan(math.pi * _RLB_HZ / sample_rate), _RLB_Q
    a0 = 1 + k / q + k * k
    rlb = ([1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    z = np.exp(-1j * 2 * np.pi * np.fft.rfftfreq(frames))  # e^-jw at each bin
    response = np.ones(len(z))
    for b, a in (shelf, rlb):
        response *= np.abs(np.polyval(b[::-1], z) / np.polyval(a[::-1], z)) ** 2
    return response


class LoudnessStage:
    """Slow gain toward a loudness target; ``target`` None leaves unity gain (the stage off)."""

    def __init__(self, target: float | None, sample_rate: int) -> None:
        self.target = target
        self.hop = round(HOP_S * sample_rate)
        weights = k_weighting_response(self.hop, sample_rate) * 2  # one-sided spectrum: each bin twice...
        weights[0] /= 2  # ...but DC
        if self.hop % 2 == 0:
            weights[-1] /= 2  # ...and the Nyquist bin
        self._weights = weights[:, None] / self.hop ** 2  # Parseval: mean square = sum |X|^2 / N^2
        self._buffer = np.zeros((self.hop, 2))  # the hop being measured
        self._filled = 0
        self._lead = 0.0  # the lead's plain energy in it
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
        out = x
        done = 0
        while done < len(x):
            take = min(len(x) - done, self.hop - self._filled)
            self._buffer[self._filled:self._filled + take] = x[done:done + take]  # measured before its gain
            music = lead[done:done + take].ravel()
            self._lead += float(np.dot(music, music))
            self._gain.apply(out[done:done + take])
            self._filled += take
            done += take
            if self._filled == self.hop:
                power = float((np.abs(np.fft.rfft(self._buffer, axis=0)) ** 2 * self._weights).sum())
                self._end_hop(power, self._lead / self.hop > 10 ** (LEAD_GATE_DBFS / 10))
                self._lead, self._filled = 0.0, 0
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
        self._gain.set(10 ** (self.gain_db / 20))
