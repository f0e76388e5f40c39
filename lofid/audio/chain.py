"""The lo-fi production chain, from the synth's four stems to the finished block.

    keys, melody, bass, drums  -- each its own low-pass and level (parts.<part>.*)
    keys + melody + bass       -- the music layer's volume, then the sidechain dip under each kick
    + drums                    -- the beat layer's volume
    -> wow and flutter -> saturation                              (the tape: fx.wow, fx.saturation)
    + rain and the other layers, + crackle, both dipping under the kick as well
    -> the warm low-pass (fx.lowpass_hz) -> loudness stage (fx.loudness) -> true-peak limiter
       (the loudness stage counts only what plays while the music does: see lofid.audio.loudness)

The room around the keys is FluidSynth's own reverb, sent from the keys and melody channels
(fx.reverb; lofid.audio.synth). Every stage carries its state from block to block, so the chain
is the same sound whatever the block size; it runs on the render thread only. Each setting is
live: ``update`` glides to the new value.
"""

from __future__ import annotations

import numpy as np

from lofid.audio.ducking import Ducker
from lofid.audio.filters import OPEN_HZ, Filter, lowpass
from lofid.audio.fx import RAMP_SECONDS, Gain, loop_slice
from lofid.audio.loudness import LoudnessStage, TruePeakLimiter
from lofid.audio.tape import Saturation, Wow
from lofid.config import Config

MUSIC_PARTS = ("keys", "melody", "bass")  # the parts on the music layer; the drums are the beat layer


class PartTone:
    """One part's low-pass (none when open) and level trim."""

    def __init__(self, cutoff_hz: float, level_db: float, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.cutoff_hz = cutoff_hz
        self._filter = Filter(lowpass(min(cutoff_hz, OPEN_HZ), sample_rate))
        self._level = Gain(_linear(level_db), RAMP_SECONDS * sample_rate)

    def set(self, cutoff_hz: float, level_db: float) -> None:
        if cutoff_hz != self.cutoff_hz:
            self.cutoff_hz = cutoff_hz
            self._filter.design(lowpass(min(cutoff_hz, OPEN_HZ), self.sample_rate))
        if _linear(level_db) != self._level.target:
            self._level.set(_linear(level_db))

    def process(self, x: np.ndarray) -> np.ndarray:
        y = x if self.cutoff_hz >= OPEN_HZ else self._filter.process(x)
        self._level.apply(y)
        return y


class Chain:
    """Stems and layers in, the finished float32 block out; ``latency`` frames late by design."""

    def __init__(self, cfg: Config, crackle: np.ndarray | None, sample_rate: int) -> None:
        sr = self.sample_rate = sample_rate
        self.parts = {part: PartTone(cfg[f"parts.{part}.lowpass_hz"], cfg[f"parts.{part}.level_db"], sr)
                      for part in (*MUSIC_PARTS, "drums")}
        self.ducker = Ducker(cfg["fx.sidechain"], sr)
        self.wow = Wow(cfg["fx.wow"], sr)
        self.saturation = Saturation(cfg["fx.saturation"], sr)
        self.crackle = crackle  # a loop, (frames, 2) float32, or None
        self.crackle_gain = Gain(cfg["fx.crackle"], RAMP_SECONDS * sr)
        self._crackle_pos = 0
        self.cutoff_hz = cfg["fx.lowpass_hz"]
        self.lowpass = Filter(lowpass(self.cutoff_hz, sr))
        self.loudness = LoudnessStage(_target(cfg), sr)
        self.limiter = TruePeakLimiter(sr)
        self.latency = self.wow.latency + self.limiter.latency

    def update(self, cfg: Config) -> None:
        for part, tone in self.parts.items():
            tone.set(cfg[f"parts.{part}.lowpass_hz"], cfg[f"parts.{part}.level_db"])
        self.ducker.set(cfg["fx.sidechain"])
        self.wow.set(cfg["fx.wow"])
        self.saturation.set(cfg["fx.saturation"])
        if cfg["fx.crackle"] != self.crackle_gain.target:
            self.crackle_gain.set(cfg["fx.crackle"])
        if cfg["fx.lowpass_hz"] != self.cutoff_hz:
            self.cutoff_hz = cfg["fx.lowpass_hz"]
            self.lowpass.design(lowpass(self.cutoff_hz, self.sample_rate))
        self.loudness.target = _target(cfg)

    def process(self, stems: dict[str, np.ndarray], music: Gain, beat: Gain, ambience: np.ndarray,
                start: int) -> np.ndarray:
        """``stems`` (frames, 2) per part, the music and beat layers' gains, the other layers summed
        in ``ambience``; ``start`` is the block's first sample on the music clock (the kicks' clock)."""
        frames = len(ambience)
        duck = self.ducker.gains(start, frames)
        bus = sum(self.parts[part].process(stems[part]) for part in MUSIC_PARTS)
        music.apply(bus)
        drums = self.parts["drums"].process(stems["drums"])
        beat.apply(drums)
        bus = self.saturation.process(self.wow.process(bus * duck + drums))
        if self.crackle is not None:
            if not self.crackle_gain.silent:
                grain = loop_slice(self.crackle, self._crackle_pos, frames).astype(np.float64)
                self.crackle_gain.apply(grain)
                ambience = ambience + grain
            self._crackle_pos = (self._crackle_pos + frames) % len(self.crackle)
        mix = self.lowpass.process(bus + ambience * duck)
        return self.limiter.process(self.loudness.process(mix, lead=bus)).astype(np.float32)


def _linear(db: float) -> float:
    return 10 ** (db / 20)


def _target(cfg: Config) -> float | None:
    return None if cfg["fx.loudness"] == "off" else float(cfg["fx.loudness"])
