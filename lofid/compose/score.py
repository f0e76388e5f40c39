"""A whole piece as the daemon would play it: the notes and cues, the chords under them, the beat's hits.

``lofid generate`` writes it to a MIDI file, ``lofid eval --generate`` measures it; both go
through ``compose`` so what they judge is what the daemon plays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofid.compose.generator import NoteGenerator
from lofid.config import Config, part_programs, untracked_tempo
from lofid.errors import LofidError
from lofid.model.songs import song_rows
from lofid.music.drums import DrumPattern, DrumPlan, hits_for, load_patterns
from lofid.music.midi import midi_bytes
from lofid.music.notes import step_seconds
from lofid.music.tracks import Cue, Event
from lofid.paths import BEATS, write_file

MAX_MINUTES = 24 * 60  # the longest piece compose writes: a day


@dataclass(frozen=True)
class Score:
    events: list[Event]  # notes and cues, in stream order
    chords: list[tuple[int, str]]  # (16th, label in its track's key)

    @property
    def notes(self) -> int:
        return sum(not isinstance(e, Cue) for e in self.events)


def read_primer(path: str) -> np.ndarray:
    """A MIDI file's model rows (key-normalised, with chords and bar positions) to start from."""
    rows = song_rows(Path(path))
    if len(rows) == 0:
        raise LofidError(f"{path}: the primer has no notes")
    return rows


def compose(cfg: Config, seed: int, notes: int | None = None, minutes: float | None = None,
            primer: np.ndarray | None = None) -> Score:
    """``notes`` notes, or ``minutes`` of music (at each track's tempo; the last track whole, so the
    piece ends as a track does), exactly as the daemon would play them, with the chord changes
    under them as (16th, label in its track's key)."""
    if minutes is not None and not 0 < minutes <= MAX_MINUTES:
        raise LofidError(f"--minutes {minutes:g}: give a length from a few seconds to {MAX_MINUTES} minutes")
    generator = NoteGenerator(cfg, seed=seed, primer=primer, keep_chords=True)
    events: list[Event] = []
    played, seconds, bpm = 0, 0.0, None
    while (notes is not None and played < notes) or minutes is not None:
        event = generator.next_note()
        if minutes is not None and seconds >= minutes * 60 and isinstance(event, Cue) and event.new:
            break
        if isinstance(event, Cue) and event.new:
            bpm = event.track.bpm
            seconds += event.track.transition
        seconds += event.step * step_seconds(bpm or untracked_tempo(cfg)[0])
        events.append(event)
        played += not isinstance(event, Cue)
    end = sum(e.step for e in events)
    return Score(events, [(at, label) for at, label in generator.chords() if at <= end])


def write_score(cfg: Config, score: Score, path: str | Path) -> None:
    """``score`` as ``lofid generate`` writes it: its parts, chord marks and markers, and the beat's
    hits when the beat layer is on."""
    drums = drum_hits(score.events) if cfg["layers.beat.enabled"] else []
    bpm, swing = untracked_tempo(cfg)
    write_file(path, midi_bytes(score.events, bpm, part_programs(cfg), score.chords, drums, swing), "the MIDI file")


def drum_hits(events: Sequence[Event], patterns: Sequence[DrumPattern] | None = None) -> list[tuple[int, int, int]]:
    """The beat's hits under ``events`` as (16th, GM drum key, velocity): each track's groove from
    its first 16th, as much of it as each section's beat plays, as the engine plays them."""
    available = {p.name: p for p in (load_patterns(BEATS) if patterns is None else patterns)}
    plan, origin, beat = DrumPlan(list(available.values())), 0, "full"
    hits, onset, spans = [], 0, []
    for event in events:
        onset += event.step
        if isinstance(event, Cue):
            spans.append((onset, event))
    end = onset + max((e.duration for e in events if not isinstance(e, Cue)), default=0)
    marks = spans + [(end, None)]
    at = 0
    for (start, cue), (stop, _) in zip([(0, None), *spans], marks):
        if cue is not None:
            beat = cue.section.beat
            if cue.new and cue.track.groove in available:
                plan, origin = DrumPlan([available[cue.track.groove]]), start
        hits += [(i, hit.pitch, hit.velocity) for i in range(max(at, start), stop)
                 for hit in hits_for(plan, i - origin, beat)]
        at = stop
    return hits
