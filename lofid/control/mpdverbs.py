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
from lofid.control.status import NextTrack, Status

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


def songs(status: Status) -> list[NextTrack]:
    """The queue: the track playing, then the one planned after it where it is known yet."""
    track = status["track"]
    if track is None:
        return []
    after = track.get("next")
    return [{"number": track["number"], "title": track["title"], "length_s": track["length_s"]},
            *([after] if after else [])]


def song(client: Client, entry: NextTrack, pos: int) -> str:
    """One song of the queue, with the tags the client asked for."""
    tags = {"Artist": ARTIST, "Album": ALBUM, "Title": entry["title"], "Genre": GENRE}
    wanted = client.session.tags
    return pairs([("file", f"lofid://track/{entry['number']}"),
                  *((tag, value) for tag, value in tags.items() if tag in wanted),
                  ("Time", round(entry["length_s"])), ("duration", f"{entry['length_s']:.3f}"),
                  ("Pos", pos), ("Id", entry["number"])])


def queue(door: Door, client: Client, start: int = 0, end: int = 2**31) -> str:
    """The songs at positions ``start`` to ``end`` (not included)."""
    return "".join(song(client, entry, pos) for pos, entry in enumerate(songs(now(door))) if start <= pos < end)


def _version(status: Status) -> int:
    """The queue's version: it changes with each track, and when the next becomes known."""
    return 2 * status["track"]["number"] + (status["track"].get("next") is not None) if status["track"] else 1


def _position(status: Status, song_id: int) -> int:
    """Where the song ``song_id`` is in the queue, or Ack."""
    for pos, entry in enumerate(songs(status)):
        if entry["number"] == song_id:
            return pos
    raise Ack(ACK_NO_EXIST, "No such song")


def _play_at(door: Door, pos: int) -> None:
    """Play from the queue's ``pos``: 0 (or -1, the current) resumes; 1, the next track, skips to it."""
    if pos == 1:
        door.target.next_track()
    door.target.resume()


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
        ("partition", "default"), ("playlist", _version(status)), ("playlistlength", len(songs(status))),
        ("mixrampdb", "0.000000"), ("state", state)]
    if track is not None:
        lines += [("song", 0), ("songid", track["number"]),
                  ("time", f"{round(track['seconds_in'])}:{round(track['length_s'])}"),
                  ("elapsed", f"{track['seconds_in']:.3f}"),
                  ("bitrate", streams["bitrate_kbps"] if streams else rate * 16 * 2 // 1000),
                  ("duration", f"{track['length_s']:.3f}"), ("audio", f"{rate}:16:2")]
        after = track.get("next")
        lines += [("nextsong", 1), ("nextsongid", after["number"])] if after else []
    return pairs(lines)


def _currentsong(door: Door, client: Client, args: list[str]) -> str:
    return queue(door, client, 0, 1)


def _playlistinfo(door: Door, client: Client, args: list[str]) -> str:
    return queue(door, client, *(span(args[0]) if args else (0, 2**31)))


def _playlistid(door: Door, client: Client, args: list[str]) -> str:
    if not args:
        return queue(door, client)
    pos = _position(now(door), whole(args[0]))
    return queue(door, client, pos, pos + 1)


def _plchanges(door: Door, client: Client, args: list[str]) -> str:
    """The songs changed since the queue version given: all of them, unless the client has this queue."""
    return queue(door, client) if whole(args[0]) != _version(now(door)) else ""


def _plchangesposid(door: Door, client: Client, args: list[str]) -> str:
    status = now(door)
    if whole(args[0]) == _version(status):
        return ""
    return "".join(pairs([("cpos", pos), ("Id", entry["number"])]) for pos, entry in enumerate(songs(status)))


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
    pos = whole(args[0]) if args else 0
    if not -1 <= pos < max(1, len(songs(now(door)))):
        raise Ack(ACK_ARG, "Bad song index")
    _play_at(door, pos)
    return ""


def _playid(door: Door, client: Client, args: list[str]) -> str:
    song_id = whole(args[0]) if args else -1
    _play_at(door, -1 if song_id == -1 else _position(now(door), song_id))
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
