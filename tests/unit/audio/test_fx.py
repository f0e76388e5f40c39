"""The chain's small pieces: filters, the loudness stage's meter, gain ramps, crackle."""

from __future__ import annotations

import numpy as np

from lofid.audio.filters import OPEN_HZ, LowPass, OnePole
from lofid.audio.fx import Gain
from lofid.audio.layers import darken
from lofid.audio.loudness import LoudnessStage
from tests.support.engine import QUIET

RATE = 44100


def tone(hz: float, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.stack([np.sin(2 * np.pi * hz * t)] * 2, axis=1)


def level_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x[len(x) // 2:] ** 2)) / np.sqrt(0.5))


def test_the_lowpass_keeps_the_warmth_and_darkens_the_top():
    for hz, low, high in ((150, -0.2, 0.1), (2000, -3.2, -2.8), (12000, -99, -15)):  # -3 dB at the cutoff
        assert low < level_db(LowPass(2000.0, RATE).process(tone(hz))) < high, hz
    x = tone(12000)
    assert LowPass(OPEN_HZ, RATE).process(x) is x  # open: not run at all


def test_a_filter_carries_its_state_across_blocks():
    """A stream cut into odd blocks sounds exactly like one long block, and like the textbook recursion."""
    x = np.random.default_rng(2).standard_normal((10_000, 2))
    for cutoff in (38.0, 700.0, 15000.0):
        whole = OnePole(cutoff, RATE).process(x)
        split = OnePole(cutoff, RATE)
        parts = np.concatenate([split.process(x[a:b]) for a, b in [(0, 1), (1, 513), (513, 4000), (4000, 10_000)]])
        np.testing.assert_allclose(parts, whole, atol=1e-12)
    pole = OnePole(700.0, RATE)
    reference, y = np.zeros_like(x), np.zeros(2)
    for i, sample in enumerate(x):
        y = pole.a * y + (1 - pole.a) * sample
        reference[i] = y
    np.testing.assert_allclose(pole.process(x), reference, atol=1e-12)


def test_a_darkened_loop_joins_itself_without_a_seam():
    """Darkened as if it had looped forever: the same as the filter's output on its third time round."""
    loop = np.random.default_rng(3).standard_normal((RATE, 2)).astype(np.float32)
    dark = darken(loop, 1000.0, RATE)
    np.testing.assert_allclose(dark, LowPass(1000.0, RATE).process(np.concatenate([loop] * 3))[-RATE:], atol=1e-5)


def test_the_loudness_stage_measures_as_a_bs1770_meter_does():
    """What the loudness stage hears agrees with pyloudnorm's BS.1770-4 meter within 0.1 LU, on noise
    of three colours and on tones across the band: its K-weighting is BS.1770's own response."""
    import pyloudnorm

    rng = np.random.default_rng(4)
    white = rng.standard_normal((10 * RATE, 2)) * 0.1
    signals = [white, LowPass(3000.0, RATE).process(white), LowPass(300.0, RATE).process(white) * 5,
               *(tone(hz, 10) * 0.05 for hz in (60, 440, 1000, 1700, 3000, 5000, 12000))]
    for x in signals:
        stage = LoudnessStage(None, RATE)
        stage.process(x)
        assert abs(stage.measured - pyloudnorm.Meter(RATE).integrated_loudness(x)) < 0.1


def test_a_gain_glides_to_its_target_over_its_ramp_whatever_the_blocks():
    gain = Gain(1.0, 441)
    gain.set(0.0)
    blocks = [np.ones((n, 2)) for n in (100, 100, 300, 50)]
    for block in blocks:
        gain.apply(block)
    curve = np.concatenate(blocks)[:, 0]
    assert np.all(np.diff(curve) <= 0) and curve[440] == 0.0 and curve[0] > 0.99
    assert np.abs(np.diff(curve)).max() < 1.01 / 441


def test_crackle_is_heard_only_as_much_as_set(make_engine, play):
    levels = {}
    for amount in (0.0, 0.3, 1.0):
        engine, _ = make_engine([], {**QUIET, "layers.music.enabled": False, "fx.crackle": amount})
        levels[amount] = np.sqrt(np.mean(play(engine, RATE) ** 2))
    assert levels[0.0] < 1e-6 < levels[0.3] < levels[1.0]
