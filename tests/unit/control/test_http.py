"""The HTTP door on a real socket, in front of the stand-in player: what a browser, a phone or curl sees.

- the API answers as the control socket does, in the same words, and keeps the secrets in;
- malformed, oversized, cross-site and unauthorised requests get one-line JSON errors;
- a stream reaches a listener, a listener that stops reading is dropped while another goes on
  and holds little of the kernel's memory meanwhile, and beyond the connection limit a newcomer
  is told so at once.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path

import pytest

from lofid import paths
from lofid.audio.broadcast import Broadcast
from lofid.compose.cover import CoverFacts, cover_png
from lofid.config import defaults
from lofid.control.http import SEND_BUFFER, WebServer, check_listen
from lofid.control.protocol import handle
from lofid.errors import ConfigError
from tests.support.control import Player
from tests.support.waiting import until

ICECAST = "icecast://source:hunter2@127.0.0.1:8000/lofid.mp3"


@pytest.fixture
def stream():
    return Broadcast(limit=64 * 1024)


@pytest.fixture
def events():
    return Broadcast(limit=64 * 1024)


def serve(target, stream, events, token: str = "", **kw) -> WebServer:
    return WebServer(("127.0.0.1", 0), token, target, stream, events, **kw).start()


@pytest.fixture
def web(player, stream, events):
    server = serve(player, stream, events)
    yield server
    server.close()


def request(server: WebServer, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        conn.request(method, path, body, headers or {})
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def ctl(server: WebServer, message: dict | bytes, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return request(server, "POST", "/api/ctl", body, {"Content-Type": "application/json", **(headers or {})})


def test_status_is_the_reply_ctl_status_json_prints(web, player):
    code, reply = request(web, "GET", "/api/status")
    socket_reply = json.loads(handle(player, b'{"cmd": "status"}')[0])
    assert code == 200 and reply == socket_reply and reply["status"]["state"] == "playing"


def test_control_requests_act_and_errors_are_the_sockets_own_words(web, player):
    assert ctl(web, {"cmd": "pause"}) == (200, {"ok": True, "state": "paused"})
    assert player.state == "paused"
    bad = {"cmd": "set", "key": "temperature", "value": 9}
    code, reply = ctl(web, bad)
    assert code == 400 and reply == json.loads(handle(player, json.dumps(bad).encode())[0])
    assert "temperature = 9 is not allowed" in reply["error"]
    code, reply = ctl(web, b"{not json")
    assert code == 400 and reply["ok"] is False and "\n" not in reply["error"]


def test_watch_and_save_are_refused_over_http(web, player, tmp_path):
    for message in ({"cmd": "watch"}, {"cmd": "save", "path": str(tmp_path / "take.mid")}):
        code, reply = ctl(web, message)
        assert code == 400 and reply["ok"] is False and "over HTTP" in reply["error"] or "lofid ctl save" in reply["error"]
    assert player.saved == [] and not (tmp_path / "take.mid").exists()


def test_malformed_and_oversized_requests_get_one_line_json_errors(web):
    assert request(web, "POST", "/api/ctl", b"{}", {"Content-Type": "text/plain"})[0] == 415  # a cross-site form
    assert request(web, "POST", "/api/ctl", b"x" * 70_000, {"Content-Type": "application/json"})[0] == 413
    assert request(web, "GET", "/nowhere")[0] == 404
    with socket.create_connection(("127.0.0.1", web.server_address[1]), timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")  # not even HTTP/1.0: the answer is the bare body, as HTTP/0.9 has it
        answer = sock.makefile("rb").read().decode()
    assert json.loads(answer) == {"ok": False, "error": "Bad request syntax ('NONSENSE')"}
    with socket.create_connection(("127.0.0.1", web.server_address[1]), timeout=10) as sock:
        sock.sendall(b"POST /api/ctl HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\r\n{}")
        head, _, body = sock.makefile("rb").read().decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.0 411") and "Content-Length" in json.loads(body)["error"]


def test_without_a_token_only_loopback_names_are_answered(web):
    code, reply = request(web, "GET", "/api/status", headers={"Host": "attacker.example:8765"})
    assert code == 403 and "localhost" in reply["error"]
    assert request(web, "GET", "/api/status", headers={"Host": "localhost:8765"})[0] == 200


def test_a_token_is_asked_for_by_header_or_query(player, stream, events):
    server = serve(player, stream, events, token="s3cret")
    try:
        code, reply = request(server, "GET", "/api/status")
        assert code == 401 and "token" in reply["error"]
        assert request(server, "GET", "/api/status", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert request(server, "GET", "/api/status", headers={"Authorization": "Bearer s3cret"})[0] == 200
        assert request(server, "GET", "/api/status?token=s3cret")[0] == 200
        assert ctl(server, {"cmd": "pause"})[0] == 401 and player.state == "playing"
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        conn.request("GET", "/")  # the page itself holds no secret: it asks for the token
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        server.close()


def test_the_settings_secrets_never_leave(web, player):
    player.cfg = player.cfg.replace({"output.http.token": "s3cret", "output.icecast.url": ICECAST})
    web.token = "s3cret"
    code, reply = request(web, "GET", "/api/status", headers={"Authorization": "Bearer s3cret"})
    text = json.dumps(reply)
    assert code == 200 and "s3cret" not in text and "hunter2" not in text
    assert reply["status"]["settings"]["output.icecast.url"] == "icecast://source:(hidden)@127.0.0.1:8000/lofid.mp3"


def test_beyond_loopback_needs_a_token():
    with pytest.raises(ConfigError, match="output.http.token"):
        check_listen("0.0.0.0", "")
    check_listen("0.0.0.0", "s3cret")
    check_listen("::1", "")
    with pytest.raises(ConfigError, match="output.http.token"):
        WebServer(("0.0.0.0", 0), "", Player(), Broadcast(1024), Broadcast(1024))
    assert defaults()["output.http.listen"].startswith("127.0.0.1:")


def open_stream(server: WebServer, path: str = "/stream.mp3", receive_buffer: int = 0) -> socket.socket:
    sock = socket.socket()
    if receive_buffer:  # before connecting, so the window stays small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", server.server_address[1]))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    return sock


def receive_until(sock: socket.socket, marker: bytes, timeout: float = 10.0) -> bytes:
    data, deadline = b"", time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        data += sock.recv(65536)
    return data


CHUNKS = 200  # of 32 KiB: 6.4 MB


def test_a_listener_that_stops_reading_is_dropped_and_the_others_go_on(player, events):
    stream = Broadcast(limit=1 << 20)
    server = serve(player, stream, events, send_seconds=1.0)
    fast, slow = open_stream(server), open_stream(server, receive_buffer=4096)
    until(lambda: stream.subscribers == 2, "both listeners connected", 10)
    received = bytearray()
    reading = threading.Thread(target=lambda: received.extend(receive_until(fast, b"the end", 30)), daemon=True)
    reading.start()
    chunk = bytes(range(256)) * 128  # 32 KiB
    try:
        for _ in range(CHUNKS):  # far beyond the slow one's 1 MiB buffer and its sockets' (128 KiB sent, 4 KiB read)
            stream.publish(chunk)
            time.sleep(0.005)  # about 6 MB/s: a fast reader's pace on a busy machine, 50 times a stream's
        until(lambda: server.dropped_listeners == 1, "the slow listener dropped", 10)
        stream.publish(b"the end")
        reading.join(30)
        assert received.endswith(b"the end") and len(received) > CHUNKS * len(chunk)
        assert server.listeners == 1 and server.dropped_listeners == 1
    finally:
        fast.close()
        slow.close()
        server.close()


def unsent(port: int, peer: int) -> int:
    """Bytes the kernel holds unsent on the connection from ``port`` to ``peer`` (tx_queue, /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(f.split(":")[1], 16) for f in fields[1:3])
        if (local, remote) == (port, peer):
            return int(fields[4].split(":")[0], 16)
    raise AssertionError(f"no connection {port} -> {peer}")


