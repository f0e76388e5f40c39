"""Cues in the note stream: a new track's tempo, transition, instruments and groove, heard on real renders."""

from __future__ import annotations

import numpy as np

from lofid.audio.grid import CONTROL_FRAMES
from lofid.music.notes import BAR, Note
from lofid.music.tracks import Cue, Palette, Section, Track
from tests.support.engine import QUIET

RATE = 44100


def track(number: int, start: int, bpm: float, programs: dict[str, int], beat: str = "full",
          transition: float = 0.0, bars: int = 4) -> Track:
    sections = (Section("A", start, bars, beat),)
    return Track(number, f"track {number}", 0, False, bpm, 0.0, Palette("test", programs, 0), "", 1.0, start,
                 sections, transition)


def cue(step: int, t: Track) -> Cue:
    return Cue(step, t.sections[0], t, True)


def test_a_new_track_brings_its_tempo_after_its_transition(make_engine, play):
    first = track(1, 0, 60.0, {"keys": 0, "bass": 33, "melody": 0})
    second = track(2, BAR, 120.0, {"keys": 0, "bass": 33, "melody": 0}, transition=1.5)
    quarter = 4
    events = [cue(0, first)] + [Note(60, 0 if i == 0 else quarter, 1, 90) for i in range(4)]
    events += [cue(quarter, second)] + [Note(62, 0 if i == 0 else quarter, 1, 90) for i in range(8)]
    engine, _ = make_engine(events, QUIET)
    play(engine, 12 * RATE)
    onsets = [p.sample for p in engine.played if isinstance(p.note, Note)]
    gaps = np.diff(onsets)
    assert np.all(np.abs(gaps[:3] - RATE) <= CONTROL_FRAMES)  # a beat a second at 60 bpm
    # the first bar of track 2 comes a bar after track 1's, plus the 1.5 s of transition
    assert abs(onsets[4] - (onsets[0] + 4 * RATE + 1.5 * RATE)) <= CONTROL_FRAMES
    assert np.all(np.abs(gaps[4:] - RATE / 2) <= CONTROL_FRAMES)  # two beats a second at 120
    assert engine.track is second and engine.bpm == 120.0
    assert abs(engine.track_started - onsets[4]) <= CONTROL_FRAMES


def test_a_pinned_bpm_holds_over_every_track(make_engine, play):
    first = track(1, 0, 60.0, {"keys": 0, "bass": 33, "melody": 0})
    engine, _ = make_engine([cue(0, first)] + [Note(60, 4, 1, 90) for _ in range(6)], {**QUIET, "music.bpm": 90.0})
    play(engine, 3 * RATE)
    assert engine.bpm == 90.0
    onsets = [p.sample for p in engine.played if isinstance(p.note, Note)]
    assert np.all(np.abs(np.diff(onsets) - RATE * 60 / 90) <= CONTROL_FRAMES)


def test_a_track_plays_its_palette_unless_a_program_is_pinned(make_engine, play):
    def render(programs: dict[str, int], settings: dict) -> np.ndarray:
        t = track(1, 0, 80.0, programs)
        engine, _ = make_engine([cue(0, t), Note(48, 0, 8, 100, "keys")], {**QUIET, **settings})
        return play(engine, RATE)

    piano = render({"keys": 0, "bass": 33, "melody": 0}, {})
    rhodes = render({"keys": 4, "bass": 33, "melody": 0}, {})
    assert not np.allclose(piano, rhodes, atol=1e-3)  # the palette chose the instrument
    np.testing.assert_allclose(render({"keys": 4, "bass": 33, "melody": 0}, {"sound.program_keys": 0}), piano,
                               atol=1e-6)  # a pinned program wins over the palette


def test_the_beat_drops_out_in_a_section_without_drums_and_is_light_in_an_intro(make_engine, play):
    beat_only = {"layers.music.enabled": False, "layers.rain.enabled": False, "fx.crackle": 0.0}
    loud = {}
    for beat in ("full", "light", "off"):
        t = track(1, 0, 120.0, {"keys": 0, "bass": 33, "melody": 0}, beat=beat)
        engine, _ = make_engine([cue(0, t)] + [Note(60, 4, 1, 1) for _ in range(16)], beat_only)
        loud[beat] = np.sqrt(np.mean(play(engine, 4 * RATE) ** 2))
    assert loud["full"] > 0.01 and loud["off"] < 1e-4
    assert 3e-4 < loud["light"] < loud["full"] / 2  # the cymbals alone, softer (TimGM6mb: 7.7e-4 against 0.028)


def test_a_nudged_note_sounds_that_much_after_its_sixteenth(make_engine, play):
    engine, _ = make_engine([Note(60, 4, 1, 90), Note(64, 4, 1, 90, nudge=0.01), Note(67, 4, 1, 90)],
                            {**QUIET, "music.bpm": 60.0})
    play(engine, 4 * RATE)
    a, b, c = (p.sample for p in engine.played)
    assert abs((b - a) - (RATE + 0.01 * RATE)) <= CONTROL_FRAMES and abs((c - a) - 2 * RATE) <= CONTROL_FRAMES
