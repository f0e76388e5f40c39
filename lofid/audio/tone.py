"""The keys' tone, shaped where they sit in a lo-fi mix (every part's low-pass is FluidSynth's, per voice).

Lo-fi records put half their power in the 63 Hz octave, the kick and the bass, and fall away
steadily above 250 Hz: -15 dB of the total at 1 kHz, -26 at 4 kHz. lofid's own kick and basses are
made to own the bottom octaves (scripts/make_instruments.py), so what the mix still needs is keys
that sit warm, under the beat: ``KeysTone``, on the mid of the keys, melody and pad together, a
first-order tilt that keeps their body (-1 dB at 250 Hz) and lays their upper mids back (-2.4 dB at
500 Hz, -4 dB at 1 kHz, -5 dB from 2 kHz up: a felt piano's or a Rhodes' tine through a dark
tape), so they stop boxing the beat in, yet keep the presence (1-2 kHz) lo-fi records have. Their
side is left alone: that is the width (lofid.audio.stereo).

Cheap: one one-pole on one channel (lofid.audio.filters), its state carried across blocks.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.filters import OnePole

TILT_HZ = 400.0  # the tilt's corner: above it the keys fall toward (1 - TILT) of their level...
TILT = 0.45  # ...-5.2 dB at the top, -1 dB at 250 Hz


class KeysTone:
    """The keys' tone, on their mid (frames, 1): the body kept, the upper mids laid back."""

    def __init__(self, sample_rate: int) -> None:
        self._lowpass = OnePole(TILT_HZ, sample_rate, channels=1)

    def process(self, mid: np.ndarray) -> np.ndarray:
        return self._lowpass.process(mid, dry=1 - TILT, wet=TILT)

