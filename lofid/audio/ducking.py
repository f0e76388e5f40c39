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

from lofid.audio.fx import SETTING_GLIDE_SECONDS, Gain

ATTACK_S = 0.006  # how long the dip takes to reach its depth, from the kick's first sample
RELEASE_S = 0.16  # time constant of the recovery after it
FORGET_RELEASES = 8  # a kick this many release times past no longer shapes anything (e^-8)
MAX_KICKS = 64  # kicks remembered; far more than fit in FORGET_RELEASES * RELEASE_S


class Ducker:
    """Gain curves around known kicks, on the engine's music clock (samples)."""

    def __init__(self, depth: float, sample_rate: int) -> None:
        attack, release = ATTACK_S * sample_rate, RELEASE_S * sample_rate
        since = np.arange(int(attack + FORGET_RELEASES * release), dtype=np.float64)
        # One kick's dip at full depth, from its first sample until it no longer shapes anything.
        self._dip = np.where(since < attack, since / attack, np.exp(-(since - attack) / release)).astype(np.float32)
        self._kicks: deque[int] = deque(maxlen=MAX_KICKS)
        self._depth = Gain(depth, SETTING_GLIDE_SECONDS * sample_rate)

    def set(self, depth: float) -> None:
        self._depth.set(depth)

    def kick(self, sample: int) -> None:
        """A kick lands on ``sample`` (the engine schedules it; kicks come in time order)."""
        self._kicks.append(sample)

    def gains(self, start: int, frames: int) -> np.ndarray | None:
        """The (frames, 1) gain for music samples start .. start+frames, or None where nothing dips."""
        length = len(self._dip)
        while self._kicks and self._kicks[0] + length <= start:
            self._kicks.popleft()
        depth = self._depth.curve(frames)
        envelope = None
        for at in self._kicks:
            if at >= start + frames:
                break
            lo, hi = max(start, at), min(start + frames, at + length)
            if envelope is None:
                envelope = np.zeros(frames)
            np.maximum(envelope[lo - start:hi - start], self._dip[lo - at:hi - at], out=envelope[lo - start:hi - start])
        if envelope is None or (np.isscalar(depth) and depth == 0.0):
            return None
        return (1 - depth * envelope)[:, None]
