"""Sinks: the sound card through a real PulseAudio null sink, WAV files, the null sink."""

from __future__ import annotations

import logging
import threading
import time
import wave

import numpy as np
import pytest

from lofid.audio.portaudio import rescan_devices
from lofid.audio.sinks import DeviceSink, Doorbell, NullSink, Playback, RingBuffer, WavSink, open_sink
from lofid.config import defaults
from lofid.errors import LofidError
from lofid.music.notes import Note
from tests.support.engine import QUIET
from tests.support.pulse import PulseServer, pulse_available, read_recording
from tests.support.waiting import until

RATE = 44100
needs_pulse = pytest.mark.skipif(not pulse_available(), reason="needs pulseaudio, pactl and parec (scripts/sysdeps.sh)")


def test_the_ring_hands_back_exactly_what_went_in_across_its_wrap():
    ring = RingBuffer(1000)
    data = np.random.default_rng(0).standard_normal((5000, 2)).astype(np.float32)
    out = np.zeros_like(data)
    written = read = 0
    for size in [700, 300, 999, 1, 800, 555] * 3:
        size = min(size, len(data) - written, ring.capacity - ring.fill)
        ring.push(data[written:written + size])
        written += size
        read += ring.pull_into(out[read:read + 650])
    read += ring.pull_into(out[read:])
    assert read == written > 4000
    np.testing.assert_array_equal(out[:read], data[:read])


def test_the_ring_plays_silence_for_what_it_lacks_and_counts_it_unless_draining():
    ring = RingBuffer(64)
    ring.push(np.ones((10, 2), np.float32))
    out = np.full((32, 2), 7.0, np.float32)
    assert ring.pull_into(out) == 10 and np.all(out[:10] == 1) and np.all(out[10:] == 0)
    assert ring.underruns == 1
    ring.drain()  # the end of the music: running dry is no underrun
    assert ring.pull_into(out) == 0 and np.all(out == 0) and ring.underruns == 1


def test_the_ring_refuses_a_block_it_has_no_room_for_and_keeps_what_it_holds():
    ring = RingBuffer(16)
    ring.push(np.ones((10, 2), np.float32))
    with pytest.raises(ValueError, match="no room"):
        ring.push(np.ones((7, 2), np.float32))
    with pytest.raises(TypeError, match="float32"):
        ring.push(np.ones((2, 2), np.float64))
    assert ring.fill == 10


def test_the_wav_sink_writes_a_stereo_file_at_the_rate(tmp_path):
    sink = WavSink(tmp_path / "out.wav", 22050)
    sink.write(np.full((1000, 2), 0.5, np.float32))
    sink.write(np.full((500, 2), -2.0, np.float32))  # out of range: clipped, not wrapped around
    sink.close()
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes(), w.getsampwidth()) == (2, 22050, 1500, 2)
        pcm = np.frombuffer(w.readframes(1500), "<i2")
    assert pcm[0] == round(0.5 * 32767) and pcm[-1] == -32767


def test_the_wav_sink_names_a_file_it_cannot_write(tmp_path):
    with pytest.raises(LofidError, match="nowhere/out.wav"):
        WavSink(tmp_path / "nowhere" / "out.wav", RATE)


