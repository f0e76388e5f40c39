"""The bass: low (E1-C3 as heard, in every key), round and simple, on the root and the kicks, and
walking into the next chord now and then by a step or a semitone on the last 8th or 16th."""

from __future__ import annotations

import numpy as np

from lofid.compose.bassline import PASSING_VELOCITY, bass_line, root_pitch
from lofid.compose.register import BASS, in_model, transposition
from lofid.music.keys import MAJOR_SCALE
from lofid.music.notes import BAR
from lofid.music.tracks import PALETTES, Section, Track

LOOP = [(0, "maj7"), (9, "min7"), (2, "min9"), (7, "9")]  # I vi ii V, a bar each (model space)
KICKS = (0, 7, 10)  # a boom-bap kick: the downbeat, the "and" of 2, beat 3's "and"


def track(tonic: int, minor: bool = False) -> Track:
    return Track(1, "t", tonic, minor, 80.0, 0.0, PALETTES[0], "", 1.0, 0, (Section("A", 0, 64, "full"),))


def spans(passes: int) -> list[tuple[int, int, int, str]]:
    return [(k * BAR, BAR, *LOOP[k % len(LOOP)]) for k in range(passes * len(LOOP))]


def test_the_bass_stays_between_e1_and_c3_as_heard_in_every_key():
    rng = np.random.default_rng(0)
    for tonic in range(12):
        for minor in (False, True):
            shift = transposition(tonic, minor)
            heard = [p + shift for _, p, _, _ in bass_line(track(tonic, minor), spans(8), KICKS, rng)]
            assert BASS.low <= min(heard) and max(heard) <= BASS.high, (tonic, minor, min(heard), max(heard))


def test_each_chord_starts_on_its_root_and_the_bass_answers_the_kicks():
    t = track(0)
    notes = bass_line(t, spans(4), KICKS, np.random.default_rng(1))
    register = in_model(BASS, t)
    onsets = {at: pitch for at, pitch, _, _ in notes}
    for start, _, root, _ in spans(4):
        assert onsets[start] == root_pitch(root, register)  # the root on the chord's first 16th
        assert {start + 7, start + 10} & set(onsets)  # and on the kicks after it (or an approach there)
    assert all(b[0] + b[2] <= a[0] for b, a in zip(notes, notes[1:]))  # one note at a time, held to the next
    assert all(b[0] + b[2] == a[0] for b, a in zip(notes, notes[1:]))  # round: no gaps


def test_some_changes_are_walked_into_by_a_step_or_a_semitone_on_the_last_8th_or_16th():
    t = track(0)
    notes = bass_line(t, spans(40), KICKS, np.random.default_rng(2))
    register = in_model(BASS, t)
    approaches = [n for n in notes if n[3] == PASSING_VELOCITY]
    changes = len(spans(40)) - 1
    assert 0.15 * changes < len(approaches) < 0.45 * changes  # now and then, not every change
    chromatic = 0
    for at, pitch, duration, _ in approaches:
        end = at + duration
        assert end % BAR == 0 and duration in (1, 2)  # the last 16th or 8th before the change
        target = root_pitch(LOOP[(end // BAR) % len(LOOP)][0], register)
        assert 1 <= abs(target - pitch) <= 2  # a step into the new root
        chromatic += pitch % 12 not in MAJOR_SCALE
    assert 0 < chromatic < len(approaches)  # both a key's step and a semitone


def test_without_a_groove_a_whole_bar_gets_its_fifth_on_beat_3():
    notes = bass_line(track(0), [(0, BAR, 0, "maj7")], (), np.random.default_rng(3))
    assert [(at, pitch % 12) for at, pitch, _, _ in notes] == [(0, 0), (8, 7)]
