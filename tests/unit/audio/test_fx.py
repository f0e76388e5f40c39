"""The master chain: low-pass, limiter, crackle and gain ramps."""

from __future__ import annotations

import numpy as np

from lofid.audio.fx import CEILING, KNEE, Gain, LowPass, OnePole, soft_limit
from tests.support.engine import QUIET

RATE = 44100


def tone(hz: float, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.stack([np.sin(2 * np.pi * hz * t)] * 2, axis=1)


def level_db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(x[len(x) // 2:] ** 2)) / np.sqrt(0.5))


def test_the_lowpass_keeps_the_warmth_and_darkens_the_top():
    lp = LowPass(2000.0, RATE)
    assert level_db(lp.process(tone(150))) > -0.2
    lp = LowPass(2000.0, RATE)
    assert -4.0 < level_db(lp.process(tone(2000))) < -2.0  # -3 dB at the cutoff
    lp = LowPass(2000.0, RATE)
    assert level_db(lp.process(tone(12000))) < -18  # the top is well down


def test_the_filter_carries_its_state_across_blocks():
    """A stream cut into odd blocks sounds exactly like one long block."""
    x = np.random.default_rng(2).standard_normal((10_000, 2))
    whole = OnePole(700.0, RATE).process(x)
    split = OnePole(700.0, RATE)
    parts = np.concatenate([split.process(x[a:b]) for a, b in [(0, 1), (1, 513), (513, 4000), (4000, 10_000)]])
    np.testing.assert_allclose(parts, whole, atol=1e-12)
    reference, y = np.zeros_like(x), np.zeros(2)
    for i, sample in enumerate(x):  # the textbook recursion, sample by sample
        y = split.a * y + (1 - split.a) * sample
        reference[i] = y
    np.testing.assert_allclose(whole, reference, atol=1e-12)


def test_the_limiter_keeps_every_peak_below_minus_one_dbfs_and_leaves_quiet_audio_alone():
    loud = tone(220) * 20
    assert np.abs(soft_limit(loud)).max() < CEILING
    quiet = tone(220) * KNEE * 0.99
    np.testing.assert_array_equal(soft_limit(quiet), quiet)
    ramp = np.linspace(0, 3, 10_001)[:, None].repeat(2, axis=1)
    shaped = soft_limit(ramp)[:, 0]
    assert np.all(np.diff(shaped) >= 0)  # it bends, it never folds back
    slope = np.diff(shaped) / np.diff(ramp[:, 0])
    assert np.abs(np.diff(slope)).max() < 0.01  # and has no corner at the knee


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
