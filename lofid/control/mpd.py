"""The MPD door: MPD's protocol (0.23) mapped onto the radio, so every MPD client steers lofid.

The radio as MPD's model: the queue holds one song, the track playing (``file: lofid://track/N``,
its title, Artist ``lofid``, Album ``lofid radio``, Genre ``Lo-Fi``, its planned length as the
duration, Pos 0, Id N); the next track is not planned far enough ahead to be known, so there is no
next song. The queue's version is the track's number + 1: it changes with each track, and clients
fetch the queue again.

    play, playid, pause 1, stop   -> pause / resume (``stop`` pauses: a radio never stops)
    pause (no argument)           -> pauses or resumes
    next                          -> ``ctl next`` (this track ends at the next bar)
    previous                      -> nothing (the radio plays forward); OK
    setvol N, volume +-N, getvol  -> output.volume (0-100, the same percent)
    status, currentsong, stats, outputs, playlistinfo, playlistid, plchanges, plchangesposid,
    commands, notcommands, tagtypes, ping, close, password, command lists, idle/noidle
Anything else gets MPD's ACK line (``lofid.control.mpdwire``) with MPD's error code: 5 for an
unknown command, 2 for a bad argument, 4 without the password, 3 for a wrong one, 50 for a song not
in the queue.

Idle. The daemon's events mark subsystems changed for every connection, as ``ctl watch`` sees
them: a new track is ``player`` and ``playlist``, pause and resume ``player``, the volume
``mixer``, any other setting ``options``. ``idle`` answers at once with what changed since the
connection's last idle, or waits for it; ``noidle`` ends the wait with a plain OK. A command other
than ``noidle`` sent during idle ends the wait (as ``noidle`` does) and is then answered: MPD closes
such a connection, lofid never drops one for bad input.

Access. Without ``control.mpd.password`` the door listens only on loopback (a ConfigError at start
otherwise, as the HTTP door's token); with one, a connection may only ``password``, ``ping``,
``close``, ``commands``, ``notcommands`` and ``tagtypes`` until it has given it.

Threads and failure, as MPD documents its plugins. The door is one thread running a selector
(``lofid.control.lines``, shared with the control socket, with the same limits: 64 KiB lines,
4096 connections, 30 s idle timeout except while in ``idle``, 16 MiB buffered), so a slow or stuck
client costs no thread. It calls the daemon's steering entries (``Controllable``) from that thread,
as the control socket does: each returns at once, handing its change to the player, so nothing
here can stall the audio. ``publish`` (the daemon's event listener) only marks the change and
wakes the loop. A failing command costs its ACK line, never the connection or the daemon; a bind
that fails (no free port among the next ``PORT_TRIES``) is a ConfigError at start.
"""

from __future__ import annotations

import errno
import hmac
import logging
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lofid.addresses import is_loopback
from lofid.control.lines import Client, LineServer
from lofid.control.mpdwire import (
    ACK_ARG,
    ACK_NO_EXIST,
    ACK_PASSWORD,
    ACK_PERMISSION,
    ACK_SYSTEM,
    ACK_UNKNOWN,
    Ack,
    ack_line,
    command_name,
    pairs,
    shown,
    span,
    switch,
    whole,
    words,
)
from lofid.control.protocol import COMMANDS, Controllable, one_line
from lofid.control.status import Status, TrackStatus
from lofid.errors import ConfigError, LofidError

log = logging.getLogger("lofid.mpd")

PROTOCOL = "0.23.5"  # the MPD protocol version whose replies this door gives
GREETING = f"OK MPD {PROTOCOL}\n".encode()
PORT_TRIES = 20  # ports tried from the one asked for, when it is taken
MAX_LIST_BYTES = 2 * 1024 * 1024  # bytes of one command list (MPD's max_command_list_size default)
TAGS = ("Artist", "Album", "Title", "Genre")  # the tags a song carries here
ARTIST, ALBUM, GENRE = "lofid", "lofid radio", "Lo-Fi"
# MPD's idle subsystems (src/IdleFlags.cxx); lofid changes player, mixer, options and playlist
SUBSYSTEMS = ("database", "update", "stored_playlist", "playlist", "player", "mixer", "output", "options",
              "partition", "sticker", "subscription", "message", "neighbor", "mount")
