"""Tell systemd how the daemon is doing, through ``$NOTIFY_SOCKET``, with no library.

Under ``Type=notify`` systemd waits for READY=1 before it calls the service started, shows the
STATUS= line in ``systemctl --user status lofid``, restarts the daemon when WATCHDOG=1 stops coming
for ``WatchdogSec``, and knows a stop is under way from STOPPING=1. Outside systemd (no
``$NOTIFY_SOCKET``) every call does nothing, so the daemon calls these unconditionally.

The protocol is one datagram of ``KEY=value`` lines to a Unix socket; an address starting with
``@`` is in the abstract namespace (a leading NUL byte).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger("lofid.sdnotify")
THAWED_SECONDS = 1.0  # a watchdog wait overrunning by this much means the process was frozen


class Notifier:
    """A connection to systemd's notify socket (``address`` defaults to ``$NOTIFY_SOCKET``)."""

    def __init__(self, address: str | None = None) -> None:
        address = os.environ.get("NOTIFY_SOCKET") if address is None else address
        self._address = ""
        self._sock = None
        self._warned = False
        if not address:
            return
        if address[0] not in "/@":  # e.g. vsock: addresses of newer systemd, not for a user service
            log.warning("NOTIFY_SOCKET=%s is not a Unix socket address; not notifying systemd", address)
            return
        self._address = "\0" + address[1:] if address[0] == "@" else address
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def send(self, **fields: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; True if systemd got it. Never raises."""
        if self._sock is None:
            return False
        message = "\n".join(f"{key}={' '.join(str(value).split())}" for key, value in fields.items())
        try:
            self._sock.sendto(message.encode(), self._address)
        except OSError as e:
            if not self._warned:  # once: a gone manager must not flood the log every watchdog tick
                log.warning("cannot notify systemd at %s: %s", self._address.lstrip("\0"), e.strerror or e)
                self._warned = True
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send(READY="1", **({"STATUS": status} if status else {}))

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)

    def watchdog(self) -> bool:
        return self.send(WATCHDOG="1")

    def stopping(self, status: str | None = None) -> bool:
        return self.send(STOPPING="1", **({"STATUS": status} if status else {}))

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (a quarter of ``$WATCHDOG_USEC``), or None when none is asked.

    sd_watchdog_enabled(3) asks for half at most; a quarter leaves the rest of ``WatchdogSec`` for
    a freeze (SIGSTOP for 20 s, then SIGCONT, with WatchdogSec=40) to pass without a restart.

    ``$WATCHDOG_PID``, when set, must be this process: the variables may be inherited by a child.
    """
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 4e6


def advancing(read: Callable[[], int]) -> Callable[[], bool]:
    """A health check for ``start_watchdog``: healthy while ``read()`` (say, samples rendered)
    has moved since the check before."""
    last = [-1]

    def moved() -> bool:
        now = read()
        alive, last[0] = now != last[0], now
        return alive

    return moved


def start_watchdog(notifier: Notifier, healthy: Callable[[], bool], interval: float | None = None) -> threading.Event | None:
    """Ping the watchdog from a background thread while ``healthy()`` holds; set the returned event to stop.

    ``healthy`` should say whether the music is really moving (say, audio rendered since the last
    ping), so that a stuck daemon stops pinging and systemd restarts it. None if no watchdog is asked.
    """
    interval = watchdog_interval() if interval is None else interval
    if interval is None or not notifier.enabled:
        return None
    stop = threading.Event()

    def ping() -> None:
        last = time.monotonic()
        while not stop.wait(interval):
            # Woken much later than asked: the whole process was frozen (SIGSTOP, suspend), so a playback
            # that did not move meanwhile is no sign of a hang. Ping; the next check judges afresh.
            now = time.monotonic()
            thawed, last = now - last > interval + THAWED_SECONDS, now
            try:
                alive = healthy()
            except Exception:
                log.exception("watchdog health check failed")
                alive = False
            if alive or thawed:
                notifier.watchdog()
            else:
                log.warning("not pinging the systemd watchdog: playback looks stuck")

    threading.Thread(target=ping, name="lofid-watchdog", daemon=True).start()
    return stop
