"""A server program the tests start themselves (Icecast, snapserver), its output kept in a log file.

The log is appended to across restarts; ``log_tail`` reads only the current (or last) run's lines,
which a test's failure message quotes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

LOG_TAIL_LINES = 20


class ServerProcess:
    """One server program at a time, started by ``_spawn`` and ended at once by ``kill``."""

    def __init__(self, log: Path) -> None:
        self.log = log  # its stdout and stderr, appended across restarts
        self.proc: subprocess.Popen | None = None
        self._log_start = 0  # where this run's lines begin in the log

    def _spawn(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen:
        self._log_start = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=cwd,
                                         env=dict(env) if env is not None else None)
        return self.proc

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines the current (or last) run wrote."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as log:
            log.seek(self._log_start)
            return "\n".join(log.read().decode(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """End it at once (SIGKILL: a crash, no goodbye to its peers) and wait for it."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
