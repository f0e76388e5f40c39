"""lofid feeding a real Icecast 2.4 server on loopback, heard by a listener on the mount (ffmpeg).

- the mount carries lofid's music, titled with the track playing;
- Icecast killed: lofid plays on, says so in one line and in `ctl status`; Icecast started again:
  music at the mount within 10 s (the back-off's longest wait is 5 s);
- a wrong password: one line naming the refusal, retried, and the music plays on.
"""

from __future__ import annotations

import time

import pytest

from lofid.audio.feeder import BACKOFF_SECONDS
from tests.support.icecast import Icecast, available
from tests.support.player import Player
from tests.support.stream import MUSIC_DBFS, ffmpeg_available, wait_for_music
from tests.support.waiting import until

pytestmark = pytest.mark.skipif(not (available() and ffmpeg_available()),
                                reason="icecast2 or ffmpeg is not installed (make test installs them)")

BACK_WITHIN_S = 10.0  # what the issue asks: music at the mount this soon after Icecast returns


def icecast_state(player: Player) -> dict:
    return player.status()["streams"]["icecast"]


@pytest.mark.slow
def test_lofid_feeds_icecast_and_comes_back_after_icecast_restarts(tmp_path):
    with Icecast(tmp_path / "icecast") as icecast:
        icecast.start()
        (tmp_path / "home").mkdir()
        player = Player(None, tmp_path / "home", f"output.icecast.url={icecast.source_url()}")
        player.start()
        try:
            player.wait_ready()
            until(icecast.mount_info, "lofid's mount at Icecast", 20)
            assert wait_for_music(icecast.listen_url()) > MUSIC_DBFS
            track = player.status()["track"]
            until(lambda: (icecast.mount_info() or {}).get("title", "").startswith(track["title"]),
                  f"the title {track['title']!r} at the mount", 10)
            assert icecast_state(player)["state"] == "connected"

            icecast.kill()
            until(lambda: icecast_state(player)["state"] == "retrying", "lofid noticing Icecast is gone", 20)
            played = player.status()["notes_played"]
            time.sleep(BACKOFF_SECONDS[-1])  # attempts fail meanwhile (a second after the loss, then 2 s later)
            assert player.status()["notes_played"] > played and player.proc.poll() is None

            icecast.start()
            back = time.monotonic()
            until(icecast.mount_info, "lofid's mount at Icecast again", BACK_WITHIN_S)
            assert time.monotonic() - back < BACK_WITHIN_S
            assert wait_for_music(icecast.listen_url()) > MUSIC_DBFS
            status = icecast_state(player)
            assert status["state"] == "connected" and status["connects"] == 2
        finally:
            player.stop()
    log = player.log.read_text()
    # the loss in one line, however many attempts failed; then the connection again
    assert log.count("lost (") == 1 and log.count("feeding Icecast at") == 2 and "Traceback" not in log, log


@pytest.mark.slow
def test_a_refused_source_is_one_line_and_the_music_plays_on(tmp_path):
    with Icecast(tmp_path / "icecast") as icecast:
        icecast.start()
        (tmp_path / "home").mkdir()
        wrong = icecast.source_url().replace(icecast.source_password, "not-the-password")
        player = Player(None, tmp_path / "home", f"output.icecast.url={wrong}")
        player.start()
        try:
            player.wait_ready()
            status = until(lambda: icecast_state(player).get("error"), "the refusal in ctl status", 20)
            assert "401" in status
            time.sleep(BACKOFF_SECONDS[-1])  # the refusal is tried again (1 s, then 2 s later), and said once
            assert icecast.mount_info() is None and player.status()["notes_played"] > 0
            assert "not-the-password" not in player.ctl("status").stdout.split("settings:")[0]
        finally:
            player.stop()
    lines = [line for line in player.log.read_text().splitlines() if "Icecast at" in line]
    assert len(lines) == 1 and "refused the source: HTTP/1.0 401" in lines[0], lines
