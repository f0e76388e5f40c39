"""Each setting says once, in the schema, how a change to it takes effect (live, regenerating the
queue, or at the next start) and whether it is secret; every other list agrees with it: what the
player regenerates on and warns about, what `lofid ctl set` takes and refuses, what completion
offers after `ctl set`, ctl's short names (its own small table, kept so ctl stays quick), and what
the HTTP door hides."""

from __future__ import annotations

import json

import pytest

from lofid.cli.commandline import vocabulary
from lofid.config import SCHEMA, SECRET_KEYS, SHORT_NAMES, applying, defaults, setting_for
from lofid.control.http import hidden
from lofid.control.protocol import encode, handle
from lofid.control.vocabulary import SHORT_KEYS
from lofid.daemon.player import REGENERATE, RESTART_ONLY
from lofid.setting import APPLIES, RESTART
from tests.support.control import Player

SECRET = "s3cret-value"
# What each setting's lifecycle is, as found in the daemon: the queue is written again for these...
REGENERATING = {"generation.temperature", "generation.top_p", "generation.harmony", "music.key", "music.bpm",
                "music.swing", "music.track_minutes", "music.mood"}
# ...and these are read only at start (the generator keeps its model's window, the seed draws the run).
AT_START = {"output.device", "output.sample_rate", "output.block_size", "output.http.enabled", "output.http.listen",
            "output.http.bitrate", "output.http.token", "output.icecast.url", "output.snapcast.url", "control.socket",
            "control.state_file", "control.mpd.enabled", "control.mpd.listen", "control.mpd.password",
            "sound.soundfont", "generation.window", "generation.seed", "desktop.mpris"}


def test_every_setting_declares_one_of_the_three_lifecycles():
    assert {s.applies for s in SCHEMA} == set(APPLIES)
    assert set(applying("regenerate")) == REGENERATING and set(applying("restart")) == AT_START
    assert setting_for("layers.cafe.volume").applies == "live"  # a WAV's layer, as the built-in ones


def test_the_player_regenerates_and_warns_on_what_the_schema_says():
    assert set(REGENERATE) == REGENERATING and set(RESTART_ONLY) == AT_START


def test_ctls_short_names_are_the_schemas_and_all_change_while_playing():
    assert SHORT_KEYS == SHORT_NAMES  # a test of the copy: ctl may not import the schema to stay quick
    assert all(setting_for(key).applies != RESTART for key in SHORT_KEYS.values())


def _set(player: Player, key: str, value) -> dict:
    return json.loads(handle(player, encode({"cmd": "set", "key": key, "value": value}))[0])


@pytest.mark.parametrize("setting", SCHEMA, ids=lambda s: s.key)
def test_ctl_set_takes_every_setting_but_those_read_at_start(setting):
    player = Player()
    reply = _set(player, setting.key, setting.default)
    if setting.applies == RESTART:
        assert reply == {"ok": False, "error": f"cannot set {setting.key!r} while playing: it is read at start "
                                               "(change it in the config file and restart lofid)"}
    else:
        assert reply["ok"] is True and player.cfg[setting.key] == setting.default, reply


def test_completion_after_ctl_set_offers_what_ctl_set_takes():
    offered = vocabulary().verbs["set"][0].removeprefix("words ").split()
    assert offered[:len(SHORT_KEYS)] == list(SHORT_KEYS)
    dotted = [key for key in offered[len(SHORT_KEYS):] if not key.startswith("layers.")]
    assert dotted == [s.key for s in SCHEMA if s.applies != RESTART and not s.key.startswith("layers.")]
    assert {"layers.rain.enabled", "layers.beat.volume"} <= set(offered)


def test_the_http_door_hides_every_secret_the_schema_marks():
    assert set(SECRET_KEYS) == {"output.http.token", "output.icecast.url", "control.mpd.password"}
    settings = dict(defaults().replace({"output.http.token": SECRET, "control.mpd.password": SECRET,
                                        "output.icecast.url": f"icecast://source:{SECRET}@radio.example:8000/lofi.mp3"}))
    shown = json.loads(hidden(encode({"ok": True, "status": {"settings": settings}})))["status"]["settings"]
    assert SECRET not in json.dumps(shown)
    assert shown["output.http.token"] == shown["control.mpd.password"] == "(hidden)"
    assert shown["output.icecast.url"] == "icecast://source:(hidden)@radio.example:8000/lofi.mp3"
    assert {k: v for k, v in shown.items() if k not in SECRET_KEYS} == {k: v for k, v in settings.items()
                                                                       if k not in SECRET_KEYS}
