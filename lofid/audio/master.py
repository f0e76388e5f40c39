"""A finished take brought to the loudness target: measured whole as BS.1770 integrates, then one gain.

The live chain's loudness stage (lofid.audio.loudness) reaches ``fx.loudness`` over seconds, so a
track rendered alone, from a fresh engine, starts off-target while it settles. A file the user keeps
is measured whole instead: the K-weighted power of each 100 ms hop (the stage's own meter), 400 ms
blocks of four hops (75 % overlap, as BS.1770-4), the absolute gate at -70 LUFS and the relative gate
10 LU under; then one gain brings it to the target, and the chain's own true-peak limiter
(lofid.audio.limiter) keeps the few peaks the gain lifts under -1 dBTP.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.limiter import TruePeakLimiter
from lofid.audio.loudness import HOP_S, KMeter, lufs

BLOCK_HOPS = 4  # BS.1770-4: 400 ms blocks overlapping by 75 %
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LIMITER_BLOCK = 8192  # frames the limiter takes at once: its working arrays stay small


def integrated_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """BS.1770-4 integrated loudness of float stereo ``audio`` (frames, 2); None when it is silent or
    shorter than one block."""
    hop = round(HOP_S * sample_rate)
    hops = len(audio) // hop
    if hops < BLOCK_HOPS:
        return None
    meter = KMeter(sample_rate)
    power = np.array([meter.energy(audio[h * hop:(h + 1) * hop]) / hop for h in range(hops)])
    blocks = np.convolve(power, np.ones(BLOCK_HOPS) / BLOCK_HOPS, mode="valid")
    loud = blocks[[lufs(p) > ABSOLUTE_GATE_LUFS for p in blocks]]
    if not len(loud):
        return None
    gate = lufs(float(loud.mean())) + RELATIVE_GATE_LU
    kept = loud[[lufs(p) > gate for p in loud]]
    return lufs(float(kept.mean()))


def to_target(audio: np.ndarray, sample_rate: int, target: float | None) -> np.ndarray:
    """``audio`` (float32 stereo) with one gain to ``target`` LUFS (None: as it is), its true peaks limited
    to -1 dBTP; changed in place, so a long track is held once."""
    measured = integrated_lufs(audio, sample_rate) if target is not None else None
    if measured is None or target is None:
        return audio
    gain = np.float32(10 ** ((target - measured) / 20))
    limiter = TruePeakLimiter(sample_rate)
    for start in range(0, len(audio) + limiter.latency, LIMITER_BLOCK):
        piece = np.zeros((LIMITER_BLOCK, 2), np.float32)  # past the end: silence, to let the limiter's delay out
        given = audio[start:start + LIMITER_BLOCK]
        piece[:len(given)] = given * gain
        limited = limiter.process(piece)  # frame j is the output for start + j - latency: read already
        at = start - limiter.latency
        limited = limited[max(0, -at):len(audio) - at]
        audio[max(0, at):max(0, at) + len(limited)] = limited
    return audio
