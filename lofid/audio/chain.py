"""The lo-fi production chain, from the synth's four stems to the finished block.

    keys, melody, bass, drums  -- each its own low-pass (FluidSynth's, per voice) and level (parts.<part>.*)
    keys + melody + bass       -- the music layer's volume, then the sidechain dip under each kick
    + drums                    -- the beat layer's volume
    -> wow and flutter -> saturation                              (the tape: fx.wow, fx.saturation)
    + the ambience: rain, the other layers and the crackle, dipping under the kick as well
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

import numpy as np

from lofid.audio.ducking import Ducker
from lofid.audio.fx import RAMP_SECONDS, Gain
from lofid.audio.limiter import TruePeakLimiter
from lofid.audio.loudness import LoudnessStage
from lofid.audio.synth import STEMS
from lofid.audio.tape import Saturation, Wow
from lofid.config import Config

MUSIC_PARTS = ("keys", "melody", "bass")  # the parts on the music layer; the drums are the beat layer
PARTS = (*MUSIC_PARTS, "drums")


def voice_cutoffs(cfg: Config) -> dict[str, float]:
    """Each part's low-pass for the synth: its own (parts.<part>.lowpass_hz), or the warm master
    low-pass (fx.lowpass_hz) where that is lower."""
    return {part: min(cfg[f"parts.{part}.lowpass_hz"], cfg["fx.lowpass_hz"]) for part in PARTS}


class Chain:
    """Stems and layers in, the finished float32 block out; ``latency`` frames late by design."""

    def __init__(self, cfg: Config, sample_rate: int) -> None:
        sr = self.sample_rate = sample_rate
        self.levels = {part: Gain(_linear(cfg[f"parts.{part}.level_db"]), RAMP_SECONDS * sr) for part in PARTS}
        self.ducker = Ducker(cfg["fx.sidechain"], sr)
        self.wow = Wow(cfg["fx.wow"], sr)
        self.saturation = Saturation(cfg["fx.saturation"], sr)
        self.loudness = LoudnessStage(_target(cfg), sr)
        self.limiter = TruePeakLimiter(sr)
        self.latency = self.wow.latency + self.limiter.latency

    def update(self, cfg: Config) -> None:
        for part, level in self.levels.items():
            level.set(_linear(cfg[f"parts.{part}.level_db"]))
        self.ducker.set(cfg["fx.sidechain"])
        self.wow.set(cfg["fx.wow"])
        self.saturation.set(cfg["fx.saturation"])
        self.loudness.target = _target(cfg)

    def process(self, planes: np.ndarray, music: Gain, beat: Gain, ambience: np.ndarray, start: int) -> np.ndarray:
        """``planes``: the synth's stems (lofid.audio.synth.STEMS, L and R of each, (8, frames)); the
        music and beat layers' gains; the other layers and the crackle summed in ``ambience``
        (frames, 2); ``start``: the block's first sample on the music clock (the kicks')."""
        frames = len(ambience)
        duck = self.ducker.gains(start, frames)
        bus, drums = self._mix_stems(planes, music.curve(frames), beat.curve(frames))
        if duck is not None:
            bus *= duck
        bus = self.saturation.process(self.wow.process(bus + drums))
        mix = bus + (ambience if duck is None else ambience * duck)
        return self.limiter.process(self.loudness.process(mix, lead=bus)).astype(np.float32)

    def _mix_stems(self, planes: np.ndarray, music: float | np.ndarray, beat: float | np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
        """The music bus (keys, melody, bass) and the drums as (frames, 2), each part at its level and
        layer's volume; a gain is a number, or one per frame while it glides."""
        frames = planes.shape[1]
        bus = drums = None
        for i, part in enumerate(STEMS):
            gain = self.levels[part].curve(frames) * (beat if part == "drums" else music)
            sound = planes[2 * i:2 * i + 2] * gain
            if part == "drums":
                drums = sound
            else:
                bus = sound if bus is None else bus + sound
        assert bus is not None and drums is not None  # STEMS holds the drums and the music's parts
        return bus.T, drums.T


def _linear(db: float) -> float:
    return 10 ** (db / 20)


def _target(cfg: Config) -> float | None:
    return None if cfg["fx.loudness"] == "off" else float(cfg["fx.loudness"])
