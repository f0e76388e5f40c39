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
  listen queue (``BACKLOG``) for a slot. So held-open connections, however many, delay a real
  request by a second at most;
- a connection silent for ``IDLE_TIMEOUT`` (30 s) is closed;
- a client that does not read its replies is not read from until it does;
- all connections together hold at most ``MAX_BUFFERED`` (16 MiB) of unanswered requests and
  unread replies; past that, the connection holding the most is closed.
Memory is therefore bounded by about MAX_BUFFERED + MAX_CLIENTS x 1 KiB; waiting clients cost the
daemon nothing (the kernel holds them).

Access. The socket is mode 0600: it is bound under a temporary name, chmod-ed, then renamed into
place, so it never exists with wider rights. Its folder must belong to the user (one that others
can enter gets a warning). A lock file beside it (``lofid.sock.lock``, holding the owner's pid)
decides which lofid owns the socket: a second daemon refuses to start instead of stealing it, and
a socket left by a crashed run (whose lock died with it) is replaced.

Threads. The server is one thread running a selector. It calls the target's methods one at a
time from that thread, so they must only hand changes to the player and return; the audio never
waits on this thread.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import resource
import selectors
import socket
import stat
import threading
import time
from pathlib import Path

from lofid.control.protocol import Controllable, error_line, handle
from lofid.errors import LofidError

log = logging.getLogger("lofid.control")

MAX_LINE = 64 * 1024  # bytes in one request line
MAX_CLIENTS = 4096  # connections served at once
EVICT_AFTER = 1.0  # seconds of silence after which a connection gives its slot to a newcomer
MAX_BUFFERED = 16 * 1024 * 1024  # bytes of unanswered requests and unread replies, all connections together
BACKLOG = 256  # connections that may wait for a slot (the kernel caps it at net.core.somaxconn)
IDLE_TIMEOUT = 30.0  # seconds of silence before a connection is closed
_OUT_HIGH = 256 * 1024  # bytes of unread replies at which a client stops being read
_MAX_SKIP = 16 * 1024 * 1024  # bytes of an over-long line thrown away before the connection is cut
_FD_RESERVE = 256  # open files kept for the rest of the daemon (soundfont, sound server, state, logs)
_FD_PAUSE = 1.0  # seconds the server stops accepting after running out of open files


class _Client:
    __slots__ = ("sock", "inbuf", "outbuf", "last", "closing", "skipped", "counted")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.last = time.monotonic()
        self.closing = False  # close once outbuf is sent
        self.skipped = -1  # >= 0: bytes of an over-long line thrown away so far
        self.counted = 0  # bytes of inbuf + outbuf in the server's total when last counted


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
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._lock_fd: int | None = None
        self._inode = 0
        self._wake_r, self._wake_w = socket.socketpair()

    def __enter__(self) -> ControlServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> ControlServer:
        try:
            _check_folder(self.path.parent)
            self._lock_fd = _take_lock(self.path)
            self._listener = _bind(self.path)
        except BaseException:
            self.close()
            raise
        self._inode = os.stat(self.path).st_ino
        fits = _raise_open_files(self.max_clients + _FD_RESERVE) - _FD_RESERVE
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
            self._wake_w.send(b"x")
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

    # -- the loop (server thread only) --

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                events = self._sel.select(self._timeout())
                for key, mask in events:
                    if key.data == "listen":
                        self._accept()
                    elif key.data == "wake":
                        self._wake_r.recv(64)
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
        if self._clients:
            wake.append(min(c.last for c in self._clients.values()) + self.idle_timeout)
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
                client.outbuf += handle(self.target, line)
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

    def _expire(self) -> None:
        now = time.monotonic()
        for client in [c for c in self._clients.values() if now - c.last > self.idle_timeout]:
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


def _raise_open_files(want: int) -> int:
    """Raise this process's soft open-files limit towards ``want`` (within the hard limit); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        target = want if hard == resource.RLIM_INFINITY else min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as e:
            log.debug("control: open-files limit stays %d (%s)", soft, e)
    return want if soft == resource.RLIM_INFINITY else soft


def _check_folder(folder: Path) -> None:
    """The socket's folder exists and is the user's own; one that others can enter is warned about."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError as e:
        raise LofidError(f"cannot make the control socket folder {folder}: {e.strerror}") from None
    if info.st_uid != os.getuid():
        raise LofidError(f"{folder} belongs to user id {info.st_uid}, not you: refusing to put the control "
                         "socket there (set control.socket)")
    if info.st_mode & 0o077:
        log.warning("%s can be entered by other users; the control socket in it is still 0600", folder)


def _take_lock(path: Path) -> int:
    """Hold the lock that says this process owns ``path``; LofidError if a live lofid holds it."""
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise LofidError(f"cannot open the lock file {lock}: {e.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise LofidError(f"lofid is already running (pid {owner}, control socket {path}); "
                         "stop it first, or give this one another control.socket") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _bind(path: Path) -> socket.socket:
    """A listening socket at ``path``, mode 0600 from its first moment, replacing a stale one."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISSOCK(mode):
        raise LofidError(f"{path} exists and is not a socket: remove it or set control.socket")
    if mode is not None and _answers(path):  # a server that does not use the lock: do not steal it
        raise LofidError(f"another program is serving the control socket {path}; stop it first")
    tmp = path.with_name(f".lofid-{os.getpid()}.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        tmp.unlink(missing_ok=True)
        sock.bind(str(tmp))
        os.chmod(tmp, 0o600)
        sock.listen(BACKLOG)
        os.replace(tmp, path)
    except OSError as e:
        sock.close()
        tmp.unlink(missing_ok=True)
        raise LofidError(f"cannot create the control socket {path}: {e.strerror or e}") from None
    if mode is not None:
        log.info("replaced a stale control socket left by an earlier run (%s)", path)
    sock.setblocking(False)
    return sock


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()
