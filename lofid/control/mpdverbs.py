"""MPD's commands as the radio answers them: the queue of one song, the status, the steering, idle.

Each command is a ``Verb``: a function of the door (``Door``: the daemon it steers, the password),
the connection and the arguments, returning the reply's lines without the final OK, or raising
``Ack``. The door (``lofid.control.mpd``) checks the number of arguments and the password first;
what it maps each command to is in its docstring. A verb calls only the daemon's quick steering
entries (``Controllable``), as the control socket's commands do.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from lofid.control.lines import Client
from lofid.control.mpdwire import ACK_ARG, ACK_NO_EXIST, ACK_PASSWORD, Ack, pairs, shown, span, switch, whole
from lofid.control.protocol import COMMANDS, Controllable
from lofid.control.status import Status, TrackStatus

TAGS = ("Artist", "Album", "Title", "Genre")  # the tags a song carries here
ARTIST, ALBUM, GENRE = "lofid", "lofid radio", "Lo-Fi"
# MPD's idle subsystems (src/IdleFlags.cxx); lofid changes player, mixer, options and playlist
SUBSYSTEMS = ("database", "update", "stored_playlist", "playlist", "player", "mixer", "output", "options",
              "partition", "sticker", "subscription", "message", "neighbor", "mount")
OPEN = ("close", "commands", "notcommands", "password", "ping", "tagtypes")  # allowed without the password


class Door(Protocol):
    """What a verb needs of the door."""

    target: Controllable
    password: str
    started: float  # when it started serving (Unix time)


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


Run = Callable[[Door, Client, list[str]], str]


@dataclass(frozen=True)
class Verb:
    run: Run
    least: int = 0  # arguments
    most: int = 0


def idle_answer(client: Client) -> bytes:
    """The idle answer: what changed of what it waits for, then OK; the connection leaves idle."""
    session: Session = client.session
    wanted = session.changed & (session.idle or frozenset())
    session.changed, session.idle, client.listening = set(), None, False
    return (pairs(("changed", name) for name in SUBSYSTEMS if name in wanted) + "OK\n").encode()


def now(door: Door) -> Status:
    """What plays now (the daemon's status)."""
    return door.target.status()


def song(client: Client, track: TrackStatus) -> str:
    tags = {"Artist": ARTIST, "Album": ALBUM, "Title": track["title"], "Genre": GENRE}
    wanted = client.session.tags
    return pairs([("file", f"lofid://track/{track['number']}"),
                  *((tag, value) for tag, value in tags.items() if tag in wanted),
                  ("Time", round(track["length_s"])), ("duration", f"{track['length_s']:.3f}"),
                  ("Pos", 0), ("Id", track["number"])])

def queue(door: Door, client: Client, start: int = 0, end: int = 1) -> str:
    track = now(door)["track"]
    return song(client, track) if track is not None and start <= 0 < end else ""


def _version(status: Status) -> int:
    return status["track"]["number"] + 1 if status["track"] else 1


def _volume(door: Door) -> int:
    return int(door.target.settings()["output.volume"])


def _set_volume(door: Door, value: int) -> None:
    if not 0 <= value <= 100:
        raise Ack(ACK_ARG, "Invalid volume value")
    COMMANDS["set"].run(door.target, {"cmd": "set", "key": "volume", "value": value})


# -- the commands --------------------------------------------------------------------------------
def _status_cmd(door: Door, client: Client, args: list[str]) -> str:
    status, settings = now(door), door.target.settings()
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


def _currentsong(door: Door, client: Client, args: list[str]) -> str:
    return queue(door, client)


def _playlistinfo(door: Door, client: Client, args: list[str]) -> str:
    return queue(door, client, *(span(args[0]) if args else (0, 1)))


def _playlistid(door: Door, client: Client, args: list[str]) -> str:
    track = now(door)["track"]
    if args and (track is None or whole(args[0]) != track["number"]):
        raise Ack(ACK_NO_EXIST, "No such song")
    return queue(door, client)


def _plchanges(door: Door, client: Client, args: list[str]) -> str:
    """The songs changed since the queue version given: the one song, unless the client has it."""
    status = now(door)
    return queue(door, client) if whole(args[0]) != _version(status) else ""


def _plchangesposid(door: Door, client: Client, args: list[str]) -> str:
    status = now(door)
    track = status["track"]
    return pairs([("cpos", 0), ("Id", track["number"])]) if track and whole(args[0]) != _version(status) else ""


def _stats(door: Door, client: Client, args: list[str]) -> str:
    status = now(door)
    tracks = status["track"]["number"] if status["track"] else 0
    return pairs([("uptime", int(status["uptime_s"])), ("playtime", int(status["uptime_s"])), ("artists", 1),
                  ("albums", 1), ("songs", tracks), ("db_playtime", 0), ("db_update", int(door.started))])


def _outputs(door: Door, client: Client, args: list[str]) -> str:
    status = now(door)
    outputs = [(status["output"], "lofid")]
    streams = status["streams"]
    if streams and streams["http"]:
        outputs.append((f"HTTP stream {streams['http']['url']}stream.mp3", "httpd"))
    if streams and streams["icecast"]:
        outputs.append((f"Icecast {streams['icecast'].get('server', '')}", "shout"))
    return "".join(pairs([("outputid", i), ("outputname", name), ("plugin", plugin), ("outputenabled", 1)])
                   for i, (name, plugin) in enumerate(outputs))


def _play(door: Door, client: Client, args: list[str]) -> str:
    if args and whole(args[0]) != 0 and whole(args[0]) != -1:
        raise Ack(ACK_ARG, "Bad song index")
    door.target.resume()
    return ""


def _playid(door: Door, client: Client, args: list[str]) -> str:
    track = now(door)["track"]
    if args and whole(args[0]) != -1 and (track is None or whole(args[0]) != track["number"]):
        raise Ack(ACK_NO_EXIST, "No such song")
    door.target.resume()
    return ""


def _pause(door: Door, client: Client, args: list[str]) -> str:
    pause = switch(args[0]) if args else now(door)["state"] == "playing"
    door.target.pause() if pause else door.target.resume()
    return ""


def _stop(door: Door, client: Client, args: list[str]) -> str:
    door.target.pause()
    return ""


def _next(door: Door, client: Client, args: list[str]) -> str:
    door.target.next_track()
    return ""


def _previous(door: Door, client: Client, args: list[str]) -> str:
    return ""  # a radio plays forward: nothing to go back to


def _setvol(door: Door, client: Client, args: list[str]) -> str:
    _set_volume(door, whole(args[0]))
    return ""


def _volume_cmd(door: Door, client: Client, args: list[str]) -> str:
    _set_volume(door, max(0, min(100, _volume(door) + whole(args[0]))))
    return ""


def _getvol(door: Door, client: Client, args: list[str]) -> str:
    return pairs([("volume", _volume(door))])


def _idle(door: Door, client: Client, args: list[str]) -> str:
    unknown = [a for a in args if a not in SUBSYSTEMS]
    if unknown:
        raise Ack(ACK_ARG, f"Unrecognized idle event: {unknown[0][:40]}")
    session: Session = client.session
    session.idle = frozenset(args or SUBSYSTEMS)
    client.listening = True
    if session.changed & session.idle:  # changed already: answered now (its OK is added after)
        answer = idle_answer(client).decode()
        return answer[:-len("OK\n")]
    return ""


def _commands(door: Door, client: Client, args: list[str]) -> str:
    allowed = client.session.allowed
    return pairs(("command", name) for name in sorted(VERBS) if allowed or name in OPEN)


def _notcommands(door: Door, client: Client, args: list[str]) -> str:
    return "" if client.session.allowed else pairs(("command", n) for n in sorted(VERBS) if n not in OPEN)


def _tagtypes(door: Door, client: Client, args: list[str]) -> str:
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


def _password(door: Door, client: Client, args: list[str]) -> str:
    if not door.password or not hmac.compare_digest(args[0].encode(), door.password.encode()):
        raise Ack(ACK_PASSWORD, "incorrect password")
    client.session.allowed = True
    return ""


def _ping(door: Door, client: Client, args: list[str]) -> str:
    return ""


def _close(door: Door, client: Client, args: list[str]) -> str:
    client.closing = True
    client.inbuf.clear()
    return ""


def _empty(door: Door, client: Client, args: list[str]) -> str:
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
