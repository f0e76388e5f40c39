"""End to end: lofid on a real session D-Bus, steered as a desktop steers it (MPRIS2, through playerctl).

The session bus is a real, private ``dbus-daemon`` with a tiny config of its own (a Unix socket in
the test's folder, no service activation, so nothing of the machine's desktop starts on it); the
player is a real `lofid run` playing into a private PulseAudio null sink, and ``playerctl`` (what
media keys, panels and scripts use) drives it. What the sink recorded tells that pause and play
were heard; ``playerctl --follow`` and ``dbus-monitor`` tell that lofid sent PropertiesChanged. Each
track's cover is ``mpris:artUrl``, a PNG in the player's cache folder that changes with the track.
Without a session bus, lofid plays and says so in one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from jeepney import HeaderFields, MessageType, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from PIL import Image

from tests.support.player import SILENT_RMS, Player, rms
from tests.support.pulse import end_process, pulse_available
from tests.support.waiting import until

NO_BUS_LINE = "no session D-Bus: media keys and playerctl are off"
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

needs_dbus = pytest.mark.skipif(not (shutil.which("dbus-daemon") and shutil.which("dbus-monitor")),
                                reason="dbus-daemon is not installed (make test installs it)")
needs_playerctl = pytest.mark.skipif(not shutil.which("playerctl"), reason="playerctl is not installed (make test installs it)")
needs_pulse = pytest.mark.skipif(not pulse_available(), reason="PulseAudio is not installed (make test installs it)")


@pytest.fixture
def session_bus(tmp_path_factory) -> Iterator[str]:
    """A private session bus; yields its address (for DBUS_SESSION_BUS_ADDRESS)."""
    folder = tmp_path_factory.mktemp("bus")
    config = folder / "session.conf"
    config.write_text(BUS_CONFIG.format(socket=folder / "bus"))
    proc = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--print-address", "--nofork"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = proc.stdout.readline().strip()
        assert address.startswith("unix:"), f"dbus-daemon printed no address (exit {proc.poll()})"
        yield address
    finally:
        end_process(proc)


def on_bus(player: Player, address: str | None) -> Player:
    if address is None:
        player.env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    else:
        player.env["DBUS_SESSION_BUS_ADDRESS"] = address
    return player


def playerctl(address: str, *args: str) -> str:
    r = subprocess.run(["playerctl", *args], env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address},
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def metadata(address: str, field: str) -> str:
    """One field of lofid's MPRIS Metadata as playerctl prints it (an object path without its quotes)."""
    return playerctl(address, "-p", "lofid", "metadata", field).strip("'")


def cover_file(address: str, player: Player, other_than: Path | None = None) -> Path:
    """The playing track's cover as MPRIS gives it (``mpris:artUrl``, once painted): a 600 px PNG in the
    player's cache folder, named as its status names it; waits for one ``other_than`` a cover before."""
    def art() -> Path | None:
        url = metadata(address, "mpris:artUrl")
        path = Path(unquote(urlsplit(url).path)) if url.startswith("file://") else None
        return path if path is not None and path != other_than else None

    path = until(art, f"mpris:artUrl never named a new cover (it says {metadata(address, 'mpris:artUrl')!r})", 20)
    assert path.parent == player.home / "cache" / "lofid" / "covers"
    assert path.name == f"{player.status()['track']['cover']}.png"
    with Image.open(path) as image:
        assert (image.format, image.size) == ("PNG", (600, 600))
    return path


