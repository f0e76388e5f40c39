"""Looping layers: WAV loops from ``effects/`` (rain, a user's beat loop).

Every top-level ``effects/*.wav`` becomes a layer named after its file (``rain.wav`` -> ``rain``,
set with ``layers.rain.enabled`` / ``layers.rain.volume``). A loop is joined to itself with an
equal-power crossfade, so its seam has no click. A file named ``*_NNbpm.wav`` is a beat loop: it
is played locked to the note grid and, while it is on, its tempo is the tempo. The drum patterns
are not audio (lofid.music.drums): the engine plays them through FluidSynth's drum kit.
"""

from __future__ import annotations

import logging
import math
import re
import wave
from collections.abc import Callable
from dataclasses import InitVar, dataclass
from pathlib import Path

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.filters import OPEN_HZ, LowPass
from lofid.errors import LofidError

log = logging.getLogger(__name__)

CROSSFADE_SECONDS = 0.5  # at most; never more than a quarter of the loop
_BPM_NAME = re.compile(r"_(\d{2,3}(?:\.\d+)?)bpm$")
RESERVED = ("music", "beat")  # built-in layers that are not WAV files
PCM_SCALE = 32768.0  # a 16-bit sample's full scale
PCM_MAX = 32767  # the largest 16-bit sample
SETTLE = 40.0  # time constants of the warm low-pass run before a loop is darkened: e**-40 of the past is left


def read_wav(path: Path, sample_rate: int) -> np.ndarray:
    """Decode a PCM WAV to float32 stereo (frames, 2) at ``sample_rate``; LofidError names the file."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            raw = w.readframes(frames)
    except (wave.Error, EOFError, OSError) as e:
        raise LofidError(f"{path}: not a readable PCM WAV ({e})") from None
    if width not in (1, 2, 3, 4) or channels not in (1, 2) or rate <= 0:
        raise LofidError(f"{path}: unsupported WAV ({channels} channels, {8 * width}-bit); use 16-bit mono or stereo PCM")
    frames = len(raw) // (width * channels)
    if frames < rate // 10:
        raise LofidError(f"{path}: too short to loop ({frames} frames; needs at least 0.1 s)")
    raw = raw[:frames * width * channels]
    if width == 3:  # 24-bit: widen to 32 by putting each sample in the top three bytes
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        data = (np.pad(b, ((0, 0), (1, 0))).view("<i4").ravel() / 2.0 ** 31)
    elif width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128) / 128
    else:
        dtype = "<i2" if width == 2 else "<i4"
        data = np.frombuffer(raw, dtype) / float(2 ** (8 * width - 1))
    data = data.reshape(-1, channels)
    if channels == 1:
        data = np.repeat(data, 2, axis=1)
    return resample(data, rate, sample_rate).astype(np.float32)


def resample(data: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear-interpolation resampling: enough for rain and loops, and it keeps their length exact."""
    if rate == target:
        return data
    n = int(round(len(data) * target / rate))
    src = np.arange(n) * (rate / target)
    return np.stack([np.interp(src, np.arange(len(data)), data[:, c]) for c in range(data.shape[1])], axis=1)


