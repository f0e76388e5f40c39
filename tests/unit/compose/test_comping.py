"""The keys' comping: bars covered, pushes that cut the chord before them, notes that never clash,
density that thins or fills, and the off-beat share lofid is judged on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lofid import paths
from lofid.compose.comping import FALLBACK, Comper
from lofid.evaluation.metrics import TimedNote
from lofid.evaluation.texture import chord_strikes, off_beat_share
from lofid.music.notes import BAR

A, B = (57, 60, 64, 67), (59, 62, 65, 69)  # two voicings with no pitch in common: each note names its chord
VOICING = (57, 60, 64, 65)  # A3 C4 E4 F4: the keys' opening voicing


def real_table() -> dict:
    """The table learnt from POP909 as the shipped model stores it; skips the test without one."""
    path = paths.MODELS / "lofid.json"
    table = json.loads(path.read_text()).get("comping") if path.is_file() else None
    if table is None:
        pytest.skip("models/lofid.json holds no comping table")
    return table


def alternating(first: int, bars: int, half_bars: bool = False) -> list[tuple[int, int, tuple[int, ...]]]:
    """Chord spans from 16th ``first`` alternating A and B, a bar each (or half a bar each)."""
    length = BAR // 2 if half_bars else BAR
    return [(first + k * length, length, A if k % 2 == 0 else B) for k in range(bars * BAR // length)]


def check(notes: list[tuple[int, int, int, int]], spans: list[tuple[int, int, tuple[int, ...]]]) -> int:
    """Assert the comp invariants; return how many chords were struck ahead of their span."""
    assert notes == sorted(notes, key=lambda n: (n[0], n[1]))
    end = spans[-1][0] + spans[-1][1]
    assert all(spans[0][0] <= on and on + d <= end and d >= 1 and 1 <= v <= 127 for on, _, d, v in notes)
    for pitch in {p for _, p, _, _ in notes}:  # no pitch struck while it still sounds
        line = [(on, d) for on, p, d, _ in notes if p == pitch]
        assert all(a + da <= b for (a, da), (b, _) in zip(line, line[1:]))
    pushed = 0
    for k, (start, length, voicing) in enumerate(spans):
        mine = [n for n in notes if n[1] in voicing and start - 2 <= n[0] < start + length]
        if not mine:
            continue
        first = min(on for on, *_ in mine)
        pushed += first < start
        if k:  # the chord before ends where this one comes in, pushed or not
            before = [n for n in notes if n[1] in spans[k - 1][2] and n[0] < first]
            assert all(on + d <= first for on, _, d, _ in before)
        nxt = spans[k + 1][0] if k + 1 < len(spans) else start + length
        assert all(on + d <= nxt for on, _, d, _ in mine)  # no note longer than its chord sounds
    return pushed


@pytest.mark.parametrize("half_bars", [False, True])
def test_comping_covers_the_bars_and_keeps_every_rule(half_bars):
    comper = Comper(None, np.random.default_rng(1))
    spans = alternating(32, 64, half_bars)
    notes = comper.comp(spans, 54)
    pushed = check(notes, spans)
    assert pushed > 3  # the fallback's push pattern is drawn, and strikes ahead of the bar line
    bars = {(on - 32) // BAR for on, *_ in notes}
    assert bars == set(range(64))  # the fallback has no silent bar: every bar is played
    assert min(on for on, *_ in notes) == 32  # a push into the first bar is struck on its downbeat


def test_comping_is_the_same_for_a_seed_and_another_for_another_seed():
    spans = alternating(0, 16)
    play = [Comper(None, np.random.default_rng(seed)).comp(spans, 54) for seed in (7, 7, 8)]
    assert play[0] == play[1] != play[2]


def test_density_thins_and_fills_the_comping():
    def onsets(density: float) -> float:
        notes = Comper(None, np.random.default_rng(2), density).comp(alternating(0, 400), 54)
        return len({on for on, *_ in notes}) / 400

    assert onsets(0.5) < onsets(1.0) < onsets(1.5)


def test_a_learnt_table_is_played_and_its_groove_kept():
    # the second bar: a chord, then broken in 8ths from beat 3 (five onsets: as many as lo-fi keys play)
    table = {"patterns": [[[0, 6, "chord", 0], [6, 10, "chord", 0]], [[0, 8, "chord", 0], [8, 8, "broken", 2]]],
             "p": [0.5, 0.5],
             "bars_out": [100, 100], "next": [[[0, 0.9], [1, 0.1]], [[1, 0.9], [0, 0.1]]],
             "accents": {"chord": [1.0] * 6 + [1.2] + [1.0] * 9}, "spread": 0.0}
    notes = Comper(table, np.random.default_rng(3)).comp(alternating(0, 32), 50)
    check(notes, alternating(0, 32))
    struck = {on: v for on, _, _, v in notes if sum(n[0] == on for n in notes) >= 2}  # chord strikes
    assert {v for on, v in struck.items() if on % BAR == 6} == {60} and {v for on, v in struck.items() if on % BAR == 0} == {50}
    broken = [on // BAR for on, *_ in notes if on % BAR == 10]  # bars playing the broken chord
    assert 0 < len(broken) < 32 and sum(b + 1 in broken for b in broken) > len(broken) / 2  # it holds for bars


def off_beat(table: dict | None, bars: int = 1000) -> float:
    notes = Comper(table, np.random.default_rng(0)).comp([(k * BAR, BAR, VOICING) for k in range(bars)], 54)
    share = off_beat_share(chord_strikes([TimedNote(0.0, 0.0, p, on, on + d, 0) for on, p, d, _ in notes]), 0)
    assert share is not None
    return share


def test_the_fallback_comps_off_the_beat_as_lofid_is_judged():
    assert len(FALLBACK["patterns"]) == len(FALLBACK["p"])
    assert 0.30 <= off_beat(None) <= 0.70


def test_the_learnt_table_comps_off_the_beat_as_lofid_is_judged():
    assert 0.30 <= off_beat(real_table()) <= 0.70
