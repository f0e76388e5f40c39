"""The control socket and `lofid ctl`, over a real Unix socket with the real server and client.

The target is a small in-test player implementing the Controllable protocol, because the real
daemon (lofid/daemon.py) is built separately: these tests pin down the socket, the command table,
the validation and the CLI; the end-to-end tests of `lofid run` cover the daemon behind them.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lofid import cli
from lofid.config import defaults
from lofid.control.client import request
from lofid.control.server import MAX_LINE, ControlServer
from lofid.control.vocabulary import STATUS_FIELDS
from lofid.errors import LofidError
from tests.support.control import ctl, raw
from tests.support.sockets import held_open
from tests.support.waiting import until

# -- every verb through `lofid ctl` --

@pytest.mark.parametrize("argv, shown, effect", [
    (["temperature", "0.8"], "temperature: 0.8", ("generation.temperature", 0.8)),
    (["volume", "60"], "volume: 60", ("output.volume", 60)),
    (["bpm", "80"], "bpm: 80", ("music.bpm", 80.0)),
    (["key", "f#"], "key: F#", ("music.key", "F#")),
    (["swing", "0.25"], "swing: 0.25", ("music.swing", 0.25)),
    (["harmony", "loose"], "harmony: loose", ("generation.harmony", "loose")),
    (["layer", "beat", "off"], "layers.beat.enabled: off", ("layers.beat.enabled", False)),
    (["layer", "rain", "on"], "layers.rain.enabled: on", ("layers.rain.enabled", True)),
    (["layer", "rain", "0.3"], "layers.rain.volume: 0.3", ("layers.rain.volume", 0.3)),
])
def test_setting_verbs_change_the_player(capsys, server, player, argv, shown, effect):
    code, out, err = ctl(capsys, *argv)
    assert (code, out.strip(), err) == (0, shown, "")
    key, value = effect
    assert player.cfg[key] == value and type(player.cfg[key]) is type(value)


def test_a_setting_verb_without_value_prints_the_current_one(capsys, server, player):
    player.apply({"output.volume": 42})
    assert ctl(capsys, "volume") == (0, "volume: 42\n", "")


def test_pause_resume_skip_save_reload(capsys, server, player, rundir, monkeypatch):
    assert ctl(capsys, "pause")[:2] == (0, "paused\n") and player.state == "paused"
    assert ctl(capsys, "resume")[:2] == (0, "playing\n") and player.state == "playing"
    assert ctl(capsys, "skip")[:2] == (0, "skipped to a fresh phrase\n") and player.skips == 1
    assert ctl(capsys, "next")[:2] == (0, "a new track starts at the next bar\n") and player.nexts == 1
    assert ctl(capsys, "hold", "on")[:2] == (0, "hold: on\n") and ctl(capsys, "hold", "off")[0] == 0
    assert player.holds == [True, False]
    monkeypatch.chdir(rundir)  # a relative name is made absolute by ctl, where the user is
    code, out, _ = ctl(capsys, "save", "take.mid")
    assert code == 0 and player.saved == [str(rundir / "take.mid")] and out == f"saved: {rundir / 'take.mid'}\n"
    code, out, _ = ctl(capsys, "save", "take.flac")  # audio is written in the background: the reply says where
    assert code == 0 and player.saved[-1] == str(rundir / "take.flac") and out == f"saving: {rundir / 'take.flac'}\n"
    assert ctl(capsys, "like")[:2] == (0, "liked: rainy window\n") and player.likes == 1
    assert ctl(capsys, "reload")[:2] == (0, "changed: music.bpm = 80\n")


def test_status_shows_every_field_and_setting_aligned(capsys, server, player):
    code, out, err = ctl(capsys, "status")
    assert code == 0 and err == ""
    lines = out.splitlines()
    for _, label, _ in STATUS_FIELDS:
        assert any(line.startswith(label + ":") for line in lines), label
    assert "uptime:" in out and "1:02:05" in out and "240 notes" in out and "12.5 s" in out
    assert "stuck = 2, chaos = 0, reprime = 0" in out
    assert "heard_lufs = -24.2, gain_db = 8.1" in out
    assert "track:" in out and "3 · rainy window · Eb minor · 78 bpm · A · 1:12 of 3:05" in out
    assert ("http://127.0.0.1:8765/ · 2 listeners · Icecast 127.0.0.1:8000/lofid.mp3 retrying (connection refused)"
            " · Snapcast 127.0.0.1:4953 connected · 3 blocks dropped") in out
    assert "mpd door:" in out and "127.0.0.1:6600 · 2 clients" in out
    for key in player.cfg:
        assert any(line.strip().startswith(key + ":") for line in lines), key
    values = [line.index(":") + len(line[line.index(":") + 1:]) - len(line[line.index(":") + 1:].lstrip())
              for line in lines if line != "settings:"]
    assert len(set(values)) == 1  # every value starts in the same column


def test_json_prints_the_raw_reply(capsys, server, player):
    code, out, _ = ctl(capsys, "--json", "status")
    reply = json.loads(out)
    assert code == 0 and reply["ok"] is True and reply["status"]["settings"]["music.bpm"] == "auto"
    assert reply["status"]["track"]["title"] == "rainy window"
    code, out, _ = ctl(capsys, "--json", "bpm", "500")
    assert code == 1 and json.loads(out)["ok"] is False


@pytest.mark.parametrize("argv, message", [
    (["temperature", "5"], "temperature = 5 is not allowed: expected a number from 0.1 to 2"),
    (["temperature", "nan"], "temperature = nan is not allowed"),
    (["temperature", "warm"], "temperature = warm is not allowed"),
    (["volume", "101"], "volume = 101 is not allowed: expected a whole number from 0 to 100"),
    (["volume", "50.5"], "volume = 50.5 is not allowed"),
    (["bpm", "-5"], "bpm = -5 is not allowed: expected a number from 40 to 200"),
    (["key", "H"], "key = H is not allowed: expected one of auto, C, C#"),
    (["hold", "maybe"], "hold: 'maybe' is not on or off"),
    (["swing", "0.9"], "swing = 0.9 is not allowed: expected a number from 0 to 0.5"),
    (["harmony", "tight"], "harmony = tight is not allowed: expected one of strict, loose, free"),
    (["layer", "rain", "2"], "layers.rain.volume = 2 is not allowed: expected a number from 0 to 1"),
    (["layer", "rain", "loud"], "layer rain: 'loud' is not on, off or a volume from 0 to 1"),
    (["layer", "cafe", "on"], "no layer 'cafe' (layers: music, rain, beat)"),
    (["save", "/no/such/folder/take.mid"], "save: no folder '/no/such/folder'"),
])
def test_refused_values_exit_1_with_one_line_and_change_nothing(capsys, server, player, argv, message):
    code, out, err = ctl(capsys, *argv)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("lofid: " + message)
    assert player.cfg == defaults() and player.state == "playing"


@pytest.mark.parametrize("argv, message", [
    (["bogus"], "unknown verb 'bogus'"),
    (["pause", "now"], "pause takes no value"),
    (["layer", "rain"], "layer needs NAME on|off|VOLUME"),
    (["temperature", "0.5", "0.6"], "temperature needs VALUE"),
])
def test_usage_errors_exit_2(capsys, server, argv, message):
    code, out, err = ctl(capsys, *argv)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_help_lists_every_verb_with_an_example(capsys):
    with pytest.raises(SystemExit):
        cli.main(["ctl", "--help"])
    out = capsys.readouterr().out
    for verb in ("status", "temperature", "volume", "layer", "bpm", "key", "swing", "harmony", "pause", "resume",
                 "skip", "save", "reload"):
        assert f"e.g. lofid ctl {verb}" in out


def test_no_daemon_says_not_running(capsys, rundir):
    code, out, err = ctl(capsys, "status")
    assert code == 2 and err == f"lofid: not running (no socket at {rundir / 'lofid.sock'})\n"


# -- the socket: rights, ownership, stale and second servers --

def test_socket_is_0600_in_a_private_folder_and_removed_at_close(rundir, player):
    path = rundir / "sub" / "lofid.sock"
    with ControlServer(path, player):
        info = os.lstat(path)
        assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
        folder = path.parent.stat()
        assert folder.st_uid == os.getuid() and stat.S_IMODE(folder.st_mode) == 0o700
        assert (path.parent / "lofid.sock.lock").read_text().strip() == str(os.getpid())
    assert not path.exists()
    with pytest.raises(LofidError, match="not running"):
        request(path, {"cmd": "status"})


def test_stale_socket_from_a_crashed_run_is_replaced(capsys, rundir, player):
    path = rundir / "lofid.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # bound, never listening, then gone: what a killed daemon leaves
    dead.close()
    with pytest.raises(LofidError, match="stale socket"):
        request(path, {"cmd": "status"})
    with ControlServer(path, player):
        assert ctl(capsys, "status")[0] == 0


def test_second_server_in_another_process_is_refused(rundir, player):
    path = rundir / "lofid.sock"
    with ControlServer(path, player):
        code = ("import sys; from pathlib import Path; from lofid.control.server import ControlServer\n"
                "from lofid.errors import LofidError\n"
                "try:\n    ControlServer(Path(sys.argv[1]), None).start()\n"
                "except LofidError as e:\n    print(e); sys.exit(2)\n")
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert done.stdout.startswith(f"lofid is already running (pid {os.getpid()}, control socket {path})")
        assert request(path, {"cmd": "status"})[0]["ok"]  # the first one still owns and serves it


def test_second_server_in_the_same_process_is_refused(rundir, player):
    with ControlServer(rundir / "lofid.sock", player), pytest.raises(LofidError, match="already running"):
        ControlServer(rundir / "lofid.sock", player).start()


def test_a_live_socket_of_another_program_is_not_stolen(rundir, player):
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(str(rundir / "lofid.sock"))
    other.listen(1)
    try:
        with pytest.raises(LofidError, match="another program is serving"):
            ControlServer(rundir / "lofid.sock", player).start()
    finally:
        other.close()


def test_a_file_in_the_sockets_place_is_not_overwritten(rundir, player):
    (rundir / "lofid.sock").write_text("notes")
    with pytest.raises(LofidError, match="exists and is not a socket"):
        ControlServer(rundir / "lofid.sock", player).start()
    assert (rundir / "lofid.sock").read_text() == "notes"


@pytest.mark.skipif(os.geteuid() != 0, reason="making a folder owned by another user needs root")
def test_a_folder_of_another_user_is_refused(rundir, player):
    folder = rundir / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(LofidError, match="belongs to user id 65534, not you"):
        ControlServer(folder / "lofid.sock", player).start()


# -- bad input and many clients: an error each, never a dead server --

@pytest.mark.parametrize("line, message", [
    (b"\xff\xfe\xfd", "not valid UTF-8"),
    (b"{not json", "not valid JSON"),
    (b'{"cmd": "set", "key": "bpm", "value": NaN}', "NaN is not a number"),
    (b'{"cmd": "set", "key": "bpm", "value": Infinity}', "Infinity is not a number"),
    (b'{"cmd": "set", "key": "bpm", "value": -Infinity}', "-Infinity is not a number"),
    (b'{"cmd": "set", "key": "bpm", "value": 1e999}', "too large"),
    (b'{"cmd": "set", "key": "bpm", "value": ' + b"9" * 5000 + b"}", "too large"),
    (b'{"cmd": "set", "key": "bpm", "value": 1e300}', "bpm = 1.0e+300 is not allowed"),
    (b'{"cmd": "set", "key": "bpm", "value": "fast"}', "bpm = fast is not allowed"),
    (b'{"cmd": "set", "key": "bpm", "value": true}', "bpm = true is not allowed"),
    (b'{"cmd": "set", "key": "temperature", "value": [1]}', "temperature = [1] is not allowed"),
    (b'{"cmd": "set", "key": 5, "value": 1}', "set: key should be a non-empty string"),
    (b'{"cmd": "set", "key": "output.device", "value": "x"}', "cannot set 'output.device' while playing: it is read at start"),
    (b'{"cmd": "set", "key": "bpm"}', "set needs value"),
    (b'{"cmd": "pause", "force": true}', "pause does not take 'force'"),
    (b'{"cmd": "fly"}', "unknown command 'fly'"),
    (b'{"cmd": null}', "unknown command missing"),
    (b"[1, 2]", "should be a JSON object"),
    (b'"status"', "should be a JSON object"),
    (b"[" * 100000, "longer than"),
    (b"[" * 60000 + b"]" * 60000, "longer than"),
    (b"[" * 30000 + b"]" * 30000, "nested too deeply"),
])
def test_bad_requests_get_an_error_and_the_connection_goes_on(server, player, line, message):
    replies = raw(server.path, line + b"\n" + b'{"cmd": "status"}\n', expect=2)
    assert replies[0]["ok"] is False and message in replies[0]["error"]
    assert "\n" not in replies[0]["error"] and len(replies[0]["error"]) <= 300
    if len(line) > MAX_LINE:
        assert len(replies) == 1  # an over-long line closes the connection after its error
    else:
        assert replies[1]["ok"] is True  # the same connection still works
    assert player.cfg == defaults()
    assert request(server.path, {"cmd": "status"})[0]["ok"]


def test_a_failing_target_costs_one_error_reply(server, player):
    player.fail_with = RuntimeError("the queue fell over")
    reply, _ = request(server.path, {"cmd": "status"})
    assert reply == {"ok": False, "error": "status failed inside lofid: RuntimeError: the queue fell over"}
    player.fail_with = None
    assert request(server.path, {"cmd": "status"})[0]["ok"]


def test_a_last_line_without_newline_is_answered(server):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(server.path))
        s.sendall(b'{"cmd": "pause"}')
        s.shutdown(socket.SHUT_WR)
        assert json.loads(s.recv(1000)) == {"ok": True, "state": "paused"}


def test_many_requests_on_one_connection_are_answered_in_order(server, player):
    requests = b"".join(b'{"cmd": "set", "key": "bpm", "value": %d}\n' % bpm for bpm in range(60, 160))
    replies = raw(server.path, requests, expect=100)
    assert [r["bpm"] for r in replies] == [float(b) for b in range(60, 160)]
    assert player.cfg["music.bpm"] == 159.0


def test_a_client_that_does_not_read_is_not_buffered_without_bound(server):
    count = 3000  # ~3000 status replies of ~1.5 KB: far more than the server will hold unread
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(server.path))
        sender = threading.Thread(target=s.sendall, args=(b'{"cmd": "status"}\n' * count,))
        sender.start()
        time.sleep(0.5)  # the server stops reading while its replies go unread...
        assert request(server.path, {"cmd": "status"})[0]["ok"]  # ...and keeps serving others meanwhile
        buf = b""
        while buf.count(b"\n") < count:
            buf += s.recv(1 << 20)
        sender.join()
    assert all(json.loads(line)["ok"] for line in buf.splitlines())


def test_with_every_slot_taken_by_fresh_connections_newcomers_wait_their_turn(rundir, player):
    with ControlServer(rundir / "lofid.sock", player, max_clients=4, evict_after=60) as srv:
        held = held_open(srv.path, 4)
        until(lambda: srv.clients == 4, "four connections taken")
        with pytest.raises(LofidError, match="did not answer"):  # all four slots held: this one waits...
            request(srv.path, {"cmd": "status"}, timeout=0.5)
        answered: list[dict[str, Any]] = []
        waiting = threading.Thread(target=lambda: answered.append(request(srv.path, {"cmd": "status"}, timeout=10)[0]))
        waiting.start()
        time.sleep(0.3)
        assert not answered and srv.clients == 4
        held.pop().close()  # ...until a slot frees
        waiting.join(10)
        assert answered and answered[0]["ok"]
        for s in held:
            s.close()


def test_with_every_slot_taken_the_connection_silent_longest_makes_room(rundir, player):
    with ControlServer(rundir / "lofid.sock", player, max_clients=4, evict_after=0.3) as srv:
        held = held_open(srv.path, 4, b'{"cmd": "sta')
        time.sleep(0.1)
        held.append(held_open(srv.path, 1, b'{"cmd": "sta')[0])  # the newest: not the one to go
        reply, _ = request(srv.path, {"cmd": "status"}, timeout=10)
        assert reply["ok"]
        closed = {"ok": False, "error": "every connection slot is taken; closing the one silent longest"}
        assert [json.loads(s.recv(1000)) for s in held[:2]] == [closed, closed]  # the two silent longest
        held[4].setblocking(False)
        with pytest.raises(BlockingIOError):  # the newest is still open and waiting for its line's end
            held[4].recv(1000)
        for s in held:
            s.close()


def test_connections_together_hold_a_bounded_number_of_bytes(rundir, player):
    with ControlServer(rundir / "lofid.sock", player, max_buffered=100_000) as srv:
        big, small = held_open(srv.path, 1, b"x" * 60_000)[0], held_open(srv.path, 1, b"x" * 30_000)[0]
        until(lambda: srv.clients == 2, "both connections taken")
        small.sendall(b"x" * 20_000)  # 110,000 bytes held: the connection holding most is closed
        error = json.loads(big.recv(1000))
        assert error == {"ok": False, "error": "the control server holds over 100000 bytes; "
                                               "closing the connection holding the most"}
        small.sendall(b'\n{"cmd": "status"}\n')  # the other one goes on
        got = b""
        while got.count(b"\n") < 2:
            got += small.recv(100_000)
        replies = got.splitlines()
        assert json.loads(replies[0])["ok"] is False and json.loads(replies[1])["ok"] is True
        big.close()
        small.close()


def test_a_hundred_clients_at_once_each_get_an_answer(server, player):
    replies: list[dict[str, Any]] = []

    def ask(bpm: int) -> None:
        replies.append(request(server.path, {"cmd": "set", "key": "bpm", "value": bpm}, timeout=30)[0])

    threads = [threading.Thread(target=ask, args=(60 + i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(replies) == 100 and all(r["ok"] for r in replies)  # none refused: the rest waited for a slot
    assert player.cfg["music.bpm"] in {float(60 + i) for i in range(100)}


def test_idle_and_half_sent_connections_are_closed(rundir, player):
    with ControlServer(rundir / "lofid.sock", player, idle_timeout=0.3) as srv:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(srv.path))
            s.sendall(b'{"cmd": "sta')  # half a line, then nothing
            assert json.loads(s.recv(1000)) == {"ok": False, "error": "idle for 0.3 s; closing"}
            assert s.recv(1000) == b""
        assert srv.clients == 0


def test_the_installed_command_from_another_process(server, player, rundir):
    lofid = Path(sys.executable).with_name("lofid")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(rundir)}
    refused = subprocess.run([lofid, "ctl", "temperature", "5"], env=env, capture_output=True, text=True, timeout=60)
    done = subprocess.run([lofid, "ctl", "temperature", "0.8"], env=env, capture_output=True, text=True, timeout=60)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == "lofid: temperature = 5 is not allowed: expected a number from 0.1 to 2\n"
    assert (done.returncode, done.stdout, done.stderr) == (0, "temperature: 0.8\n", "")
    assert player.cfg["generation.temperature"] == 0.8


SERVE_UNDER_A_LOW_LIMIT = """
import logging, resource, sys, time
from pathlib import Path
from lofid.control.server import ControlServer

logging.basicConfig(level=logging.INFO, format="%(message)s")
resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300))  # as a tight system might set it, hard limit too


class Target:
    def settings(self):
        return {}

    def status(self):
        return {"state": "playing"}


with ControlServer(Path(sys.argv[1]), Target(), evict_after=0.2) as srv:
    print(srv.max_clients, flush=True)
    time.sleep(60)
"""


def test_under_a_low_open_files_limit_it_serves_fewer_at_once_and_never_runs_out(rundir):
    path = rundir / "lofid.sock"
    child = subprocess.Popen([sys.executable, "-c", SERVE_UNDER_A_LOW_LIMIT, str(path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        served = int(child.stdout.readline())
        assert served == 300 - 256  # the rest of the daemon keeps its 256 open files
        held = held_open(path, 100, b'{"cmd": "sta')  # more than it serves: the silent longest make room
        time.sleep(0.3)
        assert request(path, {"cmd": "status"}, timeout=10)[0]["status"]["state"] == "playing"
        for s in held:
            s.close()
    finally:
        child.kill()
        _, err = child.communicate(timeout=10)
    assert "control: serving 44 connections at once (the open-files limit allows no more)" in err
    assert "out of open files" not in err and "Traceback" not in err
