"""Connections held open on a control socket, as a hung script or a stuck client leaves them."""

from __future__ import annotations

import socket
from pathlib import Path

from lofid.control.listener import raise_open_files

_FD_SPARE = 64  # open files this process keeps beside the held connections


def held_open(path: Path, count: int, sent: bytes = b"") -> list[socket.socket]:
    """``count`` connections to ``path``, each having sent ``sent`` (half a line, say) and nothing more.

    Raises this process's open-files limit to fit them first (within its hard limit)."""
    raise_open_files(count + _FD_SPARE)
    conns = []
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(path))  # blocking: waits while the listen backlog is full (as lofid ctl does)
        s.settimeout(10)
        if sent:
            s.sendall(sent)
        conns.append(s)
    return conns


def free_port() -> int:
    """A loopback TCP port nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
