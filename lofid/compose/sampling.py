"""Turning the model's logits into a note: temperature per head, optional top-p, harmony bias,
a seeded generator.

One ``generation.temperature`` setting scales every head, but rhythm is sampled cooler than
pitch: a wrong note in the key is colour, a wrong step breaks the groove. All randomness comes
from one numpy Generator, so a seed gives the same music.

The ``generation.harmony`` setting biases pitch before sampling (added to the logits, so it
works with any temperature): ``strict`` allows only notes of the key, and on beats 1 and 3 only
tones of the chord; ``loose`` makes those ten and four times likelier than the rest; both keep
the melody in its register (MELODY_RANGE, or the track's as heard: lofid.compose.register) and above
the keys' top voice, so the comping, played on the same instrument, never buries the tune. ``free`` leaves the model alone.
"""

from __future__ import annotations

import functools

import numpy as np

from lofid.model.encoding import VOCAB
from lofid.music.keys import MAJOR_SCALE

# Each head's temperature is the setting times this.
HEAD_TEMPERATURE = {"pitch": 1.0, "step": 0.8, "duration": 0.8, "velocity": 0.7}
HARMONY_MODES = ("strict", "loose", "free")
_LOOSE = {"key": np.log(10.0), "chord": np.log(4.0)}  # logit bonus (nats): key notes 10x, chord tones 4x likelier
MELODY_RANGE = (60, 88)  # MIDI pitches C4-E6: above most of the keys voices, below shrill
_PITCH = np.arange(VOCAB["pitch"])
_PITCH_CLASS = _PITCH % 12


def sample_class(logits: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator,
                 forbidden: tuple[int, ...] = (), bias: np.ndarray | None = None) -> int:
    """Draw one class: softmax((logits + bias) / temperature), keeping the smallest set holding
    ``top_p`` of it. ``bias`` is added to the logits (-inf rules a class out)."""
    z = np.asarray(logits, dtype=np.float64)
    if bias is not None:
        z = z + bias
    z = z / max(temperature, 1e-6)  # a new array: the caller's logits are never written
    if forbidden:
        z[list(forbidden)] = -np.inf
    p = np.exp(z - z.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")
    cumulative = np.cumsum(p[order])
    keep = order[:int(np.searchsorted(cumulative, min(top_p, 1.0) - 1e-12)) + 1]
    weights = np.cumsum(p[keep])
    return int(keep[min(len(keep) - 1, int(np.searchsorted(weights, rng.random() * weights[-1], side="right")))])


@functools.lru_cache(maxsize=1024)  # a handful of chords, floors and modes: each bias is built once
def harmony_bias(mode: str, chord: frozenset[int], strong: bool, floor: int = MELODY_RANGE[0],
                 ceiling: int = MELODY_RANGE[1]) -> np.ndarray | None:
    """The pitch logits' bias under ``mode`` for a note over ``chord`` (pitch classes); ``strong``
    if it falls on beat 1 or 3; ``floor`` and ``ceiling`` the lowest and highest pitch allowed (the
    melody's register, its floor above the keys). None when nothing is biased. The array is shared: read only."""
    if mode == "free":
        return None
    in_range = (_PITCH >= floor) & (_PITCH <= ceiling)
    in_key = np.isin(_PITCH_CLASS, list(MAJOR_SCALE))
    in_chord = np.isin(_PITCH_CLASS, list(chord)) if strong and chord else np.ones(len(_PITCH_CLASS), bool)
    if mode == "strict":
        bias = np.where(in_key & in_chord & in_range, 0.0, -np.inf)
    else:
        bias = np.where(in_range, in_key * _LOOSE["key"] + in_chord * _LOOSE["chord"], -np.inf)
    bias.flags.writeable = False
    return bias


class Sampler:
    """Samples each head of the next note from its logits, one draw at a time."""

    def __init__(self, temperature: float = 1.0, top_p: float = 1.0, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.configure(temperature, top_p)

    def configure(self, temperature: float, top_p: float) -> None:
        self.temperature, self.top_p = float(temperature), float(top_p)

    def draw(self, head: str, logits: np.ndarray, forbidden: tuple[int, ...] = (), bias: np.ndarray | None = None,
             heat: float = 1.0, min_top_p: float = 0.0) -> int:
        """One class of ``head``; ``heat`` scales its temperature and ``min_top_p`` opens its nucleus
        (the guardrails warm or cool pitch)."""
        return sample_class(logits, self.temperature * HEAD_TEMPERATURE[head] * heat, max(self.top_p, min_top_p),
                            self.rng, forbidden, bias)
