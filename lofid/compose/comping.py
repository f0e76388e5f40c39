"""How the keys comp: a bar's rhythm drawn from patterns learnt from POP909's PIANO tracks, then played.

A pattern is one 4/4 bar of events ``(start, length, kind, step)`` in 16ths from its downbeat:
``chord`` strikes the whole voicing and holds it; ``broken`` plays the voicing one tone at a time,
climbing, every ``step`` 16ths; ``note`` plays one tone. A negative ``start`` (-2 or -1) is a chord
pushed ahead of the bar line. lofid.training.comping learns the patterns, how often each follows
another and the velocity accents of each 16th; the table is stored in the model's .json.

Played as learnt, about 20% of the chords are struck off the beat and 0.6% of the bars pushed (POP909's
piano: 28% and 1.3%; it arpeggiates a ballad's bars): the draw weights below make the lo-fi feel. Lo-fi
keys strike less and let their chords ring: a pattern's weight halves for each chord it strikes
(RESTRAINT), each chord rings until the next is struck (``rung``), and some of the changes a chord
rings into are struck an 8th early (CHANGE_PUSH). Three hours of default output strike 48.5% of
their chords off the beat, 1.21 times a bar, each note held 2.55 beats (lofid's target: 30-70% off
the beat, lofid.evaluation.texture; lofid.evaluation.keys).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lofid.music.notes import BAR, STEPS_PER_BEAT

Event = tuple[int, int, str, int]  # (start 16th from the downbeat, length 16ths, kind, step 16ths)
Pattern = tuple[Event, ...]
KINDS = ("chord", "broken", "note")
PUSH = 2  # 16ths: a chord struck at most this far ahead of its chord's start is an anticipation
SMOOTHING_BARS = 20.0  # pseudo-bars pulling each learnt transition row toward the overall frequencies
KEEP = 0.5  # least chance of keeping the last bar's pattern: a groove holds ~2 bars (POP909's exact repeats: 24%)
BROKEN_WEIGHT = 0.25  # weight of arpeggio patterns: POP909's ballad piano arpeggiates, lo-fi keys now and then
SYNCOPATION = 20.0  # weight of patterns with a chord off the beat or pushed: with MAX_ONSETS, about half of the
# chord onsets fall off the beat (lofid eval, an hour, seed 1); at 3, 5-27% of a track's: the sparse learnt bars are square
MAX_ONSETS = 5  # onsets a bar may play: POP909's ballad piano runs 8ths and 16ths (70% of its bars have more),
# which as lo-fi keys doubled the notes per second and pushed a track's repetition over 60% (lofid eval)
PUSH_WEIGHT = 4.0  # and of pushed ones again: 2% of bars pushed become 13% (a push is the lo-fi lean ahead)
RESTRAINT = 0.5  # weight factor per chord a pattern strikes: lo-fi keys strike a bar's chord once or twice
CHANGE_PUSH = {-1: 0.7, 0: 0.35, 1: 0.0}  # of the chord changes the keys ring into, the share struck an 8th
# early, by the comping's drift (Comper._drift): more while too few strikes fall off the beat, none while too many
DENSITY_STRIKES = 1  # strikes: ``density`` multiplies a pattern's weight once per this many of its onsets
FEEL = (0.35, 0.65)  # share of chord strikes off the beat a track's comping keeps to (lo-fi: 30-70%)
FEEL_STEER = 4.0  # how much likelier the patterns that lead back are, once the share strays outside FEEL
FEEL_STRIKES = 8  # chord strikes counted before the share is judged
VELOCITY_LIMITS = (1, 127)  # MIDI velocity

# A model without a table (tiny test models): a few sensible comping bars, on no data.
FALLBACK: dict = {
    "patterns": [
        [[0, 16, "chord", 0]],  # held whole bar
        [[0, 6, "chord", 0], [6, 10, "chord", 0]],  # 1, then re-struck on the "and" of 2 (Charleston)
        [[-2, 8, "chord", 0], [10, 6, "chord", 0]],  # pushed from the "and" of 4, again on the "and" of 3
        [[0, 3, "chord", 0], [8, 4, "chord", 0], [14, 2, "chord", 0]],  # stabs on 1 and 3, a pickup
        [[0, 4, "chord", 0], [4, 12, "broken", 2]],  # struck, then broken in 8ths
    ],
    "p": [0.25, 0.25, 0.2, 0.15, 0.15],
    "spread": 0.05,
}


def lead(pattern: Sequence[Event]) -> int:
    """16ths before the downbeat at which the pattern's first chord is pushed (0 if it is not)."""
    return -pattern[0][0] if pattern and pattern[0][0] < 0 else 0


def off_beat(pattern: Sequence[Event]) -> bool:
    """True if the pattern strikes a chord off the beat (a pushed chord included)."""
    return any(kind == "chord" and start % STEPS_PER_BEAT for start, _, kind, _ in pattern)


