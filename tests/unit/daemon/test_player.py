"""The player alone: the real model, producer, FluidSynth engine and timers, with no sound server,
no socket and no render thread of its own (the test pulls the blocks, as the render thread would)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from lofid.config import load
from lofid.control.protocol import handle
from lofid.control.status import Event
from lofid.daemon.player import Daemon
from lofid.errors import LofidError
from tests.support.player import MODEL, SILENT_RMS, rms

BLOCK = 1024  # frames the test renders at a time, as the render thread does
HOURS = 3600.0  # a held track's form runs for hours; a track that ends, minutes


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """Private state, config and runtime folders; a config file naming the shipped model."""
    tmp_path.chmod(0o700)
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.setenv(name, str(tmp_path))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    write_config(tmp_path, MODEL, bpm=70)
    return tmp_path


def write_config(home: Path, model: Path, bpm: int) -> Path:
    config = home / "config.yaml"
    config.write_text(f"model:\n  path: {model}\nmusic:\n  bpm: {bpm}\noutput:\n  device: none\n")
    return config


@pytest.fixture
def daemon(home):
    config = home / "config.yaml"
    player = Daemon(load(config), str(config), seed=3)
    yield player
    player.shutdown()


def render(daemon: Daemon, seconds: float) -> np.ndarray:
    """``seconds`` of the daemon's output, pulled block by block."""
    blocks = int(seconds * daemon.engine.sample_rate) // BLOCK
    return np.concatenate([daemon.engine.render(BLOCK) for _ in range(blocks)])


def test_built_it_serves_nothing_until_started(daemon, home):
    socket_path = home / "lofid.sock"
    assert daemon.control is None and not socket_path.exists()
    assert daemon.status()["streams"] is None and daemon.status()["state"] == "playing"
    daemon.start()
    assert socket_path.exists()
    reply, done = handle(daemon, b'{"cmd": "status"}')
    assert done == "status" and json.loads(reply)["status"]["settings"]["music.bpm"] == 70
    daemon.shutdown()
    assert not socket_path.exists()


def test_a_reload_naming_a_missing_model_keeps_every_setting_and_plays_on(daemon, home):
    events: list[Event] = []
    daemon.listeners.append(events.append)
    settings, status = dict(daemon.settings()), daemon.status()
    missing = home / "no-such-model"
    write_config(home, missing, bpm=90)  # a change that would apply, beside one that cannot

    with pytest.raises(LofidError, match="kept the current settings") as refused:
        daemon.reload()
    assert str(missing) in str(refused.value)
    reply, done = handle(daemon, b'{"cmd": "reload"}')  # `lofid ctl reload`: the same, as a one-line error
    answer = json.loads(reply)
    assert done is None and answer["ok"] is False and "kept the current settings" in answer["error"]

    assert dict(daemon.settings()) == settings
    after = daemon.status()
    assert after["model"] == status["model"] == str(MODEL)
    assert after["bpm"] == status["bpm"] and daemon.settings()["music.bpm"] == 70
    assert events == []  # nobody was told of a change
    daemon.producer.start()
    assert daemon.producer.wait_for(4, timeout=10)
    played = daemon.status()["notes_played"]
    assert rms(render(daemon, 4.0)) > 10 * SILENT_RMS and daemon.status()["notes_played"] > played

    write_config(home, MODEL, bpm=90)  # mended: the next reload takes it
    assert daemon.reload() == {"music.bpm": 90}
    assert daemon.settings()["music.bpm"] == 90 and daemon.status()["bpm"] == 90
    assert events == [{"event": "set", "changes": {"music.bpm": 90}}]


