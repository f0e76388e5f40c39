"""The keys' voicings: in the middle of the keyboard as heard in every key, three or four voices,
open rather than clustered, the shapes lo-fi keys use, moving little from chord to chord."""

from __future__ import annotations

import collections

import numpy as np

from lofid.compose.register import KEYS, Register, in_model, transposition
from lofid.compose.voicing import shape_tones, spread, voice
from lofid.music.chords import QUALITIES
from lofid.music.keys import MAJOR_SCALE
from lofid.music.tracks import PALETTES, Section, Track

PLAYED = ("maj7", "maj9", "min7", "min9", "7", "9", "13", "min6", "hdim7", "maj", "min", "sus4", "sus2", "aug")


def track(tonic: int, minor: bool) -> Track:
    return Track(1, "t", tonic, minor, 80.0, 0.0, PALETTES[0], "", 1.0, 0, (Section("A", 0, 4, "full"),))


def test_every_chord_in_every_key_is_voiced_between_f3_and_e5_as_heard_open_and_in_three_or_four_voices():
    rng = np.random.default_rng(0)
    for tonic in range(12):
        for minor in (False, True):
            t = track(tonic, minor)
            register, shift = in_model(KEYS, t), transposition(tonic, minor)
            previous: tuple[int, ...] = ()
            for root in range(12):
                for quality in PLAYED:
                    v = voice(previous, root, quality, register, rng)
                    heard = [p + shift for p in v.pitches]
                    assert KEYS.low <= heard[0] and heard[-1] <= KEYS.high, (tonic, minor, root, quality, heard)
                    assert len(v.pitches) in (3, 4) and list(v.pitches) == sorted(v.pitches)
                    assert spread(v.pitches), v  # no cluster: at least a sixth (three voices) or an octave (four)
                    assert all(b - a >= 2 for a, b in zip(v.pitches, v.pitches[1:]))
                    assert {p % 12 for p in v.pitches} <= {(root + i) % 12 for i in QUALITIES[quality]} | \
                        ({(root + i) % 12 for i in (2, 5, 9, 10)} if v.shape == "quartal" else set())  # 9, 11, 6, b7
                    previous = v.pitches


def test_the_mean_pitch_of_the_voicings_lies_between_c4_and_c5_in_every_key():
    rng = np.random.default_rng(1)
    for tonic in range(12):
        t = track(tonic, False)
        register, shift = in_model(KEYS, t), transposition(tonic, False)
        previous: tuple[int, ...] = ()
        means = []
        for root, quality in [(0, "maj7"), (9, "min7"), (2, "min9"), (7, "13")] * 10:
            previous = voice(previous, root, quality, register, rng).pitches
            means.append(np.mean(previous) + shift)
        assert 60 <= np.mean(means) <= 72, (tonic, np.mean(means))


def test_drop2_shells_and_quartal_colours_mix_and_quartal_stays_in_the_key():
    rng = np.random.default_rng(2)
    register = Register(53, 76, 65)
    shapes: collections.Counter[str] = collections.Counter()
    for _ in range(400):
        for root, quality in ((2, "min9"), (9, "min7"), (0, "maj9"), (5, "maj7"), (7, "13")):
            v = voice((), root, quality, register, rng)
            shapes[v.shape] += 1
            if v.shape == "quartal":
                assert all(b - a == 5 for a, b in zip(v.pitches, v.pitches[1:]))  # fourths
                assert {p % 12 for p in v.pitches} <= MAJOR_SCALE
    total = sum(shapes.values())
    assert shapes["drop2"] / total > 0.4 and shapes["shell"] / total > 0.3 and 0.02 < shapes["quartal"] / total < 0.2
    assert shape_tones(5, "min6", "quartal") is None or set(shape_tones(5, "min6", "quartal")) <= MAJOR_SCALE
    assert shape_tones(5, "min", "quartal") is None  # F minor's fourths leave C major: never quartal there
    assert shape_tones(7, "7", "quartal") is None  # a dominant keeps its tritone


def test_a_drop2_voicing_is_a_close_chord_with_its_second_voice_from_the_top_an_octave_down():
    rng = np.random.default_rng(3)
    for _ in range(50):
        v = voice((), 0, "maj9", Register(53, 76, 65), rng, 4)
        if v.shape != "drop2":
            continue
        low, *rest = v.pitches
        closed = sorted([low + 12, *rest])
        assert closed[-1] - closed[0] <= 11 and closed[-2] == low + 12  # E G B D: B dropped
        assert {p % 12 for p in v.pitches} == {4, 7, 11, 2}  # rootless: the bass has the root


def test_voices_move_little_from_chord_to_chord():
    rng = np.random.default_rng(4)
    register = Register(53, 76, 65)
    previous = voice((), 0, "maj7", register, rng, 4).pitches
    moves = []
    for root, quality in [(9, "min7"), (2, "min7"), (7, "7"), (0, "maj7")] * 20:
        v = voice(previous, root, quality, register, rng, 4)
        moves.append(sum(min(abs(p - q) for q in previous) for p in v.pitches) / len(v.pitches))
        previous = v.pitches
    assert np.mean(moves) < 3.5  # semitones a voice moves on average: near, not leaping about


def test_a_shell_is_the_third_and_seventh_with_the_ninth_where_the_chord_has_one():
    assert set(shape_tones(2, "min9", "shell")) == {5, 0, 4}  # Dm9: F C E
    assert set(shape_tones(7, "7", "shell")) == {11, 5, 2}  # G7: B F D (its fifth: no ninth)
    assert shape_tones(0, "maj", "shell") is None  # a triad has no seventh: it is voiced open
