"""The control socket's server: the daemon's end of the Unix socket `lofid ctl` talks to.

One JSON object per line each way (UTF-8, newline-terminated); what the lines mean is
``lofid.control.protocol``, the client is ``lofid.control.client``. Several requests may share one
connection. The connections, their limits (line length, connections, idle timeout, buffered bytes)
and the thread that serves them are ``lofid.control.lines``'s, the same for the MPD door.

Watching. A connection that sent ``watch`` is sent every event ``publish`` is given, one line each,
after its replies. It is not closed for being silent (it listens), and may still send requests.

Access (a private folder, the owner's lock, a socket that is 0600 from its first moment) is
``lofid.control.listener``.

Threads. The server is one thread running a selector. It calls the target's methods from that
thread, one at a time, while other threads may call them too (the threading rule is
``lofid.control.protocol.Controllable``'s): they hand changes to the player and return, and the
audio never waits on this thread. ``publish`` may be called from any thread: it queues the event
and wakes the selector.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lofid.control.lines import EVICT_AFTER, IDLE_TIMEOUT, MAX_BUFFERED, MAX_CLIENTS, MAX_LINE, Client, LineServer
from lofid.control.listener import bind, check_folder, take_lock
from lofid.control.protocol import Controllable, encode, error_line, handle

log = logging.getLogger("lofid.control")

__all__ = ["EVICT_AFTER", "IDLE_TIMEOUT", "MAX_BUFFERED", "MAX_CLIENTS", "MAX_LINE", "ControlServer"]


class ControlServer(LineServer):
    """Serves ``target`` on the Unix socket ``path`` from one background thread.

    ``start()`` takes the socket (raising LofidError if another lofid owns it) before it returns,
    so a daemon that cannot be controlled never starts playing. ``close()`` removes the socket.
    """

    what = "the control server"
    tag = "control"

    def __init__(self, path: Path, target: Controllable, **limits: Any) -> None:
        super().__init__(target, **limits)
        self.path = Path(path)
        self._lock_fd: int | None = None
        self._inode = 0

    @property
    def watchers(self) -> int:
        return self.listeners

    def _open(self) -> Any:
        check_folder(self.path.parent)
        self._lock_fd = take_lock(self.path)
        listener = bind(self.path)
        self._inode = self.path.stat().st_ino
        log.debug("control socket at %s", self.path)
        return listener

    def _shut(self) -> None:
        """Remove the socket (if it is still ours) and let go of the lock."""
        if self._inode:
            try:
                if self.path.stat().st_ino == self._inode:
                    self.path.unlink()
            except FileNotFoundError:
                pass
            self._inode = 0
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _answer(self, client: Client, line: bytes) -> bytes:
        if not line:
            return b""
        reply, done = handle(self.target, line)
        client.listening |= done == "watch"
        return reply

    def _error(self, message: str) -> bytes:
        return error_line(message)

    def _prepare(self, event: Mapping[str, Any]) -> bytes:
        return encode(event)

    def _event(self, client: Client, prepared: bytes) -> bytes:
        return prepared if client.listening else b""
