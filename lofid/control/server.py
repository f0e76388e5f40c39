"""The control socket's server: the daemon's end of the Unix socket `lofid ctl` talks to.

One JSON object per line each way (UTF-8, newline-terminated); what the lines mean is
``lofid.control.protocol``, the client is ``lofid.control.client``. Several requests may share one
connection.

Limits. lofid runs for days unattended, so a stuck or hostile client must neither wedge it nor
grow its memory. One thread serves every connection from a selector (epoll, kqueue), so a silent
connection costs about a kilobyte and no thread:
- a request line is at most ``MAX_LINE`` (64 KiB); a longer one gets an error at once, the rest of
  it is read and thrown away (at most 16 MiB), and the connection closes;
- at most ``MAX_CLIENTS`` (4096) connections are served at once (the open-files limit is raised to
  fit, or the number lowered to fit it). When all are taken, the one silent longest makes room for
  a newcomer if it has been silent ``EVICT_AFTER`` (1 s); otherwise newcomers wait in the socket's
  listen queue (``listener.BACKLOG``) for a slot. So held-open connections, however many, delay a real
  request by a second at most;
- a connection silent for ``IDLE_TIMEOUT`` (30 s) is closed;
- a client that does not read its replies is not read from until it does;
- all connections together hold at most ``MAX_BUFFERED`` (16 MiB) of unanswered requests and
  unread replies; past that, the connection holding the most is closed.
Memory is therefore bounded by about MAX_BUFFERED + MAX_CLIENTS x 1 KiB; waiting clients cost the
daemon nothing (the kernel holds them).

Watching. A connection that sent ``watch`` is sent every event ``publish`` is given, one line each,
after its replies. It is not closed for being silent (it listens), and may still send requests.
Events follow the replies' back-pressure: a watcher holding more than ``_OUT_HIGH`` of unread
lines when the next event comes is closed (it would only fall further behind); the daemon never
waits for one.

Access (a private folder, the owner's lock, a socket that is 0600 from its first moment) is
``lofid.control.listener``.

Threads. The server is one thread running a selector. It calls the target's methods from that
thread, one at a time, while other threads may call them too (the threading rule is
``lofid.control.protocol.Controllable``'s): they hand changes to the player and return, and the
audio never waits on this thread. ``publish`` may be called from any thread: it queues the event
and wakes the selector.
"""

from __future__ import annotations

import errno
import logging
import os
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lofid.control.listener import FD_RESERVE, bind, check_folder, raise_open_files, take_lock
from lofid.control.protocol import MAX_REQUEST, Controllable, encode, error_line, handle

log = logging.getLogger("lofid.control")

MAX_LINE = MAX_REQUEST  # bytes in one request line
MAX_CLIENTS = 4096  # connections served at once
EVICT_AFTER = 1.0  # seconds of silence after which a connection gives its slot to a newcomer
MAX_BUFFERED = 16 * 1024 * 1024  # bytes of unanswered requests and unread replies, all connections together
IDLE_TIMEOUT = 30.0  # seconds of silence before a connection is closed
_OUT_HIGH = 256 * 1024  # bytes of unread replies at which a client stops being read
_MAX_SKIP = 16 * 1024 * 1024  # bytes of an over-long line thrown away before the connection is cut
_FD_PAUSE = 1.0  # seconds the server stops accepting after running out of open files


class _Client:
    __slots__ = ("sock", "inbuf", "outbuf", "last", "closing", "skipped", "counted", "watching")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.last = time.monotonic()
        self.closing = False  # close once outbuf is sent
        self.skipped = -1  # >= 0: bytes of an over-long line thrown away so far
        self.counted = 0  # bytes of inbuf + outbuf in the server's total when last counted
        self.watching = False  # sent every published event


