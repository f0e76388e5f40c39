"""The Snapcast output against a plain loopback TCP server standing in for snapserver's tcp source.

- what arrives is raw s16le stereo: the prefill's silence, then exactly the blocks offered;
- no server: the output says "retrying" with the reason, offered blocks are not kept, and it
  connects once a server listens;
- a server that stops reading: offering never waits (the oldest blocks are dropped and counted),
  the stalled connection is given up (timed out) and a new one made.
"""

from __future__ import annotations

import socket
import threading

import numpy as np
import pytest

from lofid.addresses import SnapcastTarget
from lofid.audio.sinks import pcm16
from lofid.audio.snapcast import BYTES_PER_FRAME, PREFILL_SECONDS, SnapcastSource
from tests.support.sockets import free_port
from tests.support.waiting import until

RATE = 44100
BLOCK = 2048
PREFILL_BYTES = int(PREFILL_SECONDS * RATE) * BYTES_PER_FRAME
SMALL_RECEIVE_BUFFER = 4096  # bytes: a stalled reader's kernel takes little before the sender has to wait


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(SnapcastSource, "backoff", (0.1,))
    monkeypatch.setattr(SnapcastSource, "timeout", 1.0)


def listening(port: int = 0, receive_buffer: int | None = None) -> socket.socket:
    server = socket.socket()
    if receive_buffer:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # inherited by accepted sockets
    server.bind(("127.0.0.1", port))
    server.listen()
    server.settimeout(10)
    return server


def block(value: float) -> np.ndarray:
    return np.full((BLOCK, 2), value, np.float32)


def read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        assert chunk, f"the connection ended after {len(data)} of {size} bytes"
        data += chunk
    return data


def started(port: int) -> SnapcastSource:
    source = SnapcastSource(SnapcastTarget("127.0.0.1", port), RATE, BLOCK)
    source.start()
    return source


def test_it_sends_silence_then_exactly_the_offered_blocks_as_s16le():
    with listening() as server:
        port = server.getsockname()[1]
        source = started(port)
        try:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(10)
                until(lambda: source.state == "connected", "connected")
                blocks = [block(v) for v in (0.5, -0.25, 1.5)]  # 1.5: clipped, as the sound card would
                assert read_exactly(conn, PREFILL_BYTES) == bytes(PREFILL_BYTES)
                for b in blocks:
                    source.offer(b)
                expected = b"".join(pcm16(b) for b in blocks)
                assert read_exactly(conn, len(expected)) == expected
                assert np.frombuffer(expected[:4], "<i2").tolist() == [16384, 16384]
                assert source.status() == {"server": f"127.0.0.1:{port}", "format": "44100:16:2",
                                           "state": "connected", "connects": 1, "dropped_blocks": 0}
        finally:
            source.stop()


def test_no_server_is_retried_and_fed_once_one_listens():
    port = free_port()
    source = started(port)
    try:
        until(lambda: source.status().get("error") == "connection refused", "the refusal in the status")
        assert source.state == "retrying"
        for _ in range(100):
            source.offer(block(0.1))
        assert len(source._blocks) == 0 and source.dropped == 0  # noqa: SLF001 (nothing kept for no one)
        with listening(port) as server:
            conn, _ = server.accept()
            with conn:
                until(lambda: source.state == "connected", "connected once a server listens")
                assert "error" not in source.status()
    finally:
        source.stop()


def test_a_stalled_server_never_makes_offer_wait_and_is_given_up():
    with listening(receive_buffer=SMALL_RECEIVE_BUFFER) as server:
        source = started(server.getsockname()[1])
        try:
            stalled, _ = server.accept()  # accepted, never read
            until(lambda: source.state == "connected", "connected")
            offered = threading.Thread(target=lambda: [source.offer(block(0.2)) for _ in range(2000)])
            offered.start()
            offered.join(30)  # 93 s of audio: far more than the kernel's buffers and the queue take
            assert not offered.is_alive(), "offer() waited for the stalled server"
            assert source.dropped > 0 and len(source._blocks) <= source._blocks.maxlen  # noqa: SLF001
            until(lambda: source.status().get("error") == "timed out", "the stalled send given up")
            again, _ = server.accept()  # it reconnects on its own
            with stalled, again:
                until(lambda: source.connects == 2 and source.state == "connected", "connected again")
        finally:
            source.stop()