OPEN = ("close", "commands", "notcommands", "password", "ping", "tagtypes")  # allowed without the password


def check_listen(host: str, password: str) -> None:
    """Refuse to answer beyond this machine without a password: a ConfigError naming the settings."""
    if not password and not is_loopback(host):
        raise ConfigError(f"control.mpd.listen {host} is not loopback: set control.mpd.password, "
                          "or listen on 127.0.0.1")


@dataclass
class Session:
    """What the door keeps of one connection."""

    allowed: bool  # may use every command (no password is set, or it was given)
    changed: set[str] = field(default_factory=set)  # subsystems changed since the last idle answered
    idle: frozenset[str] | None = None  # waiting in idle for these
    batch: list[str] | None = None  # a command list being received
    batch_ok: bool = False  # command_list_ok_begin: list_OK after each command
    batch_bytes: int = 0
    tags: set[str] = field(default_factory=lambda: set(TAGS))  # tagtypes the client wants


Run = Callable[["MpdDoor", Client, list[str]], str]


@dataclass(frozen=True)
class Verb:
    run: Run
    least: int = 0  # arguments
    most: int = 0


class MpdDoor(LineServer):
    """Serves ``target`` (the daemon) to MPD clients at ``address`` from one background thread."""

    what = "the MPD door"
    tag = "mpd"

    def __init__(self, address: tuple[str, int], password: str, target: Controllable, **limits: Any) -> None:
        check_listen(address[0], password)
        super().__init__(target, **limits)
        self.address, self.password = address, password
        self.started = time.time()

    def __enter__(self) -> MpdDoor:
        return self.start()

    def start(self) -> MpdDoor:
        super().start()
        return self

    @property
    def shown_address(self) -> str:
        host, port = self.address
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _open(self) -> socket.socket:
        host, port = self.address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        error: OSError | None = None
        for tried in range(port, min(port + PORT_TRIES, 65536)):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, tried))
                sock.listen(128)
            except OSError as e:
                sock.close()
                error = e
                if e.errno != errno.EADDRINUSE:
                    break
                continue
            sock.setblocking(False)
            self.address = (host, tried)
            if tried != port:
                log.info("MPD door at %s (port %d is taken)", self.shown_address, port)
            else:
                log.info("MPD door at %s", self.shown_address)
            return sock
        assert error is not None
        raise ConfigError(f"control.mpd.listen {host}:{port}: cannot listen there "
                          f"({error.strerror or error})") from None

    def _session(self) -> Session:
        return Session(allowed=not self.password)

    def _greet(self, client: Client) -> bytes:
        return GREETING

    def _error(self, message: str) -> bytes:
        return ack_line(ACK_SYSTEM, 0, "", message)

    def _prepare(self, event: Mapping[str, Any]) -> frozenset[str]:
        """The subsystems an event changes (the publishing thread)."""
        kind = event.get("event")
        if kind == "track":
            return frozenset(("player", "playlist"))
        if kind == "state":
            return frozenset(("player",))
        if kind == "set":
            keys = set(event.get("changes", {}))
            return frozenset((["mixer"] if "output.volume" in keys else [])
                             + (["options"] if keys - {"output.volume"} else []))
        return frozenset()

    def _event(self, client: Client, prepared: frozenset[str]) -> bytes:
        session: Session = client.session
        session.changed |= prepared
        return self.idle_answer(client) if session.idle is not None and session.changed & session.idle else b""

    def idle_answer(self, client: Client) -> bytes:
        """The idle answer: what changed of what it waits for, then OK; the connection leaves idle."""
        session: Session = client.session
        wanted = session.changed & (session.idle or frozenset())
        session.changed, session.idle, client.listening = set(), None, False
        return (pairs(("changed", name) for name in SUBSYSTEMS if name in wanted) + "OK\n").encode()

    # -- a line --------------------------------------------------------------------------------
    def _answer(self, client: Client, line: bytes) -> bytes:
        session: Session = client.session
        text = line.decode("utf-8", "replace")
        out = b""
        if session.idle is not None:
            session.idle, client.listening = None, False
            out = b"OK\n"
            if text == "noidle":
                return out
        elif text == "noidle":  # not waiting: MPD says nothing
            return b""
        if session.batch is not None:
            return out + self._batch(client, text)
        if text in ("command_list_begin", "command_list_ok_begin"):
            session.batch, session.batch_ok, session.batch_bytes = [], text == "command_list_ok_begin", 0
            return out
        try:
            reply = self._run(client, text)
        except Ack as e:
            return out + ack_line(e.code, 0, _name_of(text, e), e.message)
        if session.idle is not None:  # idle: the answer comes when something changes
            return out
        return out + reply.encode() + b"OK\n"

    def _batch(self, client: Client, text: str) -> bytes:
        session: Session = client.session
        assert session.batch is not None
        if text != "command_list_end":
            session.batch_bytes += len(text) + 1
            if session.batch_bytes > MAX_LIST_BYTES:
                session.batch = None
                return ack_line(ACK_ARG, 0, "command_list_begin",
                                f"command list longer than {MAX_LIST_BYTES} bytes; it was thrown away")
            session.batch.append(text)
            return b""
        batch, session.batch = session.batch, None
        out: list[bytes] = []
        for index, command in enumerate(batch):
            try:
                if _first_word(command) == "idle":
                    raise Ack(ACK_ARG, "idle is not allowed in a command list")
                out.append(self._run(client, command).encode())
            except Ack as e:
                return b"".join(out) + ack_line(e.code, index, _name_of(command, e), e.message)
            if session.batch_ok:
                out.append(b"list_OK\n")
        return b"".join(out) + b"OK\n"

    def _run(self, client: Client, text: str) -> str:
        """One command's reply lines (without the OK), or Ack."""
        verb = VERBS.get(command_name(text))
        if verb is None:
            raise Ack(ACK_UNKNOWN, f"unknown command {shown(command_name(text))}")
        name, *args = words(text)
        if not client.session.allowed and name not in OPEN:
            raise Ack(ACK_PERMISSION, f"you don't have permission for {shown(name)}")
        if not verb.least <= len(args) <= verb.most:
            raise Ack(ACK_ARG, f"wrong number of arguments for {shown(name)}")
        try:
            return verb.run(self, client, args)
        except Ack:
            raise
        except LofidError as e:
            raise Ack(ACK_ARG, one_line(e)) from None
        except Exception as e:  # a bug in lofid costs this reply, not the connection
            log.exception("mpd: %s failed", name)
            raise Ack(ACK_SYSTEM, one_line(f"{name} failed inside lofid: {e.__class__.__name__}: {e}")) from None

    # -- what lofid says, in MPD's words ----------------------------------------------------------
    def now(self) -> Status:
        """What plays now (the daemon's status)."""
        return self.target.status()

    def song(self, client: Client, track: TrackStatus) -> str:
        tags = {"Artist": ARTIST, "Album": ALBUM, "Title": track["title"], "Genre": GENRE}
        wanted = client.session.tags
        return pairs([("file", f"lofid://track/{track['number']}"),
                      *((tag, value) for tag, value in tags.items() if tag in wanted),
                      ("Time", round(track["length_s"])), ("duration", f"{track['length_s']:.3f}"),
                      ("Pos", 0), ("Id", track["number"])])

    def queue(self, client: Client, start: int = 0, end: int = 1) -> str:
        track = self.now()["track"]
        return self.song(client, track) if track is not None and start <= 0 < end else ""