def strikes(pattern: Sequence[Event]) -> int:
    """Onsets (16ths with a note starting) the pattern plays."""
    return sum(math.ceil(length / step) if kind == "broken" else 1 for _, length, kind, step in pattern)


class Comper:
    """Chooses a bar's rhythm pattern (keeping a groove for a few bars, then varying) and realises it."""

    def __init__(self, table: dict | None, rng: np.random.Generator, density: float = 1.0) -> None:
        table = table or FALLBACK
        self.rng = rng
        self.density = density
        self.patterns: list[Pattern] = [tuple((int(a), int(b), str(c), int(d)) for a, b, c, d in p)
                                        for p in table["patterns"]]
        n = len(self.patterns)
        self.unigram = np.asarray(table["p"], dtype=float) / np.sum(table["p"])
        self.rows = np.tile(self.unigram, (n, 1))
        for i, (total, row) in enumerate(zip(table.get("bars_out", []), table.get("next", []))):
            learnt = np.zeros(n)
            for j, q in row:
                learnt[j] = q
            rest = np.where(learnt > 0, 0.0, self.unigram)  # the successors not stored share what is left
            learnt += max(0.0, 1.0 - learnt.sum()) * rest / max(rest.sum(), 1e-12)
            self.rows[i] = (total * learnt + SMOOTHING_BARS * self.unigram) / (total + SMOOTHING_BARS)
        self.weights = np.array([(BROKEN_WEIGHT if any(e[2] == "broken" for e in p) else 1.0)
                                 * (SYNCOPATION if off_beat(p) else 1.0) * (PUSH_WEIGHT if lead(p) else 1.0)
                                 * RESTRAINT ** sum(e[2] == "chord" for e in p) for p in self.patterns])
        self.strikes = np.array([strikes(p) for p in self.patterns], dtype=float)
        sparse = self.strikes <= MAX_ONSETS
        if sparse.any():
            self.weights = np.where(sparse, self.weights, 0.0)
        self.accents = {k: np.asarray(table.get("accents", {}).get(k, np.ones(BAR)), dtype=float) for k in KINDS}
        self.spread = float(table["spread"])
        self.previous: int | None = None
        self.syncopated = np.array([off_beat(p) for p in self.patterns])
        self._strikes = [0, 0]  # chord strikes on the beat, off it

    def next_pattern(self) -> Pattern:
        """The next bar's pattern: the last one again with its learnt chance, or KEEP if that is more;
        else one of the learnt successors of the last one, weighted toward the lo-fi feel and ``density``."""
        last = self.previous
        drift = self._drift()
        keeps = last is not None and drift * (1 if self.syncopated[last] else -1) <= 0  # keeping it leads back
        if keeps and last is not None and self.rng.random() < max(KEEP, self.rows[last, last]):
            return self._played(last)
        q = (self.unigram if last is None else self.rows[last]) * self.weights
        q = q * self.density ** (self.strikes / DENSITY_STRIKES)
        if drift:  # the track's comping has left its feel: lean back toward it
            q = q * np.where(self.syncopated, FEEL_STEER ** -drift, 1.0)
        if last is not None:
            q[last] = 0.0
        if q.sum() <= 0:  # every learnt successor is one the weights rule out: any allowed pattern
            q = self.unigram * self.weights * (np.arange(len(q)) != last)
        if q.sum() <= 0:  # no pattern allowed at all: the last again, or the commonest
            return self._played(int(np.argmax(self.unigram)) if last is None else last)
        return self._played(int(self.rng.choice(len(q), p=q / q.sum())))

    def _played(self, index: int) -> Pattern:
        """Pattern ``index`` chosen: its chord strikes counted toward the feel."""
        self.previous = index
        pattern = self.patterns[index]
        for start, _, kind, _ in pattern:
            if kind == "chord":
                self._strikes[start % STEPS_PER_BEAT != 0] += 1
        return pattern

    def _drift(self) -> int:
        """+1 when more than FEEL's share of this comper's chord strikes fell off the beat, -1 when
        fewer, 0 while within it (or too few strikes to tell)."""
        on, off = self._strikes
        if on + off < FEEL_STRIKES:
            return 0
        share = off / (on + off)
        return 1 if share > FEEL[1] else -1 if share < FEEL[0] else 0

    def _push_changes(self, events: list[tuple[int, int, str, int, int]], starts: Sequence[int], window: list[int]) -> None:
        """A chord left ringing into the next chord is struck again at the change; CHANGE_PUSH of
        those changes (by how the comping keeps to FEEL) are struck an 8th early, the lo-fi lean
        into the next chord: ``window`` moves there."""
        for s in range(1, len(starts)):
            change = starts[s]
            if window[s] != change or change - PUSH <= starts[s - 1]:
                continue
            ringing = any(kind == "chord" and onset < change - PUSH and onset + length > change
                          for onset, length, kind, _, _ in events)
            struck = any(change - PUSH <= onset <= change for onset, *_ in events)
            if ringing and not struck and self.rng.random() < CHANGE_PUSH[self._drift()]:
                window[s] = change - PUSH

    def velocity(self, kind: str, position: int, base: int) -> int:
        """``base`` times the learnt accent of ``kind`` at 16th ``position`` of the bar, a little humanised."""
        ratio = self.accents[kind][position % BAR] * (1.0 + self.rng.normal(0.0, self.spread))
        return int(np.clip(round(base * ratio), *VELOCITY_LIMITS))

    def comp(self, spans: Sequence[tuple[int, int, tuple[int, ...]]], velocity: int) -> list[tuple[int, int, int, int]]:
        """Keys notes for consecutive chord spans (start 16th, length 16ths, voicing pitches low to high),
        covering whole bars from spans[0].start, as (onset 16th, pitch, duration 16ths, velocity), sorted by
        (onset, pitch). Anticipation: a chord may be struck 1-2 16ths before its span starts (cutting the
        previous chord's notes there), but never before spans[0].start. Broken chords use the voicing's
        notes. No note longer than its chord sounds; no two notes of the same pitch overlapping."""
        if not spans:
            return []
        first = spans[0][0]
        starts = [s for s, _, _ in spans]
        end = spans[-1][0] + spans[-1][1]
        events = []  # (onset, length, kind, step, bar start)
        for bar in range(first, end, BAR):
            for start, length, kind, step in self.next_pattern():
                onset = max(first, bar + start)  # a push into the first bar is struck on its downbeat
                events.append((onset, length - (onset - bar - start), kind, step, bar))
        events = rung(events, starts if self.density < 1 else (), end)
        # A chord struck 1-2 16ths before a span starts and held into it plays that span's chord from there.
        window = list(starts) + [end]
        for onset, length, kind, _, _ in events:
            s = np.searchsorted(starts, onset, side="right")  # the span after the one sounding at onset
            if kind == "chord" and s < len(spans) and 0 < starts[s] - onset <= PUSH and onset + length > starts[s] \
                    and onset > starts[s - 1]:
                window[s] = min(window[s], onset)
        self._push_changes(events, starts, window)
        notes: list[tuple[int, int, int, int]] = []
        for onset, length, kind, step, bar in events:
            owner = int(np.searchsorted(window, onset, side="right")) - 1  # the span sounding then
            if owner >= len(spans):
                continue
            if kind == "chord":  # held over a chord change: struck again with the new chord
                t = onset
                while owner < len(spans) and t < onset + length:
                    stop = min(onset + length, window[owner + 1])
                    v = self.velocity(kind, t - bar, velocity)
                    notes += [(t, p, stop - t, v) for p in spans[owner][2]]
                    if t != onset:  # struck again at a chord change: it counts toward the feel too
                        self._strikes[t % STEPS_PER_BEAT != 0] += 1
                    t, owner = stop, owner + 1
                continue
            voices = spans[owner][2]
            tones = range(onset, onset + length, step) if kind == "broken" else [onset]
            for k, t in enumerate(tones):
                if kind == "broken":
                    owner = int(np.searchsorted(window, t, side="right")) - 1
                    if owner >= len(spans):
                        break
                    voices = spans[owner][2]
                    pitch, ring = voices[k % len(voices)], min(onset + length - t, len(voices) * step)
                else:
                    pitch, ring = voices[0] if (t - bar) % STEPS_PER_BEAT == 0 else voices[-1], length
                notes.append((t, pitch, min(ring, window[owner + 1] - t), self.velocity(kind, t - bar, velocity)))
        return _untangle(notes)


