"""Connections held open on a control socket, as a hung script or a stuck client leaves them."""

from __future__ import annotations

import resource
import socket
from pathlib import Path

_FD_SPARE = 64  # open files this process keeps beside the held connections


def held_open(path: Path, count: int, sent: bytes = b"") -> list[socket.socket]:
    """``count`` connections to ``path``, each having sent ``sent`` (half a line, say) and nothing more.

    Raises this process's open-files limit to fit them first (within its hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + _FD_SPARE
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    conns = []
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(path))  # blocking: waits while the listen backlog is full (as lofid ctl does)
        s.settimeout(10)
        if sent:
            s.sendall(sent)
        conns.append(s)
    return conns
