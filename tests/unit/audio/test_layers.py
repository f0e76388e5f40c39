"""Rain and beat layers, user WAV layers, loop seams and volume ramps, on real renders."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np
import pytest

from lofid import paths
from lofid.audio.layers import load_layers, read_wav, seamless_loop
from lofid.errors import LofidError
from lofid.music.notes import Note
from tests.support.engine import DRY, QUIET

RATE = 44100


def irregular_notes(count: int = 300) -> list[Note]:
    """Notes at random gaps, so the music itself has no steady pulse."""
    rng = np.random.default_rng(5)
    return [Note(int(rng.integers(50, 80)), int(rng.choice([1, 2, 3, 5, 7])), int(rng.integers(1, 4)),
                 int(rng.integers(60, 110))) for _ in range(count)]


def onset_autocorrelation(out: np.ndarray, hop: int, lag: int) -> float:
    """Autocorrelation of the onset envelope (rise of log energy per hop) at ``lag`` hops, over lag 0."""
    mono = out.mean(axis=1)
    frames = mono[: len(mono) // hop * hop].reshape(-1, hop)
    energy = np.log10((frames ** 2).sum(axis=1) + 1e-9)
    onset = np.maximum(np.diff(energy), 0)
    onset -= onset.mean()
    acf = np.correlate(onset, onset, "full")[len(onset) - 1:]
    near = acf[lag - 1:lag + 2].max()  # the lattice may move a hit by part of a hop
    return float(near / acf[0])


def test_beat_off_removes_the_periodic_onsets_at_the_bar_period(make_engine, play):
    settings = {"music.bpm": 90.0, "layers.rain.enabled": True}
    hop, bar_hops = 294, 400  # 90 bpm: a bar is 117600 frames, 400 hops (a drummer's bars repeat, not each beat)
    with_beat, _ = make_engine(irregular_notes(), settings)
    without, _ = make_engine(irregular_notes(), {**settings, "layers.beat.enabled": False})
    on = onset_autocorrelation(play(with_beat, 12 * RATE), hop, bar_hops)
    off = onset_autocorrelation(play(without, 12 * RATE), hop, bar_hops)
    assert on > 0.15, on  # the groove comes round every bar (measured here: 0.23)
    assert off < on / 3, (on, off)  # without it the pulse is gone (measured: 0.04)


def high_band_floor(out: np.ndarray, window: int = 2048) -> float:
    """The quietest 10% of 2-8 kHz energy per window: the floor that lies under the notes."""
    mono = out.mean(axis=1)
    frames = mono[: len(mono) // window * window].reshape(-1, window)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(window), axis=1)) ** 2
    freqs = np.fft.rfftfreq(window, 1 / RATE)
    band = spectrum[:, (freqs > 2000) & (freqs < 8000)].sum(axis=1)
    return float(np.percentile(band, 10))


def test_rain_off_removes_its_broadband_noise_floor(make_engine, play):
    sparse = [Note(60, 16, 2, 90) for _ in range(10)]  # a note a bar: room to hear the floor
    rain, _ = make_engine(sparse, {**QUIET, "layers.rain.enabled": True})
    dry, _ = make_engine(sparse, QUIET)
    floor_rain = high_band_floor(play(rain, 8 * RATE))
    floor_dry = high_band_floor(play(dry, 8 * RATE))
    assert floor_rain > 1000 * floor_dry  # at least 30 dB of rain hiss under the notes, gone without it


def write_wav(path: Path, data: np.ndarray, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.round(data * 32767).astype("<i2").tobytes())


def hum(seconds: float, hz: float = 441.3) -> np.ndarray:
    """A tone that does not fit its file a whole number of times: looped as is, it would click."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = 0.5 * np.sin(2 * np.pi * hz * t)
    return np.stack([tone, tone], axis=1)


def jumps(x: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(x, axis=0)).max(axis=1)


