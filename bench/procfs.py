"""What a process costs, read from /proc as `top` and `ps` do (Linux only).

CPU time is utime + stime of every thread (/proc/PID/stat), so a share of one core is CPU
seconds over wall seconds. Memory is VmRSS (/proc/PID/status); PSS shares each shared library
page among its users and USS is what only this process holds, what quitting it gives back
(/proc/PID/smaps_rollup, kernel 4.14+).
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far (all threads)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15 of stat)


def memory_mb(pid: int) -> dict[str, float]:
    """{"rss", "pss", "uss"} in MB (pss/uss missing where smaps_rollup is unreadable)."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1]) / 1024
    try:
        rollup = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in
                                                     Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])}
        out["pss"] = rollup["Pss"] / 1024
        out["uss"] = (rollup["Private_Clean"] + rollup["Private_Dirty"]) / 1024
    except (OSError, KeyError, ValueError):
        pass
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already inside user
    return (total - idle) / TICKS, total / TICKS
