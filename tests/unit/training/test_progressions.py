"""Mood-tagged progressions (free-midi-chords' Roman numerals) read as lofid's loops, merged into
the loop table with their moods, and drawn by the tracks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lofid import paths
from lofid.compose.loops import MOOD_SHARE, _choices, decode_loop, draw_loop, in_key_share
from lofid.errors import LofidError
from lofid.training.progressions import AEOLIAN, IONIAN, bars_of, chord, merge, read_progressions

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "mood-progressions" / "progressions.csv"


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("mode,progression,moods\n" + "".join(f"{m},{p},{t}\n" for m, p, t in rows))
    return path


def test_numerals_are_degrees_of_the_modes_scale_and_their_suffix_the_quality():
    assert chord("I", IONIAN) == (0, "maj") and chord("vi", IONIAN) == (9, "min") and chord("V7", IONIAN) == (7, "7")
    assert chord("I7", IONIAN) == (0, "maj")  # the scale's own seventh: Cmaj7
    assert chord("iim7", IONIAN) == (2, "min") and chord("Vadd9", IONIAN) == (7, "maj")
    assert chord("III", AEOLIAN) == (3, "maj") and chord("VII", AEOLIAN) == (10, "maj") and chord("v7", AEOLIAN) == (7, "min")
    assert chord("ii", AEOLIAN) == (2, "dim")  # case is not the quality: ii of A minor is B diminished
    assert chord("bVIIM", IONIAN) == (10, "maj") and chord("ivm", IONIAN) == (5, "min") and chord("#IVdim", IONIAN) == (6, "dim")
    assert chord("Vdom7", IONIAN) == (7, "7") and chord("IVsus4", IONIAN) == (5, "sus4")
    assert chord("bi", IONIAN) == (11, "min")  # an accidental without a suffix takes its case
    assert chord("IM-5", IONIAN) is None  # a major flat five: no lofid chord, its progression is left out


def test_chords_fill_four_bars():
    a, b, c, d, e = [(k, "maj") for k in range(5)]
    assert bars_of([a, b, c]) == [[a], [b], [c], [c]]  # the last doubled, as the project renders three
    assert bars_of([a, b, c, d]) == [[a], [b], [c], [d]]
    assert bars_of([a, b, c, d, e]) == [[a], [b], [c], [d, e]]
    assert bars_of([a, a, b, b, c, c, d, d]) == [[a], [b], [c], [d]]  # a chord twice in a bar is one chord
    assert bars_of([a, b]) is None and bars_of([a] * 9) is None


def test_a_csv_becomes_loops_per_mode_with_their_moods_and_cadences_chromatic_and_odd_rows_left_out(tmp_path):
    csv = write_csv(tmp_path / "p.csv", [
        ("major", "I V vi IV", "Hopeful Romantic"),
        ("major", "I V vi IV", "New Nostalgic"),  # the same loop again: its moods join, "New" is no mood
        ("minor", "i VI III VII", "Nostalgic Hopeful"),
        ("modal", "im bVIIM bVIM bVIIM", "Mysterious"),  # a minor tonic: a minor loop, i bVII bVI bVII
        ("modal", "I bIIM I iii", "Surprised"),  # bII is out of the key
        ("major", "I I IM-5 IM-5 IV IV V Vsus2", "Joyful"),  # M-5 is no lofid chord
        ("modal", "ivm bIIIM bIIM I", "Cadence"),
    ])
    p = read_progressions(csv)
    assert [(m.loop, m.moods) for m in p.major] == [("0:maj|7:maj|9:min|5:maj", ("Hopeful", "Romantic", "Nostalgic"))]
    assert [m.loop for m in p.minor] == ["0:min|8:maj|3:maj|10:maj", "0:min|10:maj|8:maj|10:maj"]
    assert p.left_out == 3
    for mode, minor in ((p.major, False), (p.minor, True)):
        assert all(in_key_share(decode_loop(m.loop), minor) >= 0.95 for m in mode)


def test_merging_keeps_pop909s_loops_and_counts_and_adds_the_new_ones_with_moods(tmp_path):
    table = {"schema": 1, "loops": {"major": [{"loop": "0:maj|7:maj|9:min|5:maj", "songs": 12}], "minor": []}}
    p = read_progressions(write_csv(tmp_path / "p.csv", [("major", "I V vi IV", "Hopeful"),
                                                         ("major", "vi IV I V", "Romantic")]))
    merged = merge(table, p)
    major = merged["loops"]["major"]
    assert major[0] == {"loop": "0:maj|7:maj|9:min|5:maj", "songs": 12, "moods": ["Hopeful"]}
    assert major[1]["songs"] == 0 and major[1]["moods"] == ["Romantic"] and "free-midi-chords" in major[1]["source"]
    assert merged["moods"]["added"] == 1 and table["loops"]["major"][0] == {"loop": "0:maj|7:maj|9:min|5:maj", "songs": 12}
    texts, p_draw = _choices(merged, minor=False)
    assert p_draw[1] == pytest.approx(MOOD_SHARE / 2)  # the two tagged loops share MOOD_SHARE evenly
    assert p_draw[0] == pytest.approx(1 - MOOD_SHARE + MOOD_SHARE / 2)


def test_a_file_that_is_not_a_progressions_csv_is_one_line(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LofidError, match="not a progressions CSV"):
        read_progressions(tmp_path / "x.csv")
    with pytest.raises(LofidError, match="cannot read the progressions"):
        read_progressions(tmp_path / "none.csv")
    with pytest.raises(LofidError, match="not a Roman numeral: 'Q7'"):
        read_progressions(write_csv(tmp_path / "q.csv", [("major", "I Q7 IV", "Sad")]))


def test_the_shipped_table_holds_the_mood_loops_and_tracks_draw_them():
    table = json.loads((paths.MODELS / "lofid.json").read_text())["loops"]
    tagged = {mode: [e for e in table["loops"][mode] if e.get("moods")] for mode in ("major", "minor")}
    assert len(tagged["major"]) >= 30 and len(tagged["minor"]) >= 30
    assert all(e["loop"].count("|") == 3 for mode in tagged.values() for e in mode)
    assert {"Nostalgic", "Hopeful", "Sad"} <= {m for mode in tagged.values() for e in mode for m in e["moods"]}
    assert table["moods"]["source"].startswith("free-midi-chords")
    rng = np.random.default_rng(0)
    moods = {e["loop"] for e in tagged["major"]}
    pop909 = {e["loop"] for e in table["loops"]["major"] if e["songs"]}
    drawn = [draw_loop(table, rng, False, 4) for _ in range(300)]
    texts = ["|".join(f"{c.root}" for c in loop) for loop in drawn]
    assert len(set(texts)) > 40  # a wide choice of progressions
    assert moods - pop909 and pop909  # both kinds in the table


@pytest.mark.skipif(not SHARED.is_file(), reason="the shared mood-progressions data is not on this machine")
def test_the_free_midi_chords_csv_reads_whole():
    p = read_progressions(SHARED)
    assert len(p.major) == 46 and len(p.minor) == 55 and p.left_out == 87
