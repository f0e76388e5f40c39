"""The small pieces the engine and the chain share: a gain that ramps, and the frames a stage carries.

They work on float (frames, channels) blocks and carry their state from one block to the next,
so a live stream of small blocks sounds exactly like one long offline render.
"""

from __future__ import annotations

import numpy as np

RAMP_SECONDS = 0.01  # layer and volume changes glide over 10 ms: no clicks
SETTING_GLIDE_SECONDS = 0.05  # a changed effect depth (wow, saturation, sidechain) glides in over 50 ms


class Gain:
    """A gain that moves to a new value along a short linear ramp instead of jumping."""

    def __init__(self, value: float, ramp_frames: float) -> None:
        self.value = float(value)
        self.target = float(value)
        self._step = 0.0
        self._left = 0  # frames until the target is reached
        self._ramp_frames = max(1, int(ramp_frames))

    def set(self, target: float, ramp_frames: int | None = None) -> None:
        """Glide to ``target``; a target it already has changes nothing (a ramp under way goes on)."""
        if float(target) == self.target and ramp_frames is None:
            return
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
        """Scale ``block`` (frames, channels) in place, advancing the ramp by its length."""
        curve = self.curve(len(block))
        if isinstance(curve, np.ndarray):
            block *= curve[:, None]
        elif curve != 1.0:
            block *= curve

    def values(self, frames: int) -> np.ndarray:
        """``curve`` as an array for the compiled stages (lofid.audio._dsp): one value while the gain
        holds still, one per frame while it glides."""
        curve = self.curve(frames)
        return curve if isinstance(curve, np.ndarray) else np.array([curve])

    def curve(self, frames: int) -> float | np.ndarray:
        """The gain over the next ``frames``, advancing the ramp: a plain number while it holds still
        (the usual case, so callers multiply by a scalar), else one value per frame."""
        if self._left == 0:
            return self.value
        n = min(frames, self._left)
        ramp = np.full(frames, self.target)
        ramp[:n] = self.value + self._step * np.arange(1, n + 1, dtype=np.float64)
        self._left -= n
        if self._left == 0:
            ramp[n - 1] = self.value = self.target  # land exactly, whatever the rounding
        else:
            self.value = float(ramp[n - 1])
        return ramp


class Carry:
    """The last ``frames`` of a signal, carried from one block to the next: what a delay line, a
    filter's taps or a moving window needs to see of the blocks before."""

    def __init__(self, frames: int, channels: int | None = 2) -> None:
        self.last = np.zeros((frames,) if channels is None else (frames, channels))

    def join(self, x: np.ndarray) -> np.ndarray:
        """The carried frames followed by ``x``; the newest of them are carried on."""
        joined = np.concatenate([self.last, x])
        self.last = joined[len(x):]
        return joined
