"""The corpus: recursive search, drums skipped, tracks, key normalisation, song split, sequences."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from lofid.errors import LofidError
from lofid.model.encoding import to_rows
from lofid.model.songs import song_rows
from lofid.music.midi import read_notes
from lofid.training.dataset import dataset, load_corpus, sequences
from tests.support.songs import MAJOR, write_folder, write_song

C_MAJOR = set(MAJOR)


def pitch_classes(rows: np.ndarray) -> set[int]:
    return set((rows[:, 0] % 12).tolist())


def test_a_song_with_a_pop909_key_file_is_moved_to_c_major(tmp_path):
    path = write_song(tmp_path / "003" / "003.mid", tonic=4, bars=4)  # E major
    written = to_rows(read_notes(path)).astype(int)
    assert not pitch_classes(written) <= C_MAJOR
    (tmp_path / "003" / "key_audio.txt").write_text("0.0\t200.0\tE:maj\n")
    rows = song_rows(path)
    assert pitch_classes(rows) <= C_MAJOR
    np.testing.assert_array_equal(rows[:, 0], written[:, 0] - 4)  # E down to C, the nearest way


def test_key_changes_in_the_key_file_are_followed(tmp_path):
    path = write_song(tmp_path / "s" / "s.mid", tonic=0, bpm=60, bars=8)  # C major throughout, 4 s a bar
    (tmp_path / "s" / "key_audio.txt").write_text("0.0\t16.0\tC:maj\n16.0\t32.0\tA:min\n")
    rows, written = song_rows(path), to_rows(read_notes(path)).astype(int)
    half = len(rows) // 2  # the key changes after bar 4 of 8
    np.testing.assert_array_equal(rows[:, 0], written[:, 0])  # A minor is C major's relative: nothing moves
    (tmp_path / "s" / "key_audio.txt").write_text("0.0\t16.0\tC:maj\n16.0\t32.0\tD:maj\n")
    rows = song_rows(path)
    np.testing.assert_array_equal(rows[:half, 0], written[:half, 0])
    np.testing.assert_array_equal(rows[half:, 0], written[half:, 0] - 2)


def test_a_song_without_key_annotation_has_its_key_estimated(tmp_path):
    rows = song_rows(write_song(tmp_path / "s.mid", tonic=7, bars=8, seed=3))  # G major, no key file
    assert pitch_classes(rows) <= C_MAJOR


def test_folder_is_searched_recursively_drums_skipped_and_split_by_song(tmp_path):
    write_folder(tmp_path, songs=10, bars=8)
    corpus = load_corpus(tmp_path, window=30, val_fraction=0.2)
    assert corpus.files == 10 and len(corpus.train) == 8 and len(corpus.val) == 2
    # 8 bars: 3 chord notes and 8 melody notes a bar; the drum track adds nothing.
    assert all(len(song) == 8 * 11 for song in corpus.train + corpus.val)
    ids = {id(s) for s in corpus.train} & {id(s) for s in corpus.val}
    assert not ids


def test_tracks_option_keeps_only_the_named_tracks(tmp_path):
    write_folder(tmp_path, songs=2, bars=8)
    corpus = load_corpus(tmp_path, window=30, tracks=["melody"], val_fraction=0)
    assert [len(s) for s in corpus.train] == [64, 64]


def test_unreadable_files_are_skipped_with_one_warning(tmp_path, caplog):
    write_folder(tmp_path, songs=3, bars=8)
    (tmp_path / "broken.mid").write_bytes(b"not midi at all")
    (tmp_path / "album0" / "truncated.MIDI").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    with caplog.at_level(logging.WARNING, logger="lofid"):
        corpus = load_corpus(tmp_path, window=30, val_fraction=0)
    assert corpus.unreadable == 2 and len(corpus.train) == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2 unreadable" in warnings[0]


def test_a_folder_without_usable_notes_is_an_error(tmp_path):
    (tmp_path / "readme.txt").write_text("no music here")
    (tmp_path / "bad.mid").write_bytes(b"junk")
    with pytest.raises(LofidError, match="no usable notes"):
        load_corpus(tmp_path, window=30)
    write_folder(tmp_path / "music", songs=1, bars=8)
    with pytest.raises(LofidError, match="no usable notes in tracks BASS"):
        load_corpus(tmp_path, window=30, tracks=["BASS"])


def test_sequences_teach_every_next_note(tmp_path):
    song = np.arange(100 * 4, dtype=np.int32).reshape(100, 4)
    seqs = sequences([song], window=30)
    assert seqs.shape == (3, 31, 4)  # non-overlapping pieces of 31 notes: 0-30, 30-60, 60-90
    x, y = next(iter(dataset(seqs, batch_size=3, shuffle=False)))
    assert x.shape == (3, 30, 4)
    np.testing.assert_array_equal(y["pitch"].numpy(), seqs[:, 1:, 0])  # targets are the inputs shifted by one
    np.testing.assert_array_equal(y["velocity"].numpy()[:, :-1], x.numpy()[:, 1:, 3])


def test_each_note_is_told_its_chord_from_the_annotation_moved_with_the_key_and_its_place_in_the_bar(tmp_path):
    # D major at 60 bpm (one beat a second), downbeat on the first beat: D:maj for a bar, then B:min
    path = write_song(tmp_path / "009" / "009.mid", tonic=2, bpm=60, bars=2)
    folder = path.parent
    (folder / "key_audio.txt").write_text("0.0\t8.0\tD:maj\n")
    (folder / "beat_midi.txt").write_text("".join(f"{t}.0 {int(t % 2 == 0)} {int(t % 4 == 0)}\n" for t in range(9)))
    (folder / "chord_midi.txt").write_text("0.0\t4.0\tD:maj\n4.0\t8.0\tB:min7\n")
    rows = song_rows(path, tracks=["MELODY"])
    assert rows.shape == (16, 6)  # eight eighth notes a bar
    np.testing.assert_array_equal(rows[:, 5], [0, 2, 4, 6, 8, 10, 12, 14] * 2)
    c_major, a_minor = 1 + 0 * 6 + 0, 1 + 9 * 6 + 1  # moved down a tone: C:maj, A:min
    np.testing.assert_array_equal(rows[:, 4], [c_major] * 8 + [a_minor] * 8)


def test_without_a_chord_file_the_chord_is_estimated_per_bar_from_the_other_tracks(tmp_path):
    path = write_song(tmp_path / "s.mid", tonic=0, bars=4)  # I IV V vi triads on the piano
    rows = song_rows(path, tracks=["MELODY"])
    per_bar = [sorted(set(rows[rows[:, 5] >= 0][i * 8:(i + 1) * 8, 4].tolist())) for i in range(4)]
    assert per_bar == [[1], [1 + 5 * 6], [1 + 7 * 6], [1 + 9 * 6 + 1]]  # C, F, G, A:min
