"""The Snapcast output: raw PCM pushed to a snapserver's TCP source, so every room plays in sync.

Snapcast 0.26's ``tcp://HOST:PORT/?name=lofid&sampleformat=44100:16:2`` source in its default mode,
``server``, listens and lofid connects, as an Icecast source does: a snapserver that is missing is
a refused connection, one that restarts is a closed one, one that stops reading is a send that
times out, and each is lofid's to notice and retry. (Its ``mode=client`` would make lofid a server
snapserver retries on its own clock; a ``pipe://`` works only on one machine, and its FIFO cannot
even be opened for writing while no snapserver reads it.) The bytes are interleaved signed 16-bit
little-endian stereo at ``output.sample_rate``: no header, so the source's ``sampleformat`` must
name that same rate. snapserver reads its sources at the pace of its own clock and does the rest
(encoding, the clients' common clock and buffer). Track titles reach snapserver another way, through
the source's stream plugin (lofid.cli.snapcast): 0.26 takes metadata from nothing else.

Threads: ``offer`` is called by the render thread after each block and never waits: it appends a
copy to a bounded deque (an atomic append), dropping the oldest block when full and counting it.
The ``lofid-snapcast`` thread drains the deque and does all the network work. Failure: a refused,
lost or stalled connection is logged as one line and retried with back-off for as long as lofid
runs (lofid.audio.feeder); the blocks rendered meanwhile are discarded, so a server that comes back
hears the present, not a backlog.
"""

from __future__ import annotations

import socket
from collections import deque

import numpy as np

from lofid.addresses import SnapcastTarget
from lofid.audio.feeder import Feeder
from lofid.audio.sinks import pcm16

QUEUE_SECONDS = 1.0  # audio the deque holds before it drops the oldest block: the most the rooms may lag behind
SEND_BUFFER_SECONDS = 0.25  # audio the kernel may hold unsent for snapserver (SO_SNDBUF), so it too adds little lag
PREFILL_SECONDS = 0.2  # silence sent first: snapserver reads at its clock's pace from then on, so this stays
#                       buffered as slack for the render's and this thread's jitter (a late chunk is a resync, a click)
POLL_SECONDS = 0.05  # how often the sender looks for blocks (about one at 2048 frames): a short wait, few wake-ups
BYTES_PER_FRAME = 4  # two channels of 16 bits


class SnapcastSource(Feeder):
    """Feeds the blocks ``offer`` hands it to ``target``; ``state`` is "connecting", "connected" or "retrying"."""

    kind = "Snapcast"

    def __init__(self, target: SnapcastTarget, sample_rate: int, block_size: int) -> None:
        super().__init__("lofid-snapcast", target)
        self.target: SnapcastTarget = target
        self.sample_rate = sample_rate
        self.dropped = 0  # blocks dropped because the sender fell behind (not those discarded while disconnected)
        self._blocks: deque[np.ndarray] = deque(maxlen=max(2, int(QUEUE_SECONDS * sample_rate / block_size)))
        self._connected = False  # whether offered blocks are kept (read by the render thread, set by this one)

    @property
    def sampleformat(self) -> str:
        """What snapserver's source must say: ``44100:16:2``."""
        return f"{self.sample_rate}:16:2"

    def offer(self, block: np.ndarray) -> None:
        """Render thread: queue a copy of ``block``; never waits (full: the oldest is dropped; no server: none kept)."""
        if not self._connected:
            return
        if len(self._blocks) == self._blocks.maxlen:
            self.dropped += 1
        self._blocks.append(np.array(block, np.float32))

    def _connected_as(self) -> str:
        return f" ({self.sampleformat})"

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.target.host, self.target.port), self.timeout)
        sock.settimeout(self.timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                        int(SEND_BUFFER_SECONDS * self.sample_rate) * BYTES_PER_FRAME)
        return sock

    def _feed(self, sock: socket.socket) -> None:
        """Send PREFILL_SECONDS of silence, then the blocks offered, until the connection fails or lofid stops."""
        self._blocks.clear()  # what was offered before belongs to no connection
        self._connected = True
        try:
            sock.sendall(bytes(int(PREFILL_SECONDS * self.sample_rate) * BYTES_PER_FRAME))
            while not self._stopping.wait(POLL_SECONDS):
                while self._blocks:
                    sock.sendall(pcm16(self._blocks.popleft()))
        finally:
            self._connected = False

    def status(self) -> dict[str, object]:
        return {"server": self.target.shown, "format": self.sampleformat, "state": self.state,
                "connects": self.connects, "dropped_blocks": self.dropped,
                **({"error": self.error} if self.error else {})}
