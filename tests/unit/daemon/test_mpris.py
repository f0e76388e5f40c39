"""The MPRIS mapping (the daemon's status and events as MPRIS properties) and the object's answers.

The calls are real D-Bus messages, built, serialised and parsed by jeepney as the bus would carry
them; the daemon is a stand-in that records what it was asked. The bus itself, with playerctl, is
tests/e2e/test_mpris.py.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from jeepney import DBusAddress, Message, MessageType, Parser, new_method_call

from lofid.config import defaults
from lofid.daemon.dbus_bus import DBusError
from lofid.daemon.mpris import (
    NO_TRACK,
    PLAYER,
    ROOT,
    Desktop,
    MprisPlayer,
    changed_properties,
    metadata,
    notification_body,
    percent_of,
    volume_of,
)
from lofid.errors import ConfigError

TRACK = {"number": 3, "title": "rainy window", "key": "A minor", "bpm": 78.0, "section": "loop", "held": False,
         "seconds_in": 12.5, "length_s": 184.2}


class FakeDaemon:
    """What MprisPlayer calls of the Daemon (the Controllable methods), recorded."""

    def __init__(self, **settings: Any) -> None:
        self.cfg = defaults().replace(settings)
        self.state, self.track = "playing", dict(TRACK)
        self.calls: list[tuple] = []

    def settings(self):
        return self.cfg

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "track": self.track}

    def pause(self) -> None:
        self.calls.append(("pause",))
        self.state = "paused"

    def resume(self) -> None:
        self.calls.append(("resume",))
        self.state = "playing"

    def next_track(self) -> None:
        self.calls.append(("next",))

    def apply(self, changes: dict[str, Any]) -> None:
        self.calls.append(("apply", changes))
        self.cfg = self.cfg.replace(changes)


def call(obj: MprisPlayer, interface: str | None, name: str, signature: str | None = None, body: tuple = ()) -> Message:
    """Send a method call to the object as it arrives from the bus (serialised and parsed again)."""
    address = DBusAddress("/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.lofid", interface)
    parser = Parser()
    parser.add_data(new_method_call(address, name, signature, body).serialise(serial=7))
    reply = obj(parser.get_next_message())
    if reply is None:
        return reply
    parser.add_data(reply.serialise(serial=8))
    return parser.get_next_message()


def get(obj: MprisPlayer, interface: str, prop: str) -> Any:
    reply = call(obj, "org.freedesktop.DBus.Properties", "Get", "ss", (interface, prop))
    assert reply.header.message_type is MessageType.method_return
    return reply.body[0][1]


def test_metadata_names_the_track_and_its_length_in_microseconds():
    meta = metadata(TRACK)
    assert meta == {"mpris:trackid": ("o", "/io/lofid/track/3"), "mpris:length": ("x", 184_200_000),
                    "xesam:title": ("s", "rainy window"), "xesam:artist": ("as", ["lofid"]),
                    "xesam:album": ("s", "A minor")}
    assert metadata(None) == {"mpris:trackid": ("o", NO_TRACK)}


def test_a_painted_cover_is_the_art_url_a_file_in_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    painted = {**TRACK, "cover": "0123456789abcdef"}
    assert metadata(painted)["mpris:artUrl"] == ("s", f"file://{tmp_path}/lofid/covers/0123456789abcdef.png")
    assert "mpris:artUrl" not in metadata({**TRACK, "cover": None})
    assert changed_properties({"event": "cover", "track": painted}) == {"Metadata": ("a{sv}", metadata(painted))}


def test_volume_maps_0_to_100_onto_0_to_1_and_clamps():
    assert volume_of(50) == 0.5 and volume_of(100) == 1.0 and volume_of(0) == 0.0
    assert percent_of(0.5) == 50 and percent_of(0.333) == 33
    assert percent_of(-0.2) == 0 and percent_of(1.7) == 100  # lofid does not amplify


def test_events_become_the_properties_they_change():
    assert changed_properties({"event": "state", "state": "paused"}) == {"PlaybackStatus": ("s", "Paused")}
    assert changed_properties({"event": "state", "state": "playing"}) == {"PlaybackStatus": ("s", "Playing")}
    assert changed_properties({"event": "track", "track": TRACK}) == {"Metadata": ("a{sv}", metadata(TRACK))}
    assert changed_properties({"event": "set", "changes": {"output.volume": 40}}) == {"Volume": ("d", 0.4)}
    assert changed_properties({"event": "set", "changes": {"music.bpm": 80.0}}) == {}
    assert changed_properties({"event": "timer", "what": "sleep set", "timers": {}}) == {}


def test_the_notification_body_is_key_and_bpm():
    assert notification_body(TRACK) == "A minor · 78 bpm"
    assert notification_body({**TRACK, "bpm": 72.5}) == "A minor · 72.5 bpm"


def test_properties_read_the_daemon():
    daemon = FakeDaemon(**{"output.volume": 70})
    obj = MprisPlayer(daemon)
    assert get(obj, PLAYER, "PlaybackStatus") == "Playing"
    assert get(obj, PLAYER, "Volume") == 0.7
    assert get(obj, PLAYER, "Position") == 12_500_000
    assert get(obj, PLAYER, "Metadata")["xesam:title"] == ("s", "rainy window")
    assert get(obj, ROOT, "Identity") == "lofid"
    every = call(obj, "org.freedesktop.DBus.Properties", "GetAll", "s", (PLAYER,)).body[0]
    assert {k: v[1] for k, v in every.items() if k.startswith("Can")} == {
        "CanGoNext": True, "CanGoPrevious": False, "CanPlay": True, "CanPause": True, "CanSeek": False,
        "CanControl": True}
    assert every["Rate"] == ("d", 1.0)
    assert "DesktopEntry" not in call(obj, "org.freedesktop.DBus.Properties", "GetAll", "s", (ROOT,)).body[0]
    with pytest.raises(DBusError):
        get(obj, PLAYER, "Shuffle")


def test_play_pause_stop_and_next_call_the_daemon_once_each():
    daemon = FakeDaemon()
    obj = MprisPlayer(daemon)
    call(obj, PLAYER, "Play")  # already playing: nothing to do
    call(obj, PLAYER, "PlayPause")
    call(obj, PLAYER, "Pause")  # already paused
    call(obj, None, "PlayPause")  # the interface may be left out
    call(obj, PLAYER, "Stop")  # a fade to pause, as pause is
    call(obj, PLAYER, "Next")
    for no_op, sig, body in (("Previous", None, ()), ("Seek", "x", (5_000_000,)),
                             ("SetPosition", "ox", ("/io/lofid/track/3", 0)), ("OpenUri", "s", ("file:///x.mp3",))):
        call(obj, PLAYER, no_op, sig, body)
    assert daemon.calls == [("pause",), ("resume",), ("pause",), ("next",)]


def test_volume_is_set_through_apply_checked_and_clamped():
    daemon = FakeDaemon()
    obj = MprisPlayer(daemon)
    reply = call(obj, "org.freedesktop.DBus.Properties", "Set", "ssv", (PLAYER, "Volume", ("d", 0.25)))
    assert reply.header.message_type is MessageType.method_return
    call(obj, "org.freedesktop.DBus.Properties", "Set", "ssv", (PLAYER, "Volume", ("d", 3.0)))
    assert daemon.calls == [("apply", {"output.volume": 25}), ("apply", {"output.volume": 100})]
    with pytest.raises(DBusError, match="cannot be set"):
        call(obj, "org.freedesktop.DBus.Properties", "Set", "ssv", (PLAYER, "PlaybackStatus", ("s", "Paused")))
    with pytest.raises(DBusError, match="not a number"):
        call(obj, "org.freedesktop.DBus.Properties", "Set", "ssv", (PLAYER, "Volume", ("s", "loud")))
    assert len(daemon.calls) == 2


def test_introspection_declares_both_mpris_interfaces():
    xml = call(MprisPlayer(FakeDaemon()), "org.freedesktop.DBus.Introspectable", "Introspect").body[0]
    assert f'<interface name="{ROOT}">' in xml and f'<interface name="{PLAYER}">' in xml
    assert '<property name="Volume" type="d" access="readwrite"/>' in xml


def test_an_unknown_method_is_an_error_not_a_crash():
    with pytest.raises(DBusError) as e:
        call(MprisPlayer(FakeDaemon()), PLAYER, "Shuffle")
    assert e.value.name == "org.freedesktop.DBus.Error.UnknownMethod"


def test_without_a_session_bus_the_desktop_says_so_once_and_does_nothing(monkeypatch, caplog):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with caplog.at_level(logging.INFO, logger="lofid.desktop"):
        desktop = Desktop(FakeDaemon())
        desktop.listen({"event": "state", "state": "paused"})
        desktop.close()
    assert desktop.bus is None
    assert [r.getMessage() for r in caplog.records] == ["no session D-Bus: media keys and playerctl are off"]


def test_with_both_desktop_settings_off_nothing_is_said(monkeypatch, caplog):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with caplog.at_level(logging.DEBUG, logger="lofid.desktop"):
        desktop = Desktop(FakeDaemon(**{"desktop.mpris": False}))
    assert desktop.bus is None and not caplog.records


def test_the_desktop_settings_are_checked_like_any_other():
    assert defaults()["desktop.mpris"] is True and defaults()["desktop.notify"] is False
    with pytest.raises(ConfigError, match="desktop.notify"):
        defaults().replace({"desktop.notify": "sometimes"})
