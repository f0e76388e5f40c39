"""The stereo image as lo-fi records have it: width from the keys and pad, everything low in the middle.

``Width`` works on the keys, melody and pad together (and their room): in mid/side terms, the side is
scaled by ``fx.width`` and a copy of the mid, delayed by DELAY_S, is added into the side (the
classic pseudo-stereo of a mono keyboard): the mono sum is untouched, so nothing combs or thins
out on a phone speaker, while each ear hears a different blend. The mid reaching it has its bass
octaves turned down already (lofid.audio.tone), and what the side keeps of them the mono-bass
stage takes out.

``MonoBass`` makes the whole mix mono below ``fx.mono_bass_hz``: the side goes through a steep
high-pass (ORDER one-pole sections), the mid is left alone; the bass is centred as the chain sorts
the stems (lofid.audio.chain.Chain.buses, added by ``Width`` in the middle), and this catches the
drums' low side, the room, the rain and whatever else strays.

Both carry their state from block to block, and each setting glides; their loops are compiled
(lofid.audio._dsp).
"""

from __future__ import annotations

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.filters import pole
from lofid.audio.fx import SETTING_GLIDE_SECONDS, Gain

DELAY_S = 0.013  # the mid's copy in the side comes this much later: well apart from the direct sound, not an echo
DECORRELATE = 0.45  # ...at this share of the mid, at fx.width 1
ORDER = 2  # one-pole sections of the side's high-pass in MonoBass: 12 dB/octave
SECTION_RATIO = 1.3  # each section's pole at mono_bass_hz / this: the side is -4 dB at mono_bass_hz, -7 dB at
# two thirds of it, -16 dB at a third, and within 0.6 dB of itself an octave above


class Width:
    """The keys' and pad's stereo width: ``width`` 0 is mono, 1 the design, 2 twice as wide."""

    def __init__(self, width: float, sample_rate: int) -> None:
        self._history = np.zeros(round(DELAY_S * sample_rate))  # the mid's last DELAY_S, oldest first
        self._width = Gain(width, SETTING_GLIDE_SECONDS * sample_rate)

    def set(self, width: float) -> None:
        self._width.set(width)

    def process(self, mid: np.ndarray, side: np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
        """The (frames, 2) block made from its ``mid`` and ``side`` (each (frames, 1)), widened, with
        ``centre`` (frames, 1: the bass) in the middle of it (compiled: lofid.audio._dsp.widen)."""
        mid, side = (np.ascontiguousarray(a, dtype=np.float64) for a in (mid, side))
        centre = np.zeros(len(mid)) if centre is None else np.ascontiguousarray(centre, dtype=np.float64)
        out = np.empty((len(mid), 2))
        dsp.widen(mid, side, self._history, DECORRELATE, self._width.values(len(mid)), centre, out)
        return out


class MonoBass:
    """Everything below ``hz`` in the middle; ``None`` passes the block through."""

    def __init__(self, hz: float | None, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.hz: float | None = None
        self._pole = 0.0
        self._state = np.zeros(ORDER)  # each section's low-pass, carried on when ``hz`` moves while playing
        self.set(hz)

    def set(self, hz: float | None) -> None:
        if hz is None:
            self._state[:] = 0.0  # turned on again later, it starts afresh
        else:
            self._pole = pole(hz / SECTION_RATIO, self.sample_rate)
        self.hz = hz

    def process(self, x: np.ndarray) -> np.ndarray:
        """``x`` (frames, 2) with its side high-passed (compiled: lofid.audio._dsp); a new array out."""
        if self.hz is None:
            return x
        out = np.array(x, dtype=np.float64, order="C")
        dsp.side_high_pass(out, self._state, self._pole)
        return out
