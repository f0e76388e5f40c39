"""sd_notify: READY, STATUS, WATCHDOG and STOPPING reach a real datagram socket bound by the test,
standing in for systemd's (a user manager cannot run in the test container)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lofid.daemon.sdnotify import Notifier, start_watchdog, watchdog_interval


@pytest.fixture
def systemd():
    """A bound datagram socket, as systemd makes for a Type=notify service; yields (address, socket)."""
    folder = Path(tempfile.mkdtemp(prefix="lofid-n"))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(folder / "notify"))
    sock.settimeout(10)
    yield str(folder / "notify"), sock
    sock.close()
    (folder / "notify").unlink(missing_ok=True)
    folder.rmdir()


def test_ready_status_watchdog_stopping_reach_the_socket(systemd, monkeypatch):
    address, sock = systemd
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    notifier = Notifier()
    assert notifier.enabled
    assert notifier.ready("playing at 74 bpm")
    assert sock.recv(4096) == b"READY=1\nSTATUS=playing at 74 bpm"
    assert notifier.status("queue 12.3 s\nahead")  # a STATUS is one line
    assert sock.recv(4096) == b"STATUS=queue 12.3 s ahead"
    assert notifier.watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert notifier.stopping("fading out")
    assert sock.recv(4096) == b"STOPPING=1\nSTATUS=fading out"


def test_abstract_namespace_address():
    name = f"lofid-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(10)
        assert Notifier("@" + name).ready()
        assert sock.recv(4096) == b"READY=1"


def test_a_child_process_notifies_through_the_environment(systemd):
    address, sock = systemd
    code = "from lofid.daemon.sdnotify import Notifier; Notifier().ready('up')"
    env = {**os.environ, "NOTIFY_SOCKET": address}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert sock.recv(4096) == b"READY=1\nSTATUS=up"


def test_without_systemd_nothing_is_sent_and_nothing_fails(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled
    assert notifier.ready() is False and notifier.watchdog() is False
    assert start_watchdog(notifier, lambda: True, interval=0.01) is None


def test_a_vanished_socket_is_reported_once(systemd, caplog):
    address, sock = systemd
    notifier = Notifier(address)
    Path(address).unlink()
    with caplog.at_level(logging.WARNING):
        assert notifier.watchdog() is False and notifier.watchdog() is False
    assert len(caplog.records) == 1 and "cannot notify systemd" in caplog.text


@pytest.mark.parametrize("env, expected", [
    ({"WATCHDOG_USEC": "40000000"}, 10.0),
    ({"WATCHDOG_USEC": "40000000", "WATCHDOG_PID": str(os.getpid())}, 10.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
    ({}, None),
])
def test_watchdog_interval_is_a_quarter_of_the_timeout(env, expected):
    assert watchdog_interval(env) == expected


def test_the_watchdog_thread_pings_only_while_healthy(systemd):
    address, sock = systemd
    notifier = Notifier(address)
    healthy = {"now": False}
    stop = start_watchdog(notifier, lambda: healthy["now"], interval=0.02)
    try:
        sock.settimeout(0.3)  # about 15 intervals: a stuck player sends nothing
        with pytest.raises(TimeoutError):
            sock.recv(4096)
        healthy["now"] = True
        sock.settimeout(10)
        assert sock.recv(4096) == b"WATCHDOG=1"
    finally:
        stop.set()
