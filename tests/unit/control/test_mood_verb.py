"""`lofid ctl mood` over the real socket and server: words in, what they were read as out; --keep;
unknown words refused in one line while the player keeps its mood; the mood in status and watch."""

from __future__ import annotations

import json

from lofid.cli.ctl import event_line
from lofid.control.protocol import encode, handle
from tests.support.control import Player, ctl


def test_ctl_mood_sets_it_from_the_next_bar_or_after_this_track(capsys, server, player):
    code, out, err = ctl(capsys, "mood", "slow", "rainy", "night,", "no", "drums")
    assert (code, err) == (0, "") and player.moods == [("slow rainy night, no drums", False)]
    assert out.startswith("mood: slow rainy night, no drums (read as: ") and "no drums" in out and "from the next bar" in out
    assert player.cfg["music.mood"] == "slow rainy night, no drums"
    code, out, _ = ctl(capsys, "mood", "--keep", "deep", "focus")
    assert code == 0 and player.moods[-1] == ("deep focus", True) and "this one plays to its end" in out
    code, out, _ = ctl(capsys, "mood")
    assert code == 0 and player.moods[-1] == (None, False) and out.startswith("mood: deep focus (read as: 66-76 bpm")
    code, out, _ = ctl(capsys, "status")
    assert "mood:" in out and "deep focus (read as: 66-76 bpm" in out


def test_unknown_words_are_refused_in_one_line_and_the_mood_stays(capsys, server, player):
    ctl(capsys, "mood", "cafe")
    code, out, err = ctl(capsys, "mood", "purple", "elephant")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("lofid: mood: did not know 'purple', 'elephant'") and "known words" in err
    assert player.cfg["music.mood"] == "cafe" and player.moods == [("cafe", False)]


def test_the_protocol_takes_value_and_keep_as_optional_fields():
    player = Player()
    reply = json.loads(handle(player, encode({"cmd": "mood", "value": "in D minor, 60 bpm", "keep": "on"}))[0])
    assert reply["ok"] and reply["keep"] is True and reply["mood"]["read_as"] == "in D minor · 60 bpm"
    bad = json.loads(handle(player, encode({"cmd": "mood", "value": 3}))[0])
    assert bad == {"ok": False, "error": "mood: value should be words, e.g. \"slow rainy night\""}
    extra = json.loads(handle(player, encode({"cmd": "mood", "words": "x"}))[0])
    assert extra == {"ok": False, "error": "mood does not take 'words'"}


def test_watch_shows_a_new_mood_by_its_name():
    assert event_line({"event": "set", "changes": {"music.mood": "cafe"}}) == "mood: cafe"
