"""The client side of the control socket: one request, one reply (what ``lofid ctl`` and scripts use).

Kept apart from the server and the command table so that ``lofid ctl`` imports only the standard
library and this module: a ctl call costs little more than starting Python.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lofid.errors import LofidError

CLIENT_TIMEOUT = 5.0  # seconds `lofid ctl` waits for an answer
_MAX_REPLY = 16 * 1024 * 1024  # bytes the client accepts before giving up on a reply
_RETRY_S = 0.01  # seconds between connection attempts while the listen backlog is full


def _connect(sock: socket.socket, path: Path, timeout: float) -> None:
    """Connect, waiting (up to ``timeout``) while the listen backlog is full: a Unix socket with a
    timeout fails at once with EAGAIN then, and a burst of clients would see it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock.connect(str(path))
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TimeoutError from None
            time.sleep(_RETRY_S)


def _connected(path: Path, timeout: float) -> socket.socket:
    """A socket connected to the daemon at ``path``; not reaching it is a LofidError saying why."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        _connect(sock, path, timeout)
        return sock
    except (FileNotFoundError, NotADirectoryError):
        why = f"not running (no socket at {path})"
    except ConnectionRefusedError:
        why = f"not running (a stale socket at {path}, left by a run that ended)"
    except PermissionError:
        why = f"cannot reach {path}: permission denied (is it another user's?)"
    except TimeoutError:
        why = f"lofid did not answer within {timeout:g} s ({path})"
    except OSError as e:
        why = f"cannot reach lofid at {path}: {e.strerror or e}"
    sock.close()
    raise LofidError(why)


def _lines(sock: socket.socket, path: Path, timeout: float) -> Iterator[str]:
    """The lines the daemon sends, as they come, until it closes the connection."""
    data = bytearray()
    try:
        while True:
            end = data.find(b"\n")
            if end >= 0:
                line = bytes(data[:end])
                del data[:end + 1]
                yield line.decode("utf-8", errors="replace")
                continue
            if len(data) > _MAX_REPLY:
                raise LofidError(f"lofid sent a line over {_MAX_REPLY} bytes ({path})")
            chunk = sock.recv(65536)
            if not chunk:
                if data:
                    yield bytes(data).decode("utf-8", errors="replace")
                return
            data += chunk
    except TimeoutError:
        raise LofidError(f"lofid did not answer within {timeout:g} s ({path})") from None
    except OSError as e:
        raise LofidError(f"lost the connection to lofid ({path}): {e.strerror or e}") from None


def _send(sock: socket.socket, message: dict[str, object]) -> None:
    try:
        sock.sendall((json.dumps(message, allow_nan=False) + "\n").encode())
    except (BrokenPipeError, ConnectionResetError):
        pass  # a full server says why and closes at once: its error line is still there to read


def _reply(lines: Iterator[str], path: Path) -> tuple[dict[str, Any], str]:
    line = next(lines, "")
    try:
        reply = json.loads(line)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or "ok" not in reply:
        raise LofidError(f"lofid closed the connection without a readable answer ({path})")
    return reply, line


def request(path: Path, message: dict[str, object], timeout: float = CLIENT_TIMEOUT) -> tuple[dict[str, Any], str]:
    """Send one request to the daemon at ``path``; return its reply and the raw reply line.

    Not reaching the daemon is a LofidError with a one-line reason (not running, stale, no answer).
    """
    with _connected(path, timeout) as sock:
        _send(sock, message)
        return _reply(_lines(sock, path, timeout), path)


def watch(path: Path, timeout: float = CLIENT_TIMEOUT) -> Iterator[tuple[dict[str, Any], str]]:
    """Subscribe to the daemon's events: yields (event, raw line) as each change happens, forever.

    The subscription's own reply must come within ``timeout``; then it waits as long as it takes.
    A refusal is a LofidError with the daemon's reason; the daemon stopping ends the iteration.
    """
    with _connected(path, timeout) as sock:
        _send(sock, {"cmd": "watch"})
        lines = _lines(sock, path, timeout)
        reply, _ = _reply(lines, path)
        if not reply["ok"]:
            raise LofidError(reply.get("error", "refused"))
        sock.settimeout(None)
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and "event" in event:
                yield event, line
