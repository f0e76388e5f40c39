"""The lo-fi chain as a listener hears it: measured on real renders through FluidSynth and the chain.

Each test renders the engine (the same one the daemon plays through) and measures the output:
the pitch of a held note, the level of the keys around the kicks, the finished loudness and true
peak (pyloudnorm's BS.1770-4 meter and 4x oversampling), the rain against the music.
"""

from __future__ import annotations

import numpy as np
import pytest

from lofid.audio.tape import WOW_HZ
from lofid.compose.generator import NoteGenerator
from lofid.config import defaults
from lofid.music.notes import Note
from tests.support.engine import DRY, QUIET, render
from tests.support.meter import integrated_lufs, true_peak_dbtp

RATE = 44100
ORGAN = 20  # Reed Organ: in MuseScore General its pitch holds to 0.01% and its level to 1.5 dB, so both read cleanly
HELD = {**QUIET, **DRY, "sound.soundfont": "gm", "sound.program_keys": ORGAN, "music.bpm": 40.0, "fx.reverb": 0.0,
        "parts.keys.lowpass_hz": 20000.0, "fx.lowpass_hz": 20000.0}  # a 16th is 0.375 s: 32 of them, 12 s


def held_note(make_engine, settings: dict, seconds: float = 10.0, pitch: int = 69) -> np.ndarray:
    """``seconds`` of one organ note (A4 by default) held from the start, mono."""
    engine, _ = make_engine([Note(pitch, 0, 32, 100)], {**HELD, **settings})
    return render(engine, int(seconds * RATE)).mean(axis=1)


def pitch_track(x: np.ndarray, near_hz: float, hop: int = 1024, size: int = 4096) -> np.ndarray:
    """The frequency of the strongest partial near ``near_hz`` in each window (Hz), to a few hundredths of a Hz."""
    pad, window = 16 * size, np.hanning(size)
    bins = np.fft.rfftfreq(pad, 1 / RATE)
    lo, hi = np.searchsorted(bins, [near_hz * 0.95, near_hz * 1.05])
    track = []
    for start in range(0, len(x) - size, hop):
        spectrum = np.log(np.abs(np.fft.rfft(x[start:start + size] * window, pad))[lo:hi] + 1e-12)
        k = int(np.argmax(spectrum))
        a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1]
        track.append(bins[lo + k] + (a - c) / (2 * (a - 2 * b + c)) * (bins[1] - bins[0]))  # parabolic peak
    return np.array(track)


def bend_at(bend: np.ndarray, hz: float, hop: int = 1024) -> float:
    """The amplitude of the sine at ``hz`` in a pitch bend (a fraction), by projecting onto it."""
    t = np.arange(len(bend)) * hop / RATE
    whole = int(len(t) * hop / RATE * hz) / hz  # whole periods only
    keep = t < whole
    phasor = np.exp(-2j * np.pi * hz * t[keep])
    return 2 * abs(np.mean((bend[keep] - bend[keep].mean()) * phasor))


@pytest.mark.parametrize("percent", [0.2, 0.5])
def test_a_held_notes_pitch_wobbles_by_the_set_depth_and_rate(make_engine, percent):
    x = held_note(make_engine, {"fx.wow": percent})[RATE:]  # past the attack
    f = pitch_track(x, 440.0)
    bend = f / np.median(f) - 1
    assert bend_at(bend, WOW_HZ) == pytest.approx(percent / 100, rel=0.2)
    rates = np.fft.rfftfreq(8 * len(bend), 1024 / RATE)
    spectrum = np.abs(np.fft.rfft(bend - bend.mean(), 8 * len(bend)))
    band = (rates > 0.2) & (rates < 3.0)
    assert rates[band][np.argmax(spectrum[band])] == pytest.approx(WOW_HZ, abs=0.1)  # the drift's rate


def test_at_zero_wow_a_held_note_keeps_its_pitch(make_engine):
    f = pitch_track(held_note(make_engine, {"fx.wow": 0.0})[RATE:], 440.0)
    assert np.abs(f / np.median(f) - 1).max() < 0.0002  # under a fiftieth of a percent: steady


