"""The keys' figures on chords whose answers are known by construction."""

from __future__ import annotations

import pytest

from lofid.evaluation.keys import KeysCount, keys_count, keys_figures
from lofid.evaluation.metrics import TimedNote


def note(onset: int, release: int, pitch: int, part: str = "keys") -> TimedNote:
    return TimedNote(onset * 0.1, release * 0.1, pitch, onset, release, 0, part)


def test_strike_pitch_pitch_classes_strikes_per_bar_and_hold():
    # Four bars: a four-note chord on each downbeat held a bar (mean pitch 64), a three-note one
    # pushed on the last 8th of bars 2 and 4 (mean 70), one single note (not a strike), a melody and a pad.
    notes = []
    for bar in range(4):
        notes += [note(bar * 16, bar * 16 + 16, p) for p in (57, 62, 65, 72)]  # A D F C: D minor 7, four pitch classes
    for bar in (1, 3):
        notes += [note(bar * 16 + 14, bar * 16 + 18, p) for p in (64, 69, 77)]
    notes += [note(5, 7, 80), note(3, 9, 90, "melody"), note(0, 64, 40, "pad")]
    figures = keys_figures(notes)
    assert figures["keys_pitch"] == pytest.approx((4 * 64 + 2 * 70) / 6)
    assert figures["keys_pitch_classes"] == pytest.approx((4 * 4 + 2 * 3) / 6)
    assert figures["keys_three_or_four"] == 1.0
    assert figures["keys_strikes_per_bar"] == pytest.approx(6 / (66 / 16))  # the keys span 0 to 66
    assert figures["keys_hold_beats"] == pytest.approx((16 * 16 + 6 * 4) / 22 / 4)


def test_low_thick_chords_read_as_such_and_tracks_pool_exactly():
    thick = [note(0, 8, p) for p in (43, 47, 50, 53, 57)]  # G2 B2 D3 F3 A3: five pitch classes, low
    dyads = [note(16, 20, p) for p in (60, 67)]  # C4 G4: two
    one, two = keys_count(thick), keys_count(dyads)
    assert one.figures()["keys_pitch"] == 50 and one.figures()["keys_three_or_four"] == 0.0
    pooled = (one + two).figures()
    assert pooled["keys_pitch"] == pytest.approx((50 + 63.5) / 2) and pooled["keys_pitch_classes"] == 3.5
    assert pooled["keys_hold_beats"] == pytest.approx((5 * 8 + 2 * 4) / 7 / 4)


def test_keys_that_never_strike_a_chord_have_no_figures():
    assert set(keys_figures([note(0, 4, 60), note(8, 12, 62)]).values()) == {None}
    assert KeysCount().figures()["keys_pitch"] is None and keys_count([]) == KeysCount()
