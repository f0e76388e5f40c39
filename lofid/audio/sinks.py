"""Where rendered blocks go: the sound card (PortAudio), a WAV file, or nowhere.

The sound card is fed through a ring buffer: a render thread (``Playback``) keeps it ahead,
rendering 186 ms at a time whenever there is room for it, and the PortAudio callback, in C
(lofid/audio/_dsp.c), only copies out of it, then rings a doorbell (one byte into a pipe) that
wakes the render thread once there is room for its next render: one wake-up a render, where
polling took eight (each costs some 80 us of CPU on a virtual machine, and cold caches after it
more, BENCHMARKS.md). The callback allocates nothing, takes no lock, not even the GIL, and never
logs, so a slow note-model step, a busy machine or a Python thread holding the interpreter cannot
make it late; if the ring does run dry it plays silence and counts an underrun.

A lost device (unplugged, sound server restarted) is reopened with back-off while the render
thread keeps going at the pace of the real clock, so the music carries on where it would have
been; when no device exists at all, the null sink stands in, paced the same way.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.portaudio import open_output, rescan_devices
from lofid.audio.wavmarks import Marker, append_markers
from lofid.config import Config
from lofid.errors import LofidError

log = logging.getLogger(__name__)

AHEAD_SECONDS = 0.15  # how far a paced writer runs ahead of the real clock (a live null sink)
# What the ring still holds when the render thread wakes to render: what the card plays meanwhile.
MARGIN_SECONDS = 0.093
# What the render thread renders at each wake-up, in frames (186 ms at 44.1 kHz). On a virtual
# machine a thread's first work after sleeping runs on cold caches at about a third of its warm
# speed, so fewer, bigger renders cost 15-20 % less CPU than one per 4096-frame block (BENCHMARKS.md).
RENDER_FRAMES = 8192
STALL_SECONDS = 2.0  # a callback silent this long means the device is gone...
START_SECONDS = 5.0  # ...but a stream just started may wait longer (PulseAudio via ALSA takes ~2 s)
FROZEN_SECONDS = 1.0  # a wait overrunning by this much means the process was frozen (SIGSTOP, suspend)
# Waits between reopen attempts; the last repeats. It stays short, since the music must be heard
# within 5 s of the sound server's return and opening takes up to ~2 s; an attempt costs ~70 ms.
BACKOFF_SECONDS = (0.5, 1.0, 2.0)


def render_frames(block_size: int) -> int:
    """The frames the render thread renders at a time, for a sound card pulling ``block_size``."""
    return max(RENDER_FRAMES, block_size)


class Sink(Protocol):
    """Where finished blocks go.

    Thread: ``write`` is called by one thread only, the render thread (``Playback``, or the offline
    loop); ``close`` by the daemon once that thread has stopped. ``write`` may block only to pace
    (a live sink waits for the real clock, never for a listener or a device), and must not keep
    the block after it returns (copy what it needs). Failure: a sink never raises into the render thread for a lost
    device; it counts the trouble, keeps the clock and recovers on its own (the sound card reopens
    with back-off). A file that cannot be written is a LofidError naming it.
    """

    sample_rate: int

    def write(self, block: np.ndarray) -> None: ...

    def close(self) -> None: ...


class Pacer:
    """Keeps a writer no more than ``ahead`` seconds ahead of the real clock (a live null sink)."""

    def __init__(self, sample_rate: int, ahead: float = AHEAD_SECONDS) -> None:
        self.sample_rate, self.ahead = sample_rate, ahead
        self.reset()

    def reset(self) -> None:
        self._start = time.monotonic()
        self._frames = 0

    def wait(self, frames: int) -> None:
        """Sleep until ``frames`` more are due. After a freeze the clock moves on to now: the music
        resumes where it stopped instead of racing through what the freeze missed."""
        self._frames += frames
        due = self._start + self._frames / self.sample_rate - self.ahead
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -FROZEN_SECONDS:
            self._start -= delay


class NullSink:
    """Discards audio; ``paced`` makes it keep real time, as a live daemon without a sound card must."""

    def __init__(self, sample_rate: int, paced: bool = False) -> None:
        self.sample_rate = sample_rate
        self.frames = 0
        self.underruns = 0
        self._pacer = Pacer(sample_rate) if paced else None

    def write(self, block: np.ndarray) -> None:
        self.frames += len(block)
        if self._pacer:
            self._pacer.wait(len(block))

    def close(self) -> None:
        pass


WAV_FRAME_BYTES = 4  # a 16-bit stereo frame
WAV_MAX_DATA_BYTES = 2**32 - 1 - 4096  # RIFF sizes are 32-bit; room kept for the header and the markers


def wav_max_seconds(sample_rate: int) -> float:
    """The longest audio a 16-bit stereo WAV file at ``sample_rate`` can hold (6.8 hours at 44.1 kHz)."""
    return WAV_MAX_DATA_BYTES / (WAV_FRAME_BYTES * sample_rate)


class WavSink:
    """A 16-bit stereo WAV file, with markers (``mark``); LofidError names the file if it cannot be written."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.path = Path(path)
        self.frames = 0
        try:
            raw = self.path.open("wb")
        except OSError as e:
            raise LofidError(f"{self.path}: cannot write the WAV file ({e.strerror or e})") from None
        self._raw = raw
        self._file = wave.open(raw, "wb")  # noqa: SIM115 (open for the sink's life: close() closes it)
        self._file.setnchannels(2)
        self._file.setsampwidth(2)
        self._file.setframerate(sample_rate)
        self._markers: list[Marker] = []

    def write(self, block: np.ndarray) -> None:
        self._file.writeframes(pcm16(block))
        self.frames += len(block)

    def mark(self, frame: int, label: str) -> None:
        """Name the place ``frame`` frames into the file (it may lie ahead of what is written yet);
        markers the audio does not reach are dropped when the file is closed."""
        self._markers.append(Marker(frame, label))

    def close(self) -> None:
        self._file.close()  # the header's sizes written; the file itself stays open (wave did not open it)
        try:
            append_markers(self._raw, [m for m in self._markers if m.frame < self.frames])
        except OSError as e:
            raise LofidError(f"{self.path}: cannot write the track markers ({e.strerror or e})") from None
        finally:
            self._raw.close()