def test_a_loop_played_across_its_seam_jumps_no_more_than_inside_it(make_engine, play, tmp_path):
    raw = hum(2.0)
    assert np.abs(raw[0] - raw[-1]).max() > 3 * jumps(raw).max()  # the naive loop would click
    write_wav(tmp_path / "hum.wav", raw)
    engine, _ = make_engine([], {**QUIET, "layers.music.enabled": False, "layers.hum.volume": 1.0,
                                 "fx.lowpass_hz": 20000.0}, effects_dir=tmp_path)
    seam = len(engine.layers["hum"].loop)
    out = play(engine, seam + RATE // 2, block=1000)
    steps = jumps(out[RATE // 10:])  # after the layer's 10 ms fade-in
    at_seam = steps[seam - 1 - RATE // 10]
    assert at_seam <= steps.max() and at_seam <= 1.05 * np.percentile(steps, 99.9)


def test_the_shipped_rain_loop_has_no_seam():
    loop = load_layers(paths.EFFECTS, RATE)
    rain = next(layer.loop for layer in loop if layer.name == "rain").astype(np.float64)
    across = np.abs(rain[0] - rain[-1]).max()
    assert across <= np.percentile(jumps(rain), 99.9)  # the step over the seam is an ordinary one


def test_seamless_loop_keeps_equal_power_through_the_fade():
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((RATE * 4, 2)) * 0.2
    loop = seamless_loop(noise, RATE // 2)
    fade_rms = np.sqrt(np.mean(loop[: RATE // 2] ** 2))
    body_rms = np.sqrt(np.mean(loop[RATE // 2:] ** 2))
    assert abs(20 * np.log10(fade_rms / body_rms)) < 0.5  # no dip where the ends overlap


def test_a_wav_dropped_in_effects_becomes_a_layer_with_its_own_settings(make_engine, play, tmp_path):
    write_wav(tmp_path / "Vinyl Hum.wav", hum(1.0))
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    engine, _ = make_engine([], {**QUIET, "layers.music.enabled": False}, effects_dir=tmp_path)
    assert "vinyl-hum" in engine.layer_names and "broken" not in engine.layer_names
    assert np.sqrt(np.mean(play(engine, RATE) ** 2)) > 0.05
    engine.update(engine.cfg.replace({"layers.vinyl-hum.enabled": False}))
    play(engine, RATE // 10)
    assert not play(engine, RATE).any()


def test_a_bad_wav_is_skipped_with_one_warning_naming_it(tmp_path, caplog):
    (tmp_path / "broken.wav").write_bytes(b"not a wav")
    write_wav(tmp_path / "fine.wav", hum(1.0))
    with caplog.at_level(logging.WARNING):
        layers = load_layers(tmp_path, RATE)
    assert [layer.name for layer in layers] == ["fine"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "broken.wav" in warnings[0] and "\n" not in warnings[0]


def test_read_wav_names_the_file_when_it_is_too_short(tmp_path):
    write_wav(tmp_path / "blip.wav", hum(0.01))
    with pytest.raises(LofidError, match="blip.wav"):
        read_wav(tmp_path / "blip.wav", RATE)


def test_wav_layers_are_resampled_to_the_output_rate(tmp_path):
    write_wav(tmp_path / "slow.wav", hum(1.0)[::2], rate=RATE // 2)
    assert abs(len(read_wav(tmp_path / "slow.wav", RATE)) - RATE) <= 1


def test_a_bpm_beat_loop_sets_the_tempo_and_stays_on_the_grid(make_engine, play, tmp_path):
    beat = 60 / 88 * RATE
    loop = np.zeros((int(round(4 * beat)), 2))
    for k in range(4):  # a click on every beat (a little after it: the loop's ends get a short fade)
        at = int(round(k * beat)) + 1000
        loop[at:at + 200] = 0.6
    write_wav(tmp_path / "clicks_88bpm.wav", loop)
    engine, _ = make_engine([Note(72, 4, 1, 100) for _ in range(20)],
                            {**QUIET, **DRY, "layers.music.enabled": False, "layers.clicks_88bpm.volume": 1.0},
                            effects_dir=tmp_path)
    assert engine.bpm == pytest.approx(88, abs=0.01)  # the loop's tempo, not music.bpm (74)
    out = play(engine, 6 * RATE, block=777)
    clicks = np.flatnonzero(np.diff((np.abs(out[:, 0]) > 0.2).astype(int)) == 1) + 1
    assert len(clicks) >= 7
    assert np.all(np.abs(np.diff(clicks) - beat) < 3)  # one a beat, steady across blocks
    notes = np.array([p.sample for p in engine.played])
    assert np.all(np.abs(np.diff(notes) - beat) <= 64)  # and the notes keep the same beat
    engine.update(engine.cfg.replace({"layers.clicks_88bpm.enabled": False}))
    assert engine.bpm == 74.0


def test_volume_changes_glide_without_a_click(make_engine, play, tmp_path):
    write_wav(tmp_path / "hum.wav", hum(2.0, hz=100.0))
    engine, _ = make_engine([], {**QUIET, "layers.music.enabled": False, "layers.hum.volume": 1.0},
                            effects_dir=tmp_path)
    before = play(engine, RATE // 2)
    engine.update(engine.cfg.replace({"layers.hum.enabled": False}))
    after = play(engine, RATE // 10, block=64)
    steady = jumps(before[RATE // 10:]).max()
    assert jumps(np.concatenate([before[-1:], after])).max() <= 1.2 * steady  # no step at the change
    assert np.abs(after[:64]).max() > 0.1 and np.abs(after[-64:]).max() < 1e-3  # a 10 ms fade, then quiet



def high_share(loop: np.ndarray) -> float:
    """Share of a loop's power above 4 kHz."""
    power = np.abs(np.fft.rfft(loop.astype(np.float64).mean(axis=1))) ** 2
    return float(power[np.fft.rfftfreq(len(loop), 1 / RATE) > 4000].sum() / power.sum())


def test_a_loop_darkened_then_opened_plays_bright_again_from_its_file(make_engine, tmp_path, caplog):
    noise = np.random.default_rng(3).uniform(-0.5, 0.5, (RATE, 2))
    write_wav(tmp_path / "hum.wav", noise)
    engine, _ = make_engine([], {**QUIET, "fx.lowpass_hz": 1000.0}, effects_dir=tmp_path)
    dark = engine.layers["hum"].loop.copy()
    assert high_share(dark) < 0.05  # white noise has 82 % of its power above 4 kHz

    engine.update(engine.cfg.replace({"fx.lowpass_hz": 20000.0}))  # only the file still has the top
    bright = engine.layers["hum"].loop
    assert high_share(bright) > 0.7
    played = np.zeros((RATE // 2, 2))
    engine.layers["hum"].add_to(played, np.array([1.0]), start=0)
    assert np.abs(played - seamless_loop(noise, int(0.5 * RATE))[:RATE // 2]).max() < 1e-4  # the file itself

    (tmp_path / "hum.wav").unlink()  # gone while playing: the layer keeps the tone it has
    with caplog.at_level(logging.WARNING, logger="lofid"):
        engine.update(engine.cfg.replace({"fx.lowpass_hz": 2000.0}))
    lines = [r.getMessage() for r in caplog.records if "hum" in r.getMessage()]
    assert len(lines) == 1 and "hum.wav" in lines[0] and "keeps its tone" in lines[0], lines
    np.testing.assert_array_equal(engine.layers["hum"].loop, bright)
