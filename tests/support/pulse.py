"""A private PulseAudio server with a null sink, for tests that must hear what really came out.

    from lofid.audio.portaudio import rescan_devices
    from tests.support.pulse import PulseServer, pulse_available, read_recording

    with PulseServer() as pulse:            # starts it; this process's ALSA/PortAudio now goes there
        rescan_devices()                    # PortAudio lists devices once: let it see the server
        with pulse.record(tmp_path / "heard.wav"):
            ...play through sounddevice (default device)...
        audio, rate = read_recording(tmp_path / "heard.wav")
    rescan_devices()

``pulse.restart()`` kills the server and starts a new one at the same address (a restarted
sound server, for reconnection tests); ``pulse.env`` is the environment for subprocesses
(``lofid run`` started by a test) that should play into it. ``pulse.add_sink(name)`` plugs in
another null sink (headphones), ``pulse.remove_sink(name)`` unplugs it, and ``record`` and
``Recording`` take the sink to listen to (``lofid_test`` unless told).

``tests.support.pipewire.PipeWireServer`` is the same server as clients see it, PipeWire behind
its PulseAudio layer, with this same interface.

The server lives in its own XDG_RUNTIME_DIR, so it never meets a desktop's sound server, and
accepts anonymous clients, so it works as root (as CI runs) without a cookie. Its sink
``lofid_test`` runs on the real clock; ``parec`` records the sink's monitor: the exact samples
that reached the "speaker".
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from tests.support.waiting import until

SINK = "lofid_test"
LOUD = 1e-3  # -60 dBFS: above the null sink's digital silence, below the quietest layer
TOOLS = ("pulseaudio", "pactl", "parec")
SETTLED_S = 0.1  # s: what a listened-to sink has rendered ahead once settled (parec asks for 20 ms)
SETTLE_TIMEOUT_S = 4.0  # s: twice a null sink's idle block


def pulse_available() -> bool:
    """True when the PulseAudio server and its client tools are installed (scripts/sysdeps.sh)."""
    return all(shutil.which(tool) for tool in TOOLS)


class PulseServer:
    """Start/stop a private ``pulseaudio`` with ``module-null-sink sink_name=lofid_test``."""

    prefix = "lofid-pulse-"  # of its temporary runtime directory

    def __init__(self, sample_rate: int = 44100) -> None:
        self.sample_rate = sample_rate
        self.dir = Path(tempfile.mkdtemp(prefix=self.prefix))
        self.socket = self.dir / "pulse" / "native"
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(self.dir), "HOME": str(self.dir),
                    "PULSE_SERVER": f"unix:{self.socket}"}
        self.sinks = [SINK]  # the null sinks a (re)start creates; SINK is the default
        self._saved: dict[str, str | None] = {}

    def start(self, timeout: float = 15.0) -> None:
        """Start the server and wait until ``pactl info`` answers; RuntimeError if it never does."""
        cmd = ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n", "--use-pid-file=yes",
               *(f"--load=module-null-sink {self._sink_args(sink)}" for sink in self.sinks),
               "--load=module-native-protocol-unix auth-anonymous=1",
               "--log-target=stderr", "--log-level=error"]
        subprocess.run(cmd, env=self.env, capture_output=True, timeout=timeout)
        self.wait_until(lambda: self.pactl("info").returncode == 0, timeout, "pulseaudio")
        self.pactl("set-default-sink", SINK)
        # Else the default source is the default sink's monitor, and a change of default sink would
        # move ``record``'s streams there too.
        self.pactl("set-default-source", f"{SINK}.monitor")

    def wait_until(self, condition: Callable[[], object], timeout: float, what: str) -> None:
        """Poll ``condition`` until it holds; else stop the server and raise RuntimeError naming ``what``."""
        try:
            until(condition, what, timeout)
        except AssertionError:
            self.stop()
            raise RuntimeError(f"{what} did not start in {timeout:.0f} s (runtime dir {self.dir})") from None

    def pactl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10)

    def queued(self, sink: str = SINK) -> float | None:
        """Seconds of sound ``sink`` has rendered ahead of its clock (``pactl list sinks``' "Latency"),
        None if the server does not say. A sink nobody plays to or records renders 2-s blocks of
        silence ahead; what starts then is heard only after them."""
        for block in self.pactl("list", "sinks").stdout.split("\n\n"):
            if f"Name: {sink}\n" in block and (match := re.search(r"Latency: (\d+) usec", block)):
                return int(match.group(1)) / 1e6
        return None

    def _sink_args(self, name: str) -> str:
        return f"sink_name={name} rate={self.sample_rate}"

    def add_sink(self, name: str) -> None:
        """Plug in another null sink (a headset); it is not made the default."""
        self._load_sink(name)
        self.sinks.append(name)

    def _load_sink(self, name: str) -> None:
        loaded = self.pactl("load-module", "module-null-sink", *self._sink_args(name).split())
        if loaded.returncode != 0:
            raise RuntimeError(f"the server refused the null sink {name}: {loaded.stderr.strip()}")

    def remove_sink(self, name: str) -> None:
        """Unplug a null sink: the server moves its streams elsewhere."""
        for line in self.pactl("list", "short", "modules").stdout.splitlines():  # id, name, arguments
            fields = line.split("\t")
            if fields[1:2] == ["module-null-sink"] and f"sink_name={name}" in fields[2].split():
                self.pactl("unload-module", fields[0])
        self.sinks.remove(name)

    def activate(self) -> None:
        """Point this process (ALSA's pulse plugin, so PortAudio's default device) at the server."""
        for key in ("XDG_RUNTIME_DIR", "PULSE_SERVER"):
            self._saved[key] = os.environ.get(key)
            os.environ[key] = self.env[key]

    def deactivate(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()

    def parec(self, sink: str, *args: str) -> list[str]:
        """parec recording ``sink``'s monitor as 16-bit stereo at the server's rate, then ``args``."""
        return ["parec", "-d", f"{sink}.monitor", "--format=s16le", "--channels=2", f"--rate={self.sample_rate}",
                "--latency-msec=20",
                "--property=node.dont-reconnect=true",  # PipeWire: stay on this sink when the default changes
                *args]

    @contextlib.contextmanager
    def record(self, path: Path, sink: str = SINK) -> Iterator[Path]:
        """Record a null sink's monitor to a WAV file while the ``with`` body runs."""
        proc = subprocess.Popen(self.parec(sink, "--file-format=wav", str(path)),
                                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.3)  # let parec connect before the sound starts
        try:
            yield path
        finally:
            time.sleep(0.3)  # the tail still in the server's buffers
            end_process(proc)

    def kill(self) -> None:
        """Stop the server process (as a crash or a restart of the sound server would)."""
        subprocess.run(["pulseaudio", "--kill"], env=self.env, capture_output=True, timeout=10)
        deadline = time.monotonic() + 5
        while (self.dir / "pulse" / "pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        """Kill the server and start a new one at the same address: clients must reconnect."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """Stop the server and remove its runtime directory."""
        self.deactivate()
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PulseServer:
        self.start()
        self.activate()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def end_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """Stop a helper process (parec, a player): SIGTERM, then SIGKILL if it has not gone within ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def read_recording(path: Path) -> tuple[np.ndarray, int]:
    """A parec WAV as float (frames, channels) in -1..1, and its rate.

    parec leaves the RIFF sizes unset when it is stopped, so the data is taken as whatever follows
    the header rather than trusting the header's length.
    """
    raw = Path(path).read_bytes()
    with wave.open(str(path), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
    start = raw.find(b"data") + 8
    usable = (len(raw) - start) // (2 * channels) * (2 * channels)
    data = np.frombuffer(raw[start:start + usable], "<i2").reshape(-1, channels)
    return data / 32768.0, rate


class Recording:
    """What the null sink played while the ``with`` body ran, on the monotonic clock.

    parec's first sample comes 0.1-0.4 s after it is started (on this machine, with nothing
    playing yet, sometimes only once something plays), so the recording is anchored at its end: the
    last sample was written just before parec was stopped, and the sink
    runs on the real clock, so sample ``i`` was heard at ``end - (frames - i) / rate``.
    """

    def __init__(self, pulse: PulseServer, path: Path, sink: str = SINK) -> None:
        self.pulse, self.path, self.sink = pulse, path, sink
        self.audio = np.zeros((0, 2))
        self.rate = pulse.sample_rate
        self.t0 = 0.0

    def __enter__(self) -> Recording:
        self._cm = self.pulse.record(self.path, self.sink)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(None, None, None)
        stopped = time.monotonic()  # parec was terminated a few ms ago (it exits at once on SIGTERM)
        self.audio, self.rate = read_recording(self.path)
        self.t0 = stopped - len(self.audio) / self.rate
        self.path.unlink(missing_ok=True)

    def time_of(self, index: int) -> float:
        return self.t0 + index / self.rate

    def index_at(self, t: float) -> int:
        return max(0, min(len(self.audio), int(round((t - self.t0) * self.rate))))

    def loud(self, start: float, end: float | None = None) -> np.ndarray:
        """Monotonic times of the loud samples between ``start`` and ``end``."""
        i, j = self.index_at(start), self.index_at(end) if end is not None else len(self.audio)
        return self.time_of(i + np.flatnonzero(np.abs(self.audio[i:j]).max(axis=1) > LOUD))


class Listener:
    """The sink's monitor as it plays, for waiting until music is heard without a fixed recording.

    parec writes raw samples to a pipe, read by a thread as they come; each read is stamped on the
    monotonic clock when it arrives, so the first loud frame's time needs no anchor (parec's WAV
    file, which ``Recording`` reads, is only written out when parec stops).
    """

    def __init__(self, pulse: PulseServer, sink: str = SINK, skip: float = 0.0) -> None:
        """``skip``: seconds at the start not to listen to (parec may hand over audio played before it)."""
        self.pulse, self.sink, self.skip = pulse, sink, skip
        self.heard: float | None = None  # monotonic time of the first loud frame
        self._loud = threading.Event()

    def __enter__(self) -> Listener:
        self._proc = subprocess.Popen(self.pulse.parec(self.sink, "--raw"), env=self.pulse.env,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._from = time.monotonic() + self.skip
        self._thread = threading.Thread(target=self._read, name="listener", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        end_process(self._proc)
        self._thread.join(5)

    def settle(self, queued: float = SETTLED_S, timeout: float = SETTLE_TIMEOUT_S) -> float:
        """Wait until the sink has at most ``queued`` seconds rendered ahead, as a sound card that is
        playing has: a null sink left alone renders 2-s blocks of silence ahead (``PulseServer.queued``),
        and a stream started before they have played out is heard only after them. Returns what is
        queued at the end (the server's last figure; 0.0 when it gives none)."""
        deadline = time.monotonic() + timeout
        while (ahead := self.pulse.queued(self.sink) or 0.0) > queued and time.monotonic() < deadline:
            time.sleep(0.05)
        return ahead

    def wait_loud(self, timeout: float) -> float | None:
        """The monotonic time music was first heard, waiting at most ``timeout`` s for it (None: not heard)."""
        self._loud.wait(timeout)
        return self.heard

    def _read(self) -> None:
        frame = 4  # bytes: two 16-bit channels
        pending = b""
        assert self._proc.stdout is not None
        while chunk := os.read(self._proc.stdout.fileno(), 16384):
            arrived = time.monotonic()
            pending += chunk
            usable = len(pending) // frame * frame
            samples = np.frombuffer(pending[:usable], "<i2").reshape(-1, 2)
            pending = pending[usable:]
            times = arrived - (len(samples) - np.arange(len(samples))) / self.pulse.sample_rate
            loud = np.flatnonzero((np.abs(samples).max(axis=1) > LOUD * 32768) & (times >= self._from))
            if len(loud) and self.heard is None:
                self.heard = float(times[loud[0]])
                self._loud.set()
