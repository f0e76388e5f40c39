"""The small piece the engine and the chain share: a gain that ramps.

It works on float (frames, channels) blocks and carries its state from one block to the next,
so a live stream of small blocks sounds exactly like one long offline render.
"""

from __future__ import annotations

import numpy as np

RAMP_SECONDS = 0.01  # layer and volume changes glide over 10 ms: no clicks


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
