"""Make lofid's own instruments: instruments/lofid.sf2, synthesised here in numpy, seeded and deterministic.

Usage: python scripts/make_instruments.py [--output instruments/lofid.sf2]

Every sound is made from scratch (no recorded samples): electric pianos and pianos, vibraphone,
basses and the pad additively, as sums of partials whose strike fades into a steady tone; the
muted guitar by Karplus-Strong; the drums from swept sines, resonant modes and filtered noise.
A sustained sample loops on its steady part, and every frequency in that part is a whole number
of cycles of the loop, so the loop is seamless (the fundamental is rounded for it and the
rounding given back as the sample's pitch correction). Lo-fi instruments are dark and soft: the
partials roll off from a corner of 1-3 kHz, and the basses and the kick put their weight in
40-100 Hz. Keys are sampled every 6 semitones, mono 16-bit; the whole font is a few MB.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sf2
from sf2 import Instrument, Preset, Sample, Zone

SEED = 24  # every noise and phase below is drawn from this
RATE = 32000  # Hz: the keys, leads and drums (nothing above 16 kHz matters in lo-fi)
LOW_RATE = 22050  # Hz: the basses and the pad, which hold nothing above 5 kHz
FULL_SCALE = 32767 * 0.9  # peak of every sample, in 16-bit points (1 dB of headroom)
TAIL = 64  # points kept after a loop's end (the interpolator reads a few ahead)
DRUM_BANK = 128
MIDI_ZERO_HZ = 8.176  # SoundFont absolute cents count from MIDI note 0
OUTPUT = Path(__file__).resolve().parent.parent / "instruments" / "lofid.sf2"


def hz(key: float) -> float:
    return 440.0 * 2 ** ((key - 69) / 12)


def timecents(seconds: float) -> int:
    """SoundFont time: 1200 * log2(seconds)."""
    return round(1200 * math.log2(seconds))


def abs_cents(frequency: float) -> int:
    """SoundFont absolute frequency: cents above MIDI note 0 (8.176 Hz)."""
    return round(1200 * math.log2(frequency / MIDI_ZERO_HZ))


def soft(frequency: np.ndarray | float, corner: float, order: float = 2.0) -> np.ndarray | float:
    """A gentle low-pass response: 1 below ``corner`` Hz, falling ``6 * order`` dB per octave above."""
    return 1.0 / (1.0 + (np.asarray(frequency) / corner) ** order)


@dataclass(frozen=True)
class Partial:
    """One sine of a tone: at ``ratio`` times the fundamental, ``strike`` loud at the onset, falling
    with time constant ``tau`` seconds to ``held``, the level it keeps in the looped steady part."""

    ratio: float
    strike: float
    held: float
    tau: float


def periodic_noise(rng: np.random.Generator, points: int, rate: int, low: float, high: float) -> np.ndarray:
    """Band-limited noise that repeats every ``points``: random phases on whole-cycle frequencies."""
    spectrum = np.zeros(points // 2 + 1, complex)
    freqs = np.arange(len(spectrum)) * rate / points
    band = (freqs >= low) & (freqs <= high)
    spectrum[band] = np.exp(2j * np.pi * rng.random(band.sum()))
    noise = np.fft.irfft(spectrum, points)
    return noise / (np.abs(noise).max() + 1e-12)


def to_int16(wave: np.ndarray, peak: float = FULL_SCALE) -> np.ndarray:
    return np.round(wave / (np.abs(wave).max() + 1e-12) * peak).astype(np.int16)


def tone(name: str, root: int, partials: list[Partial], rng: np.random.Generator, *, strike_s: float,
         loop_s: float, rate: int = RATE, corner: float = 3000.0, transient: np.ndarray | None = None,
         breath: float = 0.0, drive: float = 0.0, halves: bool = False) -> Sample:
    """A struck or blown tone on ``root``: the strike for ``strike_s`` seconds, then a seamless loop.

    Every partial's frequency is a whole number of cycles of the ``loop_s`` loop; ``corner`` rolls
    the partials off above it (12 dB per octave); ``transient`` (points from the onset, silent by the
    loop) is added on top; ``breath`` is the level of band noise that repeats with the loop; ``drive``
    warms the tone by saturating it (tanh, which keeps the loop whole); ``halves``: partials at half
    ratios (a sub-octave), so the fundamental is kept to an even number of cycles.
    """
    loop = round(loop_s * rate)
    cycle_hz = rate / loop
    step = 2 if halves else 1
    base = max(step, step * round(hz(root) / cycle_hz / step))
    correction = round(1200 * math.log2(hz(root) / (base * cycle_hz)))
    pre = round(strike_s * rate)
    t = np.arange(pre + loop + TAIL) / rate
    fade = np.where(t < strike_s, 0.5 * (1 + np.cos(np.pi * np.minimum(t, strike_s) / strike_s)), 0.0)
    wave = np.zeros_like(t)
    for p in partials:
        cycles = round(p.ratio * base)
        frequency = cycles * cycle_hz
        if cycles < 1 or frequency > 0.45 * rate:
            continue
        gain = soft(frequency, corner)
        amplitude = gain * (p.held + (p.strike - p.held) * np.exp(-t / p.tau) * fade)
        wave += amplitude * np.sin(2 * np.pi * frequency * t + rng.uniform(0, 2 * np.pi))
    if breath:
        noise = periodic_noise(rng, loop, rate, 0.8 * hz(root), min(4000.0, 0.45 * rate))
        wave += breath * np.tile(noise, len(t) // loop + 1)[: len(t)]
    if transient is not None:
        wave[: len(transient)] += transient
    onset = min(len(t), round(0.0015 * rate))
    wave[:onset] *= np.linspace(0.0, 1.0, onset)  # no click at the very start
    if drive:
        wave = np.tanh(drive * wave / np.abs(wave).max())
    return Sample(name, to_int16(wave), rate, root, correction, (pre, pre + loop))


def thump(rng: np.random.Generator, seconds: float, cutoff: float, level: float, rate: int = RATE) -> np.ndarray:
    """A soft knock: low-passed noise dying in ``seconds`` (a felt hammer, a finger on a string)."""
    n = round(seconds * rate)
    sos = signal.butter(2, cutoff, "low", fs=rate, output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(n))
    return level * noise / (np.abs(noise).max() + 1e-12) * np.exp(-np.arange(n) / (0.25 * n))


# ---- keyboards: zones, key ranges and velocity layers ------------------------------------------------------

def key_ranges(roots: list[int]) -> list[tuple[int, int]]:
    """Each root's keys: halfway to its neighbours, the ends stretched to 0 and 127."""
    edges = [0] + [(a + b) // 2 + 1 for a, b in zip(roots, roots[1:], strict=False)] + [128]
    return [(edges[i], edges[i + 1] - 1) for i in range(len(roots))]


def keyboard(font: Font, name: str, roots: list[int], make: Callable[[int, int], Sample],
             layers: tuple[tuple[int, int], ...] = ((0, 127),), spread: int = 0,
             gens: dict[int, int] | None = None) -> int:
    """An instrument sampled at ``roots`` (one velocity layer each in ``layers``), its zones panned
    ``spread`` tenths of a percent per octave from middle C. ``make(root, layer)`` makes a sample."""
    zones = []
    for root, keys in zip(roots, key_ranges(roots), strict=True):
        pan = max(-400, min(400, round(spread * (root - 60) / 12)))
        for layer, vels in enumerate(layers):
            index = font.sample(make(root, layer))
            zones.append(Zone(index, keys, vels, {sf2.PAN: pan, sf2.SAMPLE_MODES: 1} if pan else {sf2.SAMPLE_MODES: 1}))
    return font.instrument(Instrument(name, zones, gens or {}))


@dataclass(frozen=True)
class Probe:
    """A level to calibrate: ``keys`` of preset (bank, program) should sound at ``target_db``, set by the
    initial attenuation of instrument ``instrument`` (of its zone ``zone``, or of all its zones)."""

    bank: int
    program: int
    keys: tuple[int, ...]
    target_db: float
    instrument: int
    zone: int | None = None


class Font:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.instruments: list[Instrument] = []
        self.presets: list[Preset] = []
        self.probes: list[Probe] = []

    def sample(self, s: Sample) -> int:
        self.samples.append(s)
        return len(self.samples) - 1

    def instrument(self, inst: Instrument) -> int:
        self.instruments.append(inst)
        return len(self.instruments) - 1

    def preset(self, name: str, program: int, instrument: int, bank: int = 0, level: float | None = None,
               keys: tuple[int, ...] = (48, 60, 72)) -> None:
        """A preset playing ``instrument``; ``level``: its notes' level (dBFS, see ``calibrate``) on ``keys``."""
        self.presets.append(Preset(name, bank, program, instrument))
        if level is not None:
            self.probes.append(Probe(bank, program, keys, level, instrument))

    def write(self, path: Path) -> int:
        return sf2.write_sf2(path, "lofid instruments", self.samples, self.instruments, self.presets,
                             "lofid's own lo-fi instruments, synthesised by scripts/make_instruments.py")


def envelope(attack: float = 0.0, decay: float | None = None, sustain_cb: int = 0, release: float = 0.3,
             key_decay: int = 0) -> dict[int, int]:
    """Volume-envelope generators: times in seconds, the sustain as centibels of attenuation."""
    gens = {sf2.RELEASE_VOL_ENV: timecents(release)}
    if attack:
        gens[sf2.ATTACK_VOL_ENV] = timecents(attack)
    if decay is not None:
        gens |= {sf2.DECAY_VOL_ENV: timecents(decay), sf2.SUSTAIN_VOL_ENV: sustain_cb}
    if key_decay:
        gens[sf2.KEYNUM_TO_VOL_ENV_DECAY] = key_decay
    return gens


def tremolo(rate_hz: float, depth_cb: int, delay: float = 0.2) -> dict[int, int]:
    """The modulation LFO on the volume: ``depth_cb`` centibels at its full swing."""
    return {sf2.FREQ_MOD_LFO: abs_cents(rate_hz), sf2.MOD_LFO_TO_VOLUME: depth_cb, sf2.DELAY_MOD_LFO: timecents(delay)}


def lowpass(frequency: float, q_cb: int = 0) -> dict[int, int]:
    return {sf2.INITIAL_FILTER_FC: abs_cents(frequency), sf2.INITIAL_FILTER_Q: q_cb}


def closing(frequency: float, opening_cents: int, seconds: float) -> dict[int, int]:
    """A low-pass that opens ``opening_cents`` above ``frequency`` at the strike and closes back to it
    over ``seconds`` (the modulation envelope): a struck key's tone darkens as it rings, as a real one's does."""
    return lowpass(frequency) | {sf2.MOD_ENV_TO_FILTER_FC: opening_cents, sf2.DECAY_MOD_ENV: timecents(seconds),
                                 sf2.SUSTAIN_MOD_ENV: 1000, sf2.RELEASE_MOD_ENV: timecents(seconds)}


def sends(reverb: int, chorus: int) -> dict[int, int]:
    return {sf2.REVERB_SEND: reverb, sf2.CHORUS_SEND: chorus}


# ---- the keys ------------------------------------------------------------------------------------------------

KEY_ROOTS = list(range(31, 104, 7))  # G1 .. C8, a zone every 7 semitones
BARK = ((0, 99), (100, 127))
KEY_LOOP_S = 0.4  # seconds: the keys' loops (whole cycles of 2.5 Hz)


def strike_seconds(root: int) -> float:
    """How long a key's strike lasts before its loop: the high notes' strikes are shorter."""
    return 0.6 if root < 60 else 0.4
  # the electric pianos' velocity layers: round, and barking


def rhodes(font: Font, rng: np.random.Generator) -> int:
    """A tine electric piano: a round fundamental, the pickup's 2nd harmonic, a bell-like strike with
    the tine's high ding; struck hard (the second layer) the low harmonics bark."""
    def make(root: int, layer: int) -> Sample:
        bark = layer == 1
        strike = [1.0, 0.9 if bark else 0.45, 0.6 if bark else 0.22, 0.4 if bark else 0.1, 0.25 if bark else 0.05,
                  0.15 if bark else 0.03, 0.08, 0.05]
        held = [1.0, 0.32 if bark else 0.22, 0.12 if bark else 0.06, 0.05 if bark else 0.02]
        partials = [Partial(k + 1, s, held[k] if k < len(held) else 0.0, 0.5 / (k + 1) ** 0.7)
                    for k, s in enumerate(strike)]
        partials.append(Partial(7.1, 0.25 if bark else 0.12, 0.0, 0.03))  # the tine's ding
        return tone(f"rhodes {root} {'bark' if bark else 'soft'}", root, partials, rng, strike_s=strike_seconds(root),
                    loop_s=KEY_LOOP_S, corner=2600.0 if bark else 1900.0)
    gens = envelope(decay=14.0, sustain_cb=1440, release=0.35, key_decay=-25) | tremolo(2.8, 35, 0.25) \
        | closing(2000, 1800, 1.8) | sends(150, 300)
    return keyboard(font, "tine ep", KEY_ROOTS, make, BARK, spread=120, gens=gens)


def wurli(font: Font, rng: np.random.Generator) -> int:
    """A reed electric piano: a reedy spectrum of odd and even harmonics, nasal when struck hard."""
    def make(root: int, layer: int) -> Sample:
        bark = layer == 1
        held = [1.0, 0.6, 0.5, 0.3, 0.2, 0.1, 0.07] if bark else [1.0, 0.45, 0.3, 0.15, 0.1, 0.05, 0.03]
        strike = [1.0, 0.75, 0.6, 0.5, 0.4, 0.3, 0.22, 0.15, 0.1]
        if bark:
            strike = [s * (1.0 + 1.5 * k / len(strike)) for k, s in enumerate(strike)]
        partials = [Partial(k + 1, s, held[k] if k < len(held) else 0.0, 0.2) for k, s in enumerate(strike)]
        return tone(f"wurli {root} {'bark' if bark else 'soft'}", root, partials, rng,
                    strike_s=0.7 * strike_seconds(root), loop_s=KEY_LOOP_S, corner=2400.0 if bark else 1700.0)
    gens = envelope(decay=10.0, sustain_cb=1440, release=0.25, key_decay=-30) | tremolo(4.8, 30, 0.15) \
        | closing(2000, 1800, 1.5) | sends(120, 250)
    return keyboard(font, "reed ep", KEY_ROOTS, make, BARK, spread=120, gens=gens)


def piano(font: Font, rng: np.random.Generator, name: str, corner: float, stretch: float, felt: float) -> int:
    """A piano: stretched (slightly inharmonic) partials, higher ones dying sooner, over a hammer's knock;
    ``felt`` (0-1) damps the hammer: fewer upper partials and a softer knock."""
    def make(root: int, layer: int) -> Sample:
        partials = []
        for k in range(1, 24):
            ratio = k * math.sqrt(1 + stretch * k * k)
            strike = 1.0 / k ** (1.1 + felt)
            partials.append(Partial(ratio, strike, strike * 0.35 * math.exp(-0.3 * k), 0.9 / k ** 0.6))
        knock = thump(rng, 0.03, 500.0 + 600.0 * (1 - felt), 0.08)
        return tone(f"{name} {root}", root, partials, rng, strike_s=1.2 * strike_seconds(root), loop_s=KEY_LOOP_S, corner=corner,
                    transient=knock)
    gens = envelope(decay=16.0, sustain_cb=1440, release=0.4, key_decay=-40) | closing(2200, 1600, 2.5) \
        | sends(200, 150)
    return keyboard(font, name, list(range(24, 109, 7)), make, spread=150, gens=gens)


# ---- the bass and the pad ------------------------------------------------------------------------------------

BASS_ROOTS = list(range(26, 63, 6))  # D1 .. D4
SUB_FLOOR_HZ = 25.0  # the basses' sub-octave is left out below this...
SUB_FADE_HZ = 15.0  # ...and fades in over this many Hz above it


def bass(font: Font, rng: np.random.Generator, name: str, strike: list[float], held: list[float], tau: float,
         corner: float, decay: float, knock: float, sub_octave: float) -> int:
    """A round bass: a deep fundamental carrying the tone, a sine an octave under it (the sub a lo-fi
    producer layers in), a few harmonics, a soft finger's knock, warmed by a little saturation."""
    def make(root: int, layer: int) -> Sample:
        partials = [Partial(k + 1, s, held[k] if k < len(held) else 0.0, tau / (k + 1) ** 0.5)
                    for k, s in enumerate(strike)]
        sub_hz = hz(root) / 2  # felt down to about 40 Hz, mere rumble under 25 Hz: faded out there
        sub_level = sub_octave * min(1.0, max(0.0, (sub_hz - SUB_FLOOR_HZ) / SUB_FADE_HZ))
        partials.append(Partial(0.5, sub_level, sub_level, 1.0))
        return tone(f"{name} {root}", root, partials, rng, strike_s=0.5, loop_s=1.0, rate=LOW_RATE, corner=corner,
                    transient=thump(rng, 0.04, 250.0, knock, LOW_RATE), drive=1.4, halves=True)
    gens = envelope(decay=decay, sustain_cb=1440, release=0.12, key_decay=-20) | sends(0, 0)
    return keyboard(font, name, BASS_ROOTS, make, gens=gens)


def sub(font: Font, rng: np.random.Generator) -> int:
    """A sine-ish sub bass: the fundamental with a trace of the 2nd and 3rd harmonic, held."""
    def make(root: int, layer: int) -> Sample:
        partials = [Partial(1, 1.0, 1.0, 1.0), Partial(2, 0.14, 0.14, 1.0), Partial(3, 0.04, 0.04, 1.0)]
        return tone(f"sub {root}", root, partials, rng, strike_s=0.02, loop_s=0.5, rate=LOW_RATE, corner=2000.0)
    gens = envelope(attack=0.006, decay=20.0, sustain_cb=250, release=0.15) | sends(0, 0)
    return keyboard(font, "sub bass", BASS_ROOTS, make, gens=gens)


def pad(font: Font, rng: np.random.Generator) -> int:
    """A warm pad: three detuned saws and a triangle an octave down, rolled off above 1.2 kHz."""
    detune = (1.0, 2 ** (8 / 1200), 2 ** (-8 / 1200))

    def make(root: int, layer: int) -> Sample:
        partials = []
        for d in detune:
            partials += [Partial(k * d, 0.6 / k, 0.6 / k, 1.0) for k in range(1, 40)]
        partials += [Partial(k / 2, 1.0 / k ** 2, 1.0 / k ** 2, 1.0) for k in (1, 3, 5)]  # the triangle
        return tone(f"pad {root}", root, partials, rng, strike_s=0.01, loop_s=1.5, rate=LOW_RATE, corner=1200.0,
                    halves=True)
    gens = envelope(attack=1.2, decay=30.0, sustain_cb=200, release=2.5) | lowpass(2400) | sends(400, 500) | {
        sf2.FREQ_MOD_LFO: abs_cents(0.15), sf2.MOD_LFO_TO_FILTER_FC: 500}
    return keyboard(font, "warm pad", list(range(39, 100, 7)), make, spread=200, gens=gens)


# ---- the leads -----------------------------------------------------------------------------------------------

def vibes(font: Font, rng: np.random.Generator) -> int:
    """A vibraphone: a bar's modes at 1, 4 and 10 times the fundamental, soft mallets, the motor's tremolo."""
    def make(root: int, layer: int) -> Sample:
        partials = [Partial(1, 1.0, 0.55, 1.2), Partial(4, 0.2, 0.0, 0.2), Partial(10, 0.05, 0.0, 0.04)]
        return tone(f"vibes {root}", root, partials, rng, strike_s=0.8, loop_s=0.5, corner=4000.0,
                    transient=thump(rng, 0.01, 2500.0, 0.05))
    gens = envelope(decay=9.0, sustain_cb=1440, release=0.6, key_decay=-20) | tremolo(3.5, 30, 0.1) \
        | sends(250, 200)
    return keyboard(font, "vibes", list(range(53, 96, 6)), make, spread=150, gens=gens)


def flute(font: Font, rng: np.random.Generator) -> int:
    """A breathy flute: a near-sine with weak harmonics, a chiff at the start, breath noise, late vibrato."""
    def make(root: int, layer: int) -> Sample:
        held = [1.0, 0.22, 0.08, 0.03]
        partials = [Partial(k + 1, s * 1.8 if k else s, s, 0.06) for k, s in enumerate(held)]
        return tone(f"flute {root}", root, partials, rng, strike_s=0.25, loop_s=1.0, corner=3500.0,
                    transient=thump(rng, 0.06, 3000.0, 0.12), breath=0.035)
    gens = envelope(attack=0.06, release=0.18) | lowpass(4500) | sends(250, 150) | {
        sf2.FREQ_VIB_LFO: abs_cents(5.0), sf2.VIB_LFO_TO_PITCH: 12, sf2.DELAY_VIB_LFO: timecents(0.35)}
    return keyboard(font, "soft flute", list(range(57, 100, 6)), make, gens=gens)


def karplus_strong(root: int, rng: np.random.Generator, seconds: float, damping: float,
                   brightness: float) -> Sample:
    """A plucked string (Karplus-Strong): a noise burst circulating in a delay line of one period, averaged
    each pass; ``damping`` the loss per pass (a palm on the strings), ``brightness`` the pick's."""
    period = RATE / hz(root) - 0.5  # the two-point average delays half a point
    n = int(period)
    correction = round(1200 * math.log2(hz(root) / (RATE / (n + 0.5))))
    total = round(seconds * RATE)
    y = np.zeros(total + n + 1)
    sos = signal.butter(1, brightness, "low", fs=RATE, output="sos")
    y[: n + 1] = signal.sosfilt(sos, rng.uniform(-1, 1, n + 1))
    for start in range(n + 1, len(y), n):
        stop = min(start + n, len(y))
        y[start:stop] = damping * 0.5 * (y[start - n:stop - n] + y[start - n - 1:stop - n - 1])
    wave = y[n + 1:]
    wave *= np.exp(-np.arange(total) / (0.35 * RATE))  # the palm: everything dies within a second
    wave[-round(0.05 * RATE):] *= np.linspace(1, 0, round(0.05 * RATE))
    return Sample(f"muted {root}", to_int16(np.tanh(1.5 * wave / np.abs(wave).max())), RATE, root, correction, None)


def muted_guitar(font: Font, rng: np.random.Generator) -> int:
    roots = list(range(40, 89, 6))
    zones = [Zone(font.sample(karplus_strong(root, rng, 0.9, 0.985, 1800.0)), keys)
             for root, keys in zip(roots, key_ranges(roots), strict=True)]
    gens = envelope(release=0.15) | lowpass(3500) | sends(200, 250) | {sf2.SAMPLE_MODES: 0}
    return font.instrument(Instrument("muted guitar", zones, gens))


# ---- the drums -----------------------------------------------------------------------------------------------

def _decay(n: int, seconds: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (seconds * RATE))


def _filtered(rng: np.random.Generator, n: int, kind: str, cutoff: float | tuple[float, float], order: int = 2) -> np.ndarray:
    sos = signal.butter(order, cutoff, kind, fs=RATE, output="sos")
    return signal.sosfilt(sos, rng.standard_normal(n))


def kick(rng: np.random.Generator, low: float, sweep: float, length: float, punch: float) -> np.ndarray:
    """A boom-bap kick: a sine swept from ``low + sweep`` Hz down to ``low``, a long low tail, a soft knock."""
    n = round(max(length * 2.5, 0.6) * RATE)
    t = np.arange(n) / RATE
    freq = low + sweep * np.exp(-t / 0.035)
    body = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / length)
    knock = _filtered(rng, n, "low", 1200.0) * np.exp(-t / 0.004) * punch
    return np.tanh(1.6 * (body + knock)) / math.tanh(1.6)


