"""Timers and watch on a real `lofid run`, heard at a real PulseAudio null sink.

- `ctl sleep 5s`: the music fades out over its ten seconds after five, then the sink is silent and
  lofid is paused; a watcher was told.
- `ctl focus` with a silent break: a chime as the break begins, silence through the rest of it,
  music again when study resumes.
- `ctl watch` receives an event for a change made by another client.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time

import numpy as np
import pytest

from lofid.audio.chime import NOTES_HZ
from lofid.control.client import watch
from lofid.daemon.timers import SLEEP_FADE_S
from tests.support.player import LOFID, ROOT, SILENT_RMS, Player, rms
from tests.support.pulse import Recording
from tests.support.waiting import until

LOUD_RMS = 10 * SILENT_RMS  # music, or a chime


class Events(threading.Thread):
    """Every event the daemon sends a watcher, with the monotonic time it came."""

    def __init__(self, player: Player) -> None:
        super().__init__(daemon=True)
        self.player, self.seen = player, []

    def run(self) -> None:
        try:
            for event, _ in watch(self.player.socket):
                self.seen.append((time.monotonic(), event))
        except Exception:  # the daemon stopping ends the watch
            pass

    def first(self, kind: str, what: str | None = None, timeout: float = 30.0) -> float:
        """When the first ``kind`` event (about ``what``) came."""
        return until(lambda: next((t for t, event in self.seen if event.get("event") == kind
                                   and (what is None or event.get("what") == what)), None),
                     f"a {kind} {what or ''} event", timeout)


def share_near(audio: np.ndarray, rate: int, hz: float, width_hz: float = 30.0) -> float:
    """The share of ``audio``'s power within ``width_hz`` of ``hz``."""
    power = np.abs(np.fft.rfft(audio * np.hanning(len(audio)))) ** 2
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    return float(power[np.abs(freqs - hz) < width_hz].sum() / power.sum())


def loudness(rec: Recording, start: float, end: float) -> float:
    return rms(rec.audio[rec.index_at(start):rec.index_at(end)])


def started(player: Player) -> Events:
    player.start()
    player.wait_ready()
    events = Events(player)
    events.start()
    return events


@pytest.mark.slow
def test_sleep_fades_out_then_the_sink_is_silent_and_lofid_paused(pulse, tmp_path):
    player = Player(pulse, tmp_path, "fx.crackle=0")
    events = started(player)
    try:
        player.wait_heard()
        with Recording(pulse, tmp_path / "sleep.wav") as rec:
            assert player.ctl("sleep", "5s").stdout == "timers: sleep in 0:05\n"
            ended = events.first("timer", "sleep ended")
            time.sleep(SLEEP_FADE_S + 2.5)
        assert loudness(rec, ended - 3.0, ended) > LOUD_RMS  # still playing until the timer ends
        assert loudness(rec, ended + 1.0, ended + 2.0) > LOUD_RMS  # fading, not cut
        # silent once the fade's end has come down the audio path (0.5-0.6 s: bench.control_latency's resume)
        assert loudness(rec, ended + SLEEP_FADE_S + 1.0, ended + SLEEP_FADE_S + 2.0) < SILENT_RMS
        assert [e["state"] for _, e in events.seen if e["event"] == "state"] == ["paused"]  # watchers are told
        assert player.status()["state"] == "paused" and player.status()["timers"]["sleep"] is None
    finally:
        player.kill()


@pytest.mark.slow
def test_a_silent_focus_break_chimes_rests_and_gives_the_music_back(pulse, tmp_path):
    player = Player(pulse, tmp_path, "fx.crackle=0", "timers.focus_break=silence")
    events = started(player)
    try:
        player.wait_heard()
        with Recording(pulse, tmp_path / "focus.wav") as rec:
            player.ctl("focus", "4s", "6s", "1")
            rest = events.first("timer", "break")
            back = events.first("timer", "focus ended")
            time.sleep(3.0)
        # the cue's first bell: a half second ringing at its pitch, however far the sound card's buffer
        # (one or two render blocks) and the ring ahead of it put it after the event
        strikes = [rec.audio[rec.index_at(rest + start):rec.index_at(rest + start + 0.5), 0]
                   for start in np.arange(0.1, 1.0, 0.05)]
        assert any(rms(s) > LOUD_RMS and share_near(s, rec.rate, NOTES_HZ[0]) > 0.3 for s in strikes)
        assert loudness(rec, rest + 3.5, back) < SILENT_RMS  # then nothing but the rest
        assert loudness(rec, back + 1.5, back + 3.0) > LOUD_RMS  # and the music comes back
        assert player.status()["timers"]["focus"] is None
    finally:
        player.kill()


def test_watch_is_told_of_a_change_another_client_makes(tmp_path):
    player = Player(None, tmp_path)
    player.start()
    player.wait_ready()
    watcher = subprocess.Popen([*LOFID, "ctl", "watch", "--json"], env=player.env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)  # connected and subscribed (a python start)
        player.ctl("volume", "40")
        line = ""
        while '"set"' not in line:
            line = watcher.stdout.readline()
            assert line, watcher.stderr.read()
        assert json.loads(line) == {"event": "set", "changes": {"output.volume": 40}}
    finally:
        watcher.kill()
        player.kill()
