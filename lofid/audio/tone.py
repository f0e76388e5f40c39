"""Each part's tone, shaped where it sits in a lo-fi mix (their low-passes are FluidSynth's, per voice).

Lo-fi records put half their power in the 63 Hz octave, the kick and the bass, and fall away above
250 Hz; a General MIDI band (or any bright keyboard) piles up in the low mids and boxes. So:

- ``KeysTone``, on the keys, melody and pad together: a one-pole high-pass at HIGHPASS_HZ leaves
  the bass octaves to the bass and kick (and keeps them mono), and a low shelf takes SHELF_CUT of
  the level away below SHELF_HZ, the 250-500 Hz mud a felt piano or a Rhodes piles up, so what is
  left is the warm body above it and the tine.
- ``KickWeight``, on the kit: the kit's low end (below KICK_HZ, the kick's boom), taken from its
  mid and added back at ``KICK_BOOST`` to both sides: a boom-bap kick's long low end, in the middle.
- ``centre``: the bass, mono (a bass is one speaker cone's job).

Cheap: one-pole sections in numpy (lofid.audio.filters), state carried across blocks.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.filters import HighPass, LowPass, OnePole

HIGHPASS_HZ = 150.0  # the keys' (and melody's and pad's) first-order high-pass
SHELF_HZ = 700.0  # below this the keys lose SHELF_CUT of their level (a first-order shelf)...
SHELF_CUT = 0.5  # ...-6 dB at the bottom of it, half of that at SHELF_HZ
KICK_HZ = 90.0  # the kit's low end, below this (two poles)...
KICK_BOOST = 1.0  # ...added again at this share: +6 dB at the kick's fundamental


class KeysTone:
    """The keys' tone: the bass octaves out, the low-mid mud down."""

    def __init__(self, sample_rate: int) -> None:
        self._highpass = HighPass(HIGHPASS_HZ, sample_rate, order=1)
        self._shelf = OnePole(SHELF_HZ, sample_rate)

    def process(self, x: np.ndarray) -> np.ndarray:
        x = self._highpass.process(x)
        low = self._shelf.process(x)
        low *= -SHELF_CUT
        low += x
        return low


class KickWeight:
    """The kit with its kick's low end made heavier, and centred."""

    def __init__(self, sample_rate: int) -> None:
        self._lowpass = LowPass(KICK_HZ, sample_rate, channels=1)

    def process(self, x: np.ndarray) -> np.ndarray:
        low = self._lowpass.process(x[:, :1] + x[:, 1:])  # the mid, twice: 0.5 * KICK_BOOST folds in below
        low *= 0.5 * KICK_BOOST
        return x + low


def centre(x: np.ndarray) -> np.ndarray:
    """``x`` (frames, 2) with both channels the mid."""
    mid = (x[:, 0] + x[:, 1]) * 0.5
    return np.stack([mid, mid], axis=1)
