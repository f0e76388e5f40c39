"""The selector loop that serves a line protocol: the control socket's and the MPD door's.

A subclass says where it listens (``_open``, ``_shut``), what a connection is greeted with, how a
line is answered (``_answer``), and what each connection is sent of a published event (``_event``);
this module keeps the connections and their limits, the same for every door.

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
- a connection silent for ``IDLE_TIMEOUT`` (30 s) is closed, unless it listens for events;
- a client that does not read its replies is not read from until it does;
- all connections together hold at most ``MAX_BUFFERED`` (16 MiB) of unanswered requests and
  unread replies; past that, the connection holding the most is closed.
Memory is therefore bounded by about MAX_BUFFERED + MAX_CLIENTS x 1 KiB; waiting clients cost the
daemon nothing (the kernel holds them).

Events. ``publish`` may be called from any thread: the subclass prepares the event there
(``_prepare``), the loop hands it to every connection (``_event``). Events follow the replies'
back-pressure: a listening connection holding more than ``_OUT_HIGH`` of unread lines when the
next event comes is closed (it would only fall further behind); the daemon never waits for one.

Threads. The server is one thread running a selector. It calls the target's methods from that
thread, one at a time, while other threads may call them too (the threading rule is
``lofid.control.protocol.Controllable``'s): they hand changes to the player and return, and the
audio never waits on this thread.
"""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any, TypeVar

from lofid.control.listener import FD_RESERVE, raise_open_files
from lofid.control.protocol import MAX_REQUEST

log = logging.getLogger("lofid.control")

MAX_LINE = MAX_REQUEST  # bytes in one request line
MAX_CLIENTS = 4096  # connections served at once
EVICT_AFTER = 1.0  # seconds of silence after which a connection gives its slot to a newcomer
MAX_BUFFERED = 16 * 1024 * 1024  # bytes of unanswered requests and unread replies, all connections together
IDLE_TIMEOUT = 30.0  # seconds of silence before a connection is closed
_OUT_HIGH = 256 * 1024  # bytes of unread replies at which a client stops being read
_MAX_SKIP = 16 * 1024 * 1024  # bytes of an over-long line thrown away before the connection is cut
_FD_PAUSE = 1.0  # seconds the server stops accepting after running out of open files


_Server = TypeVar("_Server", bound="LineServer")  # what start() and bind() return: the server itself, as its class

class Client:
    """One connection: its buffers, and what the protocol keeps of it (``session``)."""

    __slots__ = ("sock", "inbuf", "outbuf", "last", "closing", "skipped", "counted", "listening", "session")

    def __init__(self, sock: socket.socket, session: Any) -> None:
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.last = time.monotonic()
        self.closing = False  # close once outbuf is sent
        self.skipped = -1  # >= 0: bytes of an over-long line thrown away so far
        self.counted = 0  # bytes of inbuf + outbuf in the server's total when last counted
        self.listening = False  # waits for events: never closed for being silent
        self.session = session  # the protocol's state of this connection (None for the control socket)