class Lines(threading.Thread):
    """The lines a helper process (playerctl --follow) prints, as they come."""

    def __init__(self, command: list[str], address: str) -> None:
        super().__init__(daemon=True)
        self.proc = subprocess.Popen(command, env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": address},
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines: list[str] = []
        self.start()

    def run(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def stop(self) -> None:
        end_process(self.proc)


@needs_dbus
@needs_playerctl
@needs_pulse
@pytest.mark.slow
def test_playerctl_plays_pauses_skips_and_sets_the_volume(pulse, session_bus, tmp_path):
    # desktop.notify on with no notification daemon on the bus: a debug line at most, never an error
    player = on_bus(Player(pulse, tmp_path, "layers.rain.enabled=false", "fx.crackle=0", "desktop.notify=true"),
                    session_bus)
    monitor_log = tmp_path / "monitor.txt"
    with monitor_log.open("w") as out:
        monitor = subprocess.Popen(["dbus-monitor", "--address", session_bus,
                                    "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'"],
                                   stdout=out, stderr=subprocess.DEVNULL)
    follow = None
    try:
        player.start()
        player.wait_ready()
        player.wait_heard()
        until(lambda: "lofid" in playerctl(session_bus, "-l").split(), "playerctl -l never listed lofid", 20)
        assert playerctl(session_bus, "-p", "lofid", "status") == "Playing"

        # Metadata: the track playing, as `lofid ctl status` shows it.
        until(lambda: player.status()["track"], "no track", 20)
        track = player.status()["track"]
        assert metadata(session_bus, "xesam:title") == track["title"]
        assert metadata(session_bus, "xesam:artist") == "lofid"
        assert metadata(session_bus, "xesam:album") == track["key"]
        assert int(metadata(session_bus, "mpris:length")) == round(track["length_s"] * 1e6)
        assert metadata(session_bus, "mpris:trackid") == f"/io/lofid/track/{track['number']}"
        first_cover = cover_file(session_bus, player)

        # Pause is heard as silence; play brings the music back.
        follow = Lines(["playerctl", "-p", "lofid", "--follow", "status"], session_bus)
        until(lambda: "Playing" in follow.lines, "playerctl --follow printed no status", 20)
        playerctl(session_bus, "-p", "lofid", "pause")
        until(lambda: playerctl(session_bus, "-p", "lofid", "status") == "Paused", "not Paused", 20)
        time.sleep(1.0)
        assert rms(player.listen(1.0, "paused")) < SILENT_RMS
        assert player.status()["state"] == "paused"
        playerctl(session_bus, "-p", "lofid", "play")
        until(lambda: playerctl(session_bus, "-p", "lofid", "status") == "Playing", "not Playing", 20)
        time.sleep(1.0)
        assert rms(player.listen(1.5, "played")) > 10 * SILENT_RMS

        # A change made elsewhere (lofid ctl) reaches the desktop as a signal: --follow prints it.
        player.ctl("pause")
        until(lambda: follow.lines.count("Paused") >= 2, f"--follow saw no second pause: {follow.lines}", 20)
        player.ctl("resume")
        until(lambda: follow.lines[-1:] == ["Playing"], f"--follow saw no resume: {follow.lines}", 20)

        # Volume both ways: MPRIS 0.0-1.0 is output.volume 0-100.
        playerctl(session_bus, "-p", "lofid", "volume", "0.5")
        until(lambda: player.ctl("volume").stdout.strip() == "volume: 50", "ctl volume never said 50", 20)
        assert player.status()["settings"]["output.volume"] == 50
        player.ctl("volume", "30")
        until(lambda: float(playerctl(session_bus, "-p", "lofid", "volume") or -1) == pytest.approx(0.3),
              "playerctl volume never said 0.3", 20)

        # Next: a new track at the next bar, with its own title and id.
        playerctl(session_bus, "-p", "lofid", "next")
        until(lambda: (player.status()["track"] or track)["number"] != track["number"], "no new track", 60)
        new = player.status()["track"]
        until(lambda: metadata(session_bus, "xesam:title") == new["title"], "the title never changed", 20)
        assert metadata(session_bus, "mpris:trackid") == f"/io/lofid/track/{new['number']}"
        next_cover = cover_file(session_bus, player, other_than=first_cover)
        assert next_cover.read_bytes() != first_cover.read_bytes() and first_cover.is_file()  # the last few are kept

        assert player.stop() == 0
        until(lambda: "lofid" not in playerctl(session_bus, "-l").split(), "lofid stayed on the bus", 20)
    finally:
        player.kill()
        end_process(monitor)
        if follow is not None:
            follow.stop()
    log = player.log.read_text()
    assert "Traceback" not in log and NO_BUS_LINE not in log and "D-Bus call" not in log, log
    signals = monitor_log.read_text()  # dbus-monitor prints each signal's body: the names and values changed
    for changed in ('string "PlaybackStatus"', 'string "Volume"', 'string "Metadata"', 'string "xesam:title"',
                    'string "mpris:artUrl"'):
        assert changed in signals, (changed, signals[-3000:])


class NotificationServer(threading.Thread):
    """A test-owned ``org.freedesktop.Notifications`` on the real private bus, written with jeepney.

    No small notification daemon runs headless on Debian, so this plays the desktop's part of the
    protocol, as a real peer on the bus: it records each Notify and answers with an id, the same
    id when asked to replace one (as notification daemons do)."""

    def __init__(self, address: str) -> None:
        super().__init__(daemon=True)
        self.conn = open_dbus_connection(address)
        reply = self.conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications", 4), timeout=5)
        assert reply.body == (1,), reply.body
        self.notes: list[tuple] = []  # the Notify arguments, in order
        self._done = threading.Event()
        self.start()

    def run(self) -> None:
        last = 0
        while not self._done.is_set():
            try:
                msg = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            if msg.header.message_type is not MessageType.method_call:
                continue
            name = msg.header.fields.get(HeaderFields.member)
            if name == "Notify":
                self.notes.append(msg.body)
                replaces = msg.body[1]
                if not replaces:
                    last += 1
                self.conn.send(new_method_return(msg, "u", (replaces or last,)))
            elif name == "GetCapabilities":
                self.conn.send(new_method_return(msg, "as", (["body"],)))
            elif name == "GetServerInformation":
                self.conn.send(new_method_return(msg, "ssss", ("test", "lofid-tests", "1", "1.2")))

    def close(self) -> None:
        self._done.set()
        self.join(5)
        self.conn.close()


@needs_dbus
def test_each_new_track_replaces_the_last_notification(session_bus, tmp_path):
    server = NotificationServer(session_bus)
    player = on_bus(Player(None, tmp_path, "desktop.notify=true", "desktop.mpris=false"), session_bus)
    try:
        player.start()
        player.wait_ready()
        until(lambda: server.notes, "no notification for the first track", 30)
        first = player.status()["track"]
        app, replaces, _, summary, body, _, _, _ = server.notes[0]
        assert (app, replaces, summary) == ("lofid", 0, first["title"])
        assert body == f"{first['key']} · {first['bpm']:g} bpm"
        player.ctl("next")
        until(lambda: len(server.notes) >= 2, "no notification for the next track", 60)
        second = player.status()["track"]
        _, replaces, _, summary, body, _, _, _ = server.notes[1]
        assert replaces == 1, "the second notification did not replace the first"
        assert summary == second["title"] != first["title"]
        assert body == f"{second['key']} · {second['bpm']:g} bpm"
        assert player.stop() == 0
    finally:
        player.kill()
        server.close()
    assert "Traceback" not in player.log.read_text()


@needs_dbus
@needs_playerctl
def test_desktop_mpris_false_keeps_lofid_off_the_bus(session_bus, tmp_path):
    player = on_bus(Player(None, tmp_path, "desktop.mpris=false"), session_bus)
    try:
        player.start()
        player.wait_ready()
        time.sleep(2.0)
        assert "lofid" not in playerctl(session_bus, "-l").split()
        assert player.stop() == 0
    finally:
        player.kill()
    assert NO_BUS_LINE not in player.log.read_text()


@pytest.mark.parametrize("address", [None, "unix:path=/nonexistent/lofid-test-bus"], ids=["unset", "nothing-there"])
def test_without_a_session_bus_lofid_plays_and_says_so_once(address, tmp_path):
    player = on_bus(Player(None, tmp_path), address)
    try:
        player.start()
        player.wait_ready()
        until(lambda: player.status()["notes_played"] > 0, "no notes were played", 30)
        until(lambda: NO_BUS_LINE in player.log.read_text(), "no line said the bus is missing", 10)
        assert player.status()["state"] == "playing"
        assert player.stop() == 0
    finally:
        player.kill()
    log = player.log.read_text()
    assert log.count(NO_BUS_LINE) == 1 and "Traceback" not in log, log

