"""Recursive filters that carry their state from one block to the next (scipy.signal).

A filter keeps its second-order sections' state, so a stream of small blocks comes out exactly
as one long block would: the property every stage of the chain relies on (a live stream and an
offline render are the same sound). Cutoffs are designed per sample rate with scipy.signal.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

OPEN_HZ = 20000.0  # a low-pass set this high (or higher) passes everything: no filter is run
ORDER = 2  # Butterworth low- and high-passes: 12 dB per octave, -3 dB at the cutoff

# BS.1770's K-weighting: a high shelf (+4 dB above ~1.7 kHz) then the "RLB" high-pass near 38 Hz.
_SHELF_HZ, _SHELF_DB, _SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
_RLB_HZ, _RLB_Q = 38.13547087602444, 0.5003270373238773


class Filter:
    """Second-order sections with state per channel; ``design`` swaps the coefficients and keeps the state.

    A single section runs through ``lfilter`` (a third cheaper than ``sosfilt`` for one biquad).
    """

    def __init__(self, sos: np.ndarray, channels: int = 2) -> None:
        self.design(sos)
        self._zi = np.zeros((len(self.sos), 2, channels))

    def design(self, sos: np.ndarray) -> None:
        """New coefficients (a moved cutoff), carrying on from the old state: no reset, no click."""
        self.sos = np.asarray(sos, dtype=np.float64)

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter ``x`` (frames, channels); float64 out."""
        if len(self.sos) == 1:
            y, self._zi[0] = lfilter(self.sos[0, :3], self.sos[0, 3:], x, axis=0, zi=self._zi[0])
        else:
            y, self._zi = sosfilt(self.sos, x, axis=0, zi=self._zi)
        return y


def lowpass(cutoff_hz: float, sample_rate: int) -> np.ndarray:
    return butter(ORDER, min(cutoff_hz, 0.45 * sample_rate), "lowpass", fs=sample_rate, output="sos")


def highpass(cutoff_hz: float, sample_rate: int, order: int = ORDER) -> np.ndarray:
    return butter(order, cutoff_hz, "highpass", fs=sample_rate, output="sos")


def k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770-4's K-weighting filter as two sections, designed for ``sample_rate`` (as libebur128 does)."""
    k = math.tan(math.pi * _SHELF_HZ / sample_rate)
    vh, q = 10 ** (_SHELF_DB / 20), _SHELF_Q
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    k, q = math.tan(math.pi * _RLB_HZ / sample_rate), _RLB_Q
    a0 = 1 + k / q + k * k
    rlb = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, rlb])