def snare(rng: np.random.Generator, body_hz: float, snap: float, tone_s: float, noise_s: float,
          bright: float) -> np.ndarray:
    """A soft snare: the shell's two modes and a band of noise (the wires), dull above ``bright`` Hz.

    ``snap`` is the wires' peak against the shell's: at 1 their crack at 1-3 kHz sits about 11 dB
    under the body, as a dusty sampled snare's does."""
    n = round(0.5 * RATE)
    t = np.arange(n) / RATE
    shell = (np.sin(2 * np.pi * body_hz * t) + 0.5 * np.sin(2 * np.pi * body_hz * 1.65 * t)) * np.exp(-t / tone_s)
    wires = _filtered(rng, n, "band", (250.0, bright)) * np.exp(-t / noise_s)
    return 2.0 * shell + snap * wires / np.abs(wires).max() * 2


def brush(rng: np.random.Generator) -> np.ndarray:
    """A brush on the snare: a short swish of dark noise that swells and fades."""
    n = round(0.35 * RATE)
    t = np.arange(n) / RATE
    swish = _filtered(rng, n, "band", (300.0, 2000.0)) * (1 - np.exp(-t / 0.01)) * np.exp(-t / 0.09)
    return swish + 0.3 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05)


def modes(rng: np.random.Generator, freqs: list[float], decays: list[float], length: float, noise: float = 0.0,
          band: tuple[float, float] = (2000.0, 6000.0)) -> np.ndarray:
    """Resonant modes (a rim, a bell, a tom) and, if ``noise``, a band of noise with the first mode's decay."""
    n = round(length * RATE)
    t = np.arange(n) / RATE
    wave = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6.28)) * np.exp(-t / d) for f, d in zip(freqs, decays, strict=True))
    if noise:
        wave = wave + noise * _filtered(rng, n, "band", band) / 3 * np.exp(-t / decays[0])
    return wave


