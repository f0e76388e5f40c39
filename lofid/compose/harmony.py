"""The chord layer under the melody: progressions learned from POP909, voiced the lo-fi way.

- **Progressions.** A second-order chain of diatonic roots learnt from POP909's chord annotations
  (lofid.training.progressions) and stored in the model's .json.
- **Phrases.** ``Harmony`` writes four-bar phrases by walking that chain, and plays each phrase
  twice before writing the next: lo-fi loops, with a variation every eight bars. The first phrase
  is the built-in opening's ii-V-I-vi, so a fresh start always sounds the same way in.
- **Voicing.** Each degree is played as a 7th or 9th chord that stays in the key (Dm9, G9, Cmaj9,
  Em7, Fmaj9, Am9), rootless on the keys (the bass has the root) in the middle register, choosing
  the inversion that moves the voices least from the previous chord. The bass plays the root on
  the chord's first beat, and on beat 3 of a whole-bar chord the fifth or the root again.

Everything here is in model space (C major); the generator transposes on the way out.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
from collections.abc import Sequence

import numpy as np

from lofid.model.encoding import chord_token
from lofid.music.notes import BAR, STEPS_PER_BEAT
from lofid.music.primer import OPENING

# The diatonic degrees the layer plays: root pitch class -> (Harte label of its lo-fi voicing,
# the chord's tones above the root). The model is told the coarse class (chords.chord_token).
VOICINGS: dict[int, tuple[str, tuple[int, ...]]] = {
    0: ("C:maj9", (0, 4, 7, 11, 14)),
    2: ("D:min9", (0, 3, 7, 10, 14)),
    4: ("E:min7", (0, 3, 7, 10)),
    5: ("F:maj9", (0, 4, 7, 11, 14)),
    7: ("G:9", (0, 4, 7, 10, 14)),
    9: ("A:min9", (0, 3, 7, 10, 14)),
}
DEGREES = tuple(VOICINGS)  # 0 2 4 5 7 9: I ii iii IV V vi
DIATONIC_CLASS = {0: "maj", 2: "min", 4: "min", 5: "maj", 7: ("maj", "dom"), 9: "min"}
OPENING_VOICING = (57, 60, 64, 65)  # A3 C4 E4 F4: where the keys start from
PHRASE_BARS = 4  # bars in a phrase
PHRASE_REPEATS = 2  # each phrase is heard this many times before a new one
KEYS_RANGE = (52, 77)  # MIDI pitches: lowest and highest keys voice (E3-F5)
BASS_LOW = 36  # MIDI pitch: the bass's roots lie in C2-B2
VELOCITY = {"keys": 54, "bass": 70}  # MIDI velocities
SWELL = 6  # MIDI velocity: how far the swell moves loudness up and down


@dataclasses.dataclass(frozen=True, slots=True)
class ChordSpan:
    start: int  # first 16th, on the generator's timeline
    end: int  # the 16th after it
    root: int  # pitch class, model space
    top: int  # the keys' highest voice: the melody stays above it

    @property
    def label(self) -> str:
        return VOICINGS[self.root][0]

    @property
    def pitch_classes(self) -> frozenset[int]:
        return _PITCH_CLASSES[self.root]

    @property
    def token(self) -> int:
        """What the note model is told about this chord (lofid.model.encoding.chord_token)."""
        return _TOKENS[self.root]


def _tables() -> tuple[dict[int, frozenset[int]], dict[int, int]]:
    return ({root: frozenset((root + i) % 12 for i in tones) for root, (_, tones) in VOICINGS.items()},
            {root: chord_token(label) for root, (label, _) in VOICINGS.items()})


_PITCH_CLASSES, _TOKENS = _tables()


def swell(onset: int) -> int:
    """Gentle dynamics: a velocity offset that rises and falls over each pair of phrases (±SWELL)."""
    return round(SWELL * math.sin(2 * math.pi * onset / (PHRASE_BARS * PHRASE_REPEATS * BAR)))


DEFAULT_TABLE = {"split_bar": 0.3, "first": {}, "second": {}}  # a model without a table: uniform diatonic walks


# ---- playing ----

class Harmony:
    """Plans chords ahead on the generator's 16th timeline and turns them into keys and bass notes.

    ``plan_until(t)`` makes sure chords exist up to 16th ``t``; ``chord_at(t)`` answers which
    chord sounds then; ``events`` holds the accompaniment notes in time order, as
    (onset, pitch, duration, velocity, part), for the generator to merge with the melody.
    """

    def __init__(self, table: dict | None, rng: np.random.Generator, start: int = 0) -> None:
        self.table = table or DEFAULT_TABLE
        self.rng = rng
        self.chords: list[ChordSpan] = []
        self.events: list[tuple[int, int, int, int, str]] = []
        self._starts: list[int] = []
        self.restart(start)

    def restart(self, at: int) -> None:
        """Drop every chord from ``at`` on and start again with the opening phrase at ``at``."""
        keep = bisect.bisect_left(self._starts, at)
        del self.chords[keep:], self._starts[keep:]
        if self.chords and self.chords[-1].end > at:  # a chord held over the bar line ends there
            self.chords[-1] = dataclasses.replace(self.chords[-1], end=at)
        self.events = [e for e in self.events if e[0] < at]
        self._phrase: list[tuple[int, int]] = []  # (root, beats) of the phrase being repeated
        self._repeats_left = 0
        self._end = at
        self._pending_opening = True
        self._voicing: tuple[int, ...] = OPENING_VOICING

    def plan_until(self, t: int) -> None:
        while self._end <= t:
            if self._repeats_left == 0:
                self._phrase = self._opening() if self._pending_opening else self._new_phrase()
                self._pending_opening = False
                self._repeats_left = PHRASE_REPEATS
            self._repeats_left -= 1
            for root, beats in self._phrase:
                self._add(root, beats * STEPS_PER_BEAT)

    def chord_at(self, t: int) -> ChordSpan:
        self.plan_until(t)
        return self.chords[max(0, bisect.bisect_right(self._starts, t) - 1)]

    def forget_before(self, t: int) -> None:
        """Let chords that ended before ``t`` go (endless play must not grow; the generator trims
        ``events`` itself, as it knows which it has played)."""
        keep = max(0, bisect.bisect_right(self._starts, t) - 2)
        del self.chords[:keep], self._starts[:keep]

    # -- writing phrases --
    def _opening(self) -> list[tuple[int, int]]:
        return [(root, 4) for root in OPENING]

    def _next_root(self, history: Sequence[int]) -> int:
        counts = None
        if len(history) >= 2:
            counts = self.table["second"].get(f"{history[-2]},{history[-1]}")
        if not counts and history:
            counts = self.table["first"].get(str(history[-1]))
        options = [int(k) for k in counts] if counts else [d for d in DEGREES if not history or d != history[-1]]
        weights = np.array([counts[str(o)] for o in options], float) if counts else np.ones(len(options))
        return int(options[int(self.rng.choice(len(options), p=weights / weights.sum()))])

    def _new_phrase(self) -> list[tuple[int, int]]:
        history = [c.root for c in self.chords[-2:]]
        phrase: list[tuple[int, int]] = []
        for _ in range(PHRASE_BARS):
            halves = 2 if self.rng.random() < self.table.get("split_bar", 0.3) else 1
            for _ in range(halves):
                root = self._next_root(history)
                history.append(root)
                phrase.append((root, 4 // halves))
        return phrase

    def _add(self, root: int, length: int) -> None:
        start = self._end
        self._voicing = lead_voices(self._voicing, root)
        if self.chords and self.chords[-1].root == root and self.chords[-1].end == start:  # held on: one chord
            # (the same voicing, unless a fresh phrase re-voiced it: the melody stays above both)
            held = self.chords[-1]
            self.chords[-1] = dataclasses.replace(held, end=start + length, top=max(held.top, *self._voicing))
        else:
            self.chords.append(ChordSpan(start, start + length, root, max(self._voicing)))
            self._starts.append(start)
        self._end = start + length
        keys = VELOCITY["keys"] + swell(start)
        new = [(start, p, length, keys, "keys") for p in self._voicing] + bass_line(root, start, length)
        self.events += sorted(new, key=lambda e: (e[0], e[1]))  # all at or after every earlier event


def lead_voices(previous: Sequence[int], root: int) -> tuple[int, ...]:
    """Four keys voices for the chord on ``root``: rootless (third, fifth, seventh, ninth or root
    for a 7th chord), in KEYS_RANGE, the inversion closest to ``previous`` (smallest total move)."""
    intervals = VOICINGS[root][1]
    tones = [(root + i) % 12 for i in intervals[1:]]  # the bass plays the root
    if len(tones) < 4:
        tones.append(root)
    low, high = KEYS_RANGE
    best, best_cost = None, None
    for bottom in range(low, low + 12):
        if bottom % 12 not in tones:
            continue
        for order in itertools.permutations(tones):
            if order[0] != bottom % 12:
                continue
            voices, p = [bottom], bottom
            for pc in order[1:]:
                p = p + 1 + (pc - p - 1) % 12  # the next tone up
                voices.append(p)
            if voices[-1] > high or voices[-1] - voices[0] > 16:
                continue
            cost = sum(abs(a - b) for a, b in zip(voices, sorted(previous)))
            if best_cost is None or cost < best_cost:
                best, best_cost = tuple(voices), cost
    return best if best is not None else tuple(sorted(previous))


def bass_line(root: int, start: int, length: int) -> list[tuple[int, int, int, int, str]]:
    """The root on the chord's first beat; a whole-bar chord adds its fifth (or root) on beat 3."""
    pitch = BASS_LOW + root
    if length < BAR:
        return [(start, pitch, length, VELOCITY["bass"], "bass")]
    half = length // 2
    second = pitch + 7 if pitch + 7 <= BASS_LOW + 19 else pitch
    return [(start, pitch, half, VELOCITY["bass"], "bass"), (start + half, second, length - half, VELOCITY["bass"] - 8,
                                                             "bass")]
