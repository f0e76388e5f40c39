"""`lofid run` as a user starts it, in a subprocess with its own runtime, state and config folders.

Shared by the end-to-end tests (test_daemon) and the fault, fuzz, access and crash tests: one
launcher, so every test drives the daemon exactly the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lofid import paths
from lofid.control.client import request
from lofid.errors import LofidError
from tests.support.pulse import SINK, Listener, PulseServer, read_recording
from tests.support.waiting import until

ROOT = paths.ROOT
MODEL = ROOT / "models" / "lofid"
LOFID = [sys.executable, "-m", "lofid.cli"]
SILENT_RMS = 1e-4  # -80 dBFS: nothing but dither-level noise
LISTEN_SKIP_S = 0.3  # the start of a recording not listened to: parec may hand over audio played before it


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio)))) if len(audio) else 0.0


class Player:
    """One `lofid run` process with its own runtime, state and config folders.

    ``pulse`` is the sound server it plays into; its private runtime dir also holds the daemon's
    control socket. Without one (``None``) it plays into the null sink and its runtime dir is
    ``home/run``. ``command`` replaces ``lofid run`` (a test that must start it another way).
    The benchmarks extend this class (``bench.player``), so both launch the daemon the same way.
    """

    def __init__(self, pulse: PulseServer | None, home: Path, *settings: str, command: list[str] | None = None,
                 model: Path = MODEL, seed: int = 3) -> None:
        self.pulse, self.home = pulse, home
        if pulse is None:
            (home / "run").mkdir(mode=0o700, exist_ok=True)
            settings = ("output.device=none", *settings)
        base = pulse.env if pulse else {**os.environ, "XDG_RUNTIME_DIR": str(home / "run")}
        self.socket = Path(base["XDG_RUNTIME_DIR"]) / "lofid.sock"
        self.env = {**base, "HOME": str(home), "XDG_STATE_HOME": str(home / "state"),
                    "XDG_CONFIG_HOME": str(home / "config"), "XDG_CACHE_HOME": str(home / "cache"),
                    "XDG_DATA_HOME": str(home / "data"), "PYTHONUNBUFFERED": "1"}
        self.settings = ["--seed", str(seed), "--set", f"model.path={model}", *(a for s in settings for a in ("--set", s))]
        self.command = command or [*LOFID, "run"]
        self.proc: subprocess.Popen | None = None
        self.log = home / "daemon.log"

    def start(self) -> float:
        """Launch it; returns the launch time (monotonic)."""
        self.launched = time.monotonic()
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([*self.command, *self.settings], env=self.env, cwd=ROOT,
                                         stdout=subprocess.DEVNULL, stderr=log)
        return self.launched

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.lofid("ctl", *args, check=check)

    def lofid(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        """Another lofid command (ctl, likes, export), as the same user: its folders."""
        r = subprocess.run([*LOFID, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, (args, r.stdout, r.stderr, self.log.read_text())
        return r

    def status(self) -> dict:
        """The daemon's status, asked in this process (``lofid ctl`` is a Python start each time: the
        tests that are about ctl call ``ctl``)."""
        return request(self.socket, {"cmd": "status"})[0]["status"]

    def _running(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, "lofid run exited: " + self.log.read_text()
        return True

    def _answers(self) -> bool:
        try:
            return self._running() and request(self.socket, {"cmd": "status"}, timeout=1.0)[0]["ok"]
        except LofidError:
            return False

    def wait_ready(self, timeout: float = 20) -> None:
        self._until(self._answers, "lofid run answering on its socket", timeout)

    def _until(self, check: Callable[[], object], what: str, timeout: float) -> None:
        """``until``, with the daemon's log in the failure."""
        try:
            until(check, what, timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}; its log:\n{self.log.read_text()}") from None

    def wait_heard(self, timeout: float = 10.0) -> None:
        """Wait until music reaches the sink. The socket answers before the sound path is open, and
        the first sound reaches PulseAudio's null sink about a second later."""
        with Listener(self.pulse, skip=LISTEN_SKIP_S) as ear:
            self._until(lambda: self._running() and ear.wait_loud(0.1) is not None, "music at the sink", timeout)

    def listen(self, seconds: float, name: str, sink: str = SINK) -> np.ndarray:
        """What ``sink`` played for ``seconds``, less the first LISTEN_SKIP_S (parec may hand over older audio)."""
        path = self.home / f"{name}.wav"
        with self.pulse.record(path, sink):
            time.sleep(seconds + LISTEN_SKIP_S)
        audio, rate = read_recording(path)
        return audio[int(LISTEN_SKIP_S * rate):]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(10)

    def rss_kb(self) -> int:
        """The daemon's resident memory, from /proc."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS for the daemon")

    def kill(self) -> None:
        """Stop it without a chance to clean up (SIGKILL: a crash, an OOM kill, a pulled plug)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
