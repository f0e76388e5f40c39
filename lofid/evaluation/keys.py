"""How the keys are played: where their chords sit, how thick they are, how often struck and how long held.

Lo-fi keys are voiced in the middle of the keyboard and above, three or four voices, struck a
couple of times a bar and left to ring; low, thick, busy keys make a boxy mix. These figures say
which the keys are.

Definitions (exact, because targets are judged on them):
- a strike is a 16th on which two or more keys notes start (lofid.evaluation.texture's chord strike);
  its notes are those starting there;
- mean strike pitch: the mean over strikes of the mean MIDI pitch of their notes (60 = C4);
- pitch classes per strike: the mean over strikes of the distinct pitch classes of their notes;
  three or four: the share of strikes with three or four;
- strikes per bar: strikes divided by the bars the keys span, from their first onset to their
  last release (16 16ths a bar);
- hold: the mean over the strikes' notes of release minus onset, in beats (a note struck again
  ends there, as it does in a MIDI file and in FluidSynth).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from lofid.evaluation.texture import Timed
from lofid.music.notes import BAR, STEPS_PER_BEAT

FIGURES = ("keys_pitch", "keys_pitch_classes", "keys_three_or_four", "keys_strikes_per_bar", "keys_hold_beats")
VOICES = (3, 4)  # pitch classes a lo-fi keys chord mostly holds


@dataclass(frozen=True, slots=True)
class KeysCount:
    """The sums the keys figures are made of, so tracks pool exactly (a mean of means would not)."""

    strikes: int = 0
    pitch: float = 0.0  # sum over strikes of their mean pitch
    pitch_classes: int = 0  # sum over strikes of their distinct pitch classes
    three_or_four: int = 0  # strikes of 3-4 pitch classes
    notes: int = 0  # notes struck in strikes
    hold: int = 0  # 16ths those notes sound, summed
    steps: int = 0  # 16ths the keys span

    def __add__(self, other: KeysCount) -> KeysCount:
        return KeysCount(*(a + b for a, b in zip(_fields(self), _fields(other))))

    def figures(self) -> dict[str, float | None]:
        """FIGURES' values (None for keys that never strike a chord)."""
        if not self.strikes:
            return dict.fromkeys(FIGURES)
        return {
            "keys_pitch": self.pitch / self.strikes,
            "keys_pitch_classes": self.pitch_classes / self.strikes,
            "keys_three_or_four": self.three_or_four / self.strikes,
            "keys_strikes_per_bar": self.strikes / (self.steps / BAR) if self.steps else None,
            "keys_hold_beats": self.hold / self.notes / STEPS_PER_BEAT,
        }


def _fields(count: KeysCount) -> tuple:
    return (count.strikes, count.pitch, count.pitch_classes, count.three_or_four, count.notes, count.hold, count.steps)


def keys_count(notes: Sequence[Timed]) -> KeysCount:
    """The keys part's strikes in ``notes`` (any parts), counted."""
    keys = sorted((n for n in notes if n.part == "keys"), key=lambda n: n.onset)
    if not keys:
        return KeysCount()
    strikes = pitch_classes = three_or_four = struck = hold = 0
    pitch = 0.0  # summed mean pitch of each strike
    for _, group in groupby(keys, key=lambda n: n.onset):
        chord = list(group)
        if len(chord) < 2:
            continue
        classes = len({n.pitch % 12 for n in chord})
        strikes += 1
        pitch += sum(n.pitch for n in chord) / len(chord)
        pitch_classes += classes
        three_or_four += classes in VOICES
        struck += len(chord)
        hold += sum(n.release - n.onset for n in chord)
    steps = max(n.release for n in keys) - keys[0].onset
    return KeysCount(strikes, pitch, pitch_classes, three_or_four, struck, hold, steps)


def keys_figures(notes: Sequence[Timed]) -> dict[str, float | None]:
    """FIGURES of the keys in ``notes``."""
    return keys_count(notes).figures()
