"""The HTTP door: the MP3 stream, the web remote, and the control protocol as JSON, for a household.

    GET  /            the web remote (remote.html, one self-contained page)
    GET  /stream.mp3  the MP3 stream, endless (what phones, browsers, VLC and speakers play)
    GET  /api/status  {"ok": true, "status": {...}}, the reply `lofid ctl status --json` prints
    POST /api/ctl     one control request as JSON, exactly as the socket takes it -> its reply
                      (HTTP 200 when ok, 400 when not); "watch" is /api/events, "save" stays local
    GET  /api/events  server-sent events: each event a watching socket connection receives
    GET  /cover.png   the playing track's cover (404 until it is painted)
    GET  /cover/ID.png  a cover by its ID (``status.track.cover``): the same picture always, kept
                      a day in caches; the daemon keeps the last few in the user's cache folder

Auth: with ``output.http.token`` set, everything but the page asks for it, as ``Authorization:
Bearer TOKEN`` or ``?token=TOKEN`` (players and EventSource cannot send headers). Without one the
server must listen on loopback (``check_listen``), and it answers only requests addressed to a
loopback name, so a web page elsewhere cannot rebind its own name to it; a POST must say it is JSON,
which a cross-site form cannot do without the browser asking first. Secrets in the settings
(the token, Icecast's password) never leave through it.

Threads: one accepting thread (``lofid-http``) and one thread per connection, at most
``MAX_CONNECTIONS``; beyond them a newcomer is answered 503 at once. A request must arrive within
``REQUEST_SECONDS``. Streams are read from the daemon's ``Broadcast``s, each listener through a
bounded buffer: a listener that falls behind (``send`` stuck for ``SEND_SECONDS``, or its buffer
full) is dropped and counted, never waited for. The kernel's send buffer of each stream connection
is bounded too (``SEND_BUFFER``): left to itself, Linux grows it to 4 MB for a listener that
stopped reading, memory outside lofid's own that a stalled listener would pin for minutes before
``send`` ever blocked. Failure: a malformed request gets a one-line JSON error and closes only its
connection.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

from lofid import paths
from lofid.addresses import icecast_target, is_loopback
from lofid.config import SECRET_KEYS
from lofid.control.protocol import MAX_REQUEST, Controllable, encode, handle, one_line, parse_request
from lofid.control.status import HttpStatus
from lofid.errors import ConfigError, LofidError

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 256  # open connections at once (listeners, event streams, requests)
REQUEST_SECONDS = 10.0  # a request must arrive within this; then its connection is closed
SEND_SECONDS = 10.0  # a listener that takes nothing for this long is dropped
SEND_BUFFER = 64 * 1024  # bytes of kernel send buffer per stream connection (Linux doubles it): ~8 s at 128 kbps
KEEPALIVE_SECONDS = 15.0  # an idle event stream gets a comment this often, so a gone browser is noticed
REFUSED_HERE = {"watch": "watch: GET /api/events streams the events over HTTP",
                "save": "save writes a file on lofid's machine: use `lofid ctl save` there"}
ABORT = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close resets the connection, dropping what is unsent
PAGE = Path(__file__).with_name("remote.html")
COVER = re.compile(r"/cover/([0-9a-f]{16})\.png")  # a cover by its ID (lofid.compose.cover.cover_id)
COVER_SECONDS = 86400  # how long a browser may keep a cover by its ID: its picture never changes


class Reader(Protocol):
    dropped: bool  # cut off for falling behind

    def read(self, timeout: float) -> bytes | None:
        """Bytes published since the last read; None when none came within ``timeout``; b"" once cut off."""


R = TypeVar("R", bound=Reader)


class Source(Protocol[R]):
    """A fan-out of bytes to readers (``lofid.audio.broadcast.Broadcast``); a reader goes back to its source."""

    def subscribe(self) -> R: ...

    def unsubscribe(self, reader: R, /) -> None: ...


def check_listen(host: str, token: str) -> None:
    """Refuse to serve beyond this machine without a token: a ConfigError naming the settings."""
    if not token and not is_loopback(host):
        raise ConfigError(f"output.http.listen {host} is not loopback: set output.http.token, "
                          "or listen on 127.0.0.1")


class WebServer(ThreadingHTTPServer):
    """Serves ``target`` (the daemon), the MP3 ``stream`` and the protocol's ``events`` lines."""

    daemon_threads = True
    block_on_close = False  # closing does not wait for listeners: their streams end as the sources close

    def __init__(self, address: tuple[str, int], token: str, target: Controllable, stream: Source[Any],
                 events: Source[Any], *, max_connections: int = MAX_CONNECTIONS, send_seconds: float = SEND_SECONDS,
                 send_buffer: int = SEND_BUFFER) -> None:
        check_listen(address[0], token)
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        try:
            super().__init__(address, _Handler)
        except OSError as e:
            raise ConfigError(f"output.http.listen {address[0]}:{address[1]}: cannot listen there "
                              f"({e.strerror or e})") from None
        self.token, self.target, self.stream, self.events = token, target, stream, events
        self.max_connections, self.send_seconds, self.send_buffer = max_connections, send_seconds, send_buffer
        self.page = PAGE.read_bytes()
        self.listeners = 0  # MP3 listeners now
        self.dropped_listeners = 0  # listeners cut off for falling behind, since start
        self.refused = 0  # connections answered 503 for want of room
        self._active = 0
        self._count_lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.25},
                                        name="lofid-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        assert isinstance(host, str)  # an IP address (bytes only name AF_UNIX addresses)
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, which never ran otherwise
            self.shutdown()
        self.server_close()

    def count_listener(self, change: int, dropped: bool = False) -> None:
        """A listener comes (+1) or goes (-1), or was dropped for falling behind (any handler thread)."""
        with self._count_lock:
            self.listeners += change
            self.dropped_listeners += dropped

    def status(self) -> HttpStatus:
        return {"url": self.url, "listeners": self.listeners, "dropped_listeners": self.dropped_listeners}

    # Each connection is counted from accept to close; past the limit it is refused at once.
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._count_lock:
            full = self._active >= self.max_connections
            self._active += not full
        if full:
            self.refused += 1
            try:
                request.sendall(_busy({"ok": False, "error": "too many connections; try again soon"}))
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count_lock:
                self._active -= 1