def seamless_loop(data: np.ndarray, crossfade: int) -> np.ndarray:
    """Fold the loop's tail into its head with an equal-power crossfade.

    The result is ``crossfade`` frames shorter. Its last frame is followed in the original by the
    frame that now starts the fade (at full weight), so playing it round and round never jumps.
    """
    crossfade = max(1, min(crossfade, len(data) // 4))
    theta = (np.arange(crossfade) + 0.5) / crossfade * (np.pi / 2)
    head = data[:crossfade] * np.sin(theta)[:, None] + data[-crossfade:] * np.cos(theta)[:, None]
    return np.concatenate([head, data[crossfade:-crossfade]]).astype(np.float32)


def layer_name(path: Path) -> str:
    """``Rain Storm.wav`` -> ``rain-storm``: what the config key ``layers.<name>`` accepts."""
    name = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-_")
    return name if name and name[0].isalnum() else f"x{name}"


@dataclass
class WavLayer:
    """One looping WAV layer. ``bpm`` is set for a beat loop (``*_NNbpm.wav``).

    ``loop`` is what plays: the loop given through the warm low-pass (``tone``), so a static loop is
    filtered once per cutoff instead of block by block. It is kept as 16-bit PCM: half the memory
    of float32, the rounding 96 dB below full scale (the rain plays some 30 dB below it). The loop
    as given is not kept beside it: ``given`` makes it again (from its file) when the cutoff moves,
    which is rare (3 MB less for the shipped rain and crackle).
    """

    name: str
    first: InitVar[np.ndarray]  # the loop as given: float32 (frames, 2), already seamless
    given: Callable[[], np.ndarray]  # makes it again; may raise LofidError (its file gone)
    bpm: float | None = None
    position: int = 0  # next frame of the loop (free-running layers)
    toned: bool = False  # whether ``loop`` went through the low-pass yet

    def __post_init__(self, first: np.ndarray) -> None:
        self.loop = to_pcm16(first)

    def unfiltered(self) -> np.ndarray:
        """The loop as given, before the warm low-pass: float32 (frames, 2). Until the loop is first
        toned that is the loop itself; after, it is made again (LofidError if it cannot be)."""
        if self.toned:
            return self.given()
        return self.loop.astype(np.float32) * np.float32(1 / PCM_SCALE)

    def tone(self, toned: np.ndarray) -> None:
        """Play ``toned`` (16-bit PCM, the loop through the low-pass) from now on."""
        self.loop, self.toned = toned, True

    def add_to(self, out: np.ndarray, scale: np.ndarray, start: int | None = None) -> None:
        """Add the next len(out) frames of the loop to ``out`` (frames, 2, float64), times ``scale`` (one
        value, or one per frame while a gain glides); ``start`` pins the position (beat loops follow
        the grid). One compiled call (lofid.audio._dsp.add_loop), wrapping round the loop's end."""
        pos = self.advance(len(out), start)
        dsp.add_loop(out, self.loop, pos, pos, scale * (1 / PCM_SCALE))

    def advance(self, frames: int, start: int | None = None) -> int:
        """Move on by ``frames`` (from ``start`` when pinned); the frame they begin at."""
        pos = self.position if start is None else start % len(self.loop)
        self.position = (pos + frames) % len(self.loop)
        return pos


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Float samples in -1..1 as 16-bit PCM (int16), rounded and clipped."""
    return np.round(np.clip(x, -1.0, PCM_MAX / PCM_SCALE) * PCM_SCALE).astype(np.int16)


def darken(loop: np.ndarray, cutoff_hz: float, sample_rate: int) -> np.ndarray:
    """``loop`` through the warm low-pass as if it had been looping forever, so the filter's state at
    its end is the state at its start (no seam): the filter first runs over the loop's tail, long
    enough for anything before it to have died away (SETTLE time constants), then over the loop."""
    if cutoff_hz >= OPEN_HZ:
        return loop
    warm = min(len(loop), math.ceil(SETTLE * sample_rate / (2 * math.pi * cutoff_hz)))
    wrapped = LowPass(cutoff_hz, sample_rate).process(np.concatenate([loop[len(loop) - warm:], loop]).astype(np.float64))
    return wrapped[warm:].astype(np.float32)


def load_layers(folder: Path, sample_rate: int) -> list[WavLayer]:
    """Every top-level WAV in ``folder`` as a layer; a bad file is skipped with one warning line."""
    layers: list[WavLayer] = []
    if not folder.is_dir():
        return layers
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav" and p.is_file()):
        name = layer_name(path)
        if name in RESERVED or any(layer.name == name for layer in layers):
            log.warning("%s: skipped, the layer name %r is taken", path, name)
            continue
        try:
            layers.append(load_layer(path, name, sample_rate))
        except LofidError as e:
            log.warning("%s; skipped", e)
    return layers


def load_layer(path: Path, name: str, sample_rate: int) -> WavLayer:
    """The WAV at ``path`` as a loop: a beat loop (``*_NNbpm.wav``) keeps every sample, any other is
    made seamless; LofidError names the file if it cannot be read."""
    m = _BPM_NAME.search(path.stem.lower())

    def given() -> np.ndarray:
        data = read_wav(path, sample_rate)
        return beat_edges(data) if m else seamless_loop(data, int(CROSSFADE_SECONDS * sample_rate))

    first = given()
    return WavLayer(name, first, given, bpm=exact_bpm(len(first), float(m.group(1)), sample_rate) if m else None)


def exact_bpm(frames: int, bpm: float, sample_rate: int) -> float:
    """A beat loop's exact tempo comes from its length. The name's bpm only says roughly how many beats
    the file holds; the tempo that keeps the grid in step with the loop for hours is the one that
    fits that whole number of beats exactly."""
    beats = max(1, round(frames / sample_rate * bpm / 60))
    return beats * 60 * sample_rate / frames


def beat_edges(data: np.ndarray) -> np.ndarray:
    """A beat loop keeps every sample (beats must not be folded), with a few ms of fade at its ends
    so the loop's own cut never clicks."""
    edge = min(64, len(data) // 8)
    ramp = np.linspace(0.0, 1.0, edge, dtype=np.float32)[:, None]
    data = data.copy()
    data[:edge] *= ramp
    data[-edge:] *= ramp[::-1]
    return data
