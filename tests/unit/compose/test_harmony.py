"""The chord layer: progressions learnt from annotations, lo-fi voicings that move smoothly, a bass
on the roots, phrases that loop and then vary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lofid.compose.harmony import DEGREES, KEYS_RANGE, PHRASE_BARS, PHRASE_REPEATS, VOICINGS, Harmony, lead_voices
from lofid.music.notes import BAR
from lofid.music.primer import OPENING
from lofid.training.progressions import learn

KEY = frozenset({0, 2, 4, 5, 7, 9, 11})


def annotated_song(folder: Path, key: str, chords: list[str], beats_per_chord: int = 4) -> None:
    """A POP909-style song folder: one chord every ``beats_per_chord`` beats at 60 bpm (no MIDI needed)."""
    folder.mkdir(parents=True)
    n = len(chords) * beats_per_chord
    (folder / "beat_midi.txt").write_text("".join(f"{t}.0 {int(t % 2 == 0)} {int(t % 4 == 0)}\n" for t in range(n + 1)))
    (folder / "key_audio.txt").write_text(f"0.0\t{n}.0\t{key}\n")
    (folder / "chord_midi.txt").write_text("".join(
        f"{i * beats_per_chord}.0\t{(i + 1) * beats_per_chord}.0\t{c}\n" for i, c in enumerate(chords)))


def test_progressions_are_learnt_in_c_from_any_key_and_chords_outside_it_are_skipped(tmp_path):
    # D major: I-IV-V-I as D G A D, with an out-of-key F#:7 (a secondary dominant) that must be skipped
    annotated_song(tmp_path / "001", "D:maj", ["D:maj", "G:maj7", "F#:7", "A:7", "D:maj"])
    # A minor's i-iv-v... as C major degrees: A:min (vi) -> D:min (ii) -> E:min (iii)
    annotated_song(tmp_path / "002", "A:min", ["A:min", "D:min7", "E:min", "A:min"], beats_per_chord=2)
    table = learn(tmp_path)
    assert table["songs"] == 2
    assert table["first"] == {"0": {"5": 1}, "5": {"7": 1}, "7": {"0": 1}, "9": {"2": 1}, "2": {"4": 1},
                              "4": {"9": 1}}
    assert table["second"]["0,5"] == {"7": 1} and table["second"]["2,4"] == {"9": 1}
    # 5 whole-bar chords, 4 half-bar chords (2 bars split in two): 2 of 7 bars are split
    assert table["split_bar"] == round(2 / 7, 3)


def test_the_opening_is_ii_v_i_vi_and_each_phrase_plays_twice_before_a_new_one():
    harmony = Harmony({"split_bar": 0.5, "first": {}, "second": {}}, np.random.default_rng(0))
    span = PHRASE_BARS * BAR * PHRASE_REPEATS
    harmony.plan_until(5 * span)
    roots = [harmony.chord_at(t).root for t in range(0, 5 * span, BAR // 2)]
    phrase = PHRASE_BARS * 2  # half bars in a phrase
    assert roots[:phrase:2] == list(OPENING)
    for k in range(5):
        loop = roots[k * 2 * phrase:(k + 1) * 2 * phrase]
        assert loop[:phrase] == loop[phrase:]  # heard twice
    assert len({tuple(roots[k * 2 * phrase:(k * 2 + 1) * phrase]) for k in range(5)}) > 2  # then varied
    # chords tile the timeline with no gap, and change only on bar halves
    starts = [c.start for c in harmony.chords]
    assert starts[0] == 0 and all(c.end == d.start for c, d in zip(harmony.chords, harmony.chords[1:]))
    assert all(s % (BAR // 2) == 0 for s in starts)


def test_a_learnt_table_is_followed():
    # a table that only knows I -> IV -> V -> I: after the opening, every phrase walks it
    table = {"split_bar": 0.0, "first": {"0": {"5": 1}, "5": {"7": 1}, "7": {"0": 1}, "9": {"0": 1}}, "second": {}}
    harmony = Harmony(table, np.random.default_rng(1))
    harmony.plan_until(64 * BAR)
    roots = [c.root for c in harmony.chords if c.start >= PHRASE_BARS * BAR * PHRASE_REPEATS]
    assert all(b == {0: 5, 5: 7, 7: 0}[a] for a, b in zip(roots, roots[1:]))


def test_voicings_are_four_key_chord_tones_in_the_middle_and_move_little():
    voicing = (57, 60, 64, 65)
    moves = []
    rng = np.random.default_rng(2)
    for root in rng.choice(DEGREES, 200):
        new = lead_voices(voicing, int(root))
        tones = {(int(root) + i) % 12 for i in VOICINGS[int(root)][1]}
        assert len(new) == 4 and {p % 12 for p in new} <= tones & KEY
        assert KEYS_RANGE[0] <= min(new) and max(new) <= KEYS_RANGE[1] and max(new) - min(new) <= 16
        moves.append(sum(abs(a - b) for a, b in zip(new, voicing)))
        voicing = new
    assert np.mean(moves) <= 6  # smooth voice leading: a few semitones in all, not leaps of whole chords


def test_keys_and_bass_follow_the_chords_without_piling_up():
    harmony = Harmony(None, np.random.default_rng(3))
    harmony.plan_until(40 * BAR)
    for chord in harmony.chords:
        at_start = [e for e in harmony.events if e[0] == chord.start]
        bass = [e for e in at_start if e[4] == "bass"]
        assert len(bass) == 1 and bass[0][1] % 12 == chord.root and 36 <= bass[0][1] < 48
        assert {e[1] % 12 for e in at_start if e[4] == "keys"} <= chord.pitch_classes
    for t in range(40 * BAR):  # never more than four keys and one bass note at once
        sounding = [e for e in harmony.events if e[0] <= t < e[0] + e[2]]
        assert sum(e[4] == "keys" for e in sounding) <= 4 and sum(e[4] == "bass" for e in sounding) == 1


def test_restart_goes_back_to_the_opening_from_that_bar():
    harmony = Harmony(None, np.random.default_rng(4))
    harmony.plan_until(30 * BAR)
    first = [(e[0], e[1]) for e in harmony.events if e[0] < 4 * BAR]
    harmony.restart(12 * BAR)
    harmony.plan_until(20 * BAR)
    again = [(e[0] - 12 * BAR, e[1]) for e in harmony.events if 12 * BAR <= e[0] < 16 * BAR]
    assert again == first
    assert [c.root for c in harmony.chords if 12 * BAR <= c.start < 16 * BAR] == list(OPENING)
