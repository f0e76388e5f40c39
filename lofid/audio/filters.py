"""One-pole filters in numpy alone: the warm low-pass that darkens the ambience's loops
(lofid.audio.layers.darken), and the low- and high-passes the parts' tone and the stereo stages are built from.

Built from one-pole sections, y[n] = a*y[n-1] + (1-a)*x[n], which numpy runs as a closed form over
chunks (no per-sample Python loop, and no scipy at run time: importing scipy.signal alone costs
about 0.9 s of start-up and tens of MB). A filter keeps its state, so a signal cut into blocks comes
out exactly as one long block would. The parts' own low-passes are FluidSynth's (lofid.audio.synth).
"""

from __future__ import annotations

import math

import numpy as np

OPEN_HZ = 20000.0  # a low-pass set this high (or higher) passes everything: no filter is run
_MAX_CHUNK = 4096  # frames the closed form handles at once
_HEADROOM = 600.0  # the closed form scales by a**-k up to e**600, far from float64's e**709


class OnePole:
    """A one-pole low-pass per channel, y[n] = a*y[n-1] + (1-a)*x[n], with state across blocks."""

    def __init__(self, cutoff_hz: float, sample_rate: float, channels: int = 2) -> None:
        self.sample_rate = sample_rate
        self.state = np.zeros(channels)
        self.set_cutoff(cutoff_hz)

    def set_cutoff(self, cutoff_hz: float) -> None:
        a = math.exp(-2 * math.pi * min(cutoff_hz, 0.45 * self.sample_rate) / self.sample_rate)
        self.a = a
        self._chunk = int(min(_MAX_CHUNK, _HEADROOM / -math.log(a)))
        k = np.arange(self._chunk, dtype=np.float64)
        self._pow = (a ** k)[:, None]  # a**k
        self._inv = ((1 - a) * a ** -k)[:, None]  # (1-a) * a**-k
        self._next = (a ** (k + 1))[:, None]  # how the previous output decays into a chunk

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter ``x`` (frames, channels); float64 out.

        Within each chunk, y[k] = a**k * (sum_{j<=k} (1-a) a**-j x[j] + a * y_before), for all chunks
        in one pass: the output before the chunk enters as one more term of the running sum. With
        one chunk (the usual block) that is one product, one running sum and one product, in place;
        with several, the carries are a one-pole over the chunk ends: a loop over a handful of
        chunks, not samples. The block is cut into equal chunks no longer than the closed form
        allows, so little is padded.
        """
        frames = len(x)
        count = -(-frames // self._chunk)
        size = -(-frames // count)
        if count * size != frames:
            x = np.concatenate([x, np.zeros((count * size - frames, x.shape[1]))])
        terms = x.reshape(count, size, -1) * self._inv[:size]
        if count == 1:
            terms[0, 0] += self.a * self.state
            y = np.cumsum(terms, axis=1, out=terms)
            y *= self._pow[:size]
        else:
            y = np.cumsum(terms, axis=1, out=terms)
            y *= self._pow[:size]
            carry = np.empty((count, len(self.state)))
            state, decay = self.state, self.a ** size
            for c in range(count):
                carry[c] = state
                state = y[c, -1] + decay * state
            y += self._next[:size] * carry[:, None]
        out = y.reshape(count * size, -1)[:frames]
        self.state = out[-1].copy()
        return out


class LowPass:
    """The warm low-pass: two one-poles in series (12 dB/octave), -3 dB at the cutoff; open at OPEN_HZ."""

    _SPREAD = 1 / math.sqrt(math.sqrt(2) - 1)  # two equal poles this far above the cutoff meet at -3 dB

    def __init__(self, cutoff_hz: float, sample_rate: int, channels: int = 2) -> None:
        self._poles = [OnePole(OPEN_HZ, sample_rate, channels) for _ in range(2)]
        self.set_cutoff(cutoff_hz)

    def set_cutoff(self, cutoff_hz: float) -> None:
        self.cutoff_hz = cutoff_hz
        for pole in self._poles:
            pole.set_cutoff(cutoff_hz * self._SPREAD)

    def process(self, x: np.ndarray) -> np.ndarray:
        if self.cutoff_hz >= OPEN_HZ:
            return x
        for pole in self._poles:
            x = pole.process(x)
        return x


class HighPass:
    """``order`` one-pole high-passes in series (x minus its one-pole low-pass, 6 dB/octave each), all
    with the same pole; ``cutoff_hz`` is where the first-order sections are each -3 dB."""

    def __init__(self, cutoff_hz: float, sample_rate: int, channels: int = 2, order: int = 2) -> None:
        self._poles = [OnePole(cutoff_hz, sample_rate, channels) for _ in range(order)]

    def set_cutoff(self, cutoff_hz: float) -> None:
        for pole in self._poles:
            pole.set_cutoff(cutoff_hz)

    def process(self, x: np.ndarray) -> np.ndarray:
        for pole in self._poles:
            x = x - pole.process(x)
        return x
