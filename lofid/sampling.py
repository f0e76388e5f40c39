"""Turning the model's logits into a note: temperature per head, optional top-p, a seeded generator.

One ``generation.temperature`` setting scales every head, but rhythm is sampled cooler than
pitch: a wrong note in the key is colour, a wrong step breaks the groove. All randomness comes
from one numpy Generator, so a seed gives the same music.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from lofid.notes import HEADS

# Each head's temperature is the setting times this.
HEAD_TEMPERATURE = {"pitch": 1.0, "step": 0.8, "duration": 0.8, "velocity": 0.7}
# Classes that are never a note: a duration of zero 16ths.
FORBIDDEN = {"duration": (0,)}


def sample_class(logits: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator,
                 forbidden: tuple[int, ...] = ()) -> int:
    """Draw one class: softmax(logits / temperature), keeping the smallest set holding ``top_p`` of it."""
    z = np.asarray(logits, dtype=np.float64) / max(temperature, 1e-6)
    if forbidden:
        z = z.copy()
        z[list(forbidden)] = -np.inf
    p = np.exp(z - z.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")
    cumulative = np.cumsum(p[order])
    keep = order[:int(np.searchsorted(cumulative, min(top_p, 1.0) - 1e-12)) + 1]
    weights = np.cumsum(p[keep])
    return int(keep[min(len(keep) - 1, int(np.searchsorted(weights, rng.random() * weights[-1], side="right")))])


class Sampler:
    """Samples a note row (pitch, step, duration, velocity bin) from per-head logits."""

    def __init__(self, temperature: float = 1.0, top_p: float = 1.0, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.configure(temperature, top_p)

    def configure(self, temperature: float, top_p: float) -> None:
        self.temperature, self.top_p = float(temperature), float(top_p)

    def sample(self, heads: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.array([sample_class(heads[h], self.temperature * HEAD_TEMPERATURE[h], self.top_p, self.rng,
                                      FORBIDDEN.get(h, ())) for h in HEADS], dtype=np.int32)
