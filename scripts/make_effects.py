"""Make lofid's effects: the rain loop, the vinyl crackle loop and the boom-bap drum patterns.

Everything is procedural and seeded, so rerunning this script rewrites the same files:

    .venv/bin/python scripts/make_effects.py [--out effects]

- ``rain.wav``: stereo 22.05 kHz noise shaped like rain on a window (band-limited, slowly
  breathing) with droplets (short damped plinks), about 12 s; the engine crossfades its seam.
- ``vinyl/crackle.wav``: mono crackle and pops over faint hiss, used by the master chain
  (``fx.crackle``). It lives in a subfolder so it is not a layer of its own.
- ``beats/*.mid``: boom-bap patterns, four bars each with the fourth bar a variation; the engine
  plays them through FluidSynth's drum kit at whatever bpm is set.
"""

from __future__ import annotations

import argparse
import wave
from pathlib import Path

import numpy as np

RATE = 22050
KICK, SIDE, SNARE, CLAP, HAT, PEDAL, OPEN = 36, 37, 38, 39, 42, 44, 46


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


# Four bars of 16ths per pattern: (step, drum, velocity). Bars 1-3 repeat the groove, bar 4 varies it.
GROOVES = {
    "boombap_classic": (
        [(0, KICK, 110), (7, KICK, 80), (10, KICK, 100), (4, SNARE, 105), (12, SNARE, 110)],
        [(0, KICK, 110), (7, KICK, 80), (10, KICK, 100), (11, KICK, 70), (4, SNARE, 105), (12, SNARE, 110),
         (14, SNARE, 55), (15, SNARE, 70)],
        "eighths"),
    "boombap_lazy": (
        [(0, KICK, 105), (3, KICK, 70), (10, KICK, 95), (4, SNARE, 100), (12, SNARE, 104), (15, SNARE, 40)],
        [(0, KICK, 105), (3, KICK, 70), (8, KICK, 85), (10, KICK, 95), (4, SNARE, 100), (12, CLAP, 100),
         (13, SNARE, 45), (14, OPEN, 60)],
        "sixteenths"),
    "boombap_dusty": (
        [(0, KICK, 100), (9, KICK, 90), (4, SIDE, 95), (12, SIDE, 100), (14, OPEN, 55)],
        [(0, KICK, 100), (6, KICK, 70), (9, KICK, 90), (4, SIDE, 95), (12, SNARE, 100), (15, KICK, 65)],
        "eighths"),
}


def hats(kind: str) -> list[tuple[int, int, int]]:
    """Hi-hats: 8ths with the off-beats softer, or 16ths with a softer inner pulse."""
    if kind == "eighths":
        return [(s, HAT, 80 if s % 4 == 0 else 60) for s in range(0, 16, 2)]
    return [(s, HAT, (80, 40, 60, 40)[s % 4]) for s in range(16)]


def pattern_midi(path: Path, groove: tuple, seed: int) -> None:
    import pretty_midi

    rng = np.random.default_rng(seed)
    main, fill, hat_kind = groove
    bpm = 90.0
    sixteenth = 60 / bpm / 4
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    kit = pretty_midi.Instrument(program=0, is_drum=True, name="boom-bap kit")
    for bar in range(4):
        hits = (fill if bar == 3 else main) + hats(hat_kind)
        for step, drum, vel in hits:
            start = (bar * 16 + step) * sixteenth
            v = int(np.clip(vel + rng.integers(-8, 9), 1, 127))  # a human hand is never even
            kit.notes.append(pretty_midi.Note(velocity=v, pitch=drum, start=start, end=start + sixteenth / 2))
    kit.notes.sort(key=lambda n: (n.start, n.pitch))
    pm.instruments.append(kit)
    path.parent.mkdir(parents=True, exist_ok=True)
    pm.write(str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "effects")
    out = parser.parse_args().out
    write_wav(out / "rain.wav", rain())
    write_wav(out / "vinyl" / "crackle.wav", crackle())
    for i, (name, groove) in enumerate(GROOVES.items()):
        pattern_midi(out / "beats" / f"{name}.mid", groove, seed=100 + i)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"effects written to {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
