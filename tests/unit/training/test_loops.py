"""Learning chord loops from POP909-shaped song folders the test writes: known loops come back as
degrees of their key, rotations and keys don't matter, misannotated keys are left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lofid.errors import LofidError
from lofid.training.loops import learn_loops

BEATS_PER_BAR = 4


def write_song(folder: Path, key: str, bars: list[list[str]], repeats: int = 3) -> None:
    """A POP909 song folder at 60 bpm (a beat a second): ``bars`` (one or two Harte labels each,
    two share the bar in halves) played ``repeats`` times, in ``key`` throughout."""
    folder.mkdir(parents=True)
    played = bars * repeats
    n = len(played) * BEATS_PER_BAR
    (folder / "beat_midi.txt").write_text("".join(
        f"{t}.0 {int(t % 2 == 0)} {int(t % BEATS_PER_BAR == 0)}\n" for t in range(n + 1)))
    (folder / "key_audio.txt").write_text(f"0.0\t{n}.0\t{key}\n")
    rows = []
    for b, bar in enumerate(played):
        beats = BEATS_PER_BAR / len(bar)
        rows += [f"{b * BEATS_PER_BAR + i * beats}\t{b * BEATS_PER_BAR + (i + 1) * beats}\t{c}\n" for i, c in enumerate(bar)]
    (folder / "chord_midi.txt").write_text("".join(rows))


def test_a_repeated_loop_is_learnt_as_degrees_of_its_key_from_its_tonic(tmp_path):
    # I vi IV V in D major, and in Bb major entered at IV (IV V I vi): one loop, used by two songs
    write_song(tmp_path / "001", "D:maj", [["D:maj"], ["B:min7"], ["G:maj"], ["A:maj"]])
    write_song(tmp_path / "002", "Bb:maj", [["Eb:maj7"], ["F:maj"], ["Bb:maj/3"], ["G:min"]])
    table = learn_loops(tmp_path)
    assert table["songs"] == 2
    assert table["loops"]["major"] == [{"loop": "0:maj|9:min|5:maj|7:maj", "songs": 2}]
    assert table["loops"]["minor"] == []


def test_bars_of_two_chords_and_minor_keys_counted_from_the_minor_tonic(tmp_path):
    # i iv | bVII bIII | i | v in A minor and in E minor
    write_song(tmp_path / "001", "A:min", [["A:min", "D:min"], ["G:maj", "C:maj"], ["A:min"], ["E:min"]])
    write_song(tmp_path / "002", "E:min", [["E:min", "A:min7"], ["D:maj", "G:maj"], ["E:min"], ["B:min"]])
    table = learn_loops(tmp_path)
    assert table["loops"]["minor"] == [{"loop": "0:min 5:min|10:maj 3:maj|0:min|7:min", "songs": 2}]
    assert table["loops"]["major"] == []


def test_a_loop_must_be_shared_by_two_songs_and_repeated_in_each(tmp_path):
    write_song(tmp_path / "001", "C:maj", [["C:maj"], ["A:min"], ["F:maj"], ["G:maj"]])
    write_song(tmp_path / "002", "C:maj", [["C:maj"], ["A:min"], ["F:maj"], ["G:maj"]], repeats=1)
    assert learn_loops(tmp_path)["loops"]["major"] == []


def test_a_key_whose_chords_are_mostly_outside_it_is_left_out(tmp_path):
    # Eb major's I IV V vi annotated as C major: none of its chords is C major's, so the key is wrong
    for name in ("001", "002"):
        write_song(tmp_path / name, "C:maj", [["Eb:maj"], ["Ab:maj"], ["Bb:maj"], ["C:min"]])
    write_song(tmp_path / "003", "C:maj", [["C:maj"], ["A:min"], ["F:maj"], ["G:maj"]])
    write_song(tmp_path / "004", "G:maj", [["G:maj"], ["E:min"], ["C:maj"], ["D:maj"]])
    table = learn_loops(tmp_path)
    assert table["songs"] == 2
    assert table["loops"]["major"] == [{"loop": "0:maj|9:min|5:maj|7:maj", "songs": 2}]


def test_one_chord_loops_and_shorter_loops_repeated_are_not_loops(tmp_path):
    for name in ("001", "002"):
        write_song(tmp_path / name, "C:maj", [["C:maj"], ["C:maj"], ["C:maj"], ["C:maj"]])
    for name in ("003", "004"):
        write_song(tmp_path / name, "C:maj", [["C:maj"], ["G:maj"], ["C:maj"], ["G:maj"]])
    assert learn_loops(tmp_path)["loops"]["major"] == []


def test_the_table_is_json_and_small(tmp_path):
    write_song(tmp_path / "001", "F:maj", [["F:maj"], ["D:min"], ["G:min"], ["C:7"]])
    write_song(tmp_path / "002", "E:maj", [["E:maj"], ["C#:min"], ["F#:min"], ["B:7"]])
    text = json.dumps(learn_loops(tmp_path))
    # a dominant 7 keeps its own class (elsewhere it is a secondary dominant), so V7 is not V
    assert json.loads(text)["loops"]["major"] == [{"loop": "0:maj|9:min|2:min|7:7", "songs": 2}]
    assert len(text) < 200_000


def test_a_folder_without_annotated_songs_is_an_error(tmp_path):
    with pytest.raises(LofidError, match="no POP909 song folders"):
        learn_loops(tmp_path)
