"""Tape: wow and flutter (a slowly wandering pitch) and soft saturation.

Wow and flutter are a delay line whose length swings: reading behind the write point at a
changing distance bends the pitch by the rate of change, so a sine swing of A samples at f Hz
bends it by at most 2*pi*f*A/sample_rate. ``fx.wow`` gives that peak bend in percent; flutter
is a faster, smaller swing on top, as a worn tape machine makes. The swings follow the absolute
sample count, so any split into blocks reads the same delays.

Saturation mixes in a soft tanh-like curve, symmetric as tape's is (its colour is the odd
harmonics, the third above all, and no offset to remove); ``fx.saturation`` is the share of the
saturated signal, 0 passes the input through untouched. The curve is the rational u(27+u^2)/(27+9u^2),
tanh to within 2.5 % up to u = 3, where it reaches 1 with zero slope and holds: a handful of
multiplications where tanh costs a transcendental per sample. Both loops over the samples are
compiled (lofid.audio._dsp).
"""

from __future__ import annotations

import math

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.fx import SETTING_GLIDE_SECONDS, Carry, Gain

WOW_HZ = 0.7  # the slow swing (tape wow sits near 0.5-1 Hz)
FLUTTER_HZ = 7.5  # the fast one (flutter sits near 6-10 Hz)...
FLUTTER_SHARE = 0.2  # ...at a fifth of wow's pitch bend
BASE_DELAY_S = 0.003  # the delay the swing moves around: longer than the largest swing (2.3 ms at fx.wow's 1%)
DRIVE = 2.5  # how hard the saturator is pushed: the curve is soft_clip(DRIVE*x)/DRIVE (lofid/audio/_dsp.c), slope 1 at 0
LFO_STEP = 32  # frames between computed points of the swing; linear between them (it moves at < 10 Hz)


class Wow:
    """The wandering delay line, on (frames, 2) float64 blocks; ``latency`` frames late by design."""

    def __init__(self, percent: float, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.latency = round(BASE_DELAY_S * sample_rate)
        self._history = Carry(self.latency * 2 + 4)  # the last input frames, enough for any delay
        self._depth = Gain(percent / 100, SETTING_GLIDE_SECONDS * sample_rate)
        self._time = 0  # frames processed so far: the swings' clock
        # The delay's swing, in frames: wow's sine and flutter's on top, each as radians a frame and its depth.
        self._swings = np.array([2 * math.pi * WOW_HZ / sample_rate, sample_rate / (2 * math.pi * WOW_HZ),
                                 2 * math.pi * FLUTTER_HZ / sample_rate,
                                 FLUTTER_SHARE * sample_rate / (2 * math.pi * FLUTTER_HZ)])

    def set(self, percent: float) -> None:
        self._depth.set(percent / 100)

    def process(self, x: np.ndarray) -> np.ndarray:
        frames, keep, start = len(x), len(self._history.last), self._time
        buffer = self._history.join(x)
        self._time += frames
        bend = self._depth.values(frames)  # the pitch bend (a fraction), per frame while it ramps
        if len(bend) == 1 and bend[0] == 0.0:  # off: the plain delay
            return buffer[keep - self.latency:keep - self.latency + frames]
        out = np.empty((frames, buffer.shape[1]))
        dsp.wow(buffer, out, start, LFO_STEP, keep, float(self.latency), bend, self._swings)
        return out


class Saturation:
    """Soft tape saturation mixed in by ``amount`` (0-1)."""

    def __init__(self, amount: float, sample_rate: int) -> None:
        self._amount = Gain(amount, SETTING_GLIDE_SECONDS * sample_rate)

    def set(self, amount: float) -> None:
        self._amount.set(amount)

    def process(self, x: np.ndarray) -> np.ndarray:
        if self._amount.silent:
            return x
        out = np.array(x, dtype=np.float64, order="C")
        dsp.saturate(out, self._amount.values(len(out)), DRIVE)  # small signals keep their level, peaks are rounded
        return out
