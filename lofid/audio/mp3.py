"""The MP3 encoder: finished blocks in (from the render thread), MP3 bytes out to a Broadcast.

Threads: ``offer`` is called by the render thread after each block and never waits: it appends a
copy to a bounded queue (a deque, whose append is atomic), dropping the oldest block when full and
counting it. The encoder's own thread (``lofid-mp3``) drains that queue every few milliseconds,
encodes with LAME (lameenc, no subprocess) and publishes to the fan-out. Failure: an encoding error
ends only this thread, logged once; the sound card plays on.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

import numpy as np

from lofid.audio.broadcast import Broadcast
from lofid.audio.sinks import pcm16

log = logging.getLogger(__name__)

QUEUE_SECONDS = 4.0  # audio the queue holds before it drops the oldest block
POLL_SECONDS = 0.1  # how often the encoder looks for blocks (about two at 2048 frames): few wake-ups, little delay
LAME_QUALITY = 7  # LAME's -q: 2 is slow and best, 7 fast; at 128 kbps 7 keeps the encoder within +2 % of a core (BENCHMARKS.md)


class Mp3Encoder(threading.Thread):
    """Encodes the blocks ``offer`` hands it to ``bitrate`` kbps MP3 and publishes them to ``out``."""

    def __init__(self, sample_rate: int, block_size: int, bitrate: int, out: Broadcast) -> None:
        super().__init__(name="lofid-mp3", daemon=True)
        import lameenc

        self._lame = lameenc.Encoder()
        self._lame.set_bit_rate(bitrate)
        self._lame.set_in_sample_rate(sample_rate)
        self._lame.set_channels(2)
        self._lame.set_quality(LAME_QUALITY)
        self.bitrate, self.out = bitrate, out
        self.dropped = 0  # blocks dropped because the encoder fell behind
        self._blocks: deque[np.ndarray] = deque(maxlen=max(2, int(QUEUE_SECONDS * sample_rate / block_size)))
        self._stopping = threading.Event()

    def offer(self, block: np.ndarray) -> None:
        """Render thread: queue a copy of ``block``; never waits (full: the oldest is dropped)."""
        if len(self._blocks) == self._blocks.maxlen:
            self.dropped += 1
        self._blocks.append(np.array(block, np.float32))

    def run(self) -> None:
        try:
            while not self._stopping.wait(POLL_SECONDS):
                while self._blocks:
                    self.out.publish(self._lame.encode(pcm16(self._blocks.popleft())))
        except Exception as e:  # LAME refusing its input: the stream ends, the music does not
            log.error("the MP3 encoder stopped (%s); the streams are silent until lofid restarts", e)

    def stop(self) -> None:
        self._stopping.set()
        self.join(2.0)

