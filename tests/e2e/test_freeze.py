"""Frozen and thawed, as by a laptop's suspend: SIGSTOP a real `lofid run` for 10 s, then SIGCONT.

What must hold: music at the sink again within 3 s of the thaw; no burst of stale notes (the
engine resumes where it stopped, at the normal pace, rather than racing through the 10 s it
missed); no false alarms: neither "sound device stopped" nor "playback looks stuck", and the
systemd watchdog pings resume at once. The test plays the service manager's part of the
sd_notify protocol itself (a datagram socket at $NOTIFY_SOCKET with $WATCHDOG_USEC set), as
tests/e2e/test_daemon.py does: systemd cannot run as a user manager on this machine.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest

from tests.support.player import Player
from tests.support.pulse import Recording

FROZEN_S = 10.0  # longer than every patience it must not trip: the device's stall (2 s), the watchdog (4 s)
BACK_WITHIN_S = 3.0  # music heard again after the thaw
WATCHDOG_S = 4.0  # $WATCHDOG_USEC: lofid pings every quarter of it
PACE_WINDOW_S = 6.0  # notes counted before the freeze and after the thaw, over this long each
BURST_FACTOR = 2.0  # at most this many times the notes of the same time before the freeze


class Manager(threading.Thread):
    """The service manager's end of sd_notify: every datagram's lines, with the time they came."""

    def __init__(self, path) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.lines: list[tuple[float, str]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            now = time.monotonic()
            self.lines += [(now, line) for line in data.decode().splitlines()]

    def pings(self) -> list[float]:
        return [t for t, line in self.lines if line == "WATCHDOG=1"]


def notes_over(player: Player, seconds: float) -> int:
    before = player.status()["notes_played"]
    time.sleep(seconds)
    return player.status()["notes_played"] - before


@pytest.mark.parametrize("device", ["sound card", "no sound card"])
@pytest.mark.slow
def test_frozen_for_10_s_and_thawed_it_plays_on_at_its_pace_without_false_alarms(pulse, tmp_path, device):
    manager = Manager(tmp_path / "notify")
    manager.start()
    player = Player(pulse if device == "sound card" else None, tmp_path, "fx.crackle=0")
    player.env.update(NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC=str(int(WATCHDOG_S * 1e6)))
    player.start()
    try:
        player.wait_ready()
        if device == "sound card":
            player.wait_heard()
        time.sleep(2.0)
        before = notes_over(player, PACE_WINDOW_S)
        with Recording(pulse, tmp_path / "thaw.wav") as heard:
            os.kill(player.proc.pid, signal.SIGSTOP)
            time.sleep(FROZEN_S)
            thawed = time.monotonic()
            os.kill(player.proc.pid, signal.SIGCONT)
            after = notes_over(player, PACE_WINDOW_S)
        manager.done.set()
        if device == "sound card":
            back = heard.loud(thawed, thawed + BACK_WITHIN_S + 2)
            assert len(back), "no music after the thaw"
            print(f"music again {back[0] - thawed:.2f} s after the thaw")
            assert back[0] - thawed <= BACK_WITHIN_S
        print(f"notes in {PACE_WINDOW_S:g} s: {before} before the freeze, {after} after the thaw")
        assert 0 < after <= BURST_FACTOR * max(before, 4)
        pings_after = [t for t in manager.pings() if t > thawed]
        assert pings_after and pings_after[0] - thawed <= WATCHDOG_S / 4 + 1.0
        log = player.log.read_text()
        assert "looks stuck" not in log and "stopped; reopening" not in log and "Traceback" not in log, log
        assert player.status()["state"] == "playing"
    finally:
        player.kill()
        manager.done.set()
