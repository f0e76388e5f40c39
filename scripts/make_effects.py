"""Make lofid's effects: the rain loop and the vinyl crackle loop.

Everything is procedural and seeded, so rerunning this script rewrites the same files:

    .venv/bin/python scripts/make_effects.py [--out effects]

- ``rain.wav``: stereo 22.05 kHz noise shaped like rain on a window (band-limited, slowly
  breathing) with droplets (short damped plinks), about 12 s; the engine crossfades its seam.
- ``vinyl/crackle.wav``: mono crackle and pops over faint hiss, used by the master chain
  (``fx.crackle``). It lives in a subfolder so it is not a layer of its own.

The beat is not made here: its grooves are learnt from real drummers (``lofid train --grooves``,
models/grooves.json).
"""

from __future__ import annotations

import argparse
import wave
from pathlib import Path

import numpy as np

RATE = 22050


def write_wav(path: Path, data: np.ndarray, rate: int = RATE) -> None:
    """16-bit PCM, peak-safe; ``data`` is (frames,) or (frames, channels) in -1..1."""
    data = data if data.ndim == 2 else data[:, None]
    pcm = np.round(np.clip(data, -1, 1) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def shaped_noise(rng: np.random.Generator, frames: int, low: float, high: float, tilt: float) -> np.ndarray:
    """White noise given a band and a spectral tilt (dB per octave) in the frequency domain.

    Shaping the whole loop's spectrum at once makes the noise itself periodic: no seam to hide.
    """
    spectrum = np.fft.rfft(rng.standard_normal(frames))
    f = np.fft.rfftfreq(frames, 1 / RATE)
    f[0] = 1.0
    gain = (f / 1000) ** (tilt / 6.02) / np.sqrt(1 + (low / f) ** 4) / np.sqrt(1 + (f / high) ** 4)
    out = np.fft.irfft(spectrum * gain, frames)
    return out / np.abs(out).max()


def rain(seconds: float = 12.0, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros((n, 2))
    for ch in range(2):  # the two sides are different rain, for width
        bed = shaped_noise(rng, n, 250, 5000, -3) * 0.55
        breathe = 1 + 0.15 * np.sin(2 * np.pi * (t / seconds * 3 + rng.random()))  # whole cycles: loops
        out[:, ch] = bed * breathe
    for _ in range(int(seconds * 40)):  # droplets: a damped plink panned somewhere
        at = rng.integers(0, n - RATE // 10)
        length = int(RATE * rng.uniform(0.004, 0.03))
        tt = np.arange(length) / RATE
        drop = np.sin(2 * np.pi * rng.uniform(1500, 5000) * tt) * np.exp(-tt * rng.uniform(150, 600))
        drop *= rng.uniform(0.05, 0.35) ** 1.5
        pan = rng.uniform(0.1, 0.9)
        out[at:at + length, 0] += drop * np.sqrt(1 - pan)
        out[at:at + length, 1] += drop * np.sqrt(pan)
    return out / np.abs(out).max() * 0.3


def crackle(seconds: float = 6.0, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = shaped_noise(rng, n, 2000, 9000, 0) * 0.03  # surface hiss
    clicks = rng.integers(0, n - 64, int(seconds * 35))
    for at in clicks:
        length = rng.integers(3, 24)
        amp = rng.uniform(0.05, 0.5) ** 2 * rng.choice([-1, 1])
        out[at:at + length] += amp * np.exp(-np.arange(length) / (length / 4)) * rng.standard_normal(length)
    for at in rng.integers(0, n - 400, int(seconds * 1.5)):  # the odd deeper pop
        length = 300
        out[at:at + length] += rng.uniform(0.2, 0.6) * np.sin(np.arange(length) / 12) * np.exp(-np.arange(length) / 60)
    return out / np.abs(out).max() * 0.6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "effects")
    out = parser.parse_args().out
    write_wav(out / "rain.wav", rain())
    write_wav(out / "vinyl" / "crackle.wav", crackle())
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"effects written to {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
