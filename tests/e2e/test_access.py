"""Who may steer a running lofid: only its user, through one socket, owned by one daemon.

All against the real `lofid run` (null sink) and `lofid ctl` processes: the socket's mode and
folder, another user knocking (when the tests run as root they can become "nobody" to try), a
socket left behind by a SIGKILLed run, and a second `lofid run` for the same user.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.player import LOFID, MODEL, ROOT, Player
from tests.support.waiting import until

NOBODY = 65534
as_root = pytest.mark.skipif(os.getuid() != 0, reason="only root can act as another user to knock")


@pytest.fixture
def player(tmp_path):
    p = Player(None, tmp_path)
    yield p
    p.kill()


def knock_as_nobody(socket_path: Path) -> str:
    """Connect to the socket as user nobody (a forked child that drops root); what happened."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become nobody, knock, report, and leave without running pytest's cleanup
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            knock = socket.socket(socket.AF_UNIX)
            try:
                knock.connect(str(socket_path))
                said = "connected"
            except OSError as e:
                said = type(e).__name__
            os.write(write, said.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as answer:
        return answer.read()


def test_the_socket_is_0600_in_a_folder_only_the_user_can_enter(player):
    player.start()
    player.wait_ready()
    info, folder = player.socket.stat(), player.socket.parent.stat()
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.getuid() and folder.st_uid == os.getuid()
    assert stat.S_IMODE(folder.st_mode) & 0o077 == 0
    if os.getuid() == 0:
        assert knock_as_nobody(player.socket) == "PermissionError"


def test_without_xdg_runtime_dir_the_socket_goes_in_a_private_temp_folder(tmp_path):
    (tmp_path / "tmp").mkdir(mode=0o1777)
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    env.update(TMPDIR=str(tmp_path / "tmp"), HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"))
    proc = subprocess.Popen([*LOFID, "run", "--set", f"model.path={MODEL}", "--set", "output.device=none"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        sock = tmp_path / "tmp" / f"lofid-{os.getuid()}" / "lofid.sock"
        until(lambda: sock.exists() or proc.poll() is not None, "the socket in the private temp folder", 30)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
        if os.getuid() == 0:
            assert knock_as_nobody(sock) == "PermissionError"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


@as_root
def test_a_socket_folder_another_user_made_is_refused(tmp_path):
    """Someone else made the per-user folder first, hoping to catch the socket: lofid will not use it."""
    (tmp_path / "tmp").mkdir(mode=0o1777)
    trap = tmp_path / "tmp" / f"lofid-{os.getuid()}"
    trap.mkdir(mode=0o777)
    os.chown(trap, NOBODY, NOBODY)
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    env.update(TMPDIR=str(tmp_path / "tmp"), HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"))
    r = subprocess.run([*LOFID, "run", "--set", f"model.path={MODEL}", "--set", "output.device=none"], env=env,
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and f"{trap} belongs to user id {NOBODY}" in r.stderr
    assert not (trap / "lofid.sock").exists()


def test_a_stale_socket_from_a_killed_run_is_detected_and_replaced(player):
    player.start()
    player.wait_ready()
    player.kill()  # SIGKILL: no chance to remove the socket
    assert player.socket.exists()
    stale = player.ctl("status", check=False)
    assert stale.returncode != 0 and "stale socket" in stale.stderr
    player.start()
    player.wait_ready()
    assert player.status()["state"] == "playing"
    assert "replaced a stale control socket" in player.log.read_text()


def test_a_second_lofid_run_refuses_and_the_first_keeps_playing(player):
    player.start()
    player.wait_ready()
    before = player.status()
    second = subprocess.run([*player.command, "--set", f"model.path={MODEL}", "--set", "output.device=none"],
                            env=player.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 2
    assert second.stderr.strip().count("\n") == 0, second.stderr
    assert f"lofid is already running (pid {player.proc.pid}, control socket {player.socket})" in second.stderr
    assert "Traceback" not in second.stderr
    # still the first one's socket, and it still plays
    until(lambda: (after := player.status())["uptime_s"] > before["uptime_s"] and after["notes_played"] > before["notes_played"],
          "the first lofid playing on")
    assert player.proc.poll() is None
