"""The master chain and the small DSP pieces the engine shares: gain ramps, low-pass, limiter.

Everything works on float (frames, 2) blocks and carries its state from one block to the next,
so a live stream of small blocks sounds exactly like one long offline render. Only numpy: the
recursive filter is vectorised in short chunks (a closed form of the one-pole), so scipy is not
needed at run time.
"""

from __future__ import annotations

import math

import numpy as np

CEILING = 10 ** (-1 / 20)  # -1 dBFS: the limiter keeps every peak below it
KNEE = 0.5 * CEILING  # below this the limiter leaves the signal untouched
RAMP_SECONDS = 0.01  # layer and volume changes glide over 10 ms: no clicks
_MAX_CHUNK = 4096  # frames the closed-form one-pole handles at once


class Gain:
    """A gain that moves to a new value along a short linear ramp instead of jumping."""

    def __init__(self, value: float, ramp_frames: int) -> None:
        self.value = float(value)
        self.target = float(value)
        self._step = 0.0
        self._left = 0  # frames until the target is reached
        self._ramp_frames = max(1, int(ramp_frames))

    def set(self, target: float, ramp_frames: int | None = None) -> None:
        self.target = float(target)
        self._left = self._ramp_frames if ramp_frames is None else max(1, int(ramp_frames))
        self._step = (self.target - self.value) / self._left

    def jump(self, value: float) -> None:
        """Be at ``value`` at once (before anything has been heard)."""
        self.value = self.target = float(value)
        self._left = 0

    @property
    def silent(self) -> bool:
        return self.value == 0.0 and self.target == 0.0

    def apply(self, block: np.ndarray) -> None:
        """Scale ``block`` in place, advancing the ramp by its length."""
        if self._left == 0:
            if self.value != 1.0:
                block *= self.value
            return
        n = min(len(block), self._left)
        ramp = self.value + self._step * np.arange(1, n + 1, dtype=np.float64)
        self._left -= n
        if self._left == 0:
            ramp[-1] = self.value = self.target  # land exactly, whatever the rounding
            block[n:] *= self.target
        else:
            self.value = float(ramp[-1])
        block[:n] *= ramp[:, None]


class OnePole:
    """A one-pole low-pass per channel, y[n] = a*y[n-1] + (1-a)*x[n], with state across blocks."""

    def __init__(self, cutoff_hz: float, sample_rate: int, channels: int = 2) -> None:
        self.state = np.zeros(channels)
        self.set_cutoff(cutoff_hz, sample_rate)

    def set_cutoff(self, cutoff_hz: float, sample_rate: int) -> None:
        hz = min(cutoff_hz, 0.45 * sample_rate)
        a = math.exp(-2 * math.pi * hz / sample_rate)
        self.a = a
        # The closed form scales by a**-k; chunks stay short enough that it stays far from overflow.
        self._chunk = int(min(_MAX_CHUNK, 600 / -math.log(a)))
        k = np.arange(self._chunk, dtype=np.float64)
        self._pow = a ** k  # a**k
        self._inv = (1 - a) * a ** -k  # (1-a) * a**-k
        self._next = a ** (k + 1)  # how the previous output decays into this chunk

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter ``x`` (frames, channels) and return float64 output, whole chunks in one vector pass."""
        frames, size = len(x), self._chunk
        whole = -(-frames // size) * size
        padded = np.zeros((whole, x.shape[1]))
        padded[:frames] = x
        chunks = padded.reshape(-1, size, x.shape[1])
        # Within a chunk: y[k] = a^k * sum_{j<=k} (1-a) a^-j x[j]  (+ the carried state, below).
        y = np.cumsum(chunks * self._inv[None, :, None], axis=1) * self._pow[None, :, None]
        state = self.state
        for c in range(len(chunks)):  # carry each chunk's last output into the next
            y[c] += self._next[:, None] * state
            state = y[c, -1]
        out = y.reshape(whole, x.shape[1])[:frames]
        self.state = out[-1].copy()  # the last real frame, not the zero padding after it
        return out


class LowPass:
    """The warm low-pass: two one-poles in series (12 dB/octave), -3 dB at the cutoff."""

    _SPREAD = 1 / math.sqrt(math.sqrt(2) - 1)  # two equal poles this far above the cutoff meet at -3 dB

    def __init__(self, cutoff_hz: float, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.cutoff_hz = cutoff_hz
        self._poles = [OnePole(cutoff_hz * self._SPREAD, sample_rate) for _ in range(2)]

    def set_cutoff(self, cutoff_hz: float) -> None:
        self.cutoff_hz = cutoff_hz
        for pole in self._poles:
            pole.set_cutoff(cutoff_hz * self._SPREAD, self.sample_rate)

    def process(self, x: np.ndarray) -> np.ndarray:
        for pole in self._poles:
            x = pole.process(x)
        return x


def soft_limit(x: np.ndarray) -> np.ndarray:
    """Leave the signal alone below the knee, bend it smoothly above so no peak reaches -1 dBFS.

    The curve is continuous with slope 1 at the knee (no audible corner) and approaches the
    ceiling asymptotically, so even a pile-up of loud notes never clips.
    """
    mag = np.abs(x)
    over = mag > KNEE
    if over.any():
        span = CEILING - KNEE
        bent = KNEE + span * np.tanh((mag[over] - KNEE) / span)
        x = x.copy()
        x[over] = np.sign(x[over]) * bent
    return np.clip(x, -CEILING * 0.9999, CEILING * 0.9999)


class Master:
    """The master chain: vinyl crackle mixed in, the warm low-pass, then the soft limiter."""

    def __init__(self, cutoff_hz: float, crackle_level: float, crackle: np.ndarray | None,
                 sample_rate: int) -> None:
        self.lowpass = LowPass(cutoff_hz, sample_rate)
        self.crackle = crackle  # a loop, (frames, 2) float32, or None
        self.crackle_gain = Gain(crackle_level, RAMP_SECONDS * sample_rate)
        self._crackle_pos = 0

    def update(self, cutoff_hz: float, crackle_level: float) -> None:
        if cutoff_hz != self.lowpass.cutoff_hz:
            self.lowpass.set_cutoff(cutoff_hz)
        if crackle_level != self.crackle_gain.target:
            self.crackle_gain.set(crackle_level)

    def process(self, mix: np.ndarray) -> np.ndarray:
        """``mix`` (frames, 2) float64 -> the finished float32 block."""
        if self.crackle is not None and not self.crackle_gain.silent:
            grain = loop_slice(self.crackle, self._crackle_pos, len(mix)).astype(np.float64)
            self.crackle_gain.apply(grain)
            mix = mix + grain
        if self.crackle is not None:
            self._crackle_pos = (self._crackle_pos + len(mix)) % len(self.crackle)
        return soft_limit(self.lowpass.process(mix)).astype(np.float32)


def loop_slice(loop: np.ndarray, start: int, frames: int) -> np.ndarray:
    """``frames`` frames of ``loop`` from ``start``, wrapping around its end as often as needed."""
    idx = (start + np.arange(frames)) % len(loop)
    return loop[idx]
