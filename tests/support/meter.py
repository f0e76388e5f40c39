"""Loudness and true peak as a broadcast meter reads them (ITU-R BS.1770-4): for tests and bench/, never at play time.

- Integrated loudness, LUFS: pyloudnorm's BS.1770-4 meter (K-weighting, 400 ms blocks overlapping
  by 75 %, the -70 LUFS absolute and -10 LU relative gates). Silence (every block under the
  absolute gate) has no loudness: ``None``.
- True peak, dBTP: BS.1770-4 Annex 2: 4x oversampling (scipy's polyphase FIR, ``resample_poly``),
  then the largest absolute sample, in dB of full scale. Long signals are oversampled in chunks
  that overlap by more than the filter reaches, and only each chunk's middle is read, so memory
  stays small and no chunk edge (where the filter sees zeros) is counted.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

OVERSAMPLE = 4  # BS.1770-4 Annex 2, for 48 kHz and below
CHUNK_FRAMES = 1 << 20  # input frames oversampled at once (~24 s at 44.1 kHz)
EDGE_FRAMES = 256  # input frames read beyond each chunk end: resample_poly's default filter reaches 10 per side


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A WAV file (16/32-bit PCM or float) as float32 (frames, channels) in -1..1, and its sample rate.
    Its markers (``lofid render`` marks each track) are skipped: read them with lofid.audio.wavmarks."""
    from scipy.io import wavfile

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Chunk .* not understood", wavfile.WavFileWarning)
        rate, data = wavfile.read(str(path))
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
    data = data.astype(np.float32, copy=False)
    return (data[:, None] if data.ndim == 1 else data), int(rate)


def integrated_lufs(x: np.ndarray, sr: int) -> float | None:
    """Integrated (gated) loudness of ``x`` (frames[, channels]) in LUFS; None when it is silent or shorter than a block."""
    import pyloudnorm

    if len(x) < 0.4 * sr:  # one 400 ms gating block
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyloudnorm warns on clipped input; the figure stands
        lufs = pyloudnorm.Meter(sr).integrated_loudness(np.asarray(x, dtype=np.float64))
    return float(lufs) if math.isfinite(lufs) else None


def true_peak(x: np.ndarray) -> float:
    """The largest absolute value of ``x`` (frames[, channels]) oversampled 4x: linear, 1.0 is full scale."""
    from scipy.signal import resample_poly

    peak = 0.0
    for start in range(0, len(x), CHUNK_FRAMES):
        lo, hi = max(0, start - EDGE_FRAMES), min(len(x), start + CHUNK_FRAMES + EDGE_FRAMES)
        up = resample_poly(x[lo:hi], OVERSAMPLE, 1, axis=0)
        middle = up[(start - lo) * OVERSAMPLE:(min(len(x), start + CHUNK_FRAMES) - lo) * OVERSAMPLE]
        peak = max(peak, float(np.abs(middle).max(initial=0.0)))
    return peak


def true_peak_dbtp(x: np.ndarray) -> float | None:
    """True peak of ``x`` in dBTP (BS.1770-4 Annex 2); None for digital silence."""
    peak = true_peak(x)
    return 20 * math.log10(peak) if peak > 0 else None


def db(ratio: float) -> float:
    """An amplitude ratio in dB."""
    return 20 * math.log10(ratio)
