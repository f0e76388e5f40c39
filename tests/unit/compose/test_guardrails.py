"""Guardrails for endless play: a stuck or chaotic melody is noticed and steered back, and a short
real run at settings that make the bare model loop stays varied."""

from __future__ import annotations

from lofid.compose.generator import NoteGenerator
from lofid.compose.guardrails import COOL, STEER_NOTES, WARM, Steer, chaotic, steer, stuck
from lofid.config import defaults
from lofid.evaluation.metrics import fewest_distinct


def rows(pitches, steps=None):
    steps = steps or [2] * len(pitches)
    return [(p, s, 2, 5, 1, 0) for p, s in zip(pitches, steps)]


def test_a_melody_on_three_pitches_is_stuck_and_a_varied_one_is_not():
    assert stuck(rows([60, 62, 64] * 10))
    assert not stuck(rows([60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60, 64, 67, 72, 67, 64, 60, 62,
                           65, 69, 72, 69, 65, 62, 60, 59]))


def test_a_ten_note_figure_three_times_running_is_stuck_but_twice_is_a_motif():
    figure = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]
    other = [77, 74, 72, 71, 69, 67, 65, 64, 62, 60]
    assert stuck(rows(figure * 3))
    assert not stuck(rows(other + figure * 2))
    # the same pitches in another rhythm are not a verbatim repeat
    assert not stuck(rows(figure * 3, [2] * 20 + [1] * 10))


def test_leaps_on_most_intervals_are_chaos_and_steps_are_not():
    assert chaotic(rows([60, 76, 58, 79, 60, 75, 57, 72, 59, 80, 61, 77, 60] * 2))
    assert not chaotic(rows([60, 62, 64, 65, 67, 65, 64, 62, 60, 59, 60, 62, 64] * 2))


def test_stuck_warms_for_a_while_then_reprimes_if_still_stuck():
    window = rows([60, 62, 64] * 10)
    s = steer(window, Steer())
    assert (s.heat, s.left, s.event) == (WARM, STEER_NOTES, "stuck")
    for _ in range(STEER_NOTES - 1):
        s = steer(window, s)
        assert s.event is None and s.heat == WARM
    assert s.left == 1
    s = steer(window, s)
    assert s.event == "reprime"
    assert steer(rows([60, 76, 58, 79, 60, 75, 57, 72, 59, 80, 61, 77, 60] * 2), Steer()).heat == COOL


def test_at_settings_that_make_the_model_loop_the_guardrails_keep_the_melody_varied():
    # Near-greedy sampling (top_p 0.05) makes a bare LSTM repeat itself: the guardrails must notice
    # and steer out, so every 64-note stretch of melody keeps at least five pitches.
    cfg = defaults().replace({"generation.top_p": 0.05, "generation.temperature": 0.3})
    generator = NoteGenerator(cfg, seed=5)
    melody = [n.pitch for n in generator.notes(3000) if n.part == "melody"]
    assert len(melody) > 600
    assert generator.recoveries["stuck"] > 0, generator.recoveries
    assert fewest_distinct(melody) >= 5
