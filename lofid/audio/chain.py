"""The lo-fi production chain, from the synth's stems to the finished block.

    keys, melody, pad -- each its own low-pass (FluidSynth's, per voice) and level (parts.<part>.*),
                         then together: their tone (warm: the upper mids laid back; lofid.audio.tone)
                         and their stereo width (fx.width; lofid.audio.stereo)
    bass              -- its low-pass and level, centred
    keys ... + bass   -- the music layer's volume, then the sidechain dip under each kick (fx.sidechain)
    drums             -- their low-pass and level, the beat layer's volume
    music + drums     -> the sampler's bits (fx.sampler_bits; its rate, fx.sampler_hz, caps the parts' low-passes)
                      -> glue compression (fx.glue)
                      -> wow and flutter -> saturation                      (the tape: fx.wow, fx.saturation)
    + the ambience: rain, the other layers and the crackle, dipping under the kick as well, and the
      tape hiss (fx.hiss) while the music or the beat plays
    -> everything below fx.mono_bass_hz in the middle
    -> loudness stage (fx.loudness) -> true-peak limiter
       (the loudness stage counts only what plays while the music does: see lofid.audio.loudness)

The warm low-pass (fx.lowpass_hz) darkens everything: the parts by lowering their own cutoffs to
it (``voice_cutoffs``), the ambience's loops by being filtered once per cutoff
(lofid.audio.layers.darken). The room around the keys is FluidSynth's own reverb, sent from the
keys and melody channels (fx.reverb; lofid.audio.synth). Every stage carries its state from block
to block, so the chain is the same sound whatever the block size; it runs on the render thread
only. Each setting is live: ``update`` glides to the new value.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from lofid.audio.compiled import dsp
from lofid.audio.ducking import Ducker
from lofid.audio.fx import RAMP_SECONDS, Gain
from lofid.audio.glue import Glue
from lofid.audio.hiss import Hiss
from lofid.audio.limiter import TruePeakLimiter
from lofid.audio.loudness import LoudnessStage
from lofid.audio.sampler import Sampler, band_limit
from lofid.audio.stereo import MonoBass, Width
from lofid.audio.synth import STEMS
from lofid.audio.tape import Saturation, Wow
from lofid.audio.tone import KeysTone
from lofid.config import Config

PARTS = STEMS  # every stem is a part: the drums are the beat layer, the others the music layer


def voice_cutoffs(cfg: Config) -> dict[str, float]:
    """Each part's low-pass for the synth: its own (parts.<part>.lowpass_hz), or the warm master
    low-pass (fx.lowpass_hz) or the sampler's band (fx.sampler_hz) where they are lower."""
    band = band_limit(_on(cfg["fx.sampler_hz"]))
    ceiling = min(cfg["fx.lowpass_hz"], band or cfg["fx.lowpass_hz"])
    return {part: min(cfg[f"parts.{part}.lowpass_hz"], ceiling) for part in PARTS}


class Chain:
    """Stems and layers in, the finished float32 block out; ``latency`` frames late by design."""

    def __init__(self, cfg: Config, sample_rate: int) -> None:
        sr = self.sample_rate = sample_rate
        self.levels = {part: Gain(_level(cfg, part), RAMP_SECONDS * sr) for part in PARTS}
        self.keys_tone = KeysTone(sr)
        self.width = Width(cfg["fx.width"], sr)
        self.ducker = Ducker(cfg["fx.sidechain"], sr)
        self.sampler = Sampler(_on(cfg["fx.sampler_bits"]))
        self.glue = Glue(cfg["fx.glue"], sr)
        self.wow = Wow(cfg["fx.wow"], sr)
        self.saturation = Saturation(cfg["fx.saturation"], sr)
        self.hiss = Hiss(cfg["fx.hiss"], sr)
        self.mono_bass = MonoBass(_on(cfg["fx.mono_bass_hz"]), sr)
        self.loudness = LoudnessStage(_on(cfg["fx.loudness"]), sr)
        self.limiter = TruePeakLimiter(sr)
        self.latency = self.wow.latency + self.limiter.latency

    def update(self, cfg: Config) -> None:
        for part, level in self.levels.items():
            level.set(_level(cfg, part))
        self.width.set(cfg["fx.width"])
        self.ducker.set(cfg["fx.sidechain"])
        self.sampler.set(_on(cfg["fx.sampler_bits"]))
        self.glue.set(cfg["fx.glue"])
        self.wow.set(cfg["fx.wow"])
        self.saturation.set(cfg["fx.saturation"])
        self.hiss.set(cfg["fx.hiss"])
        self.mono_bass.set(_on(cfg["fx.mono_bass_hz"]))
        self.loudness.target = _on(cfg["fx.loudness"])

    def process(self, planes: np.ndarray, music: Gain, beat: Gain, ambience: np.ndarray, start: int) -> np.ndarray:
        """``planes``: the synth's stems (lofid.audio.synth.STEMS, L and R of each, (8, frames)); the
        music and beat layers' gains; the other layers and the crackle summed in ``ambience``
        (frames, 2); ``start``: the block's first sample on the music clock (the kicks')."""
        frames = len(ambience)
        duck = self.ducker.gains(start, frames)
        music_gain, beat_gain = music.curve(frames), beat.curve(frames)
        mid, side, bass, drums = self.buses(planes, music_gain, beat_gain)  # the keys' bus holds the pad too
        music_bus = self.width.process(self.keys_tone.process(mid), side, centre=bass)
        if duck is not None:
            music_bus *= duck
        music_bus += drums
        bus = self.sampler.process(music_bus)
        bus = self.saturation.process(self.wow.process(self.glue.process(bus)))
        if duck is not None:
            ambience *= duck
        self.hiss.add_to(ambience, np.maximum(music_gain, beat_gain))  # the tape's: it runs while the music or beat does
        ambience += bus
        mix = self.mono_bass.process(ambience)
        return self.limiter.process(self.loudness.process(mix, lead=bus)).astype(np.float32)

    def buses(self, planes: np.ndarray, music: float | np.ndarray,
               beat: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The stems at their levels and layers' volumes (a gain is a number, or one per frame while it
        glides), as the buses the chain works on: the keys and melody's mid and side, the bass's mid
        (each (frames, 1)) and the drums (frames, 2); compiled (lofid.audio._dsp.stems)."""
        frames = planes.shape[1]
        gains = [self.levels[part].curve(frames) * (beat if part == "drums" else music) for part in STEMS]
        per_frame = any(isinstance(g, np.ndarray) for g in gains)
        table = np.array([np.broadcast_to(g, frames) for g in gains] if per_frame else [[g] for g in gains])
        mid, side, bass = np.empty((frames, 1)), np.empty((frames, 1)), np.empty((frames, 1))
        drums = np.empty((frames, 2))
        dsp.stems(np.ascontiguousarray(planes, dtype=np.float32), table, mid, side, bass, drums)
        return mid, side, bass, drums


def _level(cfg: Config, part: str) -> float:
    """``parts.<part>.level_db`` as a gain."""
    return 10 ** (cfg[f"parts.{part}.level_db"] / 20)


T = TypeVar("T")


def _on(value: T | str) -> T | None:
    """A setting that may be off: None when it is."""
    return None if isinstance(value, str) else value
