"""Tonal balance of a mix: the share of power in each octave, how wide the stereo image is, how mono the bass.

The octave shares are measured exactly as issue 24 measured 20 commercial lo-fi hip-hop releases
(Chillhop Music, Lofi Records and others; mastered MP3s): the mono sum at 44.1 kHz, Hann-windowed
FFT_SIZE-point FFTs every HOP frames, their power averaged, summed over each octave from
centre/sqrt(2) to centre*sqrt(2) and divided by the total power, in dB; over WINDOW_S from
START_S in (or what the file has). ``RECORDS`` holds those releases' 25th percentile, median and
75th percentile per octave: the reference every lofid mix is set beside (``lofid eval --balance``,
bench/balance.py).

The stereo figures come from the same FFTs: ``side_mid`` is the RMS of the side (L-R)/2 over the
RMS of the mid (L+R)/2 (the records: 0.26); ``bass_side_mid`` is the same below BASS_HZ, where a
record keeps the kick and bass centred (0 is perfectly mono).
"""

from __future__ import annotations

import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofid.errors import LofidError

SAMPLE_RATE = 44100  # the rate the method measures at; other files are resampled to it
FFT_SIZE = 8192  # frames per FFT (Hann-windowed)
HOP = 4096  # frames between FFTs
START_S = 10.0  # the measured stretch starts this far in (the records' intros are skipped)...
WINDOW_S = 150.0  # ...and lasts this long, or to the end of the file
OCTAVES_HZ = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)  # nominal centres
JUDGED_HZ = OCTAVES_HZ[:-1]  # the octaves the targets judge: 31.5 Hz to 8 kHz (16 kHz is mostly MP3 cut-off)
BASS_HZ = 150.0  # below this a mix should be mono
SIDE_MID_RANGE = (0.2, 0.35)  # the stereo width lofid aims at (the records' median: 0.26)
BASS_SIDE_MID_MAX = 0.1  # "mono" bass: the side below BASS_HZ at least 20 dB under the mid
_FLOOR = 1e-30  # power added before taking a log: silence reads about -300 dB, not -inf


@dataclass(frozen=True)
class Reference:
    """The records' octave shares (dB of the total), one value per OCTAVES_HZ centre."""

    low: tuple[float, ...]  # 25th percentile
    median: tuple[float, ...]
    high: tuple[float, ...]  # 75th percentile
    side_mid: float  # their median stereo side/mid RMS ratio
    source: str


RECORDS = Reference(
    low=(-22.3, -3.9, -8.7, -9.9, -12.5, -17.7, -21.4, -28.5, -37.7, -57.5),
    median=(-13.3, -3.2, -7.3, -8.9, -11.3, -15.3, -20.6, -26.1, -34.7, -48.9),
    high=(-10.9, -2.6, -6.1, -6.6, -8.9, -13.6, -18.1, -19.9, -28.9, -44.8),
    side_mid=0.26,
    source="20 commercial lo-fi hip-hop releases (Chillhop Music, Lofi Records and others; mastered MP3s), "
           "measured for issue 24: median over the files, 150 s from 10 s in",
)


@dataclass(frozen=True)
class Balance:
    """One mix's tonal balance."""

    octaves_db: tuple[float, ...]  # share of the mono sum's power in each OCTAVES_HZ octave, dB of the total
    side_mid: float  # RMS side / RMS mid over the whole band
    bass_side_mid: float  # ...below BASS_HZ
    seconds: float  # how long a stretch was measured

    def outside(self, reference: Reference = RECORDS) -> tuple[float, ...]:
        """Per octave, how far (dB) the share lies outside the reference's middle half; 0 inside it."""
        return tuple(distance(v, lo, hi) for v, lo, hi in zip(self.octaves_db, reference.low, reference.high))

    def worst_outside(self, reference: Reference = RECORDS) -> float:
        """The largest distance outside the middle half over the judged octaves (JUDGED_HZ), dB."""
        return max(self.outside(reference)[:len(JUDGED_HZ)])


