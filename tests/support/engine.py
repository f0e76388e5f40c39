"""Helpers for tests that render the engine directly: quiet settings and block-by-block rendering."""

from __future__ import annotations

import numpy as np

QUIET = {"layers.rain.enabled": False, "layers.beat.enabled": False, "fx.crackle": 0.0}  # music alone


def render(engine, frames: int, block: int = 4096) -> np.ndarray:
    """``frames`` of the engine's output, rendered block by block as a sink would pull them."""
    out = [engine.render(min(block, frames - done)) for done in range(0, frames, block)]
    return np.concatenate(out)