class ControlServer:
    """Serves ``target`` on the Unix socket ``path`` from one background thread.

    ``start()`` takes the socket (raising LofidError if another lofid owns it) before it returns,
    so a daemon that cannot be controlled never starts playing. ``close()`` removes the socket.
    """

    def __init__(self, path: Path, target: Controllable, *, max_clients: int = MAX_CLIENTS,
                 idle_timeout: float = IDLE_TIMEOUT, max_line: int = MAX_LINE, evict_after: float = EVICT_AFTER,
                 max_buffered: int = MAX_BUFFERED) -> None:
        self.path = Path(path)
        self.target = target
        self.max_clients, self.idle_timeout, self.max_line = max_clients, idle_timeout, max_line
        self.evict_after, self.max_buffered = evict_after, max_buffered
        self._clients: dict[socket.socket, _Client] = {}
        self._buffered = 0  # bytes held in every client's inbuf + outbuf
        self._listen_at: float | None = None  # not accepting until then (monotonic s); None: accepting
        self._events: deque[bytes] = deque()  # published, not yet handed to the watchers (any thread appends)
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._lock_fd: int | None = None
        self._inode = 0
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)  # publish must never wait for the loop

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> ControlServer:
        try:
            check_folder(self.path.parent)
            self._lock_fd = take_lock(self.path)
            self._listener = bind(self.path)
        except BaseException:
            self.close()
            raise
        self._inode = os.stat(self.path).st_ino
        fits = raise_open_files(self.max_clients + FD_RESERVE) - FD_RESERVE
        if fits < self.max_clients:
            log.info("control: serving %d connections at once (the open-files limit allows no more)", max(1, fits))
            self.max_clients = max(1, fits)
        self._sel.register(self._listener, selectors.EVENT_READ, "listen")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._serve, name="lofid-control", daemon=True)
        self._thread.start()
        log.debug("control socket at %s", self.path)
        return self

    def close(self) -> None:
        """Stop serving, drop the clients, remove the socket (if it is still ours). Safe to repeat."""
        if self._thread is not None:
            self._stop.set()
            self._wake()
            self._thread.join(5)
            self._thread = None
        for client in list(self._clients.values()):
            self._drop(client)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            try:
                if os.stat(self.path).st_ino == self._inode:
                    os.unlink(self.path)
            except FileNotFoundError:
                pass
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()

    @property
    def clients(self) -> int:
        return len(self._clients)

    @property
    def watchers(self) -> int:
        return sum(c.watching for c in list(self._clients.values()))

    def publish(self, event: Mapping[str, Any]) -> None:
        """Send ``event`` (one of ``lofid.control.status``'s events) to every watching connection. Any thread."""
        self._events.append(encode(event))
        self._wake()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:  # closed, or wakes already pending fill the pair: the loop will look anyway
            pass

    # -- the loop (server thread only) --

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                events = self._sel.select(self._timeout())
                for key, mask in events:
                    if key.data == "listen":
                        self._accept()
                    elif key.data == "wake":
                        self._wake_r.recv(4096)
                        self._deliver()
                    else:
                        self._service(key.data, mask)
                self._expire()
                if self._listen_at is not None and time.monotonic() >= self._listen_at:
                    self._listen()
            except Exception:  # a bug here must not silence control for the rest of the run
                log.exception("control: server loop error")
                time.sleep(0.1)

    def _timeout(self) -> float | None:
        wake = [self._listen_at] if self._listen_at is not None else []
        lasts = [c.last for c in self._clients.values() if not c.watching]
        if lasts:
            wake.append(min(lasts) + self.idle_timeout)
        return max(0.0, min(wake) - time.monotonic()) if wake else None

    def _accept(self) -> None:
        """Take waiting connections; with every slot taken, one per call, if a silent one makes room."""
        while True:
            full = len(self._clients) >= self.max_clients
            if full and not self._make_room():
                return
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno not in (errno.EMFILE, errno.ENFILE):
                    raise
                log.warning("control: out of open files with %d connections; not accepting for %g s",
                            len(self._clients), _FD_PAUSE)
                self._pause_listening(time.monotonic() + _FD_PAUSE)
                return
            conn.setblocking(False)
            client = _Client(conn)
            self._clients[conn] = client
            self._sel.register(conn, selectors.EVENT_READ, client)
            if full:
                return

    def _make_room(self) -> bool:
        """Close the connection silent longest if it has been silent ``evict_after``; else stop
        accepting until it will have been (or a slot frees), so newcomers wait in the listen queue."""
        idlest = min(self._clients.values(), key=lambda c: c.last)
        if time.monotonic() - idlest.last < self.evict_after:
            self._pause_listening(idlest.last + self.evict_after)
            return False
        self._goodbye(idlest, "every connection slot is taken; closing the one silent longest")
        return True

    def _pause_listening(self, until: float) -> None:
        if self._listen_at is None:
            self._sel.unregister(self._listener)
        self._listen_at = until

    def _listen(self) -> None:
        if self._listen_at is not None and self._listener is not None:
            self._sel.register(self._listener, selectors.EVENT_READ, "listen")
            self._listen_at = None

    def _service(self, client: _Client, mask: int) -> None:
        if client.sock not in self._clients:  # closed to make room earlier in this round of events
            return
        if mask & selectors.EVENT_WRITE:
            self._send(client)
        if mask & selectors.EVENT_READ and client.sock in self._clients:
            self._receive(client)
        if client.sock in self._clients:
            self._process(client)
        if client.sock in self._clients:
            self._count(client)

    def _count(self, client: _Client) -> None:
        """Keep the total of bytes held up to date; past ``max_buffered``, close the biggest holder."""
        held = len(client.inbuf) + len(client.outbuf)
        self._buffered += held - client.counted
        client.counted = held
        if self._buffered > self.max_buffered:
            biggest = max(self._clients.values(), key=lambda c: c.counted)
            self._goodbye(biggest, f"the control server holds over {self.max_buffered} bytes; "
                                   "closing the connection holding the most")

    def _receive(self, client: _Client) -> None:
        try:
            data = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(client)
            return
        client.last = time.monotonic()
        if data and client.skipped >= 0:
            self._skip(client, data)
        elif data:
            client.inbuf += data
        else:  # the client is done sending: a last line without a newline still gets its answer
            if client.inbuf.strip():
                client.inbuf += b"\n"
            client.closing = True

    def _process(self, client: _Client) -> None:
        """Answer the complete lines waiting, as far as the client keeps reading the answers."""
        while len(client.outbuf) < _OUT_HIGH:
            end = client.inbuf.find(b"\n", 0, self.max_line + 1)
            if end < 0:
                if len(client.inbuf) > self.max_line:
                    client.outbuf += error_line(f"request longer than {self.max_line} bytes; closing")
                    data = bytes(client.inbuf)
                    client.inbuf.clear()
                    client.skipped = 0
                    self._skip(client, data)
                break
            line = bytes(client.inbuf[:end]).strip()
            del client.inbuf[:end + 1]
            if line:
                reply, done = handle(self.target, line)
                client.outbuf += reply
                client.watching |= done == "watch"
        self._send(client)

    def _skip(self, client: _Client, data: bytes) -> None:
        """Throw away the rest of an over-long line (so the sender can read its error), then close."""
        client.skipped += len(data)
        if b"\n" in data or client.skipped > _MAX_SKIP:
            client.skipped = -1
            client.closing = True

    def _send(self, client: _Client) -> None:
        if client.outbuf:
            try:
                sent = client.sock.send(client.outbuf)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._drop(client)
                return
            del client.outbuf[:sent]
            if sent:
                client.last = time.monotonic()
        if client.closing and not client.outbuf and not client.inbuf.strip(b"\n"):
            self._drop(client)
            return
        # Lines still waiting (a batch stopped at _OUT_HIGH) come back through a write event, which
        # fires as soon as there is room: other clients get their turn in between.
        events = selectors.EVENT_WRITE if client.outbuf or b"\n" in client.inbuf else 0
        if len(client.outbuf) < _OUT_HIGH and not client.closing:
            events |= selectors.EVENT_READ
        self._sel.modify(client.sock, events, client)

    def _deliver(self) -> None:
        """Hand the published events to the watchers, closing any that stopped reading them."""
        while self._events:
            line = self._events.popleft()
            for client in [c for c in self._clients.values() if c.watching]:
                if len(client.outbuf) > _OUT_HIGH:
                    self._drop(client)
                    continue
                client.outbuf += line
                self._send(client)
                if client.sock in self._clients:
                    self._count(client)

    def _expire(self) -> None:
        now = time.monotonic()
        for client in [c for c in self._clients.values() if now - c.last > self.idle_timeout and not c.watching]:
            self._goodbye(client, f"idle for {self.idle_timeout:g} s; closing")

    def _goodbye(self, client: _Client, why: str) -> None:
        """Tell the client why (if its socket takes it at once), then close it."""
        try:
            client.sock.send(error_line(why))
        except OSError:
            pass
        self._drop(client)

    def _drop(self, client: _Client) -> None:
        if self._clients.pop(client.sock, None) is not None:
            self._sel.unregister(client.sock)
            self._buffered -= client.counted
            self._listen()  # a slot is free again
        client.sock.close()
