"""The web remote (#17) in headless Chromium against a real `lofid run`, the stream decoded by ffmpeg.

- The page loads on a phone-sized screen and shows the status: the state "playing", the title of
  the track the daemon says it plays and its cover (loaded; /cover.png serves the same file), which
  changes with the track. The stream is music; a click on pause turns the page and the
  daemon to "paused" and the stream to silence; a click on play brings the music back. A screenshot
  is saved (copied to $LOFID_SCREENSHOT when set, to look at). The like button keeps the track in the
  likes and says so.
- A change made elsewhere (`lofid ctl`) reaches the page without a reload, through its server-sent
  events: with the page's 5 s status poll stopped, `ctl volume 40` and `ctl pause` still show.
- A mood typed on the page starts a track in it (its key and tempo shown and the stream music);
  unknown words are named on the page and change nothing; a suggestion is one click.

The daemon plays into the null sink (no sound server needed); what ffmpeg decodes from /stream.mp3
is what a phone opening the stream would hear. Neither test fails on timings, only on what is shown
and heard; both fail on a severe error in the browser's console.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import struct
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lofid.audio.engine import FADE_SECONDS
from lofid.daemon.streams import BURST_SECONDS
from tests.support.browser import WINDOW, chromium_available, headless_chromium, screenshot
from tests.support.player import Player
from tests.support.sockets import free_port
from tests.support.stream import MUSIC_DBFS, SILENT_DBFS, ffmpeg_available, heard
from tests.support.waiting import until

pytestmark = [
    pytest.mark.skipif(not chromium_available(), reason="chromium and chromium-driver are not installed "
                                                        "(make test installs them)"),
    pytest.mark.skipif(not ffmpeg_available(), reason="ffmpeg is not installed (make test installs it)"),
]

HOST = "127.0.0.1"  # the remote without a token: loopback only
MUSIC_S = 3.0  # seconds of the stream decoded to hear music
SILENCE_S = 2.0  # seconds decoded to hear the pause
SETTLE_S = FADE_SECONDS + BURST_SECONDS + 0.5  # after a pause: the fade, the burst a new listener is sent, the encoder
SCREENSHOT_ENV = "LOFID_SCREENSHOT"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_PNG_BYTES = 10_000  # a blank page compresses to far less


@contextlib.contextmanager
def station(tmp_path: Path, *settings: str) -> Iterator[tuple[Player, str]]:
    """A `lofid run` into the null sink serving the web remote on a free loopback port: (player, page URL)."""
    port = free_port()
    player = Player(None, tmp_path, "output.http.enabled=true", f"output.http.listen={HOST}:{port}", *settings)
    player.start()
    try:
        player.wait_ready()
        yield player, f"http://{HOST}:{port}/"
    finally:
        player.kill()


def text(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text.strip()


def shows(driver, element_id: str, wanted: str) -> Callable[[], bool]:
    return lambda: text(driver, element_id) == wanted


def severe(driver) -> list[str]:
    """The browser console's severe entries since the last call (uncaught errors, failed loads, console.error)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, from its IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def shows_cover(driver, player: Player) -> str:
    """Wait for the page to show the playing track's cover, loaded (a 600 px picture); its ID."""
    cover = until(lambda: (player.status()["track"] or {}).get("cover"), "the track's cover painted")
    loaded = ("const i = document.getElementById('cover');"
              "return !i.hidden && i.complete && i.src.includes(arguments[0]) ? i.naturalWidth : 0;")
    until(lambda: driver.execute_script(loaded, f"/cover/{cover}.png") == 600, f"#cover shows cover {cover}")
    return cover


