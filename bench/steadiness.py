"""Steadiness: underruns while other processes keep every core busy.

A laptop also compiles, browses and indexes while lofid plays. Here one busy-looping Python
process per core (started and killed by the benchmark, at the same priority as lofid) competes
with the daemon for the whole run. An underrun is a block the sound card asked for before the
render thread had it ready: an audible click or gap. The daemon counts them (status
``underruns``); they are read every minute, so the spread is the quietest and worst minute. The
busy processes' own CPU share is reported to show the cores really were kept busy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.player import ALL_LAYERS, WARMUP_S, Player
from bench.procfs import cpu_seconds
from bench.stats import summary
from tests.support.pulse import PulseServer

MINUTE_S = 60.0


def run(pulse: PulseServer, model: Path, seconds: float = 600.0) -> dict:
    cores = os.cpu_count() or 1
    with Player(pulse, model, *ALL_LAYERS) as player:
        player.start()
        player.wait_ready()
        time.sleep(WARMUP_S)
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
        try:
            start = time.monotonic()
            first = player.status()
            counts, lofid_cpu0 = [first["underruns"]], cpu_seconds(player.pid)
            while time.monotonic() - start < seconds:
                time.sleep(min(MINUTE_S, start + seconds - time.monotonic()))
                counts.append(player.status()["underruns"])
            took = time.monotonic() - start
            hog_share = sum(cpu_seconds(h.pid) for h in hogs) / took / cores
            lofid_share = (cpu_seconds(player.pid) - lofid_cpu0) / took
            last = player.status()
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
    per_minute = [b - a for a, b in zip(counts, counts[1:])]
    return {
        "seconds": round(took, 1),
        "busy_processes": cores,
        "busy_processes_pct_of_their_cores": round(100 * hog_share, 1),
        "lofid_cpu_pct_of_core": round(100 * lofid_share, 2),
        "underruns": last["underruns"] - first["underruns"],
        "underruns_per_minute": summary(per_minute, 1),
        "notes_played": last["notes_played"] - first["notes_played"],
        "output": last["output"],
    }