def envelope_db(x: np.ndarray, window_s: float = 0.01) -> np.ndarray:
    n = int(window_s * RATE)
    frames = x[:len(x) // n * n].reshape(-1, n)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-20)


@pytest.mark.parametrize("depth", [0.0, 0.5])
def test_the_keys_dip_under_each_kick_with_the_sidechain_on(make_engine, depth):
    """A held organ note with the beat all but muted (its kicks still scheduled): its level dips on
    each kick by about the set depth (0.5 is -6 dB) and not at all with the sidechain off."""
    settings = {"layers.beat.enabled": True, "layers.beat.volume": 0.001, "fx.sidechain": depth}
    level = envelope_db(held_note(make_engine, settings))[100:]  # past the attack: 9 s in 10 ms steps
    dips = np.percentile(level, 99) - np.percentile(level, 1)
    if depth:
        assert dips > 4.5  # -6 dB at the kick itself, recovering over 160 ms
    else:
        assert dips < 2.0  # the organ's own unevenness


def test_the_keys_low_pass_darkens_them(make_engine):
    highs = {}
    for cutoff in (1500.0, 20000.0):
        x = held_note(make_engine, {"parts.keys.lowpass_hz": cutoff}, seconds=3.0, pitch=60)
        spectrum = np.abs(np.fft.rfft(x[RATE:])) ** 2
        freqs = np.fft.rfftfreq(len(x[RATE:]), 1 / RATE)
        highs[cutoff] = 10 * np.log10(spectrum[freqs > 3000].sum() / spectrum.sum())
    assert highs[1500.0] < highs[20000.0] - 10  # the top of the organ is at least 10 dB further down


def render_music(settings: dict, seconds: float, seed: int = 3) -> np.ndarray:
    """``seconds`` of the generated music with ``settings``, as `lofid render` makes it."""
    from lofid.audio.engine import Engine

    cfg = defaults().replace(settings)
    engine = Engine(cfg, NoteGenerator(cfg, seed=seed).next_note)
    try:
        return render(engine, int(seconds * RATE), block=8192)
    finally:
        engine.close()


@pytest.mark.parametrize("target", [-16.0, -20.0])
@pytest.mark.slow
def test_three_minutes_sit_at_the_target_loudness_with_true_peaks_under_minus_one(target):
    x = render_music({"fx.loudness": target}, 180.0)
    assert integrated_lufs(x, RATE) == pytest.approx(target, abs=1.0)
    assert true_peak_dbtp(x) <= -1.0


def test_the_rain_sits_at_least_ten_lu_under_the_music_with_the_stage_off():
    alone = {"fx.loudness": "off", "fx.crackle": 0.0}
    rain = integrated_lufs(render_music({**alone, "layers.music.enabled": False, "layers.beat.enabled": False}, 40.0), RATE)
    music = integrated_lufs(render_music({**alone, "layers.rain.enabled": False}, 40.0), RATE)
    assert music - rain >= 10.0


def test_the_chain_sounds_the_same_whatever_the_block_size():
    """Every stage carries its state across blocks: the daemon's and an offline render's 8192 frames
    (made in pieces of CHUNK_FRAMES), 2048 and odd sizes give the same samples, every effect on."""
    from lofid.audio.engine import Engine

    cfg = defaults().replace({"generation.seed": 8})
    takes = []
    for blocks in ((8192,), (2048,), (1000, 3001, 64)):
        engine = Engine(cfg, NoteGenerator(cfg, seed=8).next_note)
        out, done, i = [], 0, 0
        while done < 20 * RATE:
            n = min(blocks[i % len(blocks)], 20 * RATE - done)
            out.append(engine.render(n))
            done, i = done + n, i + 1
        engine.close()
        takes.append(np.concatenate(out))
    assert np.abs(takes[0]).max() > 0.1
    for take in takes[1:]:
        np.testing.assert_allclose(take, takes[0], atol=1e-6)
