"""A thread that keeps one server fed for as long as lofid runs: the Icecast and Snapcast sources.

Each source says how to connect (``_connect``) and what to send on a connection (``_feed``); this
loop does the rest alike for both: a refused connection is retried with back-off
(``BACKOFF_SECONDS``), a lost or stalled one (a send that cannot go through in ``TIMEOUT_SECONDS``)
is logged as one line and reconnected, and ``state``, ``error`` and ``connects`` say how it goes for
``ctl status``. The music never waits for it: the render thread only ever hands a source its audio
through a bounded buffer.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Protocol

from lofid.errors import describe_os_error

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (1.0, 2.0, 5.0)  # waits between attempts; the last repeats, so a returning server is fed within 5 s
TIMEOUT_SECONDS = 5.0  # to connect, to be answered, and for one send to go through: longer, and the server is stalled


class Target(Protocol):
    """A server's address, as lofid.addresses parses one."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    @property
    def shown(self) -> str: ...


class Feeder(threading.Thread):
    """Connects to ``target`` and feeds it until ``stop()``; ``state`` is "connecting", "connected" or "retrying"."""

    kind = "a server"  # named in the log: "Icecast", "Snapcast"
    backoff: tuple[float, ...] = BACKOFF_SECONDS
    timeout: float = TIMEOUT_SECONDS

    def __init__(self, name: str, target: Target) -> None:
        super().__init__(name=name, daemon=True)
        self.target = target
        self.state = "connecting"
        self.connects = 0  # successful connections since start
        self.error = ""  # why the last attempt failed or the last connection ended, one line
        self._stopping = threading.Event()

    def _connect(self) -> socket.socket:
        """A connection ready to feed (OSError when there is none)."""
        raise NotImplementedError

    def _feed(self, sock: socket.socket) -> None:
        """Send until the connection fails (OSError) or lofid stops."""
        raise NotImplementedError

    def _connected_as(self) -> str:
        """What the log says of a new connection, after the server's address."""
        return ""

    def run(self) -> None:
        attempt, lost_logged = 0, False
        while not self._stopping.is_set():
            try:
                sock = self._connect()
            except OSError as e:
                self.state, self.error = "retrying", describe_os_error(e)
                if not lost_logged:
                    log.warning("%s at %s: %s; retrying with back-off (the music plays on)",
                                self.kind, self.target.shown, self.error)
                    lost_logged = True
                self._stopping.wait(self.backoff[min(attempt, len(self.backoff) - 1)])
                attempt += 1
                continue
            self.state, self.error, attempt, lost_logged = "connected", "", 0, False
            self.connects += 1
            log.info("feeding %s at %s%s", self.kind, self.target.shown, self._connected_as())
            try:
                self._feed(sock)
            except OSError as e:
                if not self._stopping.is_set():
                    self.state, self.error = "retrying", describe_os_error(e)
                    log.warning("%s at %s: lost (%s); reconnecting with back-off (the music plays on)",
                                self.kind, self.target.shown, self.error)
                    lost_logged = True
                    self._stopping.wait(self.backoff[0])
            finally:
                sock.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(self.timeout + 1.0)
