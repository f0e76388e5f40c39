"""What a listener hears: an HTTP stream (an Icecast mount) decoded by ffmpeg to float samples.

    from tests.support.stream import decode, ffmpeg_available, rms_dbfs

    audio = decode(icecast.listen_url(), 3.0)      # float32 (frames, 2) at 44.1 kHz
    assert rms_dbfs(audio) > -40

ffmpeg connects as any player would (no reconnecting: a dropped stream must show as a short
one), decodes ``seconds`` of it, and resamples to RATE stereo whatever was sent. It is told the
stream is MP3 (``input_format``): left to guess, ffmpeg reads some 8 s of a headerless MP3 stream
before it decides, and a stream cut sooner decodes to nothing.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
from collections.abc import Mapping

import numpy as np

from tests.support.meter import db
from tests.support.player import rms

RATE = 44100  # Hz, of what decode returns
CHANNELS = 2
INPUT_FORMAT = "mp3"  # what lofid streams; ffmpeg's demuxer name
SLACK_S = 20.0  # decode's default time beyond ``seconds``: connecting, probing, a slow start
STDERR_TAIL_CHARS = 2000
SILENCE_DBFS = -math.inf


class StreamError(RuntimeError):
    """ffmpeg could not decode the stream (its stderr's tail is in the message)."""


def ffmpeg_available() -> bool:
    """True when ffmpeg is installed (scripts/sysdeps.sh test)."""
    return shutil.which("ffmpeg") is not None


def decode(url: str, seconds: float, *, timeout: float | None = None, headers: Mapping[str, str] | None = None,
           input_format: str | None = INPUT_FORMAT) -> np.ndarray:
    """The first ``seconds`` of the stream at ``url`` as float32 (frames, 2) at RATE.

    Fewer frames when the stream ended sooner. ``headers`` go with the HTTP request (say
    ``{"Authorization": "Bearer X"}``); ``input_format`` None lets ffmpeg guess the format.
    StreamError when ffmpeg failed before decoding anything, or had not finished within
    ``timeout`` seconds (``seconds + SLACK_S`` unless told).
    """
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error"]
    if headers:
        cmd += ["-headers", "".join(f"{name}: {value}\r\n" for name, value in headers.items())]
    if input_format:
        cmd += ["-f", input_format]
    cmd += ["-i", url, "-t", f"{seconds:.3f}", "-f", "f32le", "-ac", str(CHANNELS), "-ar", str(RATE), "-"]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}  # the stream is local
    limit = seconds + SLACK_S if timeout is None else timeout
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired as exc:
        raise StreamError(f"ffmpeg had not decoded {seconds} s of {url} in {limit:.0f} s: {tail(exc.stderr)}") from None
    frame = 4 * CHANNELS  # bytes: float32 per channel
    audio = np.frombuffer(done.stdout[:len(done.stdout) // frame * frame], "<f4").reshape(-1, CHANNELS)
    if done.returncode != 0 and not len(audio):
        raise StreamError(f"ffmpeg could not decode {url} (exit status {done.returncode}): {tail(done.stderr)}")
    return audio


def tail(stderr: bytes | None) -> str:
    """The end of ffmpeg's stderr, for an error message."""
    text = (stderr or b"").decode(errors="replace").strip()
    return text[-STDERR_TAIL_CHARS:] or "(nothing on stderr)"


def rms_dbfs(x: np.ndarray) -> float:
    """RMS of all of ``x`` (every frame and channel) in dB of full scale; -inf for digital silence or no samples."""
    level = rms(np.asarray(x, dtype=np.float64))
    return db(level) if level > 0 else SILENCE_DBFS


MUSIC_DBFS = -40.0  # lofid streams music mastered near -16 LUFS: far above this
SILENT_DBFS = -60.0  # paused, the encoder is fed digital silence (it decodes to about -128 dBFS)


def heard(url: str, seconds: float) -> float:
    """The level a listener connecting now hears over the first ``seconds`` of ``url``, in dBFS."""
    audio = decode(url, seconds)
    assert len(audio), f"nothing decoded from {url}"
    return rms_dbfs(audio)


def wait_for_music(url: str, seconds: float = 3.0, timeout: float = 30.0) -> float:
    """The level of the first ``seconds`` at ``url`` that hold music (a stream may open on a quiet intro)."""
    deadline, level = time.monotonic() + timeout, -math.inf
    while time.monotonic() < deadline:
        level = heard(url, seconds)
        if level > MUSIC_DBFS:
            return level
    raise AssertionError(f"no music at {url} within {timeout:g} s (last {level:.1f} dBFS)")
