"""Each metric of ``lofid eval`` on hand-made MIDI files whose right answer is known exactly.

Pieces are written as real MIDI files and read back through the same road the command takes
(pretty_midi, beat and chord annotations beside the file), so a wrong beat grid or track mapping
shows up here as a wrong figure.
"""

from __future__ import annotations

import math
from pathlib import Path

import pretty_midi
import pytest

from lofid.errors import LofidError
from lofid.evaluation.copyindex import copy_rate, corpus_index
from lofid.evaluation.metrics import TimedNote, measure, melody, normalised_pitches, piece_from_midi, piece_from_notes
from lofid.music.chords import chord_pitch_classes
from lofid.music.keys import offset_from_c
from lofid.music.midi import load_midi
from lofid.music.notes import Note

C_MAJOR_SCALE = (60, 62, 64, 65, 67, 69, 71)


def write(path: Path, tracks: dict[str, list[tuple[int, float, float]]], bpm: float = 60.0) -> Path:
    """A MIDI file of named tracks of (pitch, start s, end s) notes."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    for name, notes in tracks.items():
        inst = pretty_midi.Instrument(program=0, name=name)
        inst.notes = [pretty_midi.Note(80, p, s, e) for p, s, e in notes]
        midi.instruments.append(inst)
    path.parent.mkdir(parents=True, exist_ok=True)
    midi.write(str(path))
    return path


def line(pitches, beat: float = 0.5) -> list[tuple[int, float, float]]:
    """One note per beat, each held for the beat."""
    return [(p, i * beat, (i + 1) * beat) for i, p in enumerate(pitches)]


def evaluate(path: Path, shift: int | None = None, index=None) -> dict:
    piece = piece_from_midi(load_midi(path), path.parent, shift, "test", str(path))
    return measure(piece, (lambda p: copy_rate(p, index)) if index is not None else None)


def test_a_c_major_scale_is_all_in_key_with_seven_equally_likely_pitch_classes(tmp_path):
    path = write(tmp_path / "scale.mid", {"keys": line(C_MAJOR_SCALE * 2)})
    for shift in (0, None):  # given as C, and estimated from the notes
        m = evaluate(path, shift)
        assert m["in_key"] == 1.0
        assert m["pitch_class_entropy"] == pytest.approx(math.log2(7))


def test_the_chromatic_scale_is_seven_twelfths_in_c_and_has_the_most_entropy(tmp_path):
    m = evaluate(write(tmp_path / "chromatic.mid", {"keys": line(range(60, 72))}), shift=0)
    assert m["in_key"] == pytest.approx(7 / 12)
    assert m["pitch_class_entropy"] == pytest.approx(math.log2(12))


def test_in_key_follows_the_key_file_segment_by_segment(tmp_path):
    # bar 1 in C major, bar 2 the D major scale: only F# and C# are out of C, and key_audio.txt says
    # the second half is in D, so everything is in key
    d_major = (62, 64, 66, 67, 69, 71, 73)
    path = write(tmp_path / "song" / "song.mid", {"keys": line(C_MAJOR_SCALE + d_major)})
    assert evaluate(path, shift=0)["in_key"] == pytest.approx(12 / 14)
    (path.parent / "key_audio.txt").write_text("0.0 3.5 C:maj\n3.5 7.0 D:maj\n")
    assert evaluate(path)["in_key"] == 1.0


def test_one_five_second_gap_is_the_longest_silence(tmp_path):
    notes = [(60, 0.0, 1.0), (64, 0.5, 2.0), (67, 7.0, 8.0), (72, 8.5, 9.0)]  # overlap, 5 s gap, 0.5 s gap
    m = evaluate(write(tmp_path / "gap.mid", {"keys": notes}), shift=0)
    assert m["longest_silence"] == pytest.approx(5.0)
    assert m["notes_per_second"] == pytest.approx(4 / 9.0)


def test_a_twelve_note_chord_is_twelve_voices_and_touching_notes_are_one(tmp_path):
    chord = [(p, 0.0, 2.0) for p in range(48, 72, 2)]
    kick = [(36, 0.0, 0.1), (38, 1.0, 1.1)]  # a drum part on an ordinary track is not counted as voices
    assert evaluate(write(tmp_path / "chord.mid", {"keys": chord, "drums": kick}), shift=0)["most_voices"] == 12
    legato = line(C_MAJOR_SCALE)  # each note ends exactly as the next starts
    assert evaluate(write(tmp_path / "legato.mid", {"keys": legato}), shift=0)["most_voices"] == 1


def test_a_pitch_struck_again_ends_the_earlier_note_as_the_synthesizer_does():
    # C held for two beats, struck again after one: one voice, not two (FluidSynth cuts the first)
    notes = [Note(60, 0, 8, 80), Note(60, 4, 8, 80), Note(64, 0, 4, 80)]
    piece = piece_from_notes(notes, 60.0, shift=0, key_name="C")
    assert measure(piece)["most_voices"] == 2
    assert [(n.pitch, n.onset, n.release) for n in piece.notes] == [(60, 0, 4), (60, 4, 12), (64, 4, 8)]


def test_a_repeated_four_note_riff_repeats_fully_and_has_four_distinct_pitches(tmp_path):
    riff = (60, 64, 67, 71) * 20
    m = evaluate(write(tmp_path / "riff.mid", {"keys": line(riff, 0.25)}), shift=0)
    assert m["repetition"] == 1.0
    assert m["fewest_distinct_pitches"] == 4


def test_repetition_looks_back_exactly_ten_notes(tmp_path):
    # a cycle of 10 pitches finds each pitch 10 notes back; a cycle of 11 never does
    ten = evaluate(write(tmp_path / "ten.mid", {"keys": line(list(range(60, 70)) * 4, 0.25)}), shift=0)
    eleven = evaluate(write(tmp_path / "eleven.mid", {"keys": line(list(range(60, 71)) * 4, 0.25)}), shift=0)
    assert ten["repetition"] == 1.0
    assert eleven["repetition"] == 0.0


def test_the_fewest_distinct_pitches_is_found_in_the_sparest_64_notes(tmp_path):
    # 64 notes over 8 pitches, then 64 over 4: the last window holds 4; no window holds fewer
    pitches = list(range(60, 68)) * 8 + [60, 62, 64, 65] * 16
    m = evaluate(write(tmp_path / "thin.mid", {"keys": line(pitches, 0.25)}), shift=0)
    assert m["fewest_distinct_pitches"] == 4


def test_chord_tones_on_strong_beats_use_the_melody_track_and_chord_file(tmp_path):
    # 60 bpm, a one-beat pickup, then 2 bars: C:maj then A:min7 (from POP909-style annotations).
    # Strong-beat melody notes: E (tone), D (not) | C (tone), G (tone) -> 3 of 4. Off-beat notes are
    # non-chord tones and must not count; the piano plays higher, so a skyline would pick it instead.
    folder = tmp_path / "song"
    melody_notes = [(71, 0.0, 1.0),  # the pickup, before any chord
                    (64, 1.0, 2.0), (65, 2.0, 3.0), (62, 3.0, 4.0), (65, 4.0, 5.0),
                    (60, 5.0, 6.0), (71, 6.0, 7.0), (67, 7.0, 8.0), (66, 8.0, 9.0)]
    piano = [(84, 1.0, 5.0), (85, 5.0, 9.0)]
    path = write(folder / "song.mid", {"MELODY": melody_notes, "PIANO": piano})
    (folder / "beat_midi.txt").write_text("".join(f"{t:.1f} {int(t % 2 == 1)} {int(t % 4 == 1)}\n" for t in range(10)))
    (folder / "chord_midi.txt").write_text("0.0\t1.0\tN\n1.0\t5.0\tC:maj\n5.0\t9.0\tA:min7\n")
    piece = piece_from_midi(load_midi(path), folder, 0, "test")
    assert piece.sources["chords"] == "chord_midi.txt" and piece.sources["melody"] == "the melody part"
    assert measure(piece)["strong_beat_chord_tones"] == pytest.approx(3 / 4)


def test_without_annotations_chords_are_estimated_per_bar_from_the_accompaniment(tmp_path):
    # keys hold C major then F major for a bar each (60 bpm, 4/4 from 0); the top line is the melody:
    # beat 1 C (tone), beat 3 D (not) | beat 1 F (tone), beat 3 E (not) -> 2 of 4
    # then a bar of melody alone: no chord under it, so its notes do not count
    keys = [(p, 0.0, 4.0) for p in (48, 52, 55)] + [(p, 4.0, 8.0) for p in (53, 57, 60)]
    top = [(72, 0.0, 2.0), (74, 2.0, 4.0), (77, 4.0, 6.0), (76, 6.0, 8.0), (73, 8.0, 10.0), (78, 10.0, 12.0)]
    path = write(tmp_path / "est.mid", {"keys": keys + top})
    piece = piece_from_midi(load_midi(path), None, 0, "test")
    assert [c.label for c in piece.chords] == ["C:maj", "F:maj", "N"]
    assert piece.sources["chords"].startswith("estimated")
    assert measure(piece)["strong_beat_chord_tones"] == pytest.approx(2 / 4)


@pytest.mark.parametrize("text, why", [("0.0 4.0 C:weird\n", "unknown chord quality 'weird'"),
                                       ("0.0 C:maj\n", "line 1: expected 'start end label'")])
def test_a_damaged_chord_file_is_one_error_naming_it(tmp_path, text, why):
    path = write(tmp_path / "song" / "song.mid", {"keys": line(C_MAJOR_SCALE)})
    (path.parent / "chord_midi.txt").write_text(text)
    with pytest.raises(LofidError) as error:
        evaluate(path, shift=0)
    assert str(error.value).startswith(f"{path.parent / 'chord_midi.txt'}: not a chord file") and why in str(error.value)


def note(pitch: int, onset: int, release: int) -> TimedNote:
    return TimedNote(onset / 4, release / 4, pitch, onset, release, 0)


def test_the_skyline_melody_skips_notes_under_a_held_higher_note():
    notes = [note(60, 0, 4), note(72, 0, 16), note(64, 4, 8), note(67, 8, 12), note(76, 16, 20)]
    assert [n.pitch for n in melody(notes)] == [72, 76]


@pytest.mark.parametrize("label, pcs", [("C:maj", {0, 4, 7}), ("A:min7", {9, 0, 4, 7}), ("G:7", {7, 11, 2, 5}),
                                        ("F#:maj/3", {6, 10, 1}), ("D:sus4(b7)", {2, 7, 9, 0}),
                                        ("Bb:min/b3", {10, 1, 5}), ("E:hdim7", {4, 7, 10, 2}), ("N", set()),
                                        ("C:maj(*5)", {0, 4}), ("Db", {1, 5, 8})])
def test_harte_chord_labels_read_as_their_pitch_classes(label, pcs):
    assert chord_pitch_classes(label) == pcs


def corpus_song(folder: Path, name: str, pitches) -> Path:
    path = write(folder / name / f"{name}.mid", {"keys": line(pitches, 0.25)})
    (path.parent / "key_audio.txt").write_text("0.0 100.0 C:maj\n")
    return path


TUNE = (60, 64, 67, 65, 62, 71, 72, 69, 67, 64, 65, 67, 60, 62, 64, 72, 71, 69, 67, 65)


def test_copy_rate_finds_a_copy_a_transposed_copy_and_a_partial_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus"
    corpus_song(corpus, "tune", TUNE * 2)
    corpus_song(corpus, "other", (60, 62, 64, 65, 67) * 8)
    index = corpus_index(corpus)
    assert list((tmp_path / "cache" / "lofid").glob("copy-index-*.npy")), "the index is cached"
    copied = write(tmp_path / "copy.mid", {"keys": line(TUNE * 2, 0.25)})
    assert evaluate(copied, index=index)["copy_rate"] == 1.0
    # the same tune in D, key estimated: normalised back to C, so still a copy
    in_d = write(tmp_path / "in_d.mid", {"keys": line([p + 2 for p in TUNE * 2], 0.25)})
    assert evaluate(in_d, index=index)["copy_rate"] == 1.0
    # 30 copied notes then 30 new ones: 16 of the 46 runs of 15 lie inside the copy
    fresh = [60, 61, 63, 66, 70, 75, 69, 62, 74, 61] * 3
    half = write(tmp_path / "half.mid", {"keys": line(list(TUNE + TUNE[:10]) + fresh, 0.25)})
    assert evaluate(half, shift=0, index=index)["copy_rate"] == pytest.approx(16 / 46)
    assert evaluate(write(tmp_path / "new.mid", {"keys": line(fresh * 2, 0.25)}), shift=0,
                    index=index)["copy_rate"] == 0.0


def test_generated_notes_are_judged_in_the_key_they_were_transposed_to(tmp_path, monkeypatch):
    # what the generator would write for a copied tune with music.key = D: in key, and a copy
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus_song(tmp_path / "corpus", "tune", TUNE * 2)
    offset = offset_from_c("D")
    notes = [Note(p + offset, 0 if i == 0 else 2, 2, 80) for i, p in enumerate(TUNE * 2)]
    piece = piece_from_notes(notes, 74.0, shift=-offset, key_name="music.key = D")
    assert normalised_pitches(piece) == list(TUNE * 2)
    m = measure(piece, lambda p: copy_rate(p, corpus_index(tmp_path / "corpus")))
    assert m["in_key"] == 1.0 and m["copy_rate"] == 1.0
    # 74 bpm: a 16th lasts 60/74/4 s; 40 notes two 16ths apart, each two 16ths long
    assert m["notes_per_second"] == pytest.approx(40 / (80 * 60 / 74 / 4))


def test_the_chord_marks_lofid_writes_are_the_chords_eval_reads(tmp_path):
    # C:maj for a bar, then a bar marked A:min7 whose keys play only A C E (a guess would say A:min).
    # Melody on beats 1 and 3: E (tone of C), D (not) | G (tone of A:min7 by the mark), F (not) -> 2 of 4
    from lofid.music.midi import midi_bytes

    notes = [Note(48, 0, 16, 60), Note(52, 0, 16, 60), Note(55, 0, 16, 60), Note(76, 0, 8, 80, "melody"),
             Note(74, 8, 8, 80, "melody"), Note(57, 8, 16, 60), Note(60, 0, 16, 60), Note(64, 0, 16, 60),
             Note(79, 0, 8, 80, "melody"), Note(77, 8, 8, 80, "melody")]
    path = tmp_path / "marked.mid"
    path.write_bytes(midi_bytes(notes, 60.0, chords=[(0, "C:maj"), (16, "A:min7")]))
    piece = piece_from_midi(load_midi(path), None, 0, "test")
    assert piece.sources["chords"] == "chord marks in the file"
    assert [c.label for c in piece.chords] == ["C:maj", "A:min7"]
    assert measure(piece)["strong_beat_chord_tones"] == pytest.approx(2 / 4)
    unmarked = tmp_path / "unmarked.mid"
    unmarked.write_bytes(midi_bytes(notes, 60.0))
    assert measure(piece_from_midi(load_midi(unmarked), None, 0, "test"))["strong_beat_chord_tones"] == 1 / 4
