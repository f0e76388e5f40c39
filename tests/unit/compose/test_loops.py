"""A track's chord loop: drawn from a table (or the classic loops), covering its bars exactly,
coloured the lo-fi way, in key, varied for the B part, and different from track to track."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable

import numpy as np
import pytest

from lofid.compose.loops import CHORD_CLASS, HALF, IN_KEY, SCALES, LoopChord, draw_loop, in_key_share, vary_loop
from lofid.music.notes import BAR

MAJOR_DEGREES = ("0:maj", "2:min", "4:min", "5:maj", "7:maj", "9:min")


def ramp_table() -> dict:
    """60 diatonic loops I x y V, used by 40 songs down to 2, as a learnt table might hold them."""
    loops = [f"0:maj|{x}|{y}|7:maj" for x, y in itertools.product(MAJOR_DEGREES, repeat=2)][:60]
    songs = np.linspace(40, 2, len(loops)).round().astype(int)
    return {"loops": {"major": [{"loop": t, "songs": int(n)} for t, n in zip(loops, songs)],
                      "minor": [{"loop": "0:min|5:min|10:maj|3:maj", "songs": 5}]}}


def one_loop(text: str, minor: bool = False) -> dict:
    return {"loops": {"minor" if minor else "major": [{"loop": text, "songs": 3}]}}


def check_grid(loop: tuple[LoopChord, ...], bars: int) -> None:
    """Chords in order, no gaps, one or two per bar, none across a bar line, the loop covered exactly."""
    assert loop[0].start == 0 and loop[-1].start + loop[-1].length == bars * BAR
    assert all(a.start + a.length == b.start for a, b in zip(loop, loop[1:]))
    assert all(c.length in (BAR, HALF) and c.start // BAR == (c.start + c.length - 1) // BAR for c in loop)
    per_bar = np.bincount([c.start // BAR for c in loop], minlength=bars)
    assert per_bar.min() >= 1 and per_bar.max() <= 2


def unvoiced(loop: Iterable[LoopChord]) -> tuple:
    return tuple((c.start, c.root, CHORD_CLASS[c.quality]) for c in loop)


@pytest.mark.parametrize("table", [None, ramp_table()], ids=["classic", "table"])
def test_loops_cover_their_bars_exactly_stay_in_key_and_repeat_per_seed(table):
    for seed, minor, bars in itertools.product(range(40), (False, True), (4, 8)):
        loop = draw_loop(table, np.random.default_rng(seed), minor, bars)
        check_grid(loop, bars)
        assert in_key_share(loop, minor) >= IN_KEY
        assert loop == draw_loop(table, np.random.default_rng(seed), minor, bars)


def test_eight_bars_are_two_loops_or_a_loop_and_its_variation():
    for seed in range(30):
        loop = draw_loop(ramp_table(), np.random.default_rng(seed), False, 8)
        first = unvoiced(c for c in loop if c.start < 4 * BAR)
        second = unvoiced(dataclasses.replace(c, start=c.start - 4 * BAR) for c in loop if c.start >= 4 * BAR)
        assert first != second
    with pytest.raises(ValueError, match="4 or 8 bars"):
        draw_loop(None, np.random.default_rng(0), False, 6)


def test_minor_loops_count_from_the_minor_tonic():
    loop = draw_loop(one_loop("0:min|5:min|10:maj|3:maj", minor=True), np.random.default_rng(0), True, 4)
    assert [(c.root, CHORD_CLASS[c.quality]) for c in loop if c.length == BAR] == \
        [(0, "min"), (5, "min"), (10, "7"), (3, "maj")]  # i iv bVII bIII: bVII voiced as a dominant
    assert loop[0].pitch_classes <= SCALES[True] and 3 in loop[0].pitch_classes  # the minor third above the tonic


def test_colour_is_lo_fi_and_the_same_wherever_a_chord_recurs():
    allowed = {0: {"maj7", "maj9"}, 9: {"min7", "min9"}, 2: {"min7", "min9"}, 4: {"min7"}, 5: {"maj7", "maj9", "min6"},
               7: {"7", "9", "13", "sus4"}, 11: {"hdim7"}}  # the last two from a variation's relatives
    for seed in range(50):
        loop = draw_loop(one_loop("0:maj|9:min|0:maj|4:min 7:maj"), np.random.default_rng(seed), False, 8)
        voicings: dict[tuple[int, str], set[str]] = {}
        for c in loop:
            assert c.quality in allowed[c.root]
            voicings.setdefault((c.root, CHORD_CLASS[c.quality]), set()).add(c.quality)
        assert all(len(v) == 1 for v in voicings.values())


def test_a_borrowed_iv_and_a_ii_v_come_sometimes():
    loops = [draw_loop(one_loop("0:maj|5:maj|0:maj|7:maj"), np.random.default_rng(seed), False, 4) for seed in range(100)]
    borrowed = sum(any(c.quality == "min6" and c.root == 5 for c in loop) for loop in loops)
    ii_v = sum(any(c.root == 2 and c.length == HALF for c in loop) for loop in loops)
    assert 5 <= borrowed <= 50 and 5 <= ii_v <= 60


def test_chromatic_loops_are_kept_only_where_they_fit_the_key():
    # II is a secondary dominant (II7: one tone off the key): a whole bar of it is too much for 4
    # bars, not for 8 beside a diatonic loop
    table = {"loops": {"major": [{"loop": "0:maj|2:maj|7:maj|0:maj", "songs": 3},
                                 {"loop": "0:maj|9:min|5:maj|7:maj", "songs": 3}]}}
    four = [draw_loop(table, np.random.default_rng(seed), False, 4) for seed in range(20)]
    assert not any(c.root == 2 and c.quality == "7" for loop in four for c in loop)
    eight = [draw_loop(table, np.random.default_rng(seed), False, 8) for seed in range(20)]
    assert any(c.root == 2 and c.quality == "7" for loop in eight for c in loop)


def test_twenty_tracks_hear_at_least_ten_progressions():
    for seed in range(10):
        rng = np.random.default_rng(seed)
        assert len({unvoiced(draw_loop(ramp_table(), rng, False, 4)) for _ in range(20)}) >= 10
    # without a table the classic loops still give every mode a few
    rng = np.random.default_rng(0)
    for minor in (False, True):
        assert len({unvoiced(draw_loop(None, rng, minor, 4)) for _ in range(20)}) >= 4


def test_a_variation_differs_keeps_the_grid_and_the_voicings_it_keeps():
    for seed, minor, table in itertools.product(range(40), (False, True), (None, ramp_table())):
        rng = np.random.default_rng(seed)
        loop = draw_loop(table, rng, minor, 4)
        varied = vary_loop(loop, rng, minor)
        assert varied != loop and unvoiced(varied) != unvoiced(loop)
        check_grid(varied, 4)
        assert in_key_share(varied, minor) >= IN_KEY
        kept = {(c.root, CHORD_CLASS[c.quality]): c.quality for c in loop}
        assert all(kept.get((c.root, CHORD_CLASS[c.quality]), c.quality) == c.quality for c in varied)


def test_chord_tones_are_relative_to_the_tonic():
    assert LoopChord(0, BAR, 7, "13").pitch_classes == {7, 11, 2, 5, 9, 4}  # G13 in C: G B D F A E
    assert LoopChord(0, BAR, 5, "min6").pitch_classes == {5, 8, 0, 2}
    with pytest.raises(ValueError, match="unknown chord quality"):
        LoopChord(0, BAR, 0, "maj13#11")


def test_a_moods_tags_favour_the_loops_tagged_so_and_change_nothing_where_none_is():
    table = ramp_table()
    for entry in table["loops"]["major"]:  # I vi y V: the rarely drawn end of the table, tagged Sad
        if entry["loop"].split("|")[1] == "9:min":
            entry["moods"] = ["Sad", "Nostalgic"]

    def share(tags: tuple[str, ...]) -> float:
        rng = np.random.default_rng(8)
        drawn = [draw_loop(table, rng, False, 4, tags=tags) for _ in range(400)]
        return sum(next(c.root for c in loop if c.start == BAR) == 9 for loop in drawn) / len(drawn)

    # without a mood the tagged loops already take loops.MOOD_SHARE of the draws; a mood's tag doubles that and more
    assert share(("Sad",)) > 2 * share(()) > 0
    assert share(("Joyful",)) == share(())  # no loop tagged so: drawn as without a mood
