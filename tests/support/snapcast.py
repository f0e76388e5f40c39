"""A private Snapcast 0.26 server and client on loopback, for the tests of lofid's Snapcast output.

    from tests.support.snapcast import Snapserver, Snapclient, available

    with Snapserver(tmp_path / "snap") as server:     # its tcp source listens on server.source_port
        ...point lofid at server.source_url()...
        with Snapclient(server, pulse, "rooms"):       # plays the stream into the PulseAudio sink "rooms"
            ...listen at that sink's monitor...

``Snapserver(folder, controlscript=path, env=...)`` gives the source a stream plugin (started by
snapserver with ``env``), and ``server.call(method, params)`` asks its JSON-RPC control port.
``server.kill()`` ends it at once (SIGKILL, as a crash would) and ``start()`` brings it back on the
same ports: lofid must reconnect on its own, and snapclient does (it retries every second).

The config, ``folder/snapserver.conf``, binds 127.0.0.1 only (audio port, JSON-RPC over TCP; no HTTP),
keeps its state in ``folder`` and sends its log to stderr, which is ``folder/snapserver.log``. The
codec is pcm: nothing to encode, so the test costs the machine little. The source's URI has a "/"
before its "?": snapserver 0.26 takes everything up to the first "/" for the host, and an absolute
controlscript path has one.
"""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.support.pulse import PulseServer, end_process
from tests.support.server_process import ServerProcess
from tests.support.sockets import free_port

HOST = "127.0.0.1"
STREAM = "lofid"  # the source's name in snapserver
SAMPLEFORMAT = "44100:16:2"  # lofid's default output.sample_rate, 16 bits, stereo
BUFFER_MS = 500  # the clients' common buffer: the end-to-end delay (Snapcast's default is 1000)
START_TIMEOUT_S = 10.0
POLL_S = 0.05

CONFIG = """\
[server]
threads = 1
datadir = {folder}

[http]
enabled = false

[tcp]
enabled = true
bind_to_address = {host}
port = {control_port}

[stream]
bind_to_address = {host}
port = {stream_port}
source = tcp://{host}:{source_port}/?name={stream}&sampleformat={sampleformat}{plugin}
codec = pcm
buffer = {buffer_ms}

[logging]
sink = stderr
filter = *:info
"""


def available() -> bool:
    """True when Debian's snapserver and snapclient are installed (scripts/sysdeps.sh test)."""
    return shutil.which("snapserver") is not None and shutil.which("snapclient") is not None


def answers(port: int) -> bool:
    """Whether something accepts connections on loopback ``port``."""
    try:
        socket.create_connection((HOST, port), 0.5).close()
        return True
    except OSError:
        return False


class Snapserver(ServerProcess):
    """A private ``snapserver`` with one tcp source (mode=server) named ``lofid``, its files in ``folder``."""

    def __init__(self, folder: Path, controlscript: Path | None = None, env: Mapping[str, str] | None = None) -> None:
        self.folder = Path(folder)
        self.env = dict(env) if env is not None else None
        self._ids = itertools.count(1)
        self.source_port, self.stream_port, self.control_port = free_port(), free_port(), free_port()
        self.config = self.folder / "snapserver.conf"
        super().__init__(self.folder / "snapserver.log")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text(CONFIG.format(host=HOST, folder=self.folder, control_port=self.control_port,
                                             stream_port=self.stream_port, source_port=self.source_port,
                                             stream=STREAM, sampleformat=SAMPLEFORMAT, buffer_ms=BUFFER_MS,
                                             plugin=f"&controlscript={controlscript}" if controlscript else ""))

    def source_url(self) -> str:
        """lofid's ``output.snapcast.url`` for this server."""
        return f"tcp://{HOST}:{self.source_port}"

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start it and wait until its source and its clients' port accept; RuntimeError, with its log, if not."""
        self.proc = self._spawn(["snapserver", "-c", str(self.config)], self.folder, self.env)
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if answers(self.stream_port):  # the source's port is not probed: snapserver takes one connection at a time
                return
            time.sleep(POLL_S)
        self.kill()
        raise RuntimeError(f"snapserver did not start in {timeout:.0f} s; its log ({self.log}) ends:\n{self.log_tail()}")

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """A JSON-RPC request to the control port: its result; AssertionError with the error if it failed."""
        ident = next(self._ids)
        with socket.create_connection((HOST, self.control_port), START_TIMEOUT_S) as conn, conn.makefile("rw") as f:
            f.write(json.dumps({"id": ident, "jsonrpc": "2.0", "method": method, "params": dict(params or {})}) + "\n")
            f.flush()
            for line in f:  # notifications of other changes may come first
                reply = json.loads(line)
                if reply.get("id") == ident:
                    assert "error" not in reply, reply
                    return reply["result"]
        raise AssertionError(f"snapserver closed the connection before answering {method}")

    def stream(self) -> dict[str, Any]:
        """The source's status in ``Server.GetStatus`` (its "properties" hold the plugin's metadata)."""
        streams = self.call("Server.GetStatus")["server"]["streams"]
        return next(s for s in streams if s["id"] == STREAM)

    def close(self) -> None:
        if self.proc is not None:
            end_process(self.proc)
            self.proc = None

    def __enter__(self) -> Snapserver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Snapclient:
    """A ``snapclient`` of ``server`` playing into the PulseAudio null sink ``sink``.

    It plays through ALSA's pulse plugin (``--player alsa``, the sink named by PULSE_SINK): snapclient
    0.26's own pulse player never plays again after a reconnect (it connects, then waits forever).
    """

    def __init__(self, server: Snapserver, pulse: PulseServer, sink: str) -> None:
        self.log = server.folder / "snapclient.log"
        self.cmd = ["snapclient", "-h", HOST, "-p", str(server.stream_port), "--player", "alsa",
                    "--hostID", "lofid-test-room", "--logsink", "stderr"]
        self.env = {**pulse.env, "PULSE_SINK": sink}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Snapclient:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            end_process(self.proc)