def hat(rng: np.random.Generator, length: float, decay: float) -> np.ndarray:
    """A dull hi-hat: metallic squares and noise, kept between 2 and 6 kHz."""
    n = round(length * RATE)
    t = np.arange(n) / RATE
    metal = sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0))
    mix = 0.5 * metal / 6 + _filtered(rng, n, "high", 2000.0) / 3
    sos = signal.butter(2, (2000.0, 6000.0), "band", fs=RATE, output="sos")
    return signal.sosfilt(sos, mix) * np.exp(-t / decay)


def shaker(rng: np.random.Generator, length: float) -> np.ndarray:
    n = round(length * RATE)
    t = np.arange(n) / RATE
    return _filtered(rng, n, "band", (2000.0, 6000.0)) * (1 - np.exp(-t / 0.012)) * np.exp(-t / 0.035)


def clap(rng: np.random.Generator) -> np.ndarray:
    n = round(0.4 * RATE)
    t = np.arange(n) / RATE
    bursts = sum(np.where(t >= d, np.exp(-(t - d) / 0.008), 0.0) for d in (0.0, 0.011, 0.023))
    tail = 0.4 * np.exp(-np.maximum(t - 0.03, 0) / 0.12) * (t >= 0.03)
    return _filtered(rng, n, "band", (800.0, 3000.0)) * (bursts + tail)


