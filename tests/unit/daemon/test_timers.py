"""The sleep and focus timers' bookkeeping, on a clock the test moves."""

from __future__ import annotations

from lofid.daemon.timers import Timers, break_rest


def test_a_sleep_timer_ends_once_and_shows_the_time_left():
    timers = Timers()
    timers.set_sleep(45 * 60, now=100.0)
    assert timers.status(100.0 + 60)["sleep"] == {"left_s": 44 * 60.0}
    assert timers.tick(100.0 + 45 * 60 - 0.5) == []
    assert timers.tick(100.0 + 45 * 60) == ["sleep ended"]
    assert timers.tick(100.0 + 46 * 60) == [] and timers.status(0.0) == {"sleep": None, "focus": None}


def test_focus_alternates_study_and_break_for_its_cycles_then_ends():
    timers = Timers()
    timers.set_focus(25 * 60, 5 * 60, 2, now=0.0)
    seen = [(t, timers.tick(t * 60.0)) for t in range(62)]
    changes = [(t, what) for t, happened in seen for what in happened]
    assert changes == [(25, "break"), (30, "study"), (55, "break"), (60, "focus ended")]
    assert timers.focus is None and not timers.on_break


def test_focus_status_names_the_phase_its_cycle_and_time_left():
    timers = Timers()
    timers.set_focus(25 * 60, 5 * 60, None, now=0.0)  # endless
    timers.tick(26 * 60.0)
    assert timers.on_break
    assert timers.status(26 * 60.0)["focus"] == {"phase": "break", "cycle": 1, "cycles": None, "left_s": 240.0,
                                                 "study_s": 1500.0, "break_s": 300.0}
    assert timers.status(1000 * 60.0)["focus"]["cycle"] == 34  # endless: it goes on
    timers.set_focus(None)
    assert timers.status(0.0)["focus"] is None and not timers.on_break


def test_a_tick_that_comes_late_reports_only_where_the_rhythm_is_now():
    timers = Timers()
    timers.set_focus(60.0, 60.0, None, now=0.0)
    assert timers.tick(150.0) == []  # frozen through the whole break: back in study, nothing to change
    assert timers.tick(190.0) == ["break"]


def test_a_focus_break_rests_the_music_and_plays_rain_or_rests_everything():
    layers = ["music", "beat", "rain", "vinyl_hum"]
    assert break_rest("rain", layers) == {"layers.music.enabled": False, "layers.beat.enabled": False,
                                          "layers.rain.enabled": True}
    assert break_rest("silence", layers) == {f"layers.{name}.enabled": False for name in layers}
