"""End to end: a real `lofid run` with its MPD door on, steered by real MPD clients.

``mpc`` (what scripts and status bars use) and ``ncmpcpp`` (a terminal client, run in a private tmux
server and read from its pane) talk to the door over loopback; the daemon plays into a private
PulseAudio null sink, whose recording tells that a pause was heard as silence and play as music.
One daemon serves every check: each start costs seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from tests.support.player import SILENT_RMS, Player, rms
from tests.support.pulse import end_process, pulse_available
from tests.support.sockets import free_port
from tests.support.waiting import until

needs_clients = pytest.mark.skipif(not (shutil.which("mpc") and shutil.which("ncmpcpp") and shutil.which("tmux")),
                                   reason="mpc, ncmpcpp or tmux is not installed (make test installs them)")
needs_pulse = pytest.mark.skipif(not pulse_available(), reason="PulseAudio is not installed (make test installs it)")


def mpc(port: int, *args: str) -> str:
    r = subprocess.run(["mpc", "--host", "127.0.0.1", "--port", str(port), *args], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def title(player: Player) -> str:
    track = player.status()["track"]
    return track["title"] if track else ""


@needs_clients
@needs_pulse
@pytest.mark.slow
def test_mpc_and_ncmpcpp_see_the_track_pause_it_skip_it_and_set_the_volume(pulse, tmp_path):
    port = free_port()
    player = Player(pulse, tmp_path, "control.mpd.enabled=true", f"control.mpd.listen=127.0.0.1:{port}",
                    "layers.rain.enabled=false", "fx.crackle=0", "fx.hiss=0")
    tmux = ["tmux", "-S", str(tmp_path / "tmux.sock")]
    idle = None
    try:
        player.start()
        player.wait_ready()
        player.wait_heard()
        until(lambda: title(player), "no track", 20)

        # mpc status and mpc current: the state and the track's title, as ctl status has them.
        now = title(player)
        assert mpc(port, "current").strip() == f"lofid - {now}"
        status = mpc(port, "status")
        assert f"lofid - {now}" in status and "[playing]" in status and "volume:100%" in status

        # mpc pause is silence at the sink; mpc play is music again.
        assert "[paused]" in mpc(port, "pause")
        time.sleep(1.0)  # the fade
        assert rms(player.listen(1.0, "paused")) < SILENT_RMS
        assert player.status()["state"] == "paused"
        mpc(port, "play")
        time.sleep(1.0)
        assert rms(player.listen(1.5, "played")) > 10 * SILENT_RMS

        # mpc volume 40 is what lofid ctl status reports.
        mpc(port, "volume", "40")
        assert json.loads(player.ctl("status", "--json").stdout)["status"]["settings"]["output.volume"] == 40
        assert "volume: 40%" in mpc(port, "status")
        assert "mpd door:" in player.ctl("status").stdout and f"127.0.0.1:{port} · " in player.ctl("status").stdout

        # mpc idle returns when lofid ctl next runs (the new track is the player's and the queue's change).
        idle = subprocess.Popen(["mpc", "--host", "127.0.0.1", "--port", str(port), "idle", "playlist"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        assert idle.poll() is None, "mpc idle returned with nothing changed"
        player.ctl("next")
        out, err = idle.communicate(timeout=60)
        assert out.strip() == "playlist", (out, err)
        until(lambda: title(player) != now, "ctl next never changed the track", 30)

        # mpc next changes the title mpc shows.
        before = title(player)
        mpc(port, "next")
        until(lambda: title(player) != before, "mpc next never changed the track", 30)
        assert mpc(port, "current").strip() == f"lofid - {title(player)}"

        # ncmpcpp connects, shows the track playing, and its p pauses it.
        env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        subprocess.run([*tmux, "new-session", "-d", "-x", "160", "-y", "40",
                        f"ncmpcpp --host 127.0.0.1 --port {port}"], env=env, check=True, timeout=30)

        def pane() -> str:
            return subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True, timeout=30).stdout

        until(lambda: title(player) in pane() and "Playing" in pane(), "ncmpcpp never showed the track playing", 30)
        subprocess.run([*tmux, "send-keys", "p"], check=True, timeout=30)
        until(lambda: player.status()["state"] == "paused", "ncmpcpp's p never paused lofid", 30)
        until(lambda: "Paused" in pane(), "ncmpcpp never showed the pause", 30)
        assert player.proc is not None and player.proc.poll() is None
    finally:
        if idle is not None:
            end_process(idle)
        subprocess.run([*tmux, "kill-server"], capture_output=True, timeout=30)
        player.stop()
