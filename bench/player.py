"""One `lofid run` for a benchmark: launched as a user would, heard through a private PulseAudio.

The benchmarks measure the installed command, not the classes behind it: a separate process
with its own state, config and socket folders (so nothing a benchmark changes leaks into the
next run or into the user's settings), playing through PortAudio and ALSA's pulse plugin into
the null sink of ``tests.support.pulse.PulseServer``. It is launched by the tests' own launcher
(``tests.support.player.Player``) and steered over the control socket with ``lofid.control.client.request``,
the same client `lofid ctl` uses, so a measured round trip is the daemon's answer time and not
Python's start-up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lofid.control.client import request
from lofid.errors import LofidError
from tests.support.player import Player as Launcher
from tests.support.pulse import PulseServer

# Every layer on, as the issue asks for footprint and steadiness (also the defaults, made explicit).
ALL_LAYERS = ("layers.music.enabled=true", "layers.rain.enabled=true", "layers.beat.enabled=true")
WARMUP_S = 5.0  # after the first answer: the queue filled, caches hot


class Refused(RuntimeError):
    """The daemon answered {"ok": false}."""


def lofid_command() -> list[str]:
    """The installed `lofid` entry point beside this Python (what a user runs), else the module."""
    script = Path(sys.executable).parent / "lofid"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "lofid.cli"]


class Player(Launcher):
    """A `lofid run` process in a private home folder, removed by ``stop()``."""

    def __init__(self, pulse: PulseServer, model: Path, *settings: str, seed: int = 7) -> None:
        home = Path(tempfile.mkdtemp(prefix="lofid-bench-"))
        home.chmod(0o700)
        super().__init__(pulse, home, *settings, command=[*lofid_command(), "run"], model=model, seed=seed)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def call(self, message: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        reply, _ = request(self.socket, message, timeout)
        if not reply.get("ok"):
            raise Refused(f"lofid refused {message}: {reply.get('error')}")
        return reply

    def status(self) -> dict[str, Any]:
        return self.call({"cmd": "status"})["status"]

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Wait until the daemon answers its status on the socket; returns that moment.

        A refused status counts as not ready yet, and is printed: the daemon serves its socket
        only once it is built, so this should never show; if it does, the run says so.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"lofid run exited ({self.proc.returncode}): {self.tail()}")
            try:
                self.status()
                return time.monotonic()
            except LofidError:
                time.sleep(0.02)
            except Refused as e:
                print(f"[bench] while lofid was starting: {e}", file=sys.stderr, flush=True)
                time.sleep(0.02)
        raise RuntimeError(f"lofid run did not answer within {timeout:.0f} s: {self.tail()}")

    def tail(self) -> str:
        return " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-3:])

    def stop(self) -> int:
        """SIGTERM (the daemon fades out and exits 0), SIGKILL if it hangs; the home folder is removed."""
        code = 0
        if self.proc is not None:
            try:
                code = super().stop() if self.proc.poll() is None else self.proc.returncode
            except subprocess.TimeoutExpired:
                self.kill()
                code = self.proc.returncode
        shutil.rmtree(self.home, ignore_errors=True)
        return code

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