def test_a_paced_null_sink_keeps_to_the_real_clock():
    sink = NullSink(RATE, paced=True)
    start = time.monotonic()
    for _ in range(10):
        sink.write(np.zeros((RATE // 20, 2), np.float32))  # half a second of audio in all
    assert time.monotonic() - start >= 0.5 - 0.15 - 0.02  # it may run ahead by its lead, no more
    assert sink.frames == 10 * (RATE // 20)


def test_output_device_none_is_the_null_sink():
    assert isinstance(open_sink(defaults().replace({"output.device": "none"})), NullSink)


def test_a_missing_device_falls_back_to_the_null_sink_with_one_line(caplog):
    with caplog.at_level(logging.WARNING):
        sink = open_sink(defaults().replace({"output.device": "no-such-card-anywhere"}))
    assert isinstance(sink, NullSink)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "no-such-card-anywhere" in lines[0] and "silently" in lines[0]


@pytest.fixture
def pulse():
    with PulseServer(RATE) as server:
        rescan_devices()  # PortAudio lists devices once: let it see the new server
        yield server
    rescan_devices()


def best_match(heard: np.ndarray, played: np.ndarray) -> float:
    """Peak normalised cross-correlation of two mono signals: 1.0 when one is a delayed copy."""
    n = 1 << int(np.ceil(np.log2(len(heard) + len(played))))
    corr = np.fft.irfft(np.fft.rfft(heard, n) * np.conj(np.fft.rfft(played, n)), n)
    lag = int(np.argmax(corr))
    lag = lag if lag < n // 2 else lag - n
    a = heard[max(0, lag):]
    b = played[max(0, -lag):]
    m = min(len(a), len(b))
    a, b = a[:m], b[:m]
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def music_engine(make_engine):
    notes = [Note(55 + (i * 7) % 24, 2, 3, 100, ("keys", "bass")[i % 2]) for i in range(400)]
    engine, _ = make_engine(notes, QUIET)
    return engine


@needs_pulse
def test_music_comes_out_of_a_real_sound_server_without_underruns(pulse, make_engine, tmp_path):
    engine = music_engine(make_engine)
    rendered = []

    def render(frames):
        block = engine.render(frames)
        rendered.append(block)
        return block

    sink = DeviceSink(RATE, None, 512)
    with pulse.record(tmp_path / "heard.wav"):
        playback = Playback(render, sink, 512)
        playback.start()
        time.sleep(4.0)
        playback.stop()
        sink.close()
    assert playback.error is None
    heard, rate = read_recording(tmp_path / "heard.wav")
    assert rate == RATE
    assert np.sqrt(np.mean(heard ** 2)) > 0.01  # music came out...
    played = np.concatenate(rendered)
    assert best_match(heard.mean(axis=1), played.mean(axis=1)) > 0.9  # ...and it is what we rendered
    assert sink.underruns == 0


@needs_pulse
def test_a_restarted_sound_server_is_reopened_and_the_music_goes_on(pulse, make_engine, tmp_path):
    engine = music_engine(make_engine)
    sink = DeviceSink(RATE, None, 512)
    playback = Playback(engine.render, sink, 512)
    playback.start()
    time.sleep(3.0)
    pulse.restart()
    lost_at = engine.sample_time
    with pulse.record(tmp_path / "after.wav"):
        until(lambda: sink.reopens, "the sink reopened on the new server", 20)
        back_at = engine.sample_time
        time.sleep(3.0)  # a fresh stream takes a moment to start pulling
    playback.stop()
    sink.close()
    assert playback.error is None
    assert back_at - lost_at > RATE // 4  # the render thread (so the daemon) kept going meanwhile
    heard, _ = read_recording(tmp_path / "after.wav")
    assert np.sqrt(np.mean(heard ** 2)) > 0.01  # and the new server hears music


def test_the_render_thread_keeps_an_error_for_whoever_joins_it():
    def broken(frames):
        raise LofidError("the engine broke")

    playback = Playback(broken, NullSink(RATE), 512)
    playback.start()
    playback.join(5)
    assert isinstance(playback.error, LofidError)
    assert threading.active_count() >= 1


def test_the_doorbell_wakes_the_writer_for_a_ring_made_before_or_while_it_waits():
    """The ring's reader rings once a pull leaves room for the writer (at or under ``ring_at``), not
    before; no ring is lost (one made before the wait answers it at once, however many piled up), a
    wait with none ends at its timeout, and a ring from another thread wakes a waiter at once."""
    bell = Doorbell()
    ring = RingBuffer(100_000, bell.fd)
    out = np.zeros((1, 2), np.float32)
    try:
        ring.push(np.zeros((90_000, 2), np.float32))
        ring.ring_at = 10_000
        ring.pull_into(out)  # 89,999 left: no room yet, no ring
        start = time.monotonic()
        bell.wait(0.2)
        assert time.monotonic() - start >= 0.19
        ring.ring_at = 100_000  # room at every pull from here
        for _ in range(70_000):  # more rings than a pipe holds (64 KiB): the extra ones are dropped, not blocking
            ring.pull_into(out)
        start = time.monotonic()
        bell.wait(5.0)
        assert time.monotonic() - start < 1.0
        start = time.monotonic()
        bell.wait(0.2)  # every ring was answered by the one look
        assert time.monotonic() - start >= 0.19
        threading.Timer(0.1, ring.pull_into, (out,)).start()
        start = time.monotonic()
        bell.wait(5.0)
        assert time.monotonic() - start < 2.0
    finally:
        bell.close()
    bell.close()  # twice: nothing
