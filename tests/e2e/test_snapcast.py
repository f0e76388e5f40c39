"""lofid feeding a real snapserver 0.26 on loopback, heard through a real snapclient in another "room".

Two PulseAudio null sinks: lofid's own sound card (``lofid_test``) and the room's (``rooms``), where a
snapclient plays what snapserver sends it.
- lofid's music is heard in the room, and snapserver shows the track's title (lofid-snapcast, the
  source's stream plugin); the Snapcast apps' pause and play (Stream.Control) pause and resume lofid;
- snapserver killed: lofid plays on at its own sink, and `ctl status` says the Snapcast output is
  retrying, and why; snapserver started again: the room hears music again, on lofid's second connection;
- the loss is one line in lofid's log, however many attempts fail.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from lofid.audio.feeder import BACKOFF_SECONDS
from tests.support.player import ROOT, SILENT_RMS, Player, rms
from tests.support.pulse import PulseServer, pulse_available
from tests.support.snapcast import STREAM, Snapclient, Snapserver, available
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not (available() and pulse_available()),
                                reason="snapserver, snapclient or PulseAudio is not installed (make test installs them)")

ROOM = "rooms"  # the null sink the snapclient plays into
HEARD_RMS = 10 * SILENT_RMS  # as Player.wait_heard: music, not dither
BACK_WITHIN_S = 15.0  # lofid's longest back-off (5 s), snapclient's retry (1 s), snapserver's buffer, a busy machine


def plugin(folder: Path) -> Path:
    """``lofid-snapcast`` as its installed entry point runs it, from this checkout with this Python."""
    script = folder / "lofid-snapcast"
    script.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m lofid.cli.snapcast "$@"\n')
    script.chmod(0o755)
    return script


def shown_title(server: Snapserver) -> str | None:
    return (server.stream()["properties"].get("metadata") or {}).get("title")


def heard(player: Player, sink: str) -> bool:
    return rms(player.listen(1.0, "heard", sink)) > HEARD_RMS


def snapcast_state(player: Player) -> dict:
    return player.status()["streams"]["snapcast"]


@pytest.mark.slow
def test_every_room_hears_lofid_and_a_restarted_snapserver_is_fed_again(tmp_path):
    with PulseServer() as pulse, Snapserver(tmp_path / "snap", plugin(tmp_path), pulse.env) as server:
        pulse.add_sink(ROOM)  # the plugin finds lofid's socket in the runtime dir pulse.env names
        player = Player(pulse, tmp_path, f"output.snapcast.url={server.source_url()}")
        player.start()
        try:
            player.wait_ready()
            player.wait_heard()
            with Snapclient(server, pulse, ROOM):
                until(lambda: heard(player, ROOM), "lofid's music in the room", BACK_WITHIN_S)
                status = snapcast_state(player)
                assert status["state"] == "connected" and status["format"] == "44100:16:2"
                until(lambda: shown_title(server) == player.status()["track"]["title"], "the title in snapserver", 20)
                server.call("Stream.Control", {"id": STREAM, "command": "pause"})
                until(lambda: player.status()["state"] == "paused", "paused from Snapcast", 10)
                # the plugin hears the daemon's event and then tells snapserver: a moment after lofid's own status
                until(lambda: server.stream()["properties"]["playbackStatus"] == "paused", "paused shown in snapserver", 10)
                server.call("Stream.Control", {"id": STREAM, "command": "play"})
                until(lambda: player.status()["state"] == "playing", "playing again from Snapcast", 10)

                server.kill()
                until(lambda: snapcast_state(player)["state"] == "retrying", "lofid noticing", 20)
                time.sleep(BACKOFF_SECONDS[-1])  # attempts fail meanwhile (a second after the loss, then 2 s later)
                assert heard(player, "lofid_test"), "lofid's own sink went quiet without snapserver"
                assert not heard(player, ROOM)
                line = next(ln for ln in player.ctl("status").stdout.splitlines() if ln.startswith("streams:"))
                assert f"Snapcast {server.source_url().removeprefix('tcp://')} retrying (connection refused)" in line

                server.start()
                until(lambda: heard(player, ROOM), "lofid's music in the room again", BACK_WITHIN_S)
                status = snapcast_state(player)
                assert status["state"] == "connected" and status["connects"] == 2 and "error" not in status
        finally:
            player.stop()
    log = player.log.read_text()
    # the loss in one line, however many attempts failed; then the connection again
    assert log.count("Snapcast at") == 3 and log.count(": lost (") == 1, log
    assert log.count("feeding Snapcast at") == 2 and "Traceback" not in log, log
