"""`lofid ctl sleep`, `focus` and `watch` over a real socket, with the real server and client."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from lofid import paths
from lofid.control.server import ControlServer
from tests.support.control import ctl
from tests.support.waiting import until


@pytest.mark.parametrize("argv, shown, timers", [
    (["sleep", "45m"], "timers: sleep in 45:00", {"sleep": {"left_s": 2700.0}, "focus": None}),
    (["sleep", "1h30m"], "timers: sleep in 1:30:00", {"sleep": {"left_s": 5400.0}, "focus": None}),
    (["sleep", "90s"], "timers: sleep in 1:30", {"sleep": {"left_s": 90.0}, "focus": None}),
    (["sleep", "20"], "timers: sleep in 20:00", {"sleep": {"left_s": 1200.0}, "focus": None}),  # bare: minutes
    (["focus", "25m", "5m", "4"], "timers: focus: study, 25:00 left, cycle 1 of 4",
     {"sleep": None, "focus": {"phase": "study", "cycle": 1, "cycles": 4, "left_s": 1500.0, "study_s": 1500.0,
                               "break_s": 300.0}}),
    (["focus", "50m", "10m"], "timers: focus: study, 50:00 left, cycle 1 (endless)", None),
])
def test_timer_verbs_set_the_timers_and_show_them(capsys, server, player, argv, shown, timers):
    code, out, err = ctl(capsys, *argv)
    assert (code, out.strip(), err) == (0, shown, "")
    if timers is not None:
        assert player.timers == timers
    assert ctl(capsys, argv[0]) == (0, shown + "\n", "")  # without a value: what runs now


def test_off_stops_a_timer(capsys, server, player):
    ctl(capsys, "sleep", "45m")
    assert ctl(capsys, "sleep", "off") == (0, "timers: none\n", "")


@pytest.mark.parametrize("argv, message", [
    (["sleep", "soon"], "lofid: sleep: 'soon' is not a duration like 45m, 1h30m or 90s"),
    (["sleep", "0s"], "lofid: sleep: 0s is not between 1 s and 24 h"),
    (["sleep", "25h"], "lofid: sleep: 25h is not between 1 s and 24 h"),
    (["focus", "25m", "x"], "lofid: focus: 'x' is not a duration like 45m, 1h30m or 90s"),
    (["focus", "25m"], "lofid: focus: '25m' is not STUDY BREAK [CYCLES]"),
    (["focus", "25m", "5m", "0"], "lofid: focus: cycles '0' is not a whole number from 1 to 100"),
])
def test_bad_timers_are_refused_in_one_line(capsys, server, player, argv, message):
    code, out, err = ctl(capsys, *argv)
    assert code == 1 and out == "" and err.startswith(message) and err.count("\n") == 1
    assert player.timers == {"sleep": None, "focus": None}


def test_focus_with_too_many_words_is_a_usage_error(capsys, server):
    code, _, err = ctl(capsys, "focus", "25m", "5m", "4", "5")
    assert code == 2 and "focus needs STUDY BREAK [CYCLES]|off" in err


def watcher(path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(str(path))
    s.sendall(b'{"cmd": "watch"}\n')
    assert json.loads(s.recv(1000)) == {"ok": True, "watching": True}
    return s


def test_a_watcher_is_sent_every_event_and_is_not_closed_for_listening(rundir, player):
    with ControlServer(rundir / "lofid.sock", player, idle_timeout=0.3) as srv:
        s = watcher(srv.path)
        time.sleep(0.8)  # longer than the idle timeout: a watcher listens, it is not idle
        srv.publish({"event": "state", "state": "paused"})
        srv.publish({"event": "set", "changes": {"output.volume": 40}})
        got = b""
        while got.count(b"\n") < 2:
            got += s.recv(1000)
        assert [json.loads(line) for line in got.splitlines()] == [
            {"event": "state", "state": "paused"}, {"event": "set", "changes": {"output.volume": 40}}]
        s.sendall(b'{"cmd": "status"}\n')  # it may still ask
        assert json.loads(s.recv(100_000))["ok"] is True
        s.close()


def test_a_watcher_that_stops_reading_is_dropped_and_nobody_waits(rundir, player):
    with ControlServer(rundir / "lofid.sock", player) as srv:
        slow = watcher(srv.path)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        big = {"event": "set", "changes": {"pad": "x" * 60_000}}
        for _ in range(200):  # 12 MB it never reads: publish queues and returns, it never waits for a reader
            srv.publish(big)
        until(lambda: srv.clients == 0, "the watcher that stopped reading dropped", 10)
        slow.close()


def test_ctl_watch_prints_a_line_per_event_until_the_daemon_stops(rundir, player):
    lofid = [sys.executable, "-m", "lofid.cli", "ctl", "watch"]
    with ControlServer(rundir / "lofid.sock", player) as srv:
        proc = subprocess.Popen(lofid, env={**os.environ, "XDG_RUNTIME_DIR": str(rundir)}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        until(lambda: srv.watchers, "ctl watch subscribed", 20)
        srv.publish({"event": "state", "state": "paused"})
        srv.publish({"event": "set", "changes": {"output.volume": 40, "fx.wow": 0.5}})
        srv.publish({"event": "track", "track": {"number": 4, "title": "paper lanterns", "key": "F major", "bpm": 80.0,
                                                 "section": "intro", "held": False, "seconds_in": 0.0, "length_s": 150.0}})
        srv.publish({"event": "cover", "track": {"number": 4, "title": "paper lanterns", "cover": "0123456789abcdef"}})
        srv.publish({"event": "timer", "what": "break", "timers": {"sleep": None, "focus": {
            "phase": "break", "cycle": 1, "cycles": 4, "left_s": 300.0, "study_s": 1500.0, "break_s": 300.0}}})
        lines = [proc.stdout.readline() for _ in range(6)]
    out, err = proc.communicate(timeout=20)
    assert lines == ["state: paused\n", "volume: 40\n", "wow: 0.5\n",
                     "track: 4 · paper lanterns · F major · 80 bpm · intro · 0:00 of 2:30\n",
                     f"cover: {paths.cover_path('0123456789abcdef')} (paper lanterns)\n",
                     "timer: break · focus: break, 5:00 left, cycle 1 of 4\n"]
    assert (proc.returncode, out, err) == (1, "", "lofid: the daemon stopped\n")