def one_shot(name: str, wave: np.ndarray, root: int) -> Sample:
    """A drum hit at full scale (``calibrate`` sets its level), faded out over its last 4 ms."""
    end = round(0.004 * RATE)
    wave = np.array(wave, float)
    wave[-end:] *= np.linspace(1, 0, end)
    return Sample(name, to_int16(wave), RATE, root, 0, None)


# Each drum's level (dBFS through FluidSynth at velocity 100, its first half second; ``calibrate``):
# the kick on top, the snare under it, the hats and shakers far down (dull, and felt more than heard).
# The snares' wires and the hats carry the mix's 2 kHz octave (lo-fi records keep -21 to -18 dB of
# their power there: bench.balance); a kit's brushes have all their power there, so they play softer.
DRUM_LEVELS = {35: -18.0, 36: -17.0, 37: -35.0, 38: -31.0, 39: -33.0, 40: -31.0, 41: -27.0, 42: -41.0, 43: -27.0,
               44: -44.0, 45: -27.0, 46: -38.0, 47: -27.0, 48: -27.0, 49: -37.0, 50: -27.0, 51: -37.0, 53: -38.0,
               54: -45.0, 57: -37.0, 59: -37.0, 70: -45.0, 82: -45.0}


SNARES = (38, 40)  # the General MIDI snares: each kit's own (or its brushes)


