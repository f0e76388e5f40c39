"""The sampler stage: the music and beat as an old sampler plays them back, at a lower rate and fewer bits.

A producer samples the loop into an SP-1200 (26.04 kHz, 12 bits) or an early MPC and plays it from
there: a softer top and a fine grain on quiet tails. Both halves are done as cheaply as they can be:

- The rate, band-limited: a sampler's anti-alias and reconstruction filters keep only what lies under
  its Nyquist frequency, and for a band-limited signal that is all a lower rate changes. So
  ``fx.sampler_hz`` caps every part's own low-pass at BAND of it (``band_limit``, applied by
  lofid.audio.chain.voice_cutoffs in FluidSynth's per-voice filters, where it costs nothing).
- The bits: ``Sampler`` rounds the bus to ``fx.sampler_bits`` (no dither: the grain is the point),
  counted under FULL_SCALE, the level the bus peaks near (-12 dBFS) before the loudness stage
  lifts the mix, as a sampler's input is set to catch the loop's peaks.

The rounding works sample by sample, so any split into blocks gives the same samples.
"""

from __future__ import annotations

import numpy as np

FULL_SCALE = 0.25  # the sampler's 0 dBFS on the bus (-12 dBFS): its bits are counted under this
BAND = 0.45  # the band kept, as a share of the sampler's rate: just under its Nyquist frequency


def band_limit(hz: float | None) -> float | None:
    """The highest frequency a sampler at ``hz`` keeps; None (no cap) when the stage's rate is off."""
    return None if hz is None else BAND * hz


class Sampler:
    """Bit reduction of the bus; ``bits`` None passes it through."""

    def __init__(self, bits: int | None) -> None:
        self.set(bits)

    def set(self, bits: int | None) -> None:
        self.bits = bits
        self._step = None if bits is None else FULL_SCALE / 2 ** (bits - 1)  # one step of the rounding

    def process(self, x: np.ndarray) -> np.ndarray:
        if self._step is None:
            return x
        out = x * (1 / self._step)
        np.round(out, out=out)
        out *= self._step
        return out
