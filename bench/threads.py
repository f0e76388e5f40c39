"""Threads: where a playing `lofid run` spends its CPU, thread by thread.

    .venv/bin/python -m bench.threads [--seconds 40] [--set KEY=VALUE ...]

One `lofid run` (every layer on, the shipped model and instruments) plays into a private PulseAudio
null sink. After a warm-up, each of its threads' CPU time (utime + stime of /proc/PID/task/TID/stat,
what `top -H -p PID` shows) is read at the start and end of SECONDS; the threads are named by
`py-spy dump` (Python's thread names: lofid-render, lofid-producer ...); threads Python did not
start (PortAudio's callback thread, PulseAudio's client thread, OpenBLAS) keep the name the
kernel gives them. The figures are shares of one core, summed by name. Needs py-spy (the `test`
extra) and the right to trace the process (root, or ptrace_scope 0); without it the threads are
listed by their kernel names alone.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.chain_cost import SEED
from bench.player import ALL_LAYERS, WARMUP_S, Player
from bench.procfs import TICKS, cpu_seconds
from lofid import paths
from tests.support.pulse import PulseServer, pulse_available

SECONDS = 40.0


def thread_seconds(pid: int) -> dict[int, tuple[str, float]]:
    """TID -> (the kernel's name for it, its user + system CPU seconds so far)."""
    out: dict[int, tuple[str, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        out[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
    return out


def python_names(pid: int) -> dict[int, str]:
    """TID -> Python thread name, from `py-spy dump`'s headers; empty if py-spy cannot look."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    try:
        done = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    names: dict[int, str] = {}
    for match in re.finditer(r"^Thread (\S+) \(\w+\): \"([^\"]+)\"", done.stdout, re.M):
        ident = match.group(1)
        names[int(ident, 16) if ident.startswith("0x") else int(ident)] = match.group(2)
    return names


def measure(pid: int, seconds: float) -> dict[str, float]:
    """Share of one core per thread name over ``seconds``, the whole process under "all"."""
    names = python_names(pid)
    before, whole, t0 = thread_seconds(pid), cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    after, spent = thread_seconds(pid), time.monotonic() - t0
    shares: dict[str, float] = defaultdict(float)
    for tid, (kernel_name, used) in after.items():
        name = names.get(tid, f"{kernel_name} (native)")
        shares[name] += 100 * (used - before.get(tid, (kernel_name, 0.0))[1]) / spent
    shares["all"] = 100 * (cpu_seconds(pid) - whole) / spent
    return dict(shares)


def run(pulse: PulseServer, model: Path, seconds: float = SECONDS, settings: tuple[str, ...] = ()) -> dict:
    """One playing daemon's threads: the figures for `make bench`."""
    with Player(pulse, model, *ALL_LAYERS, *settings, seed=SEED) as player:
        player.start()
        player.wait_ready()
        time.sleep(WARMUP_S)
        shares = measure(player.pid, seconds)
    return {"seconds": seconds, "settings": list(settings),
            "pct_of_core": {name: round(share, 3) for name, share in shares.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting for the daemon")
    args = parser.parse_args(argv)
    if not pulse_available():
        print("bench.threads needs PulseAudio (scripts/sysdeps.sh)", file=sys.stderr)
        return 2
    with PulseServer() as pulse:
        shares = run(pulse, paths.MODELS / "lofid", args.seconds, tuple(args.set))["pct_of_core"]
    print(f"threads of a playing lofid run: % of one core over {args.seconds:g} s")
    for name, share in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {name:<36} {share:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