def rung(events: list[tuple[int, int, str, int, int]], changes: Sequence[int], end: int
         ) -> list[tuple[int, int, str, int, int]]:
    """(onset, length, kind, step, bar) events with every chord left to ring until the next chord is
    struck (or ``end``), as a pianist's pedal holds it: lo-fi keys ring. Not past ``changes`` (the
    chords' starts; a thin comp passes them): there it rests until the pattern strikes again."""
    onsets = sorted({e[0] for e in events if e[2] == "chord"} | set(changes))
    out = []
    for onset, length, kind, step, bar in events:
        if kind == "chord":
            later = [t for t in onsets if t > onset]
            length = max(length, (later[0] if later else end) - onset)
        out.append((onset, length, kind, step, bar))
    return out


def _untangle(notes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Sorted by (onset, pitch), a pitch struck again cutting its earlier note, empty notes dropped."""
    out: list[tuple[int, int, int, int]] = []
    last: dict[int, int] = {}  # pitch -> index in out of its latest note
    for onset, pitch, duration, velocity in sorted(notes):
        if duration <= 0:
            continue
        i = last.get(pitch)
        if i is not None and out[i][0] == onset:  # struck twice at once: the longer (sorted last) stays
            out[i] = (onset, pitch, duration, velocity)
            continue
        if i is not None and out[i][0] + out[i][2] > onset:
            out[i] = (out[i][0], pitch, onset - out[i][0], out[i][3])
        last[pitch] = len(out)
        out.append((onset, pitch, duration, velocity))
    return out