def pcm16(block: np.ndarray) -> bytes:
    """Float stereo frames in -1..1 -> interleaved signed 16-bit little-endian bytes (WAV, MP3)."""
    return np.round(np.clip(block, -1.0, 1.0) * 32767).astype("<i2").tobytes()


class RingBuffer:
    """A single-writer, single-reader ring of stereo float32 frames, preallocated, kept in C.

    The writer is the render thread (``push``); the reader the sound card's callback, which is C
    (lofid/audio/_dsp.c) and never takes the GIL, so no Python thread can make it late. Each counter
    is stored by one side only, in order with the frames, so neither side ever waits for the other.
    A pull that leaves ``ring_at`` frames or fewer rings the ``doorbell`` pipe (fd; -1: none).
    """

    def __init__(self, capacity: int, doorbell: int = -1) -> None:
        self.capacity = capacity
        self.frames = np.zeros((capacity, 2), np.float32)
        self.state = np.zeros(dsp.RING_SLOTS, np.int64)  # read by the callback: lives as long as the ring
        dsp.ring_bind(self.state, self.frames, doorbell)

    @property
    def written(self) -> int:
        return int(self.state[dsp.RING_WRITTEN])

    @property
    def read(self) -> int:
        return int(self.state[dsp.RING_READ])

    @property
    def fill(self) -> int:
        return self.written - self.read

    @property
    def underruns(self) -> int:
        """Pulls that found the ring short (but while draining), and the card's own underflows."""
        return int(self.state[dsp.RING_UNDERRUNS])

    @property
    def ring_at(self) -> int:
        return int(self.state[dsp.RING_AT])

    @ring_at.setter
    def ring_at(self, frames: int) -> None:
        self.state[dsp.RING_AT] = frames

    def drain(self) -> None:
        """From now on running dry is the end, not an underrun."""
        self.state[dsp.RING_DRAINING] = 1

    def drop(self) -> None:
        """Forget what is queued; only with no reader pulling (the stream closed)."""
        self.state[dsp.RING_READ] = self.state[dsp.RING_WRITTEN]

    def push(self, block: np.ndarray) -> None:
        """Writer side; the caller has made sure there is room."""
        dsp.ring_push(self.state, block)

    def pull_into(self, out: np.ndarray) -> int:
        """What the sound card's callback does: ``out`` filled, silence after what was there; the
        frames that were."""
        return dsp.ring_pull(self.state, out)


