"""The sidechain: keys, bass, rain and crackle dip under each kick, so the beat breathes.

The engine knows every kick (it schedules them), so the ducker needs no detector: it is told
each kick's sample as the kick is scheduled and shapes a gain from there, falling over ATTACK_S
as the kick lands and recovering over RELEASE_S after. Nothing starts before the kick itself, so
the curve is the same whichever block the kick was scheduled in. ``fx.sidechain`` is the depth: the
share of the level taken away at the kick (0.5 is -6 dB), 0 is off.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from lofid.audio.fx import Gain

ATTACK_S = 0.006  # how long the dip takes to reach its depth, from the kick's first sample
RELEASE_S = 0.16  # time constant of the recovery after it
FORGET_RELEASES = 8  # a kick this many release times past no longer shapes anything (e^-8)
MAX_KICKS = 64  # kicks remembered; far more than fit in FORGET_RELEASES * RELEASE_S
DEPTH_RAMP_S = 0.05


class Ducker:
    """Gain curves around known kicks, on the engine's music clock (samples)."""

    def __init__(self, depth: float, sample_rate: int) -> None:
        self._attack = ATTACK_S * sample_rate
        self._release = RELEASE_S * sample_rate
        self._kicks: deque[int] = deque(maxlen=MAX_KICKS)
        self._depth = Gain(depth, DEPTH_RAMP_S * sample_rate)

    def set(self, depth: float) -> None:
        if depth != self._depth.target:
            self._depth.set(depth)

    def kick(self, sample: int) -> None:
        """A kick lands on ``sample`` (the engine schedules it; kicks come in time order)."""
        self._kicks.append(sample)

    def gains(self, start: int, frames: int) -> np.ndarray:
        """The (frames, 1) gain for music samples start .. start+frames; ones when off or between kicks."""
        while self._kicks and self._kicks[0] < start - FORGET_RELEASES * self._release:
            self._kicks.popleft()
        depth = np.ones((frames, 1))
        self._depth.apply(depth)
        if self._depth.silent or not self._kicks:
            return np.ones((frames, 1))
        t = start + np.arange(frames, dtype=np.float64)
        envelope = np.zeros(frames)
        for at in self._kicks:
            if at >= start + frames:
                break
            since = t - at
            shape = np.where(since < self._attack, np.clip(since / self._attack, 0, 1),
                             np.exp(-np.maximum(since - self._attack, 0) / self._release))
            shape[since >= FORGET_RELEASES * self._release] = 0.0  # the same cut-off whichever block forgets it
            np.maximum(envelope, shape, out=envelope)
        return 1 - depth * envelope[:, None]