def test_a_stalled_listener_holds_little_of_the_kernels_memory(player, events):
    stream = Broadcast(limit=16 << 20)  # the fan-out would take it all: what the kernel takes is the question
    server = serve(player, stream, events, send_seconds=30.0)
    stalled = open_stream(server, receive_buffer=4096)
    try:
        until(lambda: stream.subscribers == 1, "the listener connected", 10)
        chunk = bytes(range(256)) * 128  # 32 KiB
        for _ in range(128):  # 4 MiB: what Linux lets a loopback connection queue when left to itself
            stream.publish(chunk)
            time.sleep(0.002)
        port, peer = server.server_address[1], stalled.getsockname()[1]
        until(lambda: unsent(port, peer) > SEND_BUFFER // 2, "the send queue filled", 10)
        time.sleep(0.5)  # the handler has had every chance to queue more
        assert unsent(port, peer) <= 2 * SEND_BUFFER  # Linux doubles the size asked for, for its bookkeeping
    finally:
        stalled.close()
        server.close()


def test_events_arrive_as_server_sent_events(web, events):
    sock = open_stream(web, "/api/events")
    until(lambda: events.subscribers == 1, "the event stream open", 10)
    events.publish(b'{"event": "state", "state": "paused"}\n')
    data = receive_until(sock, b'"paused"}\n\n', 10)
    sock.close()
    assert b"text/event-stream" in data and b'data: {"event": "state", "state": "paused"}\n\n' in data


def test_beyond_the_connection_limit_a_newcomer_is_told_at_once(player, stream, events):
    server = serve(player, stream, events, max_connections=2)
    held = [open_stream(server), open_stream(server)]
    try:
        until(lambda: stream.subscribers == 2, "both listeners connected", 10)
        code, reply = request(server, "GET", "/api/status")
        assert code == 503 and "too many connections" in reply["error"]
    finally:
        for sock in held:
            sock.close()
        server.close()
    assert server.refused == 1


def fetch(server: WebServer, path: str) -> tuple[int, str, str, bytes]:
    """(status, Content-Type, Cache-Control, body) of a GET."""
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.getheader("Content-Type"), answer.getheader("Cache-Control"), answer.read()
    finally:
        conn.close()


def test_covers_are_served_from_the_cache_the_playing_ones_by_its_own_url_too(player, stream, events, tmp_path,
                                                                                monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    server = serve(player, stream, events, token="s3cret")
    try:
        assert fetch(server, "/cover.png?token=s3cret")[0] == 404  # the track's cover is not painted yet
        png = cover_png(CoverFacts("rainy window", "Eb minor", 78.0, "wurli", "auto", 23, 1), size=64)
        cover = "0123456789abcdef"
        (tmp_path / "lofid" / "covers").mkdir(parents=True)
        paths.cover_path(cover).write_bytes(png)
        player.cover = cover
        assert fetch(server, "/cover.png?token=s3cret") == (200, "image/png", "no-store", png)
        code, kind, keep, body = fetch(server, f"/cover/{cover}.png?token=s3cret")
        assert (code, kind, body) == (200, "image/png", png) and "immutable" in keep
        assert fetch(server, f"/cover/{cover}.png")[0] == 401  # the token rules hold for pictures too
        assert fetch(server, "/cover/fedcba9876543210.png?token=s3cret")[0] == 404  # cleaned away, or never made
        assert fetch(server, "/cover/..%2f..%2fstate.png?token=s3cret")[0] == 404  # only IDs name files
    finally:
        server.close()