class Doorbell:
    """The callback's word to the render thread that room came in the ring: a non-blocking pipe.

    Thread: the ring's reader (the real-time callback, in C) writes one byte to ``fd``, which never
    waits; ``wait`` and ``close`` are for the render thread. Failure: a full pipe means a ring is
    waiting already, so nothing is lost by dropping the byte.
    """

    def __init__(self) -> None:
        self._read, self.fd = os.pipe()
        for fd in (self._read, self.fd):
            os.set_blocking(fd, False)

    def wait(self, timeout: float) -> None:
        """Until the doorbell rings (at once if it rang meanwhile) or ``timeout`` seconds pass."""
        ready, _, _ = select.select([self._read], [], [], timeout)
        try:
            while ready and os.read(self._read, 4096):  # every ring so far: one look answers them all
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        """Once no callback can ring any more (its stream closed); a second close does nothing."""
        for fd in (self._read, self.fd):
            if fd >= 0:
                os.close(fd)
        self._read = self.fd = -1


class DeviceSink:
    """The sound card through PortAudio, fed from a ring buffer the render thread keeps full."""

    def __init__(self, sample_rate: int, device: int | str | None, block_size: int,
                 margin: float = MARGIN_SECONDS) -> None:
        self.sample_rate, self.device, self.block_size = sample_rate, device, block_size
        # The writer waits for room for a whole render before it renders; what is left in the ring
        # then (``margin``, a card's block at least) is what the card plays meanwhile.
        self.target = render_frames(block_size) + max(int(margin * sample_rate), block_size)
        self._doorbell = Doorbell()
        self.ring = RingBuffer(self.target + 2 * max(block_size, 4096), self._doorbell.fd)
        self.reopens = 0
        self.lost = False
        self._pacer = Pacer(sample_rate)
        self._stream: Any = None  # a PortAudio output stream while open (lofid.audio.portaudio)
        try:
            self._open()  # raises PortAudioError/ValueError when there is no such device
        except Exception:
            self._doorbell.close()
            raise

    @property
    def underruns(self) -> int:
        """Blocks the sound card wanted before they were ready, counted by its callback."""
        return self.ring.underruns

    def _open(self) -> None:
        self._stream, self.name = open_output(self.sample_rate, self.device, self.block_size, self.ring.state)
        self._started = False

    def write(self, block: np.ndarray) -> None:
        """Queue ``block``, waiting while the ring is full; during a device outage, keep real time."""
        if self.lost:
            self._pacer.wait(len(block))
            self._try_reopen()
            return
        n = len(block)
        self.ring.ring_at = self.target - n  # before the look for room: a pull after it rings, none is missed
        last_read, last_progress = self.ring.read, time.monotonic()
        # Before the start the ring is primed a block beyond the target: the card's first pull takes
        # its whole buffer (two blocks) at once, and a ring holding just that ran dry on the next.
        while self.ring.fill + n > self.target + (0 if self._started else self.block_size):
            if not self._started:  # the ring is primed: now the card may start pulling
                self._stream.start()
                self._started, self._start_read = True, self.ring.read
                continue
            # Room comes a callback at a time, and the callback rings the doorbell once there is
            # enough: the writer sleeps until then, or a block longer at most, to notice a device
            # that stopped pulling.
            wait = (self.ring.fill + n - self.target + self.block_size) / self.sample_rate
            asleep = time.monotonic()
            self._doorbell.wait(wait)
            now = time.monotonic()
            # Progress, or a freeze of the whole process (the callback had no chance either): the stall clock restarts.
            if self.ring.read != last_read or now - asleep > wait + FROZEN_SECONDS:
                last_read, last_progress = self.ring.read, now
            elif not self._stream.active or now - last_progress > self._patience():
                self._lose()
                self._pacer.wait(n)
                return
        self.ring.push(block)

    def _patience(self) -> float:
        """How long the callback may stay silent before the device counts as lost."""
        warming_up = self.ring.read - self._start_read < self.target
        return START_SECONDS if warming_up else STALL_SECONDS

    def _lose(self) -> None:
        log.warning("sound device %s stopped; reopening it (music keeps going)", self.name)
        self.lost = True
        self._close_stream()
        self.ring.drop()  # what was queued for the old stream
        self._pacer.reset()
        self._attempt, self._next_try = 0, time.monotonic() + BACKOFF_SECONDS[0]

    def _try_reopen(self) -> None:
        if time.monotonic() < self._next_try:
            return
        try:
            rescan_devices()
            self._open()
        except Exception as e:  # PortAudio reports a missing device many ways; all mean "not yet"
            self._attempt += 1
            wait = BACKOFF_SECONDS[min(self._attempt, len(BACKOFF_SECONDS) - 1)]
            self._next_try = time.monotonic() + wait
            log.debug("reopening the sound device failed (%s); next try in %.1f s", e, wait)
            return
        self.lost = False
        self.reopens += 1
        log.info("sound device %s is back", self.name)

    def _close_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.close()
            except Exception:  # a dead stream may refuse even to close; it is gone either way
                pass
            self._stream = None

    def close(self) -> None:
        """Let what is queued play out, then stop."""
        self.ring.drain()
        if self._stream is not None and self._started and not self.lost:
            deadline = time.monotonic() + self.ring.fill / self.sample_rate + 0.5
            while self.ring.fill > 0 and time.monotonic() < deadline and self._stream.active:
                time.sleep(0.01)
            time.sleep(0.1)  # the device's own buffer
        self._close_stream()
        self._doorbell.close()


