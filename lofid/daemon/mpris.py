"""MPRIS2 and desktop notifications: lofid as media keys, panel widgets and ``playerctl`` see it.

On the session D-Bus as ``org.mpris.MediaPlayer2.lofid``, object ``/org/mpris/MediaPlayer2``:
- ``org.mpris.MediaPlayer2``: Identity "lofid"; it cannot quit, raise or keep a track list;
- ``org.mpris.MediaPlayer2.Player``: Play and Pause (and PlayPause) are ``lofid ctl resume`` and
  ``pause``; Stop is a fade to pause, as pause is; Next is ``lofid ctl next`` (a new track at the
  next bar); Previous, Seek, SetPosition and OpenUri do nothing (CanGoPrevious and CanSeek are
  false: an endless stream has no past to go back to). Metadata is the track playing (title;
  artist "lofid"; its key as the album; length; its cover as ``mpris:artUrl``, a file:// URL into
  the user's cache, once painted), Volume 0.0-1.0 is ``output.volume`` 0-100, set
  through the daemon as ``lofid ctl volume`` sets it (checked, and kept for the next start);
- ``org.freedesktop.DBus.Properties`` (with PropertiesChanged on every change of playback
  status, track, cover and volume, from the daemon's events: a track's Metadata comes twice, the
  second time a moment later with its cover) and ``org.freedesktop.DBus.Introspectable``.

With ``desktop.notify: true``, each new track also shows a notification (the title; "key · bpm")
through ``org.freedesktop.Notifications``, replacing the one before. No notification daemon is one
debug line.

None of it is needed to play: it starts only where a session bus exists
($DBUS_SESSION_BUS_ADDRESS), and without one says so in one info line. The connection and its
thread are ``lofid.daemon.dbus_bus``; the daemon's listener here only hands events to that thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from jeepney import DBusAddress, Message, MessageType, new_method_call, new_method_return

from lofid import paths
from lofid.config import setting_for
from lofid.control.protocol import Controllable
from lofid.control.status import Event
from lofid.daemon.dbus_bus import DBusError, SessionBus, member

log = logging.getLogger("lofid.desktop")

BUS_NAME = "org.mpris.MediaPlayer2.lofid"
PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
NO_BUS = {"mpris": "media keys and playerctl are off", "notify": "new tracks are not shown as notifications"}
NOTIFICATIONS = DBusAddress("/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                            "org.freedesktop.Notifications")
NOTIFY_TIMEOUT_MS = 6000

_READ_ONLY = "org.freedesktop.DBus.Error.PropertyReadOnly"
_BAD_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
_UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"


# -- the mapping: pure functions of the daemon's status --------------------------------------------
def track_id(number: int) -> str:
    """The object path MPRIS names a track by (its own namespace, not /org/mpris)."""
    return f"/io/lofid/track/{int(number)}"


def metadata(track: Mapping[str, Any] | None) -> dict[str, tuple[str, Any]]:
    """MPRIS Metadata (a{sv}) for a track as ``status()["track"]`` gives it; None is no track."""
    if not track:
        return {"mpris:trackid": ("o", NO_TRACK)}
    return {"mpris:trackid": ("o", track_id(track["number"])),
            "mpris:length": ("x", int(round(float(track["length_s"]) * 1e6))),
            "xesam:title": ("s", str(track["title"])),
            "xesam:artist": ("as", ["lofid"]),
            "xesam:album": ("s", str(track["key"])),
            **({"mpris:artUrl": ("s", paths.cover_path(track["cover"]).as_uri())} if track.get("cover") else {})}


def playback_status(state: str) -> str:
    return "Paused" if state == "paused" else "Playing"


def volume_of(percent: int) -> float:
    """``output.volume`` (0-100) as MPRIS Volume (0.0-1.0)."""
    return round(percent / 100.0, 2)


def percent_of(volume: float) -> int:
    """MPRIS Volume as ``output.volume``: below 0 is 0, above 1 is full level (lofid does not amplify)."""
    return setting_for("output.volume").check(round(min(max(float(volume), 0.0), 1.0) * 100))


def position_us(track: Mapping[str, Any] | None) -> int:
    return int(round(float(track["seconds_in"]) * 1e6)) if track else 0


def notification_body(track: Mapping[str, Any]) -> str:
    return f"{track['key']} · {float(track['bpm']):g} bpm"


def changed_properties(event: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """The Player properties a daemon event changes, as PropertiesChanged sends them."""
    kind = event.get("event")
    if kind == "state":
        return {"PlaybackStatus": ("s", playback_status(event["state"]))}
    if kind in ("track", "cover"):
        return {"Metadata": ("a{sv}", metadata(event.get("track")))}
    if kind == "set" and "output.volume" in event.get("changes", {}):
        return {"Volume": ("d", volume_of(event["changes"]["output.volume"]))}
    return {}


# -- the object on the bus --------------------------------------------------------------------------
def _prop(name: str, sig: str, access: str = "read") -> str:
    return f'<property name="{name}" type="{sig}" access="{access}"/>'


INTROSPECTION = (
    '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN" '
    '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n<node>'
    f'<interface name="{INTROSPECTABLE}"><method name="Introspect"><arg name="xml" type="s" direction="out"/>'
    '</method></interface>'
    f'<interface name="{PROPERTIES}">'
    '<method name="Get"><arg name="interface" type="s" direction="in"/><arg name="property" type="s" direction="in"/>'
    '<arg name="value" type="v" direction="out"/></method>'
    '<method name="GetAll"><arg name="interface" type="s" direction="in"/>'
    '<arg name="properties" type="a{sv}" direction="out"/></method>'
    '<method name="Set"><arg name="interface" type="s" direction="in"/><arg name="property" type="s" direction="in"/>'
    '<arg name="value" type="v" direction="in"/></method>'
    '<signal name="PropertiesChanged"><arg name="interface" type="s"/><arg name="changed" type="a{sv}"/>'
    '<arg name="invalidated" type="as"/></signal></interface>'
    f'<interface name="{ROOT}"><method name="Raise"/><method name="Quit"/>'
    + "".join(_prop(n, s) for n, s in (("CanQuit", "b"), ("CanRaise", "b"), ("HasTrackList", "b"), ("Identity", "s"),
                                       ("SupportedUriSchemes", "as"), ("SupportedMimeTypes", "as")))
    + f'</interface><interface name="{PLAYER}">'
    + "".join(f'<method name="{m}"/>' for m in ("Next", "Previous", "Pause", "PlayPause", "Stop", "Play"))
    + '<method name="Seek"><arg name="Offset" type="x" direction="in"/></method>'
    '<method name="SetPosition"><arg name="TrackId" type="o" direction="in"/>'
    '<arg name="Position" type="x" direction="in"/></method>'
    '<method name="OpenUri"><arg name="Uri" type="s" direction="in"/></method>'
    '<signal name="Seeked"><arg name="Position" type="x"/></signal>'
    + _prop("PlaybackStatus", "s") + _prop("Rate", "d", "readwrite") + _prop("Metadata", "a{sv}")
    + _prop("Volume", "d", "readwrite") + _prop("Position", "x")
    + "".join(_prop(n, s) for n, s in (("MinimumRate", "d"), ("MaximumRate", "d"), ("CanGoNext", "b"),
                                       ("CanGoPrevious", "b"), ("CanPlay", "b"), ("CanPause", "b"), ("CanSeek", "b"),
                                       ("CanControl", "b")))
    + "</interface></node>"
)

_ROOT_PROPS = {"CanQuit": ("b", False), "CanRaise": ("b", False), "HasTrackList": ("b", False),
               "Identity": ("s", "lofid"), "SupportedUriSchemes": ("as", []), "SupportedMimeTypes": ("as", [])}
_PLAYER_CONSTANTS = {"Rate": ("d", 1.0), "MinimumRate": ("d", 1.0), "MaximumRate": ("d", 1.0),
                     "CanGoNext": ("b", True), "CanGoPrevious": ("b", False), "CanPlay": ("b", True),
                     "CanPause": ("b", True), "CanSeek": ("b", False), "CanControl": ("b", True)}
_NO_OPS = ("Previous", "Seek", "SetPosition", "OpenUri", "Raise", "Quit")


class MprisPlayer:
    """Answers the method calls made to ``/org/mpris/MediaPlayer2`` (on the bus thread)."""

    def __init__(self, daemon: Controllable) -> None:
        self.daemon = daemon

    def properties(self, interface: str) -> dict[str, tuple[str, Any]]:
        if interface == ROOT:
            return dict(_ROOT_PROPS)
        if interface != PLAYER:
            raise DBusError(_BAD_ARGS, f"no interface {interface}")
        status = self.daemon.status()
        return {"PlaybackStatus": ("s", playback_status(status["state"])),
                "Metadata": ("a{sv}", metadata(status.get("track"))),
                "Volume": ("d", volume_of(self.daemon.settings()["output.volume"])),
                "Position": ("x", position_us(status.get("track"))), **_PLAYER_CONSTANTS}

    def __call__(self, msg: Message) -> Message | None:
        interface, name = member(msg)
        if name == "Introspect" and interface in (None, INTROSPECTABLE):
            return new_method_return(msg, "s", (INTROSPECTION,))
        if interface == PROPERTIES or (interface is None and name in ("Get", "GetAll", "Set")):
            return self._properties_call(msg, name)
        if interface not in (None, ROOT, PLAYER):
            raise DBusError(_UNKNOWN_METHOD, f"no interface {interface}")
        if name in _NO_OPS:
            return None
        playing = name in ("Play", "PlayPause", "Pause", "Stop") and self.daemon.status()["state"] == "playing"
        if name == "Play" or (name == "PlayPause" and not playing):
            if not playing:
                self.daemon.resume()
        elif name in ("Pause", "Stop", "PlayPause"):
            if playing:
                self.daemon.pause()
        elif name == "Next":
            self.daemon.next_track()
        else:
            raise DBusError(_UNKNOWN_METHOD, f"no method {name}")
        return None

    def _properties_call(self, msg: Message, name: str | None) -> Message:
        args = msg.body
        if name == "GetAll":
            return new_method_return(msg, "a{sv}", (self.properties(args[0]),))
        if name == "Get":
            props = self.properties(args[0])
            if args[1] not in props:
                raise DBusError(_BAD_ARGS, f"no property {args[1]}")
            return new_method_return(msg, "v", (props[args[1]],))
        if name == "Set":
            interface, prop, (_, value) = args
            if interface == PLAYER and prop == "Volume":
                self._set_volume(value)
            elif interface == PLAYER and prop == "Rate":
                pass  # 1.0 is the only rate there is; other values are ignored, as MPRIS asks
            else:
                raise DBusError(_READ_ONLY, f"{prop} cannot be set")
            return new_method_return(msg)
        raise DBusError(_UNKNOWN_METHOD, f"no method {name} in {PROPERTIES}")

    def _set_volume(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise DBusError(_BAD_ARGS, f"Volume {value!r} is not a number")
        warning = self.daemon.apply({"output.volume": percent_of(value)})
        if warning:
            log.info("%s", warning)


class Notifications:
    """``org.freedesktop.Notifications.Notify`` for each new track, each replacing the one before."""

    def __init__(self) -> None:
        self.shown = 0  # the id of the notification on screen: the next one replaces it
        self.failed = False  # said so once (debug), until one gets through

    def show(self, bus: SessionBus, track: Mapping[str, Any]) -> None:
        msg = new_method_call(NOTIFICATIONS, "Notify", "susssasa{sv}i",
                              ("lofid", self.shown, "audio-x-generic", str(track["title"]), notification_body(track),
                               [], {"transient": ("b", True)}, NOTIFY_TIMEOUT_MS))
        bus.call(msg, self._answered)

    def _answered(self, reply: Message) -> None:
        if reply.header.message_type is MessageType.method_return:
            self.shown, self.failed = int(reply.body[0]), False
        elif not self.failed:
            self.failed = True
            log.debug("no desktop notification (%s)", reply.body[0] if reply.body else "no notification daemon")


class Desktop:
    """MPRIS and notifications for a Daemon: ``listen`` is its event listener, ``close`` ends it.

    Without a session bus (or with both ``desktop.mpris`` and ``desktop.notify`` off) it is there
    and does nothing."""

    def __init__(self, daemon: Controllable) -> None:
        self.daemon = daemon
        settings = daemon.settings()
        self.mpris = bool(settings["desktop.mpris"])
        self.notifications = Notifications()
        self.bus: SessionBus | None = None
        if not self.mpris and not settings["desktop.notify"]:
            return
        unavailable = NO_BUS["mpris" if self.mpris else "notify"]
        address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
        if not address:
            log.info("no session D-Bus: %s", unavailable)
            return
        self.bus = SessionBus(address, self._connected, unavailable).start()

    def listen(self, event: Event) -> None:
        """The daemon's listener (on the thread that made the change): hand the event to the bus thread."""
        if (bus := self.bus) is not None:
            bus.post(lambda: self._tell(bus, event))

    def close(self) -> None:
        if self.bus is not None:
            self.bus.close()

    # -- on the bus thread ----------------------------------------------------------------------------
    def _connected(self, bus: SessionBus) -> None:
        if not self.mpris:
            return
        bus.export(PATH, MprisPlayer(self.daemon))
        name = BUS_NAME if bus.request_name(BUS_NAME) else f"{BUS_NAME}.instance{os.getpid()}"
        if name != BUS_NAME:
            log.info("%s is taken on the session D-Bus; this lofid is %s", BUS_NAME, name)
            bus.request_name(name)
        log.debug("MPRIS on the session D-Bus as %s", name)

    def _tell(self, bus: SessionBus, event: Event) -> None:
        changed = changed_properties(event) if self.mpris else {}
        if changed:
            bus.emit(PATH, PROPERTIES, "PropertiesChanged", "sa{sv}as", (PLAYER, changed, []))
        if event["event"] == "track" and self.daemon.settings()["desktop.notify"]:
            self.notifications.show(bus, event["track"])
