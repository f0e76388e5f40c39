"""The HTTP stream of a real `lofid run`, as a listener hears it: ffmpeg decoding /stream.mp3.

- the stream holds music; `POST /api/ctl` pause silences it and resume brings it back, and
  /api/status says what `ctl status --json` says;
- a bad request over HTTP gets the same one-line error as over the socket, and the music plays on;
- a bind beyond loopback without a token is refused at start in one line; with one, the API and
  the stream ask for it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from lofid.audio.engine import FADE_SECONDS
from lofid.daemon.streams import BURST_SECONDS
from tests.support.player import Player
from tests.support.sockets import free_port
from tests.support.stream import SILENT_DBFS, ffmpeg_available, heard, wait_for_music
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not ffmpeg_available(), reason="ffmpeg is not installed (make test installs it)")


def http_player(tmp_path, *settings: str) -> tuple[Player, str]:
    port = free_port()
    player = Player(None, tmp_path, "output.http.enabled=true", f"output.http.listen=127.0.0.1:{port}", *settings)
    return player, f"http://127.0.0.1:{port}"


def post(base: str, message: dict, token: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(f"{base}/api/ctl", json.dumps(message).encode(), headers, method="POST")
    return fetch(req)


def fetch(req: urllib.request.Request | str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_stream_holds_music_and_pause_over_http_silences_it(tmp_path):
    player, base = http_player(tmp_path)
    player.start()
    try:
        player.wait_ready()
        wait_for_music(f"{base}/stream.mp3")

        code, status = fetch(f"{base}/api/status")
        socket_status = player.status()
        assert code == 200 and status["ok"] is True
        assert status["status"]["track"]["title"] == socket_status["track"]["title"]
        assert set(status["status"]) == set(socket_status)
        assert socket_status["streams"]["http"]["url"] == base + "/"

        assert post(base, {"cmd": "pause"}) == (200, {"ok": True, "state": "paused"})
        assert player.status()["state"] == "paused"
        time.sleep(FADE_SECONDS + BURST_SECONDS + 0.5)  # the fade, and the burst a new listener starts with
        assert heard(f"{base}/stream.mp3", 2.0) < SILENT_DBFS

        assert post(base, {"cmd": "resume"}) == (200, {"ok": True, "state": "playing"})
        wait_for_music(f"{base}/stream.mp3")

        code, reply = post(base, {"cmd": "set", "key": "temperature", "value": 9})
        by_socket = player.ctl("temperature", "9", check=False)
        assert code == 400 and reply["ok"] is False and by_socket.returncode != 0
        assert reply["error"] in by_socket.stderr
        # the decoders have gone: the server counts a listener out once its next write fails
        until(lambda: player.status()["streams"]["http"]["listeners"] == 0, "the listeners counted out")
        assert player.proc.poll() is None
    finally:
        player.stop()
    assert "Traceback" not in player.log.read_text()


def test_beyond_loopback_without_a_token_start_up_refuses_in_one_line(tmp_path):
    port = free_port()
    player = Player(None, tmp_path, "output.http.enabled=true", f"output.http.listen=0.0.0.0:{port}")
    player.start()
    code = player.proc.wait(30)
    lines = player.log.read_text().strip().splitlines()
    assert code == 2, lines
    assert lines[-1].startswith("lofid: output.http.listen 0.0.0.0 is not loopback: set output.http.token")
    assert not player.socket.exists()  # no daemon was left half-started


def test_with_a_token_the_api_and_the_stream_ask_for_it(tmp_path):
    player, base = http_player(tmp_path, "output.http.token=letmein")
    player.start()
    try:
        player.wait_ready()
        code, reply = fetch(f"{base}/api/status")
        assert code == 401 and "token" in reply["error"]
        assert post(base, {"cmd": "pause"})[0] == 401 and player.status()["state"] == "playing"
        assert fetch(f"{base}/api/status?token=letmein")[0] == 200
        wait_for_music(f"{base}/stream.mp3?token=letmein", 2.0)
        code, status = fetch(urllib.request.Request(f"{base}/api/status",
                                                    headers={"Authorization": "Bearer letmein"}))
        assert code == 200 and status["status"]["settings"]["output.http.token"] == "(hidden)"
    finally:
        player.stop()