def _first_word(text: str) -> str:
    return text.split(maxsplit=1)[0] if text.split() else ""


def _name_of(text: str, error: Ack) -> str:
    """The command an ACK names: empty when the name itself was not understood (as MPD does)."""
    return "" if error.code == ACK_UNKNOWN else _first_word(text)


def _version(status: Status) -> int:
    return status["track"]["number"] + 1 if status["track"] else 1


def _volume(door: MpdDoor) -> int:
    return int(door.target.settings()["output.volume"])


def _set_volume(door: MpdDoor, value: int) -> None:
    if not 0 <= value <= 100:
        raise Ack(ACK_ARG, "Invalid volume value")
    COMMANDS["set"].run(door.target, {"cmd": "set", "key": "volume", "value": value})


# -- the commands --------------------------------------------------------------------------------
def _status_cmd(door: MpdDoor, client: Client, args: list[str]) -> str:
    status, settings = door.now(), door.target.settings()
    track = status["track"]
    state = "stop" if track is None else "pause" if status["state"] == "paused" else "play"
    streams = status["streams"]
    rate = settings["output.sample_rate"]
    lines: list[tuple[str, object]] = [
        ("volume", _volume(door)), ("repeat", 0), ("random", 0), ("single", 0), ("consume", 0),
        ("partition", "default"), ("playlist", _version(status)), ("playlistlength", 1 if track else 0),
        ("mixrampdb", "0.000000"), ("state", state)]
    if track is not None:
        lines += [("song", 0), ("songid", track["number"]),
                  ("time", f"{round(track['seconds_in'])}:{round(track['length_s'])}"),
                  ("elapsed", f"{track['seconds_in']:.3f}"),
                  ("bitrate", streams["bitrate_kbps"] if streams else rate * 16 * 2 // 1000),
                  ("duration", f"{track['length_s']:.3f}"), ("audio", f"{rate}:16:2")]
    return pairs(lines)


def _currentsong(door: MpdDoor, client: Client, args: list[str]) -> str:
    return door.queue(client)


def _playlistinfo(door: MpdDoor, client: Client, args: list[str]) -> str:
    return door.queue(client, *(span(args[0]) if args else (0, 1)))


def _playlistid(door: MpdDoor, client: Client, args: list[str]) -> str:
    track = door.now()["track"]
    if args and (track is None or whole(args[0]) != track["number"]):
        raise Ack(ACK_NO_EXIST, "No such song")
    return door.queue(client)


def _plchanges(door: MpdDoor, client: Client, args: list[str]) -> str:
    """The songs changed since the queue version given: the one song, unless the client has it."""
    status = door.now()
    return door.queue(client) if whole(args[0]) != _version(status) else ""


def _plchangesposid(door: MpdDoor, client: Client, args: list[str]) -> str:
    status = door.now()
    track = status["track"]
    return pairs([("cpos", 0), ("Id", track["number"])]) if track and whole(args[0]) != _version(status) else ""


def _stats(door: MpdDoor, client: Client, args: list[str]) -> str:
    status = door.now()
    tracks = status["track"]["number"] if status["track"] else 0
    return pairs([("uptime", int(status["uptime_s"])), ("playtime", int(status["uptime_s"])), ("artists", 1),
                  ("albums", 1), ("songs", tracks), ("db_playtime", 0), ("db_update", int(door.started))])


def _outputs(door: MpdDoor, client: Client, args: list[str]) -> str:
    status = door.now()
    outputs = [(status["output"], "lofid")]
    streams = status["streams"]
    if streams and streams["http"]:
        outputs.append((f"HTTP stream {streams['http']['url']}stream.mp3", "httpd"))
    if streams and streams["icecast"]:
        outputs.append((f"Icecast {streams['icecast'].get('server', '')}", "shout"))
    return "".join(pairs([("outputid", i), ("outputname", name), ("plugin", plugin), ("outputenabled", 1)])
                   for i, (name, plugin) in enumerate(outputs))


def _play(door: MpdDoor, client: Client, args: list[str]) -> str:
    if args and whole(args[0]) != 0 and whole(args[0]) != -1:
        raise Ack(ACK_ARG, "Bad song index")
    door.target.resume()
    return ""


def _playid(door: MpdDoor, client: Client, args: list[str]) -> str:
    track = door.now()["track"]
    if args and whole(args[0]) != -1 and (track is None or whole(args[0]) != track["number"]):
        raise Ack(ACK_NO_EXIST, "No such song")
    door.target.resume()
    return ""


def _pause(door: MpdDoor, client: Client, args: list[str]) -> str:
    pause = switch(args[0]) if args else door.now()["state"] == "playing"
    door.target.pause() if pause else door.target.resume()
    return ""


def _stop(door: MpdDoor, client: Client, args: list[str]) -> str:
    door.target.pause()
    return ""


def _next(door: MpdDoor, client: Client, args: list[str]) -> str:
    door.target.next_track()
    return ""


def _previous(door: MpdDoor, client: Client, args: list[str]) -> str:
    return ""  # a radio plays forward: nothing to go back to


def _setvol(door: MpdDoor, client: Client, args: list[str]) -> str:
    _set_volume(door, whole(args[0]))
    return ""


def _volume_cmd(door: MpdDoor, client: Client, args: list[str]) -> str:
    _set_volume(door, max(0, min(100, _volume(door) + whole(args[0]))))
    return ""


def _getvol(door: MpdDoor, client: Client, args: list[str]) -> str:
    return pairs([("volume", _volume(door))])


def _idle(door: MpdDoor, client: Client, args: list[str]) -> str:
    unknown = [a for a in args if a not in SUBSYSTEMS]
    if unknown:
        raise Ack(ACK_ARG, f"Unrecognized idle event: {unknown[0][:40]}")
    session: Session = client.session
    session.idle = frozenset(args or SUBSYSTEMS)
    client.listening = True
    if session.changed & session.idle:  # changed already: answered now (its OK is added after)
        answer = door.idle_answer(client).decode()
        return answer[:-len("OK\n")]
    return ""


def _commands(door: MpdDoor, client: Client, args: list[str]) -> str:
    allowed = client.session.allowed
    return pairs(("command", name) for name in sorted(VERBS) if allowed or name in OPEN)


def _notcommands(door: MpdDoor, client: Client, args: list[str]) -> str:
    return "" if client.session.allowed else pairs(("command", n) for n in sorted(VERBS) if n not in OPEN)


def _tagtypes(door: MpdDoor, client: Client, args: list[str]) -> str:
    session: Session = client.session
    if not args:
        return pairs(("tagtype", tag) for tag in TAGS if tag in session.tags)
    how, names = args[0], {a.lower() for a in args[1:]}
    ours = {tag for tag in TAGS if tag.lower() in names}
    if how == "clear":
        session.tags = set()
    elif how == "all":
        session.tags = set(TAGS)
    elif how == "enable":
        session.tags |= ours
    elif how == "disable":
        session.tags -= ours
    else:
        raise Ack(ACK_ARG, f"Unknown sub command: {shown(how)}")
    return ""


def _password(door: MpdDoor, client: Client, args: list[str]) -> str:
    if not door.password or not hmac.compare_digest(args[0].encode(), door.password.encode()):
        raise Ack(ACK_PASSWORD, "incorrect password")
    client.session.allowed = True
    return ""


def _ping(door: MpdDoor, client: Client, args: list[str]) -> str:
    return ""


def _close(door: MpdDoor, client: Client, args: list[str]) -> str:
    client.closing = True
    client.inbuf.clear()
    return ""


def _empty(door: MpdDoor, client: Client, args: list[str]) -> str:
    return ""  # no stored playlists, no library: an empty answer


VERBS: dict[str, Verb] = {
    "status": Verb(_status_cmd), "currentsong": Verb(_currentsong), "stats": Verb(_stats),
    "outputs": Verb(_outputs), "playlistinfo": Verb(_playlistinfo, 0, 1), "playlistid": Verb(_playlistid, 0, 1),
    "plchanges": Verb(_plchanges, 1, 2), "plchangesposid": Verb(_plchangesposid, 1, 2),
    "play": Verb(_play, 0, 1), "playid": Verb(_playid, 0, 1), "pause": Verb(_pause, 0, 1), "stop": Verb(_stop),
    "next": Verb(_next), "previous": Verb(_previous),
    "setvol": Verb(_setvol, 1, 1), "volume": Verb(_volume_cmd, 1, 1), "getvol": Verb(_getvol),
    "idle": Verb(_idle, 0, len(SUBSYSTEMS)), "commands": Verb(_commands), "notcommands": Verb(_notcommands),
    "tagtypes": Verb(_tagtypes, 0, 64), "password": Verb(_password, 1, 1), "ping": Verb(_ping),
    "close": Verb(_close), "listplaylists": Verb(_empty), "decoders": Verb(_empty), "urlhandlers": Verb(_empty),
}