@dataclass(frozen=True)
class KitStyle:
    name: str
    kick: tuple[float, float, float, float]  # low Hz, sweep Hz, decay s, knock
    snare: tuple[float, float, float, float, float] | None  # body Hz, snap, tone s, noise s, top Hz; None: brushes
    room: int  # reverb send, tenths of a percent
    snare_db: float = 0.0  # the snares' level against DRUM_LEVELS' (brushes are played softer than sticks)


KITS = {
    0: KitStyle("dusty kit", (48.0, 95.0, 0.32, 0.35), (185.0, 1.0, 0.06, 0.11, 4000.0), 0),
    8: KitStyle("tape room kit", (49.0, 80.0, 0.34, 0.25), (175.0, 0.9, 0.08, 0.16, 3600.0), 120),
    32: KitStyle("soft jazz kit", (52.0, 70.0, 0.24, 0.2), (205.0, 0.8, 0.05, 0.09, 3500.0), 60),
    40: KitStyle("brush kit", (50.0, 65.0, 0.26, 0.15), None, 80, snare_db=-4.0),
}


def kits(font: Font, rng: np.random.Generator) -> None:
    """The drum kits (bank 128): each its own kick and snare over a shared set of dull metal and shakers."""
    shared = {  # key: (sample, pan, exclusive class)
        37: (font.sample(one_shot("rim", modes(rng, [520.0, 1180.0, 1850.0], [0.03, 0.015, 0.01], 0.2, 0.5,
                                                        (1000.0, 3500.0)), 37)), 0, 0),
        39: (font.sample(one_shot("clap", clap(rng), 39)), 80, 0),
        42: (font.sample(one_shot("closed hat", hat(rng, 0.25, 0.03), 42)), 180, 1),
        44: (font.sample(one_shot("pedal hat", hat(rng, 0.2, 0.02), 44)), 180, 1),
        46: (font.sample(one_shot("open hat", hat(rng, 1.0, 0.28), 46)), 180, 1),
        51: (font.sample(one_shot("ride", modes(rng, [420.0, 655.0, 1230.0, 2140.0, 3370.0],
                                                [1.4, 1.1, 0.7, 0.5, 0.3], 2.5, 0.9, (2500.0, 6000.0)), 51)), -200, 0),
        53: (font.sample(one_shot("ride bell", modes(rng, [760.0, 1520.0, 2290.0], [0.9, 0.6, 0.4], 2.0), 53)), -200, 0),
        49: (font.sample(one_shot("crash", modes(rng, [340.0, 910.0, 1720.0], [1.5, 1.0, 0.6], 2.5, 2.5,
                                                 (2000.0, 6000.0)), 49)), 250, 0),
        70: (font.sample(one_shot("shaker", shaker(rng, 0.15), 70)), 250, 0),
    }
    shared[82] = (shared[70][0], -250, 0)
    shared[54] = (shared[70][0], 150, 0)
    shared[59] = (shared[51][0], -200, 0)
    shared[57] = (shared[49][0], -250, 0)
    toms = {41: 80.0, 43: 98.0, 45: 117.0, 47: 139.0, 48: 165.0, 50: 196.0}
    for key, f in toms.items():
        tom = modes(rng, [f, f * 1.5], [0.28, 0.1], 0.6, 0.15, (300.0, 2000.0))
        shared[key] = (font.sample(one_shot(f"tom {key}", tom, key)), round((key - 45) * 40), 0)
    for program, style in KITS.items():
        low, sweep, length, punch = style.kick
        notes = dict(shared)
        notes[36] = (font.sample(one_shot(f"kick {program}", kick(rng, low, sweep, length, punch), 36)), 0, 0)
        notes[35] = (font.sample(one_shot(f"kick2 {program}", kick(rng, low * 0.92, sweep * 0.8, length * 1.3,
                                                                    punch * 0.7), 35)), 0, 0)
        if style.snare is None:
            snares = (brush(rng), brush(rng))
        else:
            body, snap, tone_s, noise_s, top = style.snare
            snares = (snare(rng, body, snap, tone_s, noise_s, top),
                      snare(rng, body * 1.08, snap * 1.2, tone_s, noise_s, top * 1.1))
        notes[38] = (font.sample(one_shot(f"snare {program}", snares[0], 38)), 0, 0)
        notes[40] = (font.sample(one_shot(f"snare2 {program}", snares[1], 40)), 0, 0)
        zones = []
        for key, (index, pan, exclusive) in sorted(notes.items()):
            gens = {sf2.PAN: pan, sf2.OVERRIDING_ROOT_KEY: key}
            if exclusive:
                gens[sf2.EXCLUSIVE_CLASS] = exclusive
            zones.append(Zone(index, (key, key), gens=gens))
        inst = font.instrument(Instrument(style.name, zones, envelope(release=2.0) | sends(style.room, 0)
                                          | {sf2.SAMPLE_MODES: 0}))
        font.preset(style.name, program, inst, DRUM_BANK)
        font.probes += [Probe(DRUM_BANK, program, (key,), DRUM_LEVELS[key] + (style.snare_db if key in SNARES else 0.0), inst, i)
                        for i, key in enumerate(sorted(notes))]


