"""The pad: held chords under every intro, break and ending, and under bars where the keys rest;
soft, long and swelling across its section (the melody stays above it: test_generator)."""

from __future__ import annotations

import numpy as np

from lofid.compose.pad import SECTIONS, SWELL, pad_bars, pad_part, swell
from lofid.compose.score import compose
from lofid.config import defaults
from lofid.music.notes import BAR, Note
from lofid.music.tracks import PALETTES, Cue, Section, Track


def track(density: float = 1.0) -> Track:
    return Track(1, "t", 0, False, 80.0, 0.0, PALETTES[0], "", density, 0, (Section("A", 0, 8, "full"),))


def test_the_radio_has_a_pad_in_every_intro_break_and_ending_and_it_swells():
    score = compose(defaults(), seed=11, minutes=8)
    onset, section, by_section = 0, None, {}
    for event in score.events:
        onset += event.step
        if isinstance(event, Cue):
            section = (event.track.number, event.section.name, event.section.start)
            by_section.setdefault(section, [])
            continue
        if event.part == "pad":
            by_section[section].append((onset, event))
    assert len({number for number, _, _ in by_section}) >= 2
    for (number, name, _), notes in by_section.items():
        if name in SECTIONS:
            assert notes, (number, name)  # every intro, break and ending holds the pad
    pad = [n for notes in by_section.values() for _, n in notes]
    assert all(SWELL[0] <= n.velocity <= SWELL[1] for n in pad)  # soft
    assert np.median([n.duration for n in pad]) >= BAR // 2  # held, not struck
    for (_, name, _), notes in by_section.items():
        if name in SECTIONS and len({at for at, _ in notes}) >= 3:
            velocities = [n.velocity for _, n in sorted(notes, key=lambda x: x[0])]
            assert velocities[-1] > velocities[0]  # rising across the section


def test_the_pad_holds_only_the_bars_where_the_keys_rest_in_a_section_with_drums():
    section = Section("A", 0, 4, "full")
    keys = [(0, 60, 16, 50), (16, 60, 16, 50), (48, 60, 16, 50)]  # nothing starts in the third bar
    assert pad_bars(track(), section, 0, 4 * BAR, keys) == [2 * BAR]
    assert pad_bars(track(0.8), Section("B", 0, 4, "full", "B"), 0, 4 * BAR, keys) == [0, 16, 32, 48]  # sparse: all
    assert pad_bars(track(), Section("break", 0, 4, "off"), 0, 4 * BAR, keys) == [0, 16, 32, 48]
    notes = pad_part(track(), section, [(0, 2 * BAR, 0, "maj7"), (2 * BAR, 2 * BAR, 9, "min7")], keys,
                     np.random.default_rng(0))
    assert {at for at, *_ in notes} == {2 * BAR} and all(d == BAR for _, _, d, _ in notes)
    assert len(notes) == 3  # three voices: a shell of A minor 7 under the keys


def test_the_swell_rises_from_soft_to_less_soft_across_a_section():
    section = Section("intro", 64, 4, "light")
    assert swell(section, 64) == SWELL[0] and swell(section, 64 + 4 * BAR) == SWELL[1]
    assert swell(section, 64) < swell(section, 64 + 2 * BAR) < swell(section, 64 + 4 * BAR)


def test_the_pad_is_its_own_part_in_the_stream():
    score = compose(defaults(), seed=12, notes=400)
    parts = {e.part for e in score.events if isinstance(e, Note)}
    assert parts == {"keys", "bass", "melody", "pad"}
