"""Takes, the likes file and the keeper: a track kept as JSON plays again the same, a like is appended
and completed without losing the others, and a keeping job that fails is told, not raised."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from collections import deque
from types import SimpleNamespace

import numpy as np
import pytest

from lofid.config import load
from lofid.daemon import likes
from lofid.daemon.keeper import Keeper
from lofid.daemon.kept import Kept
from lofid.daemon.takes import from_json, generated_takes, render_take, take_from_log, to_json
from lofid.errors import LofidError
from lofid.music.notes import Note

SHORT = load(None, ["music.track_minutes=0.5"])


@pytest.fixture(scope="module")
def takes():
    return list(itertools.islice(generated_takes(SHORT, 5), 2))


def test_a_take_kept_as_json_is_the_same_take_and_plays_the_same(takes):
    take = takes[0]
    again = from_json(json.loads(json.dumps(to_json(take))))
    assert again == take and again.settings == {"music.track_minutes": "0.5"}
    assert take.track.number == 1 and takes[1].track.number == 2 and take.whole
    part = take_from_log(take.events[:40], SHORT, 5)  # as far as it had played
    assert not part.whole and part.end < take.end
    a, b = render_take(part), render_take(from_json(to_json(part)))
    assert len(a) > SHORT["output.sample_rate"] and np.array_equal(a, b)


def test_a_log_without_a_note_is_nothing_to_keep(takes):
    with pytest.raises(LofidError, match="nothing of this track has been played yet"):
        take_from_log(takes[0].events[:1], SHORT, 5)
    with pytest.raises(LofidError, match="nothing of this track"):
        take_from_log([(0, Note(60, 0, 1, 80))], SHORT, 5)  # no cue: not the start of a track


def test_likes_are_appended_and_completed_in_place(tmp_path, takes):
    path = tmp_path / "data" / "likes.json"
    assert likes.listing(path) == []
    part = take_from_log(takes[0].events[:30], SHORT, 5)
    assert likes.add(part, path) == 1 and likes.add(takes[1], path) == 2
    when = likes.listing(path)[0]["when"]
    likes.complete(1, takes[0], path)
    likes.complete(2, takes[0], path)  # another track: left as it is
    assert likes.takes(path) == [takes[0], takes[1]]
    assert likes.listing(path)[0]["when"] == when and [p.name for p in path.parent.iterdir()] == ["likes.json"]
    path.write_text("[1, 2]")
    with pytest.raises(LofidError, match="not a likes file"):
        likes.listing(path)


def test_the_keeper_tells_each_outcome_and_goes_on_after_a_failure():
    told, done = [], threading.Event()

    def tell(event):
        told.append(event)
        if len(told) == 3:
            done.set()

    def fails() -> str:
        raise LofidError("/x/take.flac: cannot write the FLAC file (No space left on device)")

    keeper = Keeper(tell)
    keeper.submit("save", fails)
    keeper.submit("save", lambda: 1 / 0)  # a bug: logged with its traceback, told in a line
    keeper.submit("like", lambda: "like 1 (rainy window)")
    assert done.wait(10)
    keeper.close()
    assert [(e["what"], e["kept"], e["error"]) for e in told] == [
        ("save", None, "/x/take.flac: cannot write the FLAC file (No space left on device)"),
        ("save", None, "failed inside lofid (division by zero)"),
        ("like", "like 1 (rainy window)", None)]


def test_a_like_is_kept_at_once_and_whole_once_its_track_has_ended(tmp_path, monkeypatch, takes):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    told, done = [], threading.Event()

    def tell(event):
        told.append(event)
        if len(told) == 2:
            done.set()

    kept = Kept(tell, seed=5)
    played = deque(takes[0].events[:30])  # the engine's log of the track, as far as it has played
    engine = SimpleNamespace(track_log=played, sample_time=441_000, track_started=0, sample_rate=44100)  # 10 s in
    title = takes[0].track.title
    assert kept.like(engine, SHORT) == title
    assert kept.like(engine, SHORT) == title  # liked again: kept once
    played.extend(takes[0].events[30:])  # it plays on to its end
    kept.track_changed(1)  # still the liked track: nothing yet
    kept.track_changed(2)  # the next one has begun
    assert done.wait(10)
    kept.close()
    assert [(e["kept"], e["error"]) for e in told] == [(f"like 1 ({title})", None), (f"like 1 ({title}), whole", None)]
    hour = time.localtime(time.time() - 10).tm_hour
    assert likes.takes() == [dataclasses.replace(takes[0], hour=hour)] and likes.listing()[0]["whole"]