# ---- the font ------------------------------------------------------------------------------------------------

# Each part's note level (dBFS through FluidSynth at velocity 100, its first second; ``calibrate``):
# the bass under the kick and over a chord's single key (3-4 of which sound together), the lead
# between them, the pad, which doubles the harmony, far under.
LEVELS = {"bass": -21.0, "keys": -31.0, "lead": -32.0, "pad": -35.0}
BASS_KEYS = (33, 40, 47)  # A1, E2, B2: where lofid's bass lines lie

def build() -> Font:
    """Every instrument, and the General MIDI programs they answer to."""
    rng = np.random.default_rng(SEED)
    font = Font()
    felt = piano(font, rng, "felt piano", corner=1500.0, stretch=0.0003, felt=0.6)
    upright = piano(font, rng, "upright piano", corner=1900.0, stretch=0.0005, felt=0.3)
    font.preset("Felt Piano", 0, felt, level=LEVELS["keys"])
    font.preset("Upright Piano", 1, upright, level=LEVELS["keys"])
    font.preset("Tine EP", 4, rhodes(font, rng), level=LEVELS["keys"])
    font.preset("Reed EP", 5, wurli(font, rng), level=LEVELS["keys"])
    font.preset("Vibes", 11, vibes(font, rng), level=LEVELS["lead"], keys=(60, 72, 84))
    font.preset("Muted Guitar", 28, muted_guitar(font, rng), level=LEVELS["lead"] - 5, keys=(55, 67, 79))
    font.preset("Upright Bass", 32, bass(font, rng, "upright bass", [1.0, 0.55, 0.35, 0.22, 0.12, 0.07],
                                       [1.0, 0.7, 0.5, 0.16, 0.06], 0.15, 800.0, 7.0, 0.2, 0.55),
                level=LEVELS["bass"] - 1.5, keys=BASS_KEYS)
    font.preset("Finger Bass", 33, bass(font, rng, "finger bass", [1.0, 0.6, 0.4, 0.25, 0.15, 0.1],
                                        [1.0, 0.75, 0.55, 0.2, 0.08], 0.25, 1100.0, 12.0, 0.15, 0.45),
                level=LEVELS["bass"], keys=BASS_KEYS)
    sub_bass = sub(font, rng)
    font.preset("Sub Bass", 38, sub_bass, level=LEVELS["bass"], keys=BASS_KEYS)
    font.preset("Sub Bass 2", 39, sub_bass)
    font.preset("Soft Flute", 73, flute(font, rng), level=LEVELS["lead"], keys=(60, 72, 84))
    font.preset("Warm Pad", 89, pad(font, rng), level=LEVELS["pad"])
    kits(font, rng)
    return font


