"""One `lofid run` for a benchmark: launched as a user would, heard through a private PulseAudio.

The benchmarks measure the installed command, not the classes behind it: a separate process
with its own state, config and socket folders (so nothing a benchmark changes leaks into the
next run or into the user's settings), playing through PortAudio and ALSA's pulse plugin into
the null sink of ``tests.pulse.PulseServer``. It is steered over the control socket with
``lofid.control.request``, the same client `lofid ctl` uses, so a measured round trip is the
daemon's answer time and not Python's start-up.

``Recording`` maps the sink's samples onto the monotonic clock, so an event (launch, a control
request) can be compared with the moment its effect came out of the "speaker".
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


from lofid.control import request
from lofid.errors import LofidError
from tests.pulse import PulseServer

ROOT = Path(__file__).resolve().parent.parent
# Every layer on, as the issue asks for footprint and steadiness (also the defaults, made explicit).
ALL_LAYERS = ("layers.music.enabled=true", "layers.rain.enabled=true", "layers.beat.enabled=true")
WARMUP_S = 5.0  # after the first answer: the queue filled, caches hot


class Refused(RuntimeError):
    """The daemon answered {"ok": false}."""


def lofid_command() -> list[str]:
    """The installed `lofid` entry point beside this Python (what a user runs), else the module."""
    script = Path(sys.executable).parent / "lofid"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "lofid.cli"]


class Player:
    """A `lofid run` process in a private home; ``start()`` returns the launch time (monotonic)."""

    def __init__(self, pulse: PulseServer, model: Path, *settings: str, seed: int = 7) -> None:
        self.pulse = pulse
        self.home = Path(tempfile.mkdtemp(prefix="lofid-bench-"))
        self.home.chmod(0o700)
        self.socket = self.home / "lofid.sock"
        self.env = {**pulse.env, "HOME": str(self.home), "XDG_STATE_HOME": str(self.home / "state"),
                    "XDG_CONFIG_HOME": str(self.home / "config"), "PYTHONUNBUFFERED": "1"}
        self.args = ["run", "--seed", str(seed), "--set", f"model.path={model}",
                     "--set", f"control.socket={self.socket}", *(a for s in settings for a in ("--set", s))]
        self.log = self.home / "daemon.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        launched = time.monotonic()
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([*lofid_command(), *self.args], env=self.env, cwd=ROOT,
                                         stdout=subprocess.DEVNULL, stderr=log)
        return launched

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
        """SIGTERM (the daemon fades out and exits 0); the home folder is removed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode if self.proc is not None else 0
        shutil.rmtree(self.home, ignore_errors=True)
        return code

    def __enter__(self) -> "Player":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


