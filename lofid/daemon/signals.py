"""Signals for the daemon's main loop, read from a self-pipe instead of acted on in a handler.

A Python signal handler runs in the main thread between two bytecodes, possibly while that thread
holds a lock. ``threading.Event.set()`` inside a handler therefore deadlocks when the signal lands
while the main thread is inside the same event's ``wait()`` (it holds the event's lock for a few
bytecodes each time the wait times out): the daemon then never stops on SIGTERM. So the handlers
here only append to a list (no lock), and the C-level handler writes each signal number to a
socket that ``SignalInbox.wait`` selects on: no lock is taken in signal context, and a signal
still wakes the loop at once.
"""

from __future__ import annotations

import select
import signal
import socket
from collections.abc import Iterable


class SignalInbox:
    """Collects ``signums`` for the main thread; ``close()`` restores the previous handlers.

    The wakeup socket only wakes ``wait`` (its byte is written the moment the signal arrives);
    what was received is the list the Python handler appends to (a bare append: no lock). The
    handler runs a little after the byte, so one signal counted from both would be reported twice
    (a second reload racing the next edit of the file); a signal whose handler has not run yet when
    ``wait`` returns is reported by the next ``wait``.
    """

    def __init__(self, signums: Iterable[int]) -> None:
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self._noted: list[int] = []
        self._previous_fd = signal.set_wakeup_fd(self._w.fileno(), warn_on_full_buffer=False)
        self._previous = {s: signal.signal(s, self._note) for s in signums}

    def _note(self, signum: int, frame: object) -> None:
        self._noted.append(signum)

    def wait(self, timeout: float) -> list[int]:
        """The signals received since the last call, each once, waiting up to ``timeout`` seconds for the first one."""
        if not self._noted and select.select([self._r], [], [], timeout)[0]:
            try:
                self._r.recv(4096)
            except BlockingIOError:
                pass
        noted, self._noted = self._noted, []
        return list(dict.fromkeys(noted))

    def close(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._r.close()
        self._w.close()