def test_steering_from_many_threads_at_once_leaves_the_player_consistent(daemon):
    """The control thread, HTTP threads, MPRIS and the timers all steer at once: every state
    they leave is one the status, the engine, the plan and the events agree on."""
    events: list[Event] = []
    daemon.listeners.append(events.append)
    daemon.producer.start()
    assert daemon.producer.wait_for(4, timeout=10)
    stop, failures = threading.Event(), []

    def render_thread() -> None:
        while not stop.is_set():
            daemon.engine.render(BLOCK)
            stop.wait(0.002)

    requests = [b'{"cmd": "pause"}', b'{"cmd": "resume"}', b'{"cmd": "hold", "value": "on"}',
                b'{"cmd": "hold", "value": "off"}', b'{"cmd": "next"}', b'{"cmd": "status"}']
    direct = [daemon.pause, daemon.resume, lambda: daemon.hold(True), lambda: daemon.hold(False),
              daemon.next_track, daemon.status, daemon.tick]

    def steer(seed: int, over_protocol: bool) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(150):
                if over_protocol:  # as the control thread and the HTTP threads call in
                    reply, done = handle(daemon, rng.choice(requests))
                    assert done is not None, reply
                else:  # as MPRIS and the main thread's timers do
                    rng.choice(direct)()
        except BaseException as e:
            failures.append(e)

    renderer = threading.Thread(target=render_thread)
    steerers = [threading.Thread(target=steer, args=(seed, seed % 2 == 0)) for seed in range(6)]
    renderer.start()
    for thread in steerers:
        thread.start()
    for thread in steerers:
        thread.join(120)
    stop.set()
    renderer.join(10)
    assert not failures, failures
    assert not any(thread.is_alive() for thread in steerers)

    # Status says what the engine does, and the last state event said it too.
    status = daemon.status()
    heard = render(daemon, 1.0)[-BLOCK:]
    if status["state"] == "paused":
        assert not heard.any()
    else:
        assert rms(heard) > SILENT_RMS
    assert [e["state"] for e in events if e["event"] == "state"][-1] == status["state"]

    # The hold flag agrees with the plan: once the redirect's bar is heard, a held track runs for hours.
    daemon.resume()
    render(daemon, 8.0)
    track = daemon.status()["track"]
    assert track is not None and track["held"] == (track["length_s"] > HOURS), track
    daemon.hold(True)  # and a hold asked for now is respected
    render(daemon, 8.0)
    track = daemon.status()["track"]
    assert track is not None and track["held"] and track["length_s"] > HOURS, track


def test_a_hold_right_after_a_next_wins_at_the_same_bar(daemon):
    """Two redirects with no note written between them: the second lands at the same bar line,
    ahead of what was heard, and wins there (the track playing goes on, held)."""
    daemon.producer.start()
    assert daemon.producer.wait_for(4, timeout=10)
    render(daemon, 2.0)
    daemon.producer.stop()  # nothing is written between the two
    daemon.next_track()
    daemon.hold(True)
    daemon.producer.start()
    render(daemon, 12.0)  # past the next bar
    track = daemon.status()["track"]
    assert track is not None and track["number"] == 1 and track["held"] and track["length_s"] > HOURS, track


# Loaded only when used: the stream outputs (http.server pulls in ssl), the cover's Pillow (on the covers
# thread), a save's process pool and tagging, TensorFlow (training).
NOT_AT_START = ("PIL", "http.server", "http.client", "ssl", "multiprocessing", "concurrent.futures",
                "lofid.daemon.album", "tensorflow", "keras")


def test_a_started_daemon_has_imported_nothing_it_does_not_use_yet(home):
    """``lofid run``'s start-up (issue 29): what playing does not need yet is not imported (not in
    memory, not in the time to the first sound)."""
    config = home / "config.yaml"
    code = ("import sys\nfrom lofid.config import load\nfrom lofid.daemon.player import Daemon\n"
            f"d = Daemon(load({str(config)!r}), {str(config)!r}, seed=3).start()\n"
            "d.engine.render(1024)\n"
            f"print(' '.join(m for m in {NOT_AT_START!r} if m in sys.modules) or 'none')\nd.shutdown()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["none"]