def distance(value: float, low: float, high: float) -> float:
    """How far ``value`` lies outside [low, high]; 0 inside."""
    return max(low - value, value - high, 0.0)


def stretch(frames: int, sample_rate: int = SAMPLE_RATE) -> tuple[int, int]:
    """The (first, past-last) frame the method measures in a file of ``frames``: WINDOW_S from START_S
    in, or what the file has; a file too short to skip START_S and keep as much again is measured whole."""
    start = round(START_S * sample_rate)
    if frames < 2 * start:
        return 0, frames
    return start, min(frames, start + round(WINDOW_S * sample_rate))


def measure(stereo: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Balance:
    """The balance of ``stereo`` (frames, 2) or mono (frames,) audio at ``sample_rate``, over the method's stretch."""
    x = np.asarray(stereo, dtype=np.float64)
    if x.ndim == 1:
        x = np.stack([x, x], axis=1)
    if sample_rate != SAMPLE_RATE:
        x = _resample(x, sample_rate)
    first, last = stretch(len(x))
    x = x[first:last]
    if len(x) < FFT_SIZE:
        raise LofidError(f"too short to measure the balance: {len(x) / SAMPLE_RATE:.2f} s "
                         f"(needs at least {FFT_SIZE / SAMPLE_RATE:.2f} s)")
    mid_power, side_power = _spectra(x)
    freqs = np.fft.rfftfreq(FFT_SIZE, 1 / SAMPLE_RATE)
    total = mid_power.sum() + _FLOOR
    shares = []
    for centre in OCTAVES_HZ:
        band = (freqs >= centre / math.sqrt(2)) & (freqs < centre * math.sqrt(2))
        shares.append(round(10 * math.log10(mid_power[band].sum() / total + _FLOOR), 2))
    bass = freqs < BASS_HZ
    return Balance(octaves_db=tuple(shares),
                   side_mid=round(math.sqrt(side_power.sum() / total), 3),
                   bass_side_mid=round(math.sqrt(side_power[bass].sum() / (mid_power[bass].sum() + _FLOOR)), 3),
                   seconds=round(len(x) / SAMPLE_RATE, 1))


def _spectra(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mid's and the side's power per FFT bin, averaged over Hann-windowed frames HOP apart."""
    window = np.hanning(FFT_SIZE)
    mid_power = np.zeros(FFT_SIZE // 2 + 1)
    side_power = np.zeros(FFT_SIZE // 2 + 1)
    count = 0
    chunk = 64  # frames transformed at once: bounded memory for a long file
    starts = np.arange(0, len(x) - FFT_SIZE + 1, HOP)
    for at in range(0, len(starts), chunk):
        index = starts[at:at + chunk, None] + np.arange(FFT_SIZE)
        left, right = x[index, 0], x[index, 1]
        mid = np.fft.rfft((left + right) / 2 * window, axis=1)
        side = np.fft.rfft((left - right) / 2 * window, axis=1)
        mid_power += (np.abs(mid) ** 2).sum(axis=0)
        side_power += (np.abs(side) ** 2).sum(axis=0)
        count += len(index)
    return mid_power / count, side_power / count


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` at SAMPLE_RATE, band-limited (a polyphase filter), so the top octaves read true."""
    from scipy.signal import resample_poly

    g = math.gcd(SAMPLE_RATE, rate)
    return resample_poly(x, SAMPLE_RATE // g, rate // g, axis=0)


def measure_file(path: Path) -> Balance:
    """The balance of a PCM WAV file (mono or stereo, 8-32 bit, any rate); LofidError names a bad file."""
    from lofid.audio.layers import read_wav

    path = Path(path)
    if not path.is_file():
        raise LofidError(f"{path}: no such WAV file")
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
    except (wave.Error, EOFError, OSError) as e:
        raise LofidError(f"{path}: not a readable PCM WAV ({e})") from None
    audio = read_wav(path, rate)  # its errors name the file
    try:
        return measure(audio, rate)
    except LofidError as e:
        raise LofidError(f"{path}: {e}") from None
