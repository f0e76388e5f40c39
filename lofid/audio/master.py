"""A finished take brought to the loudness target: measured whole as BS.1770 integrates, then one gain.

The live chain's loudness stage (lofid.audio.loudness) reaches ``fx.loudness`` over seconds, so a
track rendered alone, from a fresh engine, starts off-target while it settles. A file the user keeps
is measured whole instead: the K-weighted power of each 100 ms hop (the stage's own weighting, read
off the hop's spectrum), 400 ms blocks of four hops (75 % overlap, as BS.1770-4), the absolute gate
at -70 LUFS and the relative gate 10 LU under; then one gain brings it to the target, and the chain's
own true-peak limiter (lofid.audio.limiter) keeps the few peaks the gain lifts under -1 dBTP.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.limiter import TruePeakLimiter
from lofid.audio.loudness import HOP_S, k_weighting_response, lufs

BLOCK_HOPS = 4  # BS.1770-4: 400 ms blocks overlapping by 75 %
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """BS.1770-4 integrated loudness of float stereo ``audio`` (frames, 2); None when it is silent or
    shorter than one block."""
    hop = round(HOP_S * sample_rate)
    hops = len(audio) // hop
    if hops < BLOCK_HOPS:
        return None
    frames = np.asarray(audio[:hops * hop], np.float64).reshape(hops, hop, -1)
    weights = k_weighting_response(hop, sample_rate) * 2  # a one-sided spectrum counts each bin twice...
    weights[0] /= 2  # ...but DC
    if hop % 2 == 0:
        weights[-1] /= 2  # ...and the Nyquist bin
    spectra = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (hops, bins, channels)
    power = np.einsum("hbc,b->h", spectra, weights) / hop ** 2  # K-weighted mean square, channels summed
    blocks = np.convolve(power, np.ones(BLOCK_HOPS) / BLOCK_HOPS, mode="valid")
    loud = blocks[[lufs(p) > ABSOLUTE_GATE_LUFS for p in blocks]]
    if not len(loud):
        return None
    gate = lufs(float(loud.mean())) + RELATIVE_GATE_LU
    kept = loud[[lufs(p) > gate for p in loud]]
    return lufs(float(kept.mean()))


def to_target(audio: np.ndarray, sample_rate: int, target: float | None) -> np.ndarray:
    """``audio`` with one gain to ``target`` LUFS (None: as it is), its true peaks limited to -1 dBTP."""
    measured = integrated_lufs(audio, sample_rate) if target is not None else None
    if measured is None or target is None:
        return audio
    gained = np.asarray(audio, np.float32) * np.float32(10 ** ((target - measured) / 20))
    limiter = TruePeakLimiter(sample_rate)
    return limiter.process(np.concatenate([gained, np.zeros((limiter.latency, 2), np.float32)]))[limiter.latency:]