# ---- levels ---------------------------------------------------------------------------------------------------

PROBE_RATE = 44100  # Hz: FluidSynth's output while calibrating, as lofid plays
PROBE_VELOCITY = 100
PROBE_SECONDS = {0: 1.0, DRUM_BANK: 0.5}  # how much of a note is measured: a held key's first second, a hit's half
ATTENUATION_CB_PER_DB = 25  # FluidSynth scales initialAttenuation by 0.4 (EMU8000 compatible): 25 cB make 1 dB


def note_level(synth, sfid: int, probe: Probe) -> float:
    """The level of the probe's notes as FluidSynth plays them: the power mean over its keys, in dBFS."""
    seconds = PROBE_SECONDS[probe.bank]
    synth.program_select(0, sfid, probe.bank, probe.program)
    powers = []
    for key in probe.keys:
        synth.noteon(0, key, PROBE_VELOCITY)
        x = synth.get_samples(round(seconds * PROBE_RATE)).reshape(-1, 2).mean(axis=1) / 32768
        synth.noteoff(0, key)
        synth.get_samples(4 * PROBE_RATE)  # let it die away
        powers.append(np.mean(x ** 2))
    return 10 * math.log10(np.mean(powers) + 1e-20)


def calibrate(font: Font, path: Path) -> None:
    """Set each instrument's initial attenuation so its notes sound at their level, measured through FluidSynth.

    The samples are normalised to their peaks, so their loudness differs; a first write is played, each
    probe measured, and the difference to its target becomes attenuation (a probe louder than its samples
    allow is reported). The targets set the band's balance: the kick and the bass loudest, each key of a
    chord under them, the hats far down.
    """
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        import fluidsynth
    font.write(path)
    synth = fluidsynth.Synth(samplerate=float(PROBE_RATE), gain=1.0, **{"synth.chorus.active": 0, "synth.reverb.active": 0})
    try:
        sfid = synth.sfload(str(path))
        for probe in font.probes:
            excess = note_level(synth, sfid, probe) - probe.target_db
            if excess < -0.5:
                print(f"bank {probe.bank} program {probe.program} keys {probe.keys}: {-excess:.1f} dB under its level")
            gens = (font.instruments[probe.instrument].zones[probe.zone].gens if probe.zone is not None
                    else font.instruments[probe.instrument].gens)
            gens[sf2.INITIAL_ATTENUATION] = max(0, round(excess * ATTENUATION_CB_PER_DB))
    finally:
        synth.delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    font = build()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    calibrate(font, args.output)
    size = font.write(args.output)
    print(f"{args.output}: {size / 1e6:.2f} MB, {len(font.presets)} presets, {len(font.samples)} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
