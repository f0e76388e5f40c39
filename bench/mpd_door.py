"""The MPD door: how fast it answers, how soon an idle client hears of a change, what idlers cost.

A real `lofid run` (the null sink: the door's cost, not the sound path's) with its MPD door on:
- Round trip: ``CALLS`` ``status`` commands on one python-mpd2 connection, each timed alone.
- Idle wake: ``IDLERS`` connections wait in ``idle mixer``; a ``setvol`` on another connection; the
  time from sending it to each idler's ``changed: mixer`` (``WAKES`` rounds).
- Memory: the daemon's VmRSS before and while ``IDLERS`` connections wait.

    python -m bench.mpd_door
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
from pathlib import Path

from mpd import MPDClient

from bench.stats import percentiles
from tests.support.player import Player
from tests.support.sockets import free_port

CALLS = 1000
IDLERS = 500
WAKES = 20
WARMUP_S = 3.0


def idlers(port: int, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.recv(64)  # the greeting
        held.append(s)
    return held


def wake_times(port: int, held: list[socket.socket], control: MPDClient, volume: int) -> list[float]:
    """Seconds from a setvol to each idler's whole answer."""
    for s in held:
        s.sendall(b"idle mixer\n")
    time.sleep(0.5)  # every idle read and waiting
    start = time.perf_counter()
    control.setvol(volume)
    times = []
    for s in held:
        data = b""
        while not data.endswith(b"OK\n"):
            data += s.recv(256)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    port = free_port()
    player = Player(None, Path(tempfile.mkdtemp(prefix="lofid-bench-mpd-")), "control.mpd.enabled=true",
                    f"control.mpd.listen=127.0.0.1:{port}")
    player.start()
    try:
        player.wait_ready()
        time.sleep(WARMUP_S)
        client = MPDClient()
        client.connect("127.0.0.1", port)
        trips = []
        for _ in range(CALLS):
            start = time.perf_counter()
            client.status()
            trips.append(time.perf_counter() - start)
        rss_before = player.rss_kb()
        held = idlers(port, IDLERS)
        wakes = [t for i in range(WAKES) for t in wake_times(port, held, client, 50 + i)]
        rss_held = player.rss_kb()
        for s in held:
            s.close()
        status = player.status()
        print(json.dumps({
            "status_round_trip_ms": percentiles([1000 * t for t in trips], 3),
            "idle_wake_ms": {"idlers": IDLERS, "rounds": WAKES, **percentiles([1000 * t for t in wakes], 2)},
            "rss_mb": {"before": round(rss_before / 1024, 1), "idlers_held": round(rss_held / 1024, 1)},
            "underruns": status["underruns"], "state": status["state"]}, indent=2))
    finally:
        player.kill()


if __name__ == "__main__":
    main()
