"""Harmony keeps its own stream: readers count its notes and cues from the start, and what they have
played can be let go of without anyone losing their place (the daemon plays for days)."""

from __future__ import annotations

import numpy as np
import pytest

from lofid.compose.harmony import TRIM_BATCH, Accompaniment, Harmony, SectionCue
from lofid.compose.tracks import TrackPlanner
from lofid.config import defaults
from lofid.music.drums import load_vocabulary
from lofid.music.notes import BAR
from lofid.paths import GROOVES


def harmony(seed: int) -> Harmony:
    rng = np.random.default_rng(seed)
    grooves = load_vocabulary(GROOVES).grooves
    return Harmony(TrackPlanner(defaults().replace({"music.track_minutes": "1"}), None, grooves, rng), None,
                   {g.name: g for g in grooves}, rng)


def read(h: Harmony, upto: int) -> tuple[list[Accompaniment], list[SectionCue]]:
    """Every note and cue planned before 16th ``upto``, by number, as the generator reads them."""
    h.plan_until(upto)
    notes, cues = [], []
    while (event := h.event(len(notes))) is not None and event.onset < upto:
        notes.append(event)
    while (cue := h.cue(len(cues))) is not None and cue.onset < upto:
        cues.append(cue)
    return notes, cues


def test_notes_and_cues_are_read_by_number_in_time_order():
    notes, cues = read(harmony(4), 64 * BAR)
    assert [(n.onset, n.pitch) for n in notes] == sorted((n.onset, n.pitch) for n in notes)
    assert {n.part for n in notes} == {"keys", "bass", "pad"}
    assert cues[0] == SectionCue(0, cues[0].track.sections[0], cues[0].track, True)
    assert sum(c.new for c in cues) >= 2  # a minute a track: several tracks in 64 bars
    assert [c.onset for c in cues] == sorted(c.onset for c in cues)


def test_forgetting_what_was_played_keeps_every_readers_place_and_the_memory_bounded():
    kept, whole = harmony(9), harmony(9)
    expected, expected_cues = read(whole, 400 * BAR)
    at, cue_at, sizes = 0, 0, []
    for bars in range(8, 401, 8):
        kept.plan_until(bars * BAR)
        while (event := kept.event(at)) is not None and event.onset < bars * BAR:
            assert event == expected[at]
            at += 1
        while (cue := kept.cue(cue_at)) is not None and cue.onset < bars * BAR:
            assert cue == expected_cues[cue_at]
            cue_at += 1
        kept.forget(at, cue_at, bars * BAR)
        sizes.append(len(kept.events))
    assert at == len(expected) > 3 * TRIM_BATCH  # everything was read, in the same order as without forgetting
    assert max(sizes) < 2 * TRIM_BATCH + 200  # and the played part was let go of a batch at a time
    with pytest.raises(IndexError):
        kept.event(0)  # a note let go of is not silently another one
