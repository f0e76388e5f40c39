"""The drummer in the engine: each hit on the sample its offset puts it, early ones too, on real FluidSynth renders."""

from __future__ import annotations

import numpy as np
import pytest

from lofid.audio.grid import CONTROL_FRAMES
from lofid.music.drums import DrumHit, Groove, Vocabulary
from lofid.music.tracks import Cue, Palette, Section, Track

RATE = 44100
BEAT_ONLY = {"layers.music.enabled": False, "layers.rain.enabled": False, "fx.crackle": 0.0,
             "fx.wow": 0.0, "fx.saturation": 0.0, "fx.hiss": 0.0, "fx.loudness": "off"}


def first_sound(out: np.ndarray, floor: float = 1e-3) -> int:
    return int(np.argmax(np.abs(out).max(axis=1) > floor))


def kick_at(make_engine, play, offset: float, bpm: float) -> int:
    """The sample where a groove's one kick, on the second beat ``offset`` 16ths from it, sounds
    (less the chain's delay)."""
    groove = Groove("one kick", "hiphop", bpm, 0.0, (4,), ((DrumHit(4, 36, 110, offset),),))
    track = Track(1, "test", 0, False, bpm, 0.0, Palette("test", {"keys": 4, "bass": 33, "melody": 4}, 0), groove.name,
                  1.0, 0, (Section("A", 0, 4, "full"),))
    engine, _ = make_engine([Cue(0, track.sections[0], track, True)], BEAT_ONLY)
    engine.grooves = Vocabulary((groove,), ())
    return first_sound(play(engine, 2 * RATE)) - engine.chain.latency  # in blocks of 4096 frames, under the offsets


@pytest.mark.parametrize("bpm", [60.0, 90.0])
def test_a_hit_sounds_its_offset_from_its_sixteenth_early_or_late_and_the_offset_scales_with_the_tempo(
        make_engine, play, bpm):
    sixteenth = RATE * 60 / bpm / 4
    on = kick_at(make_engine, play, 0.0, bpm)
    late = kick_at(make_engine, play, 0.3, bpm)
    early = kick_at(make_engine, play, -0.3, bpm)
    assert abs(on - 4 * sixteenth) <= 2 * CONTROL_FRAMES  # on its 16th
    assert abs(late - on - 0.3 * sixteenth) <= CONTROL_FRAMES  # 3308 frames (75 ms) at 60 bpm, 2205 at 90
    assert abs(on - early - 0.3 * sixteenth) <= CONTROL_FRAMES
