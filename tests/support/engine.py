"""Helpers for tests that render the engine directly: quiet settings and block-by-block rendering."""

from __future__ import annotations

import numpy as np

QUIET = {"layers.rain.enabled": False, "layers.beat.enabled": False, "fx.crackle": 0.0, "fx.hiss": 0.0}  # music alone
# The chain's time-varying and stepped stages off (tape wow, saturation, the loudness stage, the
# sampler's rounding, which turns a difference of a bit into a whole step), for tests that compare
# renders sample by sample or level by level.
DRY = {"fx.wow": 0.0, "fx.saturation": 0.0, "fx.loudness": "off", "fx.sampler_bits": "off"}


def render(engine, frames: int, block: int = 4096) -> np.ndarray:
    """``frames`` of the engine's output, rendered block by block as a sink would pull them."""
    out = [engine.render(min(block, frames - done)) for done in range(0, frames, block)]
    return np.concatenate(out)
