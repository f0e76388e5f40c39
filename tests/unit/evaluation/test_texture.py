"""The texture measures on lines and chords whose answers are known by construction."""

from __future__ import annotations

import random

from lofid.evaluation.metrics import TimedNote
from lofid.evaluation.texture import chord_strikes, off_beat_share, rich_share, theme_return


def note(onset: int, release: int, pitch: int, part: str = "keys") -> TimedNote:
    return TimedNote(onset * 0.1, release * 0.1, pitch, onset, release, 0, part)


def test_a_motif_repeated_returns_every_time_and_a_line_that_never_repeats_never_does():
    motif = [60, 62, 64, 65, 67, 65, 64, 62]  # a bar's figure, stated again and again
    assert theme_return(motif * 20) == 1.0
    climbing = list(range(20, 120))  # every figure is (1, 1, 1, 1): heard before, always
    assert theme_return(climbing) == 1.0
    rng = random.Random(3)
    fresh = [rng.randint(48, 84) for _ in range(200)]  # intervals that wander without a pattern
    assert theme_return(fresh) < 0.05


def test_theme_return_counts_only_the_64_notes_before_and_needs_a_history():
    assert theme_return([60, 62] * 30) is None  # fewer than 65 figures
    head = [60, 64, 62, 67, 65]  # one figure (4, -2, 5, -2)
    filler = [70] * 100  # figure (0, 0, 0, 0) only
    line = head + filler + head  # the figure comes back 100 notes later: too late to count
    value = theme_return(line)
    assert value is not None and value < 1.0
    figures_scored = len(line) - 4 - 64
    unheard = 5  # the returning figure and the four that bridge into it from the filler
    assert value == (figures_scored - unheard) / figures_scored


def test_comping_on_the_beat_and_off_it():
    # Four bars: a four-note chord on each downbeat, and a pushed one on the last 8th of bars 1 and 3.
    notes = []
    for bar in range(4):
        notes += [note(bar * 16, bar * 16 + 16, p) for p in (57, 60, 64, 67)]  # Am7: four pitch classes
    for bar in (0, 2):
        notes += [note(bar * 16 + 14, bar * 16 + 16, p) for p in (62, 65)]  # a dyad on the "and" of 4
    notes.append(note(3, 5, 72, "melody"))  # the melody is not comping
    strikes = chord_strikes(notes)
    assert [at for at, _ in strikes] == [0, 14, 16, 32, 46, 48]
    assert off_beat_share(strikes, downbeat=0) == 2 / 6
    # The pushed dyads sound over the held Am7: 57 60 64 67 62 65 -> six pitch classes, rich too.
    assert rich_share(strikes) == 1.0
    triads = [note(i * 4, i * 4 + 4, p) for i in range(4) for p in (60, 64, 67)]
    assert rich_share(chord_strikes(triads)) == 0.0 and off_beat_share(chord_strikes(triads), 0) == 0.0
    assert off_beat_share([], 0) is None and rich_share([]) is None
