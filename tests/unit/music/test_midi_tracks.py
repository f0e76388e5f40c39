"""MIDI files with tracks: markers, key signatures and tempi at each track, section markers, the transition."""

from __future__ import annotations

import mido
import pretty_midi
import pytest

from lofid.music.midi import key_signature, midi_bytes
from lofid.music.notes import BAR, Note
from lofid.music.tracks import Cue, Palette, Section, Track


def track(number: int, start: int, tonic: int, minor: bool, bpm: float, transition: float = 0.0) -> Track:
    sections = (Section("intro", start, 1, "light"), Section("A", start + BAR, 1, "full"))
    return Track(number, f"title {number}", tonic, minor, bpm, 0.0, Palette("p", {"keys": 4, "bass": 33, "melody": 11}, 40),
                 "", 1.0, start, sections, transition)


def test_each_track_and_section_is_marked_with_its_key_and_tempo(tmp_path):
    one, two = track(1, 0, 3, False, 60.0), track(2, 2 * BAR, 1, True, 120.0, transition=1.0)
    events = [Cue(0, one.sections[0], one, True), Note(63, 0, 4, 80), Cue(16, one.sections[1], one, False),
              Note(65, 0, 16, 80), Cue(16, two.sections[0], two, True), Note(61, 0, 4, 80),
              Cue(16, two.sections[1], two, False), Note(64, 0, 4, 80)]
    path = tmp_path / "radio.mid"
    path.write_bytes(midi_bytes(events, 74.0, {"keys": 4}, chords=[(0, "Eb:maj7"), (32, "C#:min7")]))
    conductor = mido.MidiFile(path).tracks[0]
    marks = [m.text for m in conductor if m.type == "marker"]
    assert marks == ["track 1: title 1", "section intro", "section A", "track 2: title 2", "section intro", "section A"]
    assert [m.key for m in conductor if m.type == "key_signature"] == ["Eb", "C#m"]
    midi = pretty_midi.PrettyMIDI(str(path))
    times, tempi = midi.get_tempo_changes()
    assert list(tempi[-2:]) == pytest.approx([60.0, 120.0])
    starts = sorted(n.start for inst in midi.instruments for n in inst.notes)
    # two bars at 60 bpm (8 s), then the 1 s transition, then track 2
    assert starts == pytest.approx([0.0, 4.0, 9.0, 11.0], abs=1e-3)
    programs = {inst.name: inst.program for inst in midi.instruments}
    assert programs["keys"] == 4  # the palette's electric piano
    assert [t.text for t in midi.text_events] == ["chord Eb:maj7", "chord C#:min7"]
    held = [n for inst in midi.instruments for n in inst.notes if n.pitch == 65][0]
    assert held.end == pytest.approx(8.0, abs=1e-3)  # released at the bar line, as the engine does


def test_key_signatures_are_spelt_as_midi_has_them():
    assert key_signature(track(1, 0, 6, True, 80)) == "F#m" and key_signature(track(1, 0, 10, False, 80)) == "Bb"
    for tonic in range(12):
        for minor in (False, True):
            mido.MetaMessage("key_signature", key=key_signature(track(1, 0, tonic, minor, 80)))  # never refused
