"""Notes <-> MIDI on the 16th grid: round trip, POP909 beat files, velocity bins, damaged files."""

from __future__ import annotations

import pretty_midi
import pytest

from lofid.errors import LofidError
from lofid.music.midi import midi_bytes, read_notes
from lofid.music.notes import MAX_STEP, Note, bin_velocity, velocity_bin


def test_midi_round_trip_keeps_every_note(tmp_path):
    # A chord (steps 0), a melody on another part, a rest, and velocities that sit on bin centres.
    notes = [Note(48, 0, 16, 56), Note(52, 0, 16, 56), Note(55, 0, 16, 56), Note(72, 2, 3, 104, "melody"),
             Note(74, 4, 1, 88, "melody"), Note(43, 10, 8, 72), Note(79, 0, 32, 120, "melody")]
    path = tmp_path / "phrase.mid"
    path.write_bytes(midi_bytes(notes, bpm=74))
    assert read_notes(path) == notes


def test_a_long_rest_is_clamped_to_the_largest_step(tmp_path):
    path = tmp_path / "rest.mid"
    path.write_bytes(midi_bytes([Note(60, 0, 4, 72), Note(62, MAX_STEP + 20, 4, 72)], bpm=90))
    assert [n.step for n in read_notes(path)] == [0, MAX_STEP]


def test_pop909_beat_file_beats_the_tempo_map(tmp_path):
    # The file claims 120 bpm, but the annotated beats are 0.75 s apart (80 bpm): a note on
    # every annotated beat must read as one beat (4 sixteenths) apart.
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano = pretty_midi.Instrument(0, name="PIANO")
    piano.notes = [pretty_midi.Note(80, 60 + i, 0.5 + 0.75 * i, 0.5 + 0.75 * i + 0.375) for i in range(6)]
    midi.instruments.append(piano)
    midi.write(str(tmp_path / "001.mid"))
    assert [n.step for n in read_notes(tmp_path / "001.mid")][1:] == [6] * 5  # by the tempo map: 1.5 beats
    (tmp_path / "beat_midi.txt").write_text("".join(f"{0.5 + 0.75 * i} {i % 2}.0 {int(i % 4 == 0)}.0\n"
                                                    for i in range(8)))
    notes = read_notes(tmp_path / "001.mid")
    assert [n.step for n in notes][1:] == [4] * 5
    assert {n.duration for n in notes} == {2}


def test_velocities_fall_into_bins_and_play_back_as_their_centre():
    assert velocity_bin(1) == 0 and velocity_bin(127) == 7
    assert [bin_velocity(velocity_bin(v)) for v in (20, 64, 100)] == [24, 72, 104]


def test_damaged_midi_is_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06garbage")
    with pytest.raises(LofidError) as err:
        read_notes(bad)
    assert "broken.mid" in str(err.value) and "\n" not in str(err.value)
