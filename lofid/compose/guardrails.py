"""Guardrails for endless play: notice a stuck or chaotic melody and steer it back, seamlessly.

Judged on the melody model's window (its last 30 notes), so a rewind restores them with it:
- stuck: fewer than STUCK_DISTINCT distinct pitches, or the last REPEAT notes (pitch and rhythm)
  heard three times running;
- chaos: more than half of the last LEAP_SPAN intervals leap more than a major sixth.
Stuck warms pitch sampling for STEER_NOTES notes: a higher temperature, the nucleus opened to at
least WARM_TOP_P (so even near-greedy settings can leave the loop), and the pitches of the last
RECENT notes made less likely (penalty()). Still stuck after that, the model is re-primed with the
opening phrase. Chaos cools pitch sampling for STEER_NOTES notes. The harmony plays on throughout,
so a recovery is never a gap or a jump in time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STUCK_DISTINCT = 5  # pitches: lofid eval wants at least 5 distinct pitches in any 64 notes
REPEAT = 10  # notes: a figure this long heard three times running is a stuck loop
LEAP = 9  # semitones: more than a major sixth
LEAP_SPAN = 12  # intervals looked at for chaos
STEER_NOTES = 16  # notes a warming or cooling lasts
WARM, COOL = 1.5, 0.7  # factors on the pitch temperature while stuck / chaotic
WARM_TOP_P = 0.9  # probability mass the nucleus keeps at least while warming
RECENT = 8  # notes whose pitches are penalised while warming
RECENT_PENALTY = 2.0  # logits (nats) subtracted from recently played pitches while warming


EVENTS = ("stuck", "chaos", "reprime")  # what a Steer's event may be


@dataclass(frozen=True, slots=True)
class Steer:
    heat: float = 1.0  # factor on the pitch temperature
    left: int = 0  # notes until this steering ends
    event: str | None = None  # what was decided at this note: one of EVENTS, or None

    @property
    def warming(self) -> bool:
        return self.heat > 1


def penalty(window: Sequence[Sequence[int]], size: int) -> np.ndarray:
    """Pitch logit bias while warming: the last RECENT notes' pitches made e^RECENT_PENALTY times less likely."""
    bias = np.zeros(size)
    bias[[r[0] for r in window[-RECENT:]]] = -RECENT_PENALTY
    return bias


def stuck(window: Sequence[Sequence[int]]) -> bool:
    pitches = [r[0] for r in window]
    if len(set(pitches)) < STUCK_DISTINCT:
        return True
    figure = [(r[0], r[1]) for r in window]
    if len(figure) < 3 * REPEAT:
        return False
    return figure[-REPEAT:] == figure[-2 * REPEAT:-REPEAT] == figure[-3 * REPEAT:-2 * REPEAT]


def chaotic(window: Sequence[Sequence[int]]) -> bool:
    pitches = [r[0] for r in window][-(LEAP_SPAN + 1):]
    leaps = sum(abs(a - b) > LEAP for a, b in zip(pitches, pitches[1:]))
    return leaps * 2 > LEAP_SPAN


def steer(window: Sequence[Sequence[int]], current: Steer) -> Steer:
    """What to do after the newest note of ``window``, given what is being done now."""
    if current.left > 1:
        return Steer(current.heat, current.left - 1)
    if stuck(window):
        return Steer(WARM, STEER_NOTES, "reprime" if current.warming and current.left == 1 else "stuck")
    if chaotic(window):
        return Steer(COOL, STEER_NOTES, "chaos")
    return Steer()
