"""The control socket's listening end: where it may live, who owns it, and room for its connections.

Access. The socket is mode 0600: it is bound under a temporary name, chmod-ed, then renamed into
place, so it never exists with wider rights. Its folder must belong to the user (one that others
can enter gets a warning). A lock file beside it (``lofid.sock.lock``, holding the owner's pid)
decides which lofid owns the socket: a second daemon refuses to start instead of stealing it, and
a socket left by a crashed run (whose lock died with it) is replaced.
"""

from __future__ import annotations

import fcntl
import logging
import os
import resource
import socket
import stat
from pathlib import Path

from lofid.errors import LofidError

log = logging.getLogger("lofid.control")

BACKLOG = 256  # connections that may wait for a slot (the kernel caps it at net.core.somaxconn)
FD_RESERVE = 256  # open files kept for the rest of the daemon (soundfont, sound server, state, logs)


def raise_open_files(want: int) -> int:
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


def check_folder(folder: Path) -> None:
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


def take_lock(path: Path) -> int:
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


def bind(path: Path) -> socket.socket:
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
        tmp.chmod(0o600)
        sock.listen(BACKLOG)
        tmp.replace(path)
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
