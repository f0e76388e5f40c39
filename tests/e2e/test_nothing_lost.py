"""Nothing lost: SIGKILL a real `lofid run` at random moments while a client changes settings as
fast as it can; the state file must always be whole, and the last change the daemon acknowledged
must be there at the next start.

The daemon writes the state file before it answers a `set` (write a temporary file, fsync,
rename, fsync the folder: lofid/state.py), so an acknowledged change is on disk. A change sent but
not yet answered when the kill lands may or may not have been kept; both are fine, anything else
(an older value, a torn or empty file) is a lost setting.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time

import pytest
import yaml

from tests.support.player import Player
from tests.support.waiting import until

KILLS = 8
SEED = 4


class Hammer(threading.Thread):
    """One client sending `set` after `set` on one connection, each waiting for its answer."""

    def __init__(self, path, start_at: int) -> None:
        super().__init__(daemon=True)
        self.path, self.n = path, start_at
        self.acked: dict[str, float] = {}  # key -> last value the daemon confirmed
        self.in_flight: dict[str, float] = {}  # key -> value sent, answer not yet read
        self.answered = 0
        self.wrong: dict | None = None  # a reply that did not confirm the change

    def run(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(str(self.path))
            reader = s.makefile("rb")
            try:
                while True:
                    self.n += 1
                    key, value = ("bpm", 60 + self.n % 10000 / 100) if self.n % 2 else ("volume", self.n % 101)
                    self.in_flight = {key: value}
                    s.sendall(json.dumps({"cmd": "set", "key": key, "value": value}).encode() + b"\n")
                    line = reader.readline()
                    if not line:
                        return  # the daemon was killed under us
                    reply = json.loads(line)
                    if not (reply["ok"] and reply[key] == value):
                        self.wrong = reply
                        return
                    self.acked[key], self.in_flight = value, {}
                    self.answered += 1
            except OSError:  # the daemon was killed under us
                return


@pytest.fixture
def player(tmp_path):
    p = Player(None, tmp_path)
    yield p
    p.kill()


@pytest.mark.slow(2)
def test_sigkill_while_settings_change_never_loses_an_acknowledged_setting(player):
    rng = random.Random(SEED)
    state = player.home / "state" / "lofid" / "state.yaml"
    keys = {"bpm": "music.bpm", "volume": "output.volume"}
    answered, n, kept = 0, 0, {}
    for _ in range(KILLS):
        player.start()
        player.wait_ready()
        settings = player.status()["settings"]  # what the last round kept is what this start plays with
        assert all(settings[keys[k]] == v for k, v in kept.items()), (kept, settings)
        hammer = Hammer(player.socket, n)
        hammer.start()
        # the first answer, however slow a loaded machine makes it; then a random moment: mid-write,
        # mid-rename, between requests
        until(lambda h=hammer: h.answered > 0 or not h.is_alive(), "a first acknowledged setting", 30)
        time.sleep(rng.uniform(0.05, 1.2))
        player.kill()
        hammer.join(10)
        n, answered = hammer.n, answered + hammer.answered
        assert hammer.answered > 0 and hammer.wrong is None, hammer.wrong

        text = state.read_text()  # whole, and readable as the daemon reads it
        saved = yaml.safe_load(text)
        assert isinstance(saved, dict), text
        kept = {}
        for short, value in hammer.acked.items():
            allowed = {value, hammer.in_flight.get(short)}
            assert saved[keys[short]] in allowed, (short, saved, hammer.acked, hammer.in_flight)
            kept[short] = saved[keys[short]]
    player.start()
    player.wait_ready()
    settings = player.status()["settings"]
    assert all(settings[keys[k]] == v for k, v in kept.items())
    assert not list(state.parent.glob(".state.yaml.*.tmp"))  # half-written leftovers are cleared at start
    print(f"{KILLS} SIGKILLs during {answered} acknowledged settings changes: none lost")
