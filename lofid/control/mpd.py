"""The MPD door: MPD's protocol (0.23) mapped onto the radio, so every MPD client steers lofid.

The radio as MPD's model: the queue's first song is the track playing (``file: lofid://track/N``,
its title, Artist ``lofid``, Album ``lofid radio``, Genre ``Lo-Fi``, its planned length as the
duration, Pos 0, Id N); the track planned after it is the second (MPD's next song) once it is
planned, seconds before it starts (at once after ``next``). The queue's version changes with each
track and when the next becomes known, and clients fetch the queue again.

    play, playid, pause 1, stop   -> pause / resume (``stop`` pauses: a radio never stops);
                                     ``play 1`` or the next song's id: ``next``, then play
    pause (no argument)           -> pauses or resumes
    next                          -> ``ctl next`` (this track ends at the next bar)
    previous                      -> nothing (the radio plays forward); OK
    setvol N, volume +-N, getvol  -> output.volume (0-100, the same percent)
    status, currentsong, stats, outputs, playlistinfo, playlistid, plchanges, plchangesposid,
    commands, notcommands, tagtypes, ping, close, password, command lists, idle/noidle
The commands are ``lofid.control.mpdverbs``. Anything else gets MPD's ACK line
(``lofid.control.mpdwire``) with MPD's error code: 5 for an
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
import logging
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from lofid.addresses import is_loopback, listen_address
from lofid.control.lines import Client, LineServer
from lofid.control.mpdverbs import OPEN, VERBS, Session, idle_answer
from lofid.control.mpdwire import ACK_ARG, ACK_PERMISSION, ACK_SYSTEM, ACK_UNKNOWN, Ack, ack_line, command_name, shown, words
from lofid.control.protocol import Controllable, one_line
from lofid.control.status import Event, MpdStatus
from lofid.errors import ConfigError, LofidError

log = logging.getLogger("lofid.mpd")

PROTOCOL = "0.23.5"  # the MPD protocol version whose replies this door gives
GREETING = f"OK MPD {PROTOCOL}\n".encode()
PORT_TRIES = 20  # ports tried from the one asked for, when it is taken
MAX_LIST_BYTES = 2 * 1024 * 1024  # bytes of one command list (MPD's max_command_list_size default)


def check_listen(host: str, password: str) -> None:
    """Refuse to answer beyond this machine without a password: a ConfigError naming the settings."""
    if not password and not is_loopback(host):
        raise ConfigError(f"control.mpd.listen {host} is not loopback: set control.mpd.password, "
                          "or listen on 127.0.0.1")


def mpd_door(cfg: Mapping[str, Any], target: Controllable, listeners: list[Callable[[Event], None]]) -> MpdDoor | None:
    """The door the settings ask for (``control.mpd.*``), serving, and told the daemon's events (its
    ``publish`` added to ``listeners``); None when it is off."""
    if not cfg["control.mpd.enabled"]:
        return None
    door = MpdDoor(listen_address(cfg["control.mpd.listen"]), cfg["control.mpd.password"], target).start()
    listeners.append(door.publish)
    return door


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

    def status(self) -> MpdStatus:
        """``ctl status``'s "mpd": where the door listens, and its clients now."""
        return {"address": self.shown_address, "clients": self.clients}

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
        return idle_answer(client) if session.idle is not None and session.changed & session.idle else b""

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
        if session.idle is not None or client.closing:  # idle: the answer comes with a change; close: none
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

def _first_word(text: str) -> str:
    return text.split(maxsplit=1)[0] if text.split() else ""


def _name_of(text: str, error: Ack) -> str:
    """The command an ACK names: empty when the name itself was not understood (as MPD does)."""
    return "" if error.code == ACK_UNKNOWN else _first_word(text)
