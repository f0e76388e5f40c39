"""The stream outputs' own parts: the fan-out's bounded buffers and the MP3 encoder's queue.

- a reader that falls behind is cut off and counted, and the others get every byte in order;
- a newcomer starts with only the last fraction of a second (the burst), never the past;
- the render thread's tap never waits: with the encoder stalled, the oldest blocks are dropped and
  counted; running, the encoder turns blocks into MP3 frames at the asked bit rate.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from lofid.audio.broadcast import Broadcast
from lofid.audio.mp3 import Mp3Encoder

RATE = 44100
BLOCK = 2048


def test_a_reader_that_falls_behind_is_cut_off_and_the_others_get_everything():
    fanout = Broadcast(limit=10_000)
    keeping_up, behind = fanout.subscribe(), fanout.subscribe()
    got = []
    for i in range(30):
        fanout.publish(bytes([i]) * 1000)
        got.append(keeping_up.read(1.0))
    assert b"".join(got) == b"".join(bytes([i]) * 1000 for i in range(30))
    assert behind.dropped and behind.read(0.1) == b"" and fanout.dropped == 1 and fanout.subscribers == 1


def test_a_newcomer_starts_with_only_the_burst():
    fanout = Broadcast(limit=100_000, burst=3000)
    for i in range(20):
        fanout.publish(bytes([i]) * 1000)
    first = fanout.subscribe().read(0.1)
    assert 3000 <= len(first) < 4000 and first.endswith(bytes([19]) * 1000)


def test_reading_waits_for_bytes_and_closing_ends_every_reader():
    fanout = Broadcast(limit=1000)
    reader = fanout.subscribe()
    assert reader.read(0.05) is None  # nothing yet
    threading.Timer(0.1, fanout.publish, (b"late",)).start()
    assert reader.read(5.0) == b"late"
    fanout.close()
    assert reader.read(5.0) == b"" and not reader.dropped


def block(seconds_in: float) -> np.ndarray:
    t = (np.arange(BLOCK) + seconds_in * RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.stack([tone, tone], axis=1)


def test_the_tap_never_waits_a_stalled_encoder_drops_the_oldest_blocks():
    encoder = Mp3Encoder(RATE, BLOCK, 128, Broadcast(limit=1 << 20))  # never started: it takes nothing
    room = encoder._blocks.maxlen  # noqa: SLF001 (the tap's bound, not part of its interface)
    for i in range(room + 10):
        encoder.offer(block(i * BLOCK / RATE))
    assert encoder.dropped == 10 and len(encoder._blocks) == room  # noqa: SLF001


def test_the_encoder_makes_mp3_frames_at_the_bit_rate():
    fanout = Broadcast(limit=1 << 20)
    reader = fanout.subscribe()
    encoder = Mp3Encoder(RATE, BLOCK, 128, fanout)
    encoder.start()
    seconds = 3.0  # less than the queue holds (QUEUE_SECONDS): offered at once, none is dropped
    for i in range(int(seconds * RATE / BLOCK)):
        encoder.offer(block(i * BLOCK / RATE))
    data = b""
    deadline = time.monotonic() + 10
    while len(data) < 0.9 * seconds * 16000 and time.monotonic() < deadline:
        data += reader.read(0.5) or b""
    encoder.stop()
    header = data.find(b"\xff\xfb")  # an MPEG-1 layer III frame's sync word and version
    assert header >= 0 and data[header + 2] >> 4 == 0b1001  # bit-rate index 9: 128 kbps
    assert 0.9 * seconds * 16000 < len(data) < 1.1 * seconds * 16000  # 128 kbps = 16,000 bytes a second
    assert encoder.dropped == 0
