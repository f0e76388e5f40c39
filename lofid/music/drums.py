"""Drum patterns: short MIDI grooves on the 16th grid, and the endless plan that cycles them.

The patterns (``effects/beats/*.mid``) are symbols, not audio: the engine plays their hits
through the soundfont's drum kit on the same grid as the notes, so they follow any bpm, and
``lofid generate`` writes the same hits into its MIDI files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from lofid.errors import LofidError
from lofid.music.midi import load_midi
from lofid.music.notes import BAR, STEPS_PER_BEAT

log = logging.getLogger(__name__)

MIDI_DEFAULT_BPM = 120.0  # a MIDI file without a tempo event plays at this tempo
CYMBALS = frozenset({42, 44, 46, 51, 53, 59})  # General MIDI hats and rides: what a light beat keeps
LIGHT_VELOCITY = 0.7  # of the groove's velocity, for a light beat


@dataclass(frozen=True)
class DrumHit:
    step: int  # 16th within the pattern
    pitch: int  # General MIDI percussion key
    velocity: int


@dataclass(frozen=True)
class DrumPattern:
    name: str
    steps: int  # length in 16ths
    hits: tuple[DrumHit, ...]


def load_patterns(folder: Path) -> list[DrumPattern]:
    """Drum patterns from ``folder/*.mid``: hits snapped to the 16th grid of the file's own tempo."""
    if not folder.is_dir():
        return []
    patterns = []
    for path in sorted(folder.glob("*.mid")):
        try:
            pm = load_midi(path)
        except LofidError as e:
            log.warning("%s; skipped", e)
            continue
        tempi = pm.get_tempo_changes()[1]
        sixteenth = 60 / (tempi[0] if len(tempi) else MIDI_DEFAULT_BPM) / STEPS_PER_BEAT  # seconds
        hits = sorted((DrumHit(int(round(n.start / sixteenth)), n.pitch, n.velocity)
                       for inst in pm.instruments for n in inst.notes), key=lambda h: (h.step, h.pitch))
        if not hits:
            log.warning("%s: no notes; skipped", path)
            continue
        steps = max(BAR, -(-(int(round(pm.get_end_time() / sixteenth))) // BAR) * BAR)
        patterns.append(DrumPattern(path.stem, steps, tuple(h for h in hits if h.step < steps)))
    return patterns


class DrumPlan:
    """Which hit sounds at each 16th of the endless grid: each pattern plays twice, then the next."""

    REPEATS = 2

    def __init__(self, patterns: list[DrumPattern]) -> None:
        self.patterns = patterns
        self._by_step: list[dict[int, list[DrumHit]]] = [{} for _ in patterns]
        for table, pattern in zip(self._by_step, patterns):
            for hit in pattern.hits:
                table.setdefault(hit.step, []).append(hit)
        self._cycle = sum(p.steps * self.REPEATS for p in patterns)

    def hits_at(self, index: int) -> list[DrumHit]:
        """The hits at grid 16th ``index`` (counted from the start of playing)."""
        if not self.patterns:
            return []
        at = index % self._cycle
        for table, pattern in zip(self._by_step, self.patterns):
            span = pattern.steps * self.REPEATS
            if at < span:
                return table.get(at % pattern.steps, [])
            at -= span
        return []


def hits_for(plan: DrumPlan, index: int, beat: str) -> list[DrumHit]:
    """The hits at 16th ``index`` for a section's ``beat``: full, light (its cymbals, softer) or off."""
    if beat == "off":
        return []
    hits = plan.hits_at(index)
    if beat == "light":
        return [DrumHit(h.step, h.pitch, max(1, round(h.velocity * LIGHT_VELOCITY))) for h in hits if h.pitch in CYMBALS]
    return hits
