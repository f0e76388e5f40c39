"""The client side of the control socket: one request, one reply (what ``lofid ctl`` and scripts use).

Kept apart from the server and the command table so that ``lofid ctl`` imports only the standard
library and this module: a ctl call costs little more than starting Python.
"""

from __future__ import annotations

import json
import socket
import time
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


def request(path: Path, message: dict[str, Any], timeout: float = CLIENT_TIMEOUT) -> tuple[dict[str, Any], str]:
    """Send one request to the daemon at ``path``; return its reply and the raw reply line.

    Not reaching the daemon is a LofidError with a one-line reason (not running, stale, no answer).
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            _connect(sock, path, timeout)
        except (FileNotFoundError, NotADirectoryError):
            raise LofidError(f"not running (no socket at {path})") from None
        except ConnectionRefusedError:
            raise LofidError(f"not running (a stale socket at {path}, left by a run that ended)") from None
        except PermissionError:
            raise LofidError(f"cannot reach {path}: permission denied (is it another user's?)") from None
        except OSError as e:
            raise LofidError(f"cannot reach lofid at {path}: {e.strerror or e}") from None
        try:
            sock.sendall((json.dumps(message, allow_nan=False) + "\n").encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # a full server says why and closes at once: its error line is still there to read
        data = bytearray()
        while b"\n" not in data and len(data) < _MAX_REPLY:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        raise LofidError(f"lofid did not answer within {timeout:g} s ({path})") from None
    except OSError as e:
        raise LofidError(f"lost the connection to lofid ({path}): {e.strerror or e}") from None
    finally:
        sock.close()
    line = bytes(data).split(b"\n", 1)[0].decode("utf-8", errors="replace")
    try:
        reply = json.loads(line)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or "ok" not in reply:
        raise LofidError(f"lofid closed the connection without a readable answer ({path})")
    return reply, line
