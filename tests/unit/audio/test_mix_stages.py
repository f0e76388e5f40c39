"""The mix's stages one by one, on signals made here: the keys' tone and the centred bass, width and
mono bass, the sampler, glue compression, tape hiss; and each the same sound whatever the block size."""

from __future__ import annotations

import numpy as np
import pytest

from lofid.audio.chain import Chain, voice_cutoffs
from lofid.audio.glue import THRESHOLD_DBFS, Glue
from lofid.audio.hiss import FULL_DBFS, Hiss
from lofid.audio.sampler import BAND, FULL_SCALE, Sampler
from lofid.audio.stereo import DECORRELATE, MonoBass, Width
from lofid.audio.tone import KeysTone
from lofid.config import defaults

RATE = 44100


def tone(hz: float, seconds: float = 1.0, level: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.stack([np.sin(2 * np.pi * hz * t)] * 2, axis=1) * level


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def db(ratio: float) -> float:
    return 20 * np.log10(ratio)


def blocks(process, x: np.ndarray, sizes=(2048,)) -> np.ndarray:
    out, done, i = [], 0, 0
    while done < len(x):
        n = sizes[i % len(sizes)]
        out.append(process(x[done:done + n]))
        done, i = done + n, i + 1
    return np.concatenate(out)


def gain_db(process, hz: float) -> float:
    """The stage's steady gain at ``hz`` (the last half second of a 1-s tone)."""
    x = tone(hz)
    return db(rms(blocks(process, x)[RATE // 2:]) / rms(x[RATE // 2:]))


def test_the_keys_tone_keeps_their_body_and_lays_the_upper_mids_back():
    at = {hz: gain_db(lambda x, tone=KeysTone(RATE): tone.process(x[:, :1]), hz) for hz in (100, 250, 1000, 4000)}
    assert at[100] > -0.5 and at[250] > -1.5  # the body stays
    assert at[1000] < at[250] - 2.5  # the upper mids sit back
    assert -6.5 < at[4000] < at[1000] - 0.5  # darker still on top, but not gone


def mid_side(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mid, side) of a (frames, 2) block, each (frames, 1)."""
    return (x[:, :1] + x[:, 1:]) * 0.5, (x[:, :1] - x[:, 1:]) * 0.5


def test_the_bass_is_centred_and_every_stem_lands_on_its_bus():
    """The chain's buses from the synth's stems: the bass as its mid (one speaker cone's job), the keys
    and melody as one mid and side, the drums as they are, each at its level."""
    chain = Chain(defaults(), RATE)
    level = {part: gain.value for part, gain in chain.levels.items()}
    wide = tone(50) * [1.0, -0.2]
    planes = np.zeros((8, RATE), np.float32)
    planes[4:6] = wide.T  # the bass (lofid.audio.synth.STEMS: keys, drums, bass, melody)
    planes[2] = planes[3] = 0.5  # the drums
    planes[6] = 0.25  # the melody, left only
    mid, side, bass, drums = chain.buses(planes, 1.0, 0.5)
    np.testing.assert_allclose(bass[:, 0], level["bass"] * wide.astype(np.float32).mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(drums, 0.5 * 0.5 * level["drums"])  # the beat layer at half volume
    np.testing.assert_allclose(mid, 0.125 * level["melody"])
    np.testing.assert_allclose(side, 0.125 * level["melody"])
    out = Width(1.0, RATE).process(mid, side, centre=bass)
    np.testing.assert_allclose(out.mean(axis=1)[:, None], mid + bass, atol=1e-12)  # the bass in the middle


def test_width_leaves_the_mono_sum_alone_and_widens_a_mono_keyboard():
    x = tone(440) + tone(660)
    out = blocks(lambda b, w=Width(1.0, RATE): w.process(*mid_side(b)), x)
    np.testing.assert_allclose(out.mean(axis=1), x.mean(axis=1), atol=1e-12)  # the mono sum, untouched
    side = (out[:, 0] - out[:, 1]) / 2
    assert rms(side[RATE // 2:]) / rms(x[RATE // 2:, 0]) == pytest.approx(DECORRELATE, rel=0.05)
    narrow = Width(0.0, RATE).process(*mid_side(x * [1.0, 0.5]))
    np.testing.assert_allclose(narrow[:, 0], narrow[:, 1], atol=1e-12)  # width 0: mono


def test_mono_bass_takes_the_side_out_below_150_hz_and_keeps_it_above():
    def side_db(hz: float) -> float:
        x = tone(hz) * [1.0, -1.0]  # all side
        out = blocks(MonoBass(150.0, RATE).process, x)[RATE // 2:]
        return db(rms(out[:, 0] - out[:, 1]) / rms(x[RATE // 2:, 0] - x[RATE // 2:, 1]))

    assert side_db(50) < -14 and side_db(100) < -6
    assert side_db(1000) > -0.5
    mid = tone(50)
    np.testing.assert_allclose(MonoBass(150.0, RATE).process(mid), mid, atol=1e-12)  # the mid is left alone
    np.testing.assert_array_equal(MonoBass(None, RATE).process(mid * [1, -1]), mid * [1, -1])  # off


def test_the_bit_reducer_leaves_a_noise_floor_as_deep_as_its_bits():
    """12 bits under FULL_SCALE: rounding error of one step / sqrt(12) RMS; 8 bits: 16 times more; off: none."""
    x = tone(997, level=0.2 * FULL_SCALE)
    for bits in (12, 8):
        error = blocks(Sampler(bits).process, x) - x
        step = FULL_SCALE / 2 ** (bits - 1)
        assert rms(error) == pytest.approx(step / np.sqrt(12), rel=0.1)
        assert np.abs(error).max() <= step / 2 + 1e-12
    np.testing.assert_array_equal(Sampler(None).process(x), x)


def test_the_sampler_rate_caps_every_part_at_its_band():
    cfg = defaults().replace({"fx.lowpass_hz": 20000.0, **{f"parts.{p}.lowpass_hz": 20000.0 for p in ("keys", "melody", "drums")},
                              "parts.bass.lowpass_hz": 900.0})
    for hz in (26040.0, 16000.0):
        cutoffs = voice_cutoffs(cfg.replace({"fx.sampler_hz": hz}))
        assert max(cutoffs.values()) == pytest.approx(BAND * hz) and cutoffs["bass"] == 900.0
    assert max(voice_cutoffs(cfg.replace({"fx.sampler_hz": "off"})).values()) == 20000.0


def test_glue_takes_away_its_share_of_the_level_over_the_threshold():
    """A tone 12 dB over the threshold (mean square of the mid) comes down by 6 dB at 0.5 (2:1);
    one under it is untouched; 0 is off."""
    over = 10 ** ((THRESHOLD_DBFS + 12) / 20) * np.sqrt(2)  # a sine's peak for that mean square
    loud = tone(200, 2.0, over)
    settled = slice(RATE, None)
    assert db(rms(blocks(Glue(0.5, RATE).process, loud)[settled]) / rms(loud[settled])) == pytest.approx(-6.0, abs=0.3)
    quiet = tone(200, 2.0, over / 10)
    np.testing.assert_allclose(blocks(Glue(0.5, RATE).process, quiet)[settled], quiet[settled], rtol=1e-9)
    np.testing.assert_array_equal(Glue(0.0, RATE).process(loud), loud)
    glue = Glue(0.5, RATE)
    blocks(glue.process, loud)
    assert glue.reduction_db == pytest.approx(6.0, abs=0.3)


def test_hiss_is_quiet_dark_uncorrelated_and_scaled_by_the_layers():
    hiss = Hiss(1.0, RATE)
    x = np.zeros((4 * RATE, 2))
    blocks(lambda b: (hiss.add_to(b), b)[1], x)
    assert db(rms(x[RATE:])) == pytest.approx(FULL_DBFS, abs=0.5)
    assert abs(np.corrcoef(x[RATE:, 0], x[RATE:, 1])[0, 1]) < 0.05
    spectrum = np.abs(np.fft.rfft(x[:, 0])) ** 2
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    assert spectrum[(f > 700) & (f < 1400)].mean() > 100 * spectrum[(f > 11000) & (f < 22000)].mean()  # dark
    off = np.zeros((RATE, 2))
    Hiss(1.0, RATE).add_to(off, 0.0)  # music and beat layers off: no hiss
    assert not off.any()


STAGES = {
    "keys tone": lambda: (lambda t: lambda b: t.process(b[:, :1]))(KeysTone(RATE)),
    "width": lambda: (lambda w: lambda b: w.process(*mid_side(b)))(Width(1.3, RATE)),
    "mono bass": lambda: MonoBass(150.0, RATE).process,
    "sampler": lambda: Sampler(12).process,
    "glue": lambda: Glue(0.5, RATE).process,
    "hiss": lambda: (lambda h: lambda b: (h.add_to(b), b)[1])(Hiss(0.5, RATE)),
}


@pytest.mark.parametrize("name", STAGES)
def test_every_stage_is_the_same_sound_whatever_the_block_size(name):
    x = np.random.default_rng(6).standard_normal((RATE, 2)) * 0.2
    whole = STAGES[name]()(x.copy())
    np.testing.assert_allclose(blocks(STAGES[name](), x.copy(), (64, 3001, 1, 517)), whole, atol=1e-9)