class LineServer:
    """Serves ``target`` from one background thread on the socket ``_open`` gives.

    ``start()`` takes the socket (raising LofidError if it cannot) before it returns. ``close()``
    drops every connection and gives the socket back (``_shut``)."""

    what = "the server"  # named in the messages that close a connection
    tag = "server"  # what the log lines begin with

    def __init__(self, target: Any, *, max_clients: int = MAX_CLIENTS, idle_timeout: float = IDLE_TIMEOUT,
                 max_line: int = MAX_LINE, evict_after: float = EVICT_AFTER, max_buffered: int = MAX_BUFFERED) -> None:
        self.target = target
        self.max_clients, self.idle_timeout, self.max_line = max_clients, idle_timeout, max_line
        self.evict_after, self.max_buffered = evict_after, max_buffered
        self._clients: dict[socket.socket, Client] = {}
        self._buffered = 0  # bytes held in every client's inbuf + outbuf
        self._listen_at: float | None = None  # not accepting until then (monotonic s); None: accepting
        self._events: deque[Any] = deque()  # prepared, not yet handed to the connections (any thread appends)
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)  # publish must never wait for the loop

    # -- what a door gives ---------------------------------------------------------------------
    def _open(self) -> socket.socket:
        """The listening socket, non-blocking; raise LofidError if it cannot be had."""
        raise NotImplementedError

    def _shut(self) -> None:
        """After the listening socket is closed: give back what ``_open`` took."""

    def _session(self) -> Any:
        """A new connection's protocol state."""
        return None

    def _greet(self, client: Client) -> bytes:
        """What a new connection is sent first."""
        return b""

    def _answer(self, client: Client, line: bytes) -> bytes:
        """The reply to one line (stripped, maybe empty); may set ``client.listening``. Never raises."""
        raise NotImplementedError

    def _error(self, message: str) -> bytes:
        """A one-line error in the protocol's form, sent before a connection is closed."""
        raise NotImplementedError

    def _prepare(self, event: Mapping[str, Any]) -> Any:
        """``event`` as the connections are handed it (on the publishing thread)."""
        return event

    def _event(self, client: Client, prepared: Any) -> bytes:
        """What ``client`` is sent of a published event, now (b"": nothing)."""
        return b""

    # -- life --------------------------------------------------------------------------------------
    def __enter__(self: _Server) -> _Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self: _Server) -> _Server:
        """Bind, then serve."""
        return self.bind().serve()

    def bind(self: _Server) -> _Server:
        """Take the address (a refusal raises here); connections wait, unanswered, until ``serve``."""
        try:
            self._listener = self._open()
        except BaseException:
            self.close()
            raise
        return self

    def serve(self: _Server) -> _Server:
        """Answer on the bound address from a thread of its own."""
        assert self._listener is not None, "bind() first"
        fits = raise_open_files(self.max_clients + FD_RESERVE) - FD_RESERVE
        if fits < self.max_clients:
            log.info("%s: serving %d connections at once (the open-files limit allows no more)", self.tag,
                     max(1, fits))
            self.max_clients = max(1, fits)
        self._sel.register(self._listener, selectors.EVENT_READ, "listen")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._serve, name=f"lofid-{type(self).__name__}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, drop the clients, give back the socket. Safe to repeat."""
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
        self._shut()
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()

    @property
    def clients(self) -> int:
        return len(self._clients)

    @property
    def listeners(self) -> int:
        """Connections waiting for events now."""
        return sum(c.listening for c in list(self._clients.values()))

    def publish(self, event: Mapping[str, Any]) -> None:
        """Hand ``event`` (one of ``lofid.control.status``'s events) to the connections. Any thread."""
        self._events.append(self._prepare(event))
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
            except Exception:  # a bug here must not silence the door for the rest of the run
                log.exception("%s: server loop error", self.tag)
                time.sleep(0.1)

    def _timeout(self) -> float | None:
        wake = [self._listen_at] if self._listen_at is not None else []
        lasts = [c.last for c in self._clients.values() if not c.listening]
        if lasts:
            wake.append(min(lasts) + self.idle_timeout)
        return max(0.0, min(wake) - time.monotonic()) if wake else None

    def _accept(self) -> None:
        """Take waiting connections; with every slot taken, one per call, if a silent one makes room."""
        while self._listener is not None:
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
                log.warning("%s: out of open files with %d connections; not accepting for %g s", self.tag,
                            len(self._clients), _FD_PAUSE)
                self._pause_listening(time.monotonic() + _FD_PAUSE)
                return
            conn.setblocking(False)
            client = Client(conn, self._session())
            self._clients[conn] = client
            self._sel.register(conn, selectors.EVENT_READ, client)
            client.outbuf += self._greet(client)
            self._send(client)
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
        if self._listen_at is None and self._listener is not None:
            self._sel.unregister(self._listener)
        self._listen_at = until

    def _listen(self) -> None:
        if self._listen_at is not None and self._listener is not None:
            self._sel.register(self._listener, selectors.EVENT_READ, "listen")
            self._listen_at = None

    def _service(self, client: Client, mask: int) -> None:
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

    def _count(self, client: Client) -> None:
        """Keep the total of bytes held up to date; past ``max_buffered``, close the biggest holder."""
        held = len(client.inbuf) + len(client.outbuf)
        self._buffered += held - client.counted
        client.counted = held
        if self._buffered > self.max_buffered:
            biggest = max(self._clients.values(), key=lambda c: c.counted)
            self._goodbye(biggest, f"{self.what} holds over {self.max_buffered} bytes; "
                                   "closing the connection holding the most")

    def _receive(self, client: Client) -> None:
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

    def _process(self, client: Client) -> None:
        """Answer the complete lines waiting, as far as the client keeps reading the answers."""
        while len(client.outbuf) < _OUT_HIGH:
            end = client.inbuf.find(b"\n", 0, self.max_line + 1)
            if end < 0:
                if len(client.inbuf) > self.max_line:
                    client.outbuf += self._error(f"request longer than {self.max_line} bytes; closing")
                    data = bytes(client.inbuf)
                    client.inbuf.clear()
                    client.skipped = 0
                    self._skip(client, data)
                break
            line = bytes(client.inbuf[:end]).strip()
            del client.inbuf[:end + 1]
            client.outbuf += self._answer(client, line)
        self._send(client)

    def _skip(self, client: Client, data: bytes) -> None:
        """Throw away the rest of an over-long line (so the sender can read its error), then close."""
        client.skipped += len(data)
        if b"\n" in data or client.skipped > _MAX_SKIP:
            client.skipped = -1
            client.closing = True

    def _send(self, client: Client) -> None:
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
        """Hand the published events to the connections, closing listeners that stopped reading them."""
        while self._events:
            prepared = self._events.popleft()
            for client in list(self._clients.values()):
                if client.sock not in self._clients:
                    continue
                data = self._event(client, prepared)
                if not data:
                    continue
                if len(client.outbuf) > _OUT_HIGH:
                    self._drop(client)
                    continue
                client.outbuf += data
                self._send(client)
                if client.sock in self._clients:
                    self._count(client)

    def _expire(self) -> None:
        now = time.monotonic()
        for client in [c for c in self._clients.values() if now - c.last > self.idle_timeout and not c.listening]:
            self._goodbye(client, f"idle for {self.idle_timeout:g} s; closing")

    def _goodbye(self, client: Client, why: str) -> None:
        """Tell the client why (if its socket takes it at once), then close it."""
        try:
            client.sock.send(self._error(why))
        except OSError:
            pass
        self._drop(client)

    def _drop(self, client: Client) -> None:
        if self._clients.pop(client.sock, None) is not None:
            self._sel.unregister(client.sock)
            self._buffered -= client.counted
            self._listen()  # a slot is free again
        client.sock.close()