def parse_device(setting: str) -> int | str | None:
    """``output.device``: auto -> the default device, a number -> that index, else a name to match."""
    if setting == "auto":
        return None
    return int(setting) if setting.strip().isdigit() else setting


def open_sink(cfg: Config) -> DeviceSink | NullSink:
    """The live sink: the configured sound device, or a real-time null sink when there is none."""
    rate = cfg["output.sample_rate"]
    if cfg["output.device"] == "none":
        return NullSink(rate, paced=True)
    try:
        return DeviceSink(rate, parse_device(cfg["output.device"]), cfg["output.block_size"])
    except Exception as e:  # OSError (no PortAudio), PortAudioError, ValueError (no such device)
        log.warning("no sound device (%s); playing silently in real time (output.device: none)",
                    str(e).splitlines()[0] if str(e) else e.__class__.__name__)
        return NullSink(rate, paced=True)


class Playback(threading.Thread):
    """The render thread: ``render(frames)`` -> ``sink.write`` until stopped; errors end it, kept in ``error``.

    Each of ``taps`` (a stream encoder's ``offer``) is handed every block too, after the sink; a tap
    must copy what it keeps and return at once, never waiting for anything.
    """

    def __init__(self, render: Callable[[int], np.ndarray], sink: Sink, block_size: int,
                 taps: Sequence[Callable[[np.ndarray], None]] = ()) -> None:
        super().__init__(name="lofid-render", daemon=True)
        self.render, self.sink, self.block_size, self.taps = render, sink, block_size, tuple(taps)
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                block = self.render(self.block_size)
                self.sink.write(block)
                for tap in self.taps:
                    tap(block)
        except BaseException as e:  # handed to whoever joins: the daemon decides what to do
            self.error = e
            log.error("render thread stopped: %s", e)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_event.set()
        self.join(timeout)