class _Handler(BaseHTTPRequestHandler):
    server: WebServer
    timeout = REQUEST_SECONDS
    server_version = "lofid"

    def do_GET(self) -> None:
        route = {"/": self._page, "/stream.mp3": self._mp3, "/api/status": self._status,
                 "/api/events": self._events, "/cover.png": self._cover}.get(self._path())
        if route is None and COVER.fullmatch(self._path()):
            route = self._cover
        if route is None:
            self._reply(404, {"ok": False, "error": f"no such page {self._path()!r}: try / or /stream.mp3"})
        elif self._path() == "/" or self._allowed():  # the page holds no secret: it asks for the token
            route()

    def do_POST(self) -> None:
        if self._path() != "/api/ctl":
            self._reply(404, {"ok": False, "error": "POST only to /api/ctl"})
        elif self._allowed():
            self._control()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests (the stdlib's checks) get the protocol's one-line JSON error too."""
        self.close_connection = True
        self._reply(code, {"ok": False, "error": one_line(message or self.responses.get(code, ("error",))[0])})

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s: " + format, self.client_address[0], *args)

    # -- access -----------------------------------------------------------------------------
    def _path(self) -> str:
        return urlsplit(self.path).path

    def _allowed(self) -> bool:
        token = self.server.token
        if not token:
            host = urlsplit(f"//{self.headers.get('Host', '')}").hostname or ""
            if is_loopback(host):
                return True
            self._reply(403, {"ok": False, "error": "this lofid answers only to localhost "
                              "(set output.http.token to serve other machines)"})
            return False
        given = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            given = value.strip()
        if hmac.compare_digest(given.encode(), token.encode()):
            return True
        self._reply(401, {"ok": False, "error": "this lofid needs its token: Authorization: Bearer TOKEN "
                          "or ?token=TOKEN"}, {"WWW-Authenticate": 'Bearer realm="lofid"'})
        return False

    # -- routes -----------------------------------------------------------------------------
    def _page(self) -> None:
        self._send(200, self.server.page, "text/html; charset=utf-8")

    def _status(self) -> None:
        reply, _ = handle(self.server.target, b'{"cmd": "status"}')
        self._send(200, hidden(reply), "application/json")

    def _cover(self) -> None:
        """A cover from the cache: by its ID, or the playing track's (which changes, so never cached)."""
        named = COVER.fullmatch(self._path())
        if named is None:
            track = self.server.target.status()["track"]
            cover, keep = track.get("cover") if track is not None else None, "no-store"
        else:
            cover, keep = named.group(1), f"max-age={COVER_SECONDS}, immutable"
        try:
            data = paths.cover_path(cover).read_bytes() if cover else None
        except OSError:
            data = None
        if data is None:
            return self._reply(404, {"ok": False, "error": "no cover yet" if named is None else "no such cover (lofid "
                                     "keeps the last few)"})
        self._send(200, data, "image/png", {"Cache-Control": keep})

    def _control(self) -> None:
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            return self._reply(411, {"ok": False, "error": "a control request needs its Content-Length"})
        if int(length) > MAX_REQUEST:
            self.close_connection = True
            return self._reply(413, {"ok": False, "error": f"a control request is at most {MAX_REQUEST} bytes"})
        if self.headers.get_content_type() != "application/json":
            return self._reply(415, {"ok": False, "error": "send the request as Content-Type: application/json"})
        body = self.rfile.read(int(length))
        try:
            refusal = REFUSED_HERE.get(parse_request(body)["cmd"])
        except LofidError:
            refusal = None  # handle() answers it, in the socket's own words
        if refusal:
            return self._reply(400, {"ok": False, "error": refusal})
        reply, done = handle(self.server.target, body)
        self._send(200 if done else 400, hidden(reply), "application/json")

    def _mp3(self) -> None:
        self.server.count_listener(+1)
        try:
            self._stream(self.server.stream, "audio/mpeg", bytes, b"", {"icy-name": "lofid"})
        finally:
            self.server.count_listener(-1)

    def _events(self) -> None:
        self._stream(self.server.events, "text/event-stream", _sse, b": still here\n\n", {})

    def _stream(self, source: Source[Any], content_type: str, frame: Callable[[bytes], bytes], keepalive: bytes,
                extra: dict[str, str]) -> None:
        """Send what ``source`` publishes until the listener leaves, falls behind or lofid stops."""
        self.close_connection = True
        # Fixed before the first byte: a fixed size also stops the kernel's growing it.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.server.send_buffer)
        self.send_response(200)
        for name, value in {"Content-Type": content_type, "Cache-Control": "no-store", **extra}.items():
            self.send_header(name, value)
        self.end_headers()
        reader = source.subscribe()
        self.connection.settimeout(self.server.send_seconds)
        stuck = False
        try:
            data = reader.read(KEEPALIVE_SECONDS)
            while data != b"":  # b"": cut off for falling behind, or lofid is stopping
                self.wfile.write(frame(data) if data else keepalive)
                data = reader.read(KEEPALIVE_SECONDS)
        except TimeoutError:  # took nothing for send_seconds
            stuck = True
        except OSError:  # the listener went away
            pass
        finally:
            source.unsubscribe(reader)
        if stuck or reader.dropped:
            # Closed at once, its unsent stream thrown away: a plain close would keep it queued
            # (FIN-WAIT) for as long as the listener's window stays shut.
            with contextlib.suppress(OSError):  # already reset by the listener: nothing is queued
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, ABORT)
            self.server.count_listener(0, dropped=True)
            log.info("http: dropped %s, who fell behind %s", self.client_address[0], self._path())

    # -- replies ----------------------------------------------------------------------------
    def _reply(self, code: int, message: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(code, encode(message), "application/json", headers)

    def _send(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(code)
            for name, value in {"Content-Type": content_type, "Content-Length": str(len(body)),
                                "Cache-Control": "no-store", **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True


def _sse(lines: bytes) -> bytes:
    """Protocol lines (one JSON event each) as server-sent events."""
    return b"".join(b"data: " + line + b"\n\n" for line in lines.splitlines() if line.strip())


def _busy(message: dict[str, Any]) -> bytes:
    """A whole 503 response, sent from the accepting thread without a handler."""
    body = encode(message)
    return (f"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


def hidden(reply: bytes) -> bytes:
    """``reply`` with the settings the schema marks secret (the token, Icecast's password) masked."""
    if not any(key.encode() in reply for key in SECRET_KEYS):
        return reply
    message = json.loads(reply)
    settings = message.get("status", {}).get("settings", {})
    for key in SECRET_KEYS:
        if settings.get(key):
            settings[key] = _masked(str(settings[key]))
    return encode(message)


def _masked(value: str) -> str:
    """A secret as it may be shown: an Icecast URL keeps its user, server and mount; anything else is hidden."""
    try:
        target = icecast_target(value)
    except ValueError:
        return "(hidden)"
    return f"icecast://{target.user}:(hidden)@{target.shown}"
