"""The daemon's covers: painted on their own thread into the cache, announced while their track plays,
the newest few kept, and a cache that cannot be written costs one warning, never the music."""

from __future__ import annotations

import io
import logging
import os
import threading

import pytest
from PIL import Image

from lofid import paths
from lofid.compose.cover import cover_id
from lofid.daemon.covers import Covers, clean, track_facts
from lofid.music.tracks import PALETTES, Section, Track
from tests.support.waiting import until


def track(number: int, title: str = "rainy window") -> Track:
    return Track(number=number, title=title, tonic=3, minor=True, bpm=72.0, swing=0.1, palette=PALETTES[number % 6],
                 groove="", density=1.0, start=0, sections=(Section("A", 0, 8, "full"),))


class Station:
    """The daemon's side of Covers: the steering lock, the track playing and the events heard."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.playing: dict | None = None
        self.events: list[dict] = []
        self.covers = Covers(self.lock, lambda: self.playing, self.events.append, keep=3)

    def play(self, number: int, title: str = "rainy window") -> None:
        with self.lock:
            self.playing = {"number": number, "title": title}
        self.covers.want(track(number, title), "auto", 7)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "lofid" / "covers"


@pytest.fixture
def station(cache):
    station = Station()
    station.covers.start()
    yield station
    station.covers.close()


def test_a_new_track_gets_its_cover_written_and_announced(station, cache):
    station.play(1)
    event = until(lambda: station.events and station.events[-1], "the cover announced")
    cover = station.covers.painted(1)
    assert event == {"event": "cover", "track": {"number": 1, "title": "rainy window"}} and cover
    with Image.open(paths.cover_path(cover)) as image:
        assert image.format == "PNG" and image.size == (600, 600)
    assert paths.cover_path(cover).parent == cache
    assert station.covers.painted(2) is None


def test_only_the_newest_few_are_kept(station, cache):
    for number in range(1, 7):
        station.play(number, f"track {number}")
        until(lambda n=number: station.covers.painted(n), f"cover {number} painted")
    kept = sorted(p.name for p in cache.glob("*.png"))
    assert len(kept) == 3 and f"{station.covers.painted(6)}.png" in kept


def test_a_cover_whose_track_has_gone_is_kept_but_not_announced(cache):
    station = Station()
    station.play(1)  # wished before the thread runs: it paints once started
    with station.lock:
        station.playing = {"number": 2, "title": "amber tram"}
    station.covers.start()
    try:
        until(lambda: station.covers.painted(1), "cover 1 painted")
    finally:
        station.covers.close()
    assert station.events == []


def test_the_same_facts_paint_once_and_name_the_same_file(station, cache):
    facts = track_facts(track(1), "auto", 7, hour=5)
    assert cover_id(facts) == cover_id(track_facts(track(1), "auto", 7, hour=5))
    assert cover_id(facts) != cover_id(track_facts(track(1), "slow rainy night", 7, hour=5))
    station.play(1)
    until(lambda: station.covers.painted(1), "cover painted")
    first = paths.cover_path(station.covers.painted(1)).read_bytes()
    station.play(1)
    until(lambda: len(station.events) == 2, "announced again")
    assert paths.cover_path(station.covers.painted(1)).read_bytes() == first
    Image.open(io.BytesIO(first)).verify()


def test_an_unwritable_cache_is_one_warning_and_the_station_goes_on(station, cache, caplog):
    cache.parent.mkdir(parents=True)
    cache.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="lofid.covers"):
        station.play(1)
        until(lambda: any("no cover" in r.message for r in caplog.records), "the warning")
    assert station.events == [] and station.covers.painted(1) is None
    warning = next(r.getMessage() for r in caplog.records if "no cover" in r.message)
    assert "rainy window" in warning and str(cache) in warning and "\n" not in warning


def test_clean_keeps_the_newest(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.png").write_bytes(b"x")
        os.utime(tmp_path / f"{i}.png", (i, i))
    clean(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.png", "4.png"]