@pytest.mark.slow
def test_the_page_shows_the_status_and_its_pause_silences_the_stream(tmp_path):
    with station(tmp_path) as (player, page), headless_chromium(tmp_path) as driver:
        stream = page + "stream.mp3"
        driver.get(page)
        assert driver.title == "lofid remote"

        # The status is shown: playing, and the title of the track the daemon says it plays now.
        until(shows(driver, "state", "playing"), "#state shows playing")
        until(lambda: text(driver, "title").splitlines()[0] == player.status()["track"]["title"],
              "#title shows the daemon's track title")
        assert heard(stream, MUSIC_S) > MUSIC_DBFS

        # The track's cover: painted into the cache, shown on the page, served to any listener.
        cover = shows_cover(driver, player)
        with urllib.request.urlopen(page + "cover.png", timeout=10) as reply:
            assert reply.read() == (player.home / "cache" / "lofid" / "covers" / f"{cover}.png").read_bytes()

        # Pause on the page: the page and the daemon say paused, and the stream falls silent.
        toggle = driver.find_element("id", "toggle")
        until(toggle.is_enabled, "#toggle enabled")
        toggle.click()
        until(shows(driver, "state", "paused"), "#state shows paused after the click")
        until(lambda: player.status()["state"] == "paused", "the daemon paused by the click")
        assert toggle.get_attribute("aria-label") == "play"
        time.sleep(SETTLE_S)
        assert heard(stream, SILENCE_S) < SILENT_DBFS

        # Play again: music again.
        toggle.click()
        until(shows(driver, "state", "playing"), "#state shows playing after the second click")
        until(lambda: player.status()["state"] == "playing", "the daemon resumed by the click")
        assert heard(stream, MUSIC_S) > MUSIC_DBFS
        assert not text(driver, "message"), text(driver, "message")  # no error shown

        shot = screenshot(driver, tmp_path / "remote.png")
        assert shot.stat().st_size > MIN_PNG_BYTES
        assert png_size(shot) == WINDOW
        if os.environ.get(SCREENSHOT_ENV):
            shutil.copyfile(shot, os.environ[SCREENSHOT_ENV])

        # Like: the page says which track, and it is in the likes (lofid likes).
        title = player.status()["track"]["title"]
        driver.find_element("id", "like").click()
        until(shows(driver, "message", f"liked: {title}"), "#message says the track was liked")
        until(lambda: json.loads(player.lofid("likes", "--json").stdout)["likes"], "the like kept")
        assert json.loads(player.lofid("likes", "--json").stdout)["likes"][0]["title"] == title
        assert severe(driver) == []


def test_a_change_made_elsewhere_shows_on_the_page_without_a_reload(tmp_path):
    with station(tmp_path) as (player, page), headless_chromium(tmp_path) as driver:
        driver.get(page)
        until(shows(driver, "state", "playing"), "#state shows playing")
        until(lambda: text(driver, "volume-out") != "", "#volume-out shows the volume")
        assert text(driver, "volume-out") != "40%"
        # Stop the page's 5 s poll (its only setInterval), so only the events can bring news.
        driver.execute_script("for (let id = 1; id < 10000; id++) clearInterval(id);")

        player.ctl("volume", "40")
        until(shows(driver, "volume-out", "40%"), "#volume-out shows ctl volume 40")
        player.ctl("pause")
        until(shows(driver, "state", "paused"), "#state shows ctl pause")
        assert driver.find_element("id", "toggle").get_attribute("aria-label") == "play"
        assert severe(driver) == []


def test_a_mood_set_on_the_page_is_heard_in_the_next_track(tmp_path):
    with station(tmp_path) as (player, page), headless_chromium(tmp_path) as driver:
        stream = page + "stream.mp3"
        driver.get(page)
        until(shows(driver, "state", "playing"), "#state shows playing")
        until(lambda: player.status()["track"] is not None, "a first track")
        assert player.status()["track"]["number"] == 1
        first_cover = shows_cover(driver, player)

        # Unknown words: the page says which, and nothing changes.
        field = driver.find_element("id", "mood")
        field.send_keys("purple elephant\n")
        until(lambda: "did not know 'purple', 'elephant'" in text(driver, "message"), "#message names the unknown words")
        assert player.status()["mood"]["text"] == "auto"

        # Words the daemon knows: the next track plays in them, the page shows it and the stream is music.
        field.clear()
        field.send_keys("in D minor, 60 bpm, rain\n")
        until(lambda: player.status()["track"]["number"] == 2, "the mood's track starts", timeout=20)
        track = player.status()["track"]
        assert (track["key"], track["bpm"]) == ("D minor", 60.0)
        until(lambda: "D minor · 60 bpm" in text(driver, "title"), "#title shows the new track's key and tempo")
        until(lambda: "read as in D minor · 60 bpm" in text(driver, "mood-read"), "#mood-read shows how it was read")
        rain = "return document.querySelector('#layers .layer[data-name=rain] output').textContent"
        until(lambda: driver.execute_script(rain) == "35%", "the rain slider shows the level the mood plays it at")
        assert shows_cover(driver, player) != first_cover, "the new track kept the first one's cover"
        assert heard(stream, MUSIC_S) > MUSIC_DBFS

        # A suggestion is one click.
        driver.find_element("css selector", "#mood-chips button").click()
        until(lambda: player.status()["mood"]["text"] == "slow rainy night, warm piano", "the suggestion is the mood")
        errors = severe(driver)
        assert all("/api/ctl" in e and "400" in e for e in errors), errors  # only the refused words' reply
