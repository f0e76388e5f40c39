"""Signals for the daemon's main loop, read from a self-pipe instead of acted on in a handler.

A Python signal handler runs in the main thread between two bytecodes, possibly while that thread
holds a lock. ``threading.Event.set()`` inside a handler therefore deadlocks when the signal lands
while the main thread is inside the same event's ``wait()`` (it holds the event's lock for a few
bytecodes each time the wait times out): the daemon then never stops on SIGTERM. So the handlers
here do nothing, and the C-level handler writes each signal number to a socket that
``SignalInbox.wait`` selects on: no lock is taken in signal context, and a signal still wakes the
loop at once.
"""

from __future__ import annotations

import select
import signal
import socket
from collections.abc import Iterable


def _note_only(signum: int, frame: object) -> None:
    """Installed so that the signal neither kills the process nor is ignored; the number reaches
    the inbox through the wakeup socket."""


class SignalInbox:
    """Collects ``signums`` for the main thread; ``close()`` restores the previous handlers."""

    def __init__(self, signums: Iterable[int]) -> None:
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._w.fileno(), warn_on_full_buffer=False)
        self._previous = {s: signal.signal(s, _note_only) for s in signums}

    def wait(self, timeout: float) -> list[int]:
        """The signals received, waiting up to ``timeout`` seconds for the first one."""
        if not select.select([self._r], [], [], timeout)[0]:
            return []
        try:
            return list(self._r.recv(256))
        except BlockingIOError:
            return []

    def close(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._r.close()
        self._w.close()
