"""The chain's small pieces: filters, the K-weighting, gain ramps, crackle."""

from __future__ import annotations

import numpy as np

from lofid.audio.filters import Filter, k_weighting, lowpass
from lofid.audio.fx import Gain
from lofid.audio.loudness import lufs
from tests.support.engine import QUIET

RATE = 44100


def tone(hz: float, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.stack([np.sin(2 * np.pi * hz * t)] * 2, axis=1)


def level_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x[len(x) // 2:] ** 2)) / np.sqrt(0.5))


def test_the_lowpass_keeps_the_warmth_and_darkens_the_top():
    for hz, low, high in ((150, -0.2, 0.1), (2000, -3.2, -2.8), (12000, -99, -30)):  # -3 dB at the cutoff
        assert low < level_db(Filter(lowpass(2000.0, RATE)).process(tone(hz))) < high, hz


def test_a_filter_carries_its_state_across_blocks():
    """A stream cut into odd blocks sounds exactly like one long block, for one section and for several."""
    x = np.random.default_rng(2).standard_normal((10_000, 2))
    for sos in (lowpass(700.0, RATE), k_weighting(RATE)):
        whole = Filter(sos).process(x)
        split = Filter(sos)
        parts = np.concatenate([split.process(x[a:b]) for a, b in [(0, 1), (1, 513), (513, 4000), (4000, 10_000)]])
        np.testing.assert_allclose(parts, whole, atol=1e-12)


def test_the_k_weighting_measures_as_a_bs1770_meter_does():
    """The loudness stage's own measurement agrees with pyloudnorm's on pink-ish noise and on a tone."""
    import pyloudnorm

    rng = np.random.default_rng(4)
    noise = Filter(lowpass(3000.0, RATE)).process(rng.standard_normal((10 * RATE, 2))) * 0.1
    for x in (noise, tone(1000, 10) * 0.05, tone(60, 10) * 0.3):
        ours = lufs(np.mean(np.square(Filter(k_weighting(RATE)).process(x)).sum(axis=1)))
        assert abs(ours - pyloudnorm.Meter(RATE).integrated_loudness(x)) < 0.1


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
