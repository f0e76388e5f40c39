"""Each part's tone, shaped where it sits in a lo-fi mix (their low-passes are FluidSynth's, per voice).

Lo-fi records put half their power in the 63 Hz octave, the kick and the bass, and fall away above
250 Hz; a General MIDI band (or any bright keyboard) piles up in the low mids and boxes. So:

- ``KeysTone``, on the mid of the keys, melody and pad together: a low shelf takes SHELF_CUT of the
  level away below SHELF_HZ, the 250-500 Hz mud a felt piano or a Rhodes piles up, and the bass
  octaves with it (they are the bass's and the kick's), so what is left is the warm body above it
  and the tine. Their side keeps its lows only until the mono-bass stage (lofid.audio.stereo).
- ``KickWeight``, on the kit: the kit's low end (a one-pole below KICK_HZ, the kick's boom), taken
  from its mid and added back at KICK_BOOST to both sides: a boom-bap kick's long low end, centred.
- ``centre``: the bass, mono (a bass is one speaker cone's job).

Cheap: one one-pole each, on one channel (lofid.audio.filters), state carried across blocks.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.filters import OnePole

SHELF_HZ = 600.0  # below this the keys lose SHELF_CUT of their level (a first-order shelf)...
SHELF_CUT = 0.7  # ...-10 dB at the bottom of it, -3 dB at SHELF_HZ
KICK_HZ = 80.0  # the kit's low end, below this (one pole)...
KICK_BOOST = 1.0  # ...added again at this share: +6 dB under the kick's fundamental


class KeysTone:
    """The keys' tone, on their mid (frames, 1): the bass octaves and the low-mid mud down."""

    def __init__(self, sample_rate: int) -> None:
        self._shelf = OnePole(SHELF_HZ, sample_rate, channels=1)

    def process(self, mid: np.ndarray) -> np.ndarray:
        low = self._shelf.process(mid)
        low *= -SHELF_CUT
        low += mid
        return low


class KickWeight:
    """The kit with its kick's low end made heavier, and centred."""

    def __init__(self, sample_rate: int) -> None:
        self._lowpass = OnePole(KICK_HZ, sample_rate, channels=1)

    def process(self, x: np.ndarray) -> np.ndarray:
        low = self._lowpass.process(x[:, :1] + x[:, 1:])  # the mid, twice: 0.5 * KICK_BOOST folds in below
        low *= 0.5 * KICK_BOOST
        return x + low


def centre(x: np.ndarray) -> np.ndarray:
    """``x`` (frames, 2) with both channels the mid."""
    mid = (x[:, 0] + x[:, 1]) * 0.5
    return np.stack([mid, mid], axis=1)
