"""Footprint while playing: CPU share of one core and memory of `lofid run`, per model backend.

The daemon plays with every layer on into the PulseAudio null sink, exactly as on a desk. After
a warm-up (the queue filled, caches hot) it is left alone, not even asked for its status, and
sampled from /proc once a second. The CPU figure is the median over WINDOW_S windows, its spread
the quietest and busiest window; memory is the median of the samples with their min-max. The
whole machine's load during the window is kept beside the figures: other work on the machine
slows lofid's threads down too.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.player import ALL_LAYERS, WARMUP_S, Player
from bench.procfs import cpu_seconds, machine_busy, memory_mb
from bench.stats import summary
from lofid.config import MODEL_BACKENDS
from tests.support.pulse import PulseServer

WINDOW_S = 5.0


def measure(pulse: PulseServer, model: Path, backend: str, seconds: float) -> dict:
    """One daemon on ``backend`` sampled for ``seconds`` after the warm-up."""
    with Player(pulse, model, *ALL_LAYERS, f"model.backend={backend}") as player:
        player.start()
        player.wait_ready()
        time.sleep(WARMUP_S)
        before = player.status()
        t, cpu, busy = [time.monotonic()], [cpu_seconds(player.pid)], [machine_busy()]
        mem = []
        while t[-1] - t[0] < seconds:
            time.sleep(1.0)
            t.append(time.monotonic())
            cpu.append(cpu_seconds(player.pid))
            mem.append(memory_mb(player.pid))
            if len(t) % int(WINDOW_S) == 1:
                busy.append(machine_busy())
        after = player.status()
    step = int(WINDOW_S)
    marks = range(0, len(t) - 1, step)
    shares = [100 * (cpu[min(i + step, len(t) - 1)] - cpu[i]) / (t[min(i + step, len(t) - 1)] - t[i]) for i in marks]
    machine = [100 * (b1[0] - b0[0]) / (b1[1] - b0[1]) for b0, b1 in zip(busy, busy[1:])]
    return {
        "backend": backend,
        "seconds": round(t[-1] - t[0], 1),
        "cpu_pct_of_core": summary(shares, 2),
        "cpu_pct_overall": round(100 * (cpu[-1] - cpu[0]) / (t[-1] - t[0]), 2),
        **{f"{kind}_mb": summary([m[kind] for m in mem if kind in m], 1) for kind in ("rss", "pss", "uss")},
        "machine_busy_pct_of_all_cores": summary(machine, 1),
        "output": after["output"],
        "notes_played": after["notes_played"] - before["notes_played"],
        "underruns": after["underruns"] - before["underruns"],
    }


def run(pulse: PulseServer, model: Path, seconds: float = 60.0, backends: tuple[str, ...] = MODEL_BACKENDS) -> dict:
    return {backend: measure(pulse, model, backend, seconds) for backend in backends}
