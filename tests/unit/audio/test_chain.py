"""The chain's stages one by one, on signals made here: limiter, loudness stage, tape, sidechain."""

from __future__ import annotations

import numpy as np
import pytest

from lofid.audio.ducking import RELEASE_S, Ducker
from lofid.audio.limiter import TruePeakLimiter
from lofid.audio.loudness import HOP_S, SLEW_DB_PER_S, LoudnessStage
from lofid.audio.tape import Saturation, Wow
from tests.support.meter import integrated_lufs, true_peak_dbtp

RATE = 44100


def tone(hz: float, seconds: float, level: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.stack([np.sin(2 * np.pi * hz * t)] * 2, axis=1) * level


def blocks(stage, x: np.ndarray, sizes=(2048,)) -> np.ndarray:
    out, done, i = [], 0, 0
    while done < len(x):
        n = sizes[i % len(sizes)]
        out.append(stage.process(x[done:done + n]))
        done, i = done + n, i + 1
    return np.concatenate(out)


def test_the_limiter_holds_true_peaks_under_minus_one_dbtp():
    """Drum-like bursts 12 dB over full scale, and a tone near a quarter of the sample rate, whose
    peaks fall between the samples: no true peak over -1 dBTP comes out."""
    rng = np.random.default_rng(1)
    bursts = rng.standard_normal((3 * RATE, 2)) * np.repeat(rng.uniform(0, 4, (30, 1)) ** 2, RATE // 10, axis=0)
    between = tone(RATE / 4 * 0.99, 2.0) * 1.5
    for x in (bursts, between):
        assert true_peak_dbtp(blocks(TruePeakLimiter(RATE), x)) <= -1.0


def test_the_limiter_leaves_quiet_audio_alone_but_for_its_delay():
    limiter = TruePeakLimiter(RATE)
    x = tone(440, 1.0, 0.3)
    out = blocks(limiter, x, (1000, 37))
    np.testing.assert_array_equal(out[limiter.latency:], x[:-limiter.latency])


def test_the_limiter_is_the_same_whatever_the_block_size():
    x = np.random.default_rng(2).standard_normal((RATE, 2)) * 2
    np.testing.assert_allclose(blocks(TruePeakLimiter(RATE), x, (64, 3001)), blocks(TruePeakLimiter(RATE), x, (8192,)),
                               atol=1e-12)


def test_the_loudness_stage_brings_the_programme_to_its_target_slowly():
    """Noise 14 LU under the target reaches it within a second or so of LU and moves no faster than
    the slew allows once settled; silence (a gap between tracks) leaves the gain where it was."""
    rng = np.random.default_rng(3)
    quiet = rng.standard_normal((40 * RATE, 2)) * 0.01  # about -33 LUFS
    stage = LoudnessStage(-16.0, RATE)
    gains = []
    out = []
    for start in range(0, len(quiet), 2048):
        out.append(stage.process(quiet[start:start + 2048]))
        gains.append(stage.gain_db)
    assert integrated_lufs(np.concatenate(out)[-10 * RATE:], RATE) == pytest.approx(-16.0, abs=0.5)
    steps = np.abs(np.diff(gains[len(gains) // 2:]))
    assert steps.max() <= SLEW_DB_PER_S * HOP_S + 1e-9  # settled: 0.15 dB per 100 ms at most
    before = stage.gain_db
    stage.process(np.zeros((5 * RATE, 2)))
    assert stage.gain_db == before


def test_the_loudness_stage_turned_off_returns_to_unity_gain():
    stage = LoudnessStage(-16.0, RATE)
    stage.process(np.random.default_rng(4).standard_normal((5 * RATE, 2)) * 0.01)
    stage.target = None
    x = tone(440, 5.0, 0.1)
    out = stage.process(x)
    np.testing.assert_allclose(out[-RATE:], x[-RATE:], atol=1e-12)


def test_wow_at_zero_is_a_plain_delay_and_its_depth_bends_the_pitch():
    wow = Wow(0.0, RATE)
    x = tone(440, 1.0)
    np.testing.assert_allclose(blocks(wow, x)[wow.latency:], x[:-wow.latency], atol=1e-12)
    bent = blocks(Wow(1.0, RATE), tone(1000, 3.0), (777,))[:, 0]
    crossings = np.nonzero(np.diff(np.signbit(bent)))[0]
    periods = np.diff(crossings[::2]) / RATE  # one cycle of the tone each
    assert 1 / periods.max() < 1000 * 0.993 and 1 / periods.min() > 1000 * 1.007  # about +-1% at 1.0


def test_saturation_adds_harmonics_as_it_is_turned_up_and_none_at_zero():
    x = tone(200, 1.0, 0.5)
    np.testing.assert_array_equal(Saturation(0.0, RATE).process(x), x)
    spectrum = {}
    for amount in (0.3, 1.0):
        y = Saturation(amount, RATE).process(x)[RATE // 2:, 0]
        power = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
        bins = np.fft.rfftfreq(len(y), 1 / RATE)
        first, second, third = (power[np.argmin(np.abs(bins - 200 * k))] for k in (1, 2, 3))
        spectrum[amount] = 10 * np.log10((second + third) / first)
    assert -60 < spectrum[0.3] < spectrum[1.0] < -10


def test_the_ducker_dips_from_each_kick_and_recovers():
    ducker = Ducker(0.5, RATE)
    ducker.kick(RATE // 2)
    blocks = [ducker.gains(start, 1024) for start in range(0, 2 * RATE, 1024)]
    assert blocks[0] is None and blocks[-1] is None  # before the kick and long after it: nothing to do
    gains = np.concatenate([np.ones(1024) if block is None else block[:, 0] for block in blocks])
    assert gains[: RATE // 2].min() == 1.0  # nothing before the kick
    assert gains.min() == pytest.approx(0.5, abs=1e-3)  # -6 dB at 0.5
    recovered = gains[RATE // 2 + int(4 * RELEASE_S * RATE)]
    assert 0.98 < recovered < 1.0


def test_the_loudness_stage_holds_its_gain_while_the_music_is_off():
    """Rain alone (music and beat turned off) is not pushed up to the target: it keeps its level."""
    rng = np.random.default_rng(5)
    stage = LoudnessStage(-16.0, RATE)
    music = rng.standard_normal((10 * RATE, 2)) * 0.03
    stage.process(music, lead=music)
    before = stage.gain_db
    rain = rng.standard_normal((10 * RATE, 2)) * 0.003
    stage.process(rain, lead=np.zeros_like(rain))
    assert stage.gain_db == before
