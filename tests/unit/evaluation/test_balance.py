"""The tonal-balance measure: octave shares, stereo width and mono bass on signals made here, and
``lofid eval --balance`` on a WAV file."""

from __future__ import annotations

import json
import wave

import numpy as np
import pytest

from lofid.cli import main
from lofid.evaluation.balance import OCTAVES_HZ, RECORDS, SAMPLE_RATE, measure, measure_file, stretch

RATE = SAMPLE_RATE


def sine(hz: float, seconds: float, rate: int = RATE) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)


def write_wav(path, stereo: np.ndarray, rate: int = RATE) -> None:
    pcm = (np.clip(stereo, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def test_a_tone_puts_its_power_in_its_own_octave():
    """Two equal sines at 63 Hz and 1 kHz: half the power in each of those octaves (-3 dB), the rest empty."""
    b = measure(sine(63, 5) + sine(1000, 5))
    shares = dict(zip(OCTAVES_HZ, b.octaves_db))
    assert shares[63.0] == pytest.approx(-3.0, abs=0.1) and shares[1000.0] == pytest.approx(-3.0, abs=0.1)
    assert all(v < -40 for hz, v in shares.items() if hz not in (63.0, 1000.0))


def test_white_noise_doubles_its_share_every_octave_up():
    b = measure(np.random.default_rng(1).standard_normal(6 * RATE))
    steps = np.diff(b.octaves_db[2:9])  # 125 Hz .. 8 kHz: each octave twice as wide as the one below
    np.testing.assert_allclose(steps, 3.0, atol=0.3)


def test_side_over_mid_and_the_bass_below_150_hz():
    """A centred 60 Hz tone and a 2 kHz tone only in the left channel: the side is the left tone's half;
    below 150 Hz there is no side at all."""
    low, high = sine(60, 5), sine(2000, 5)
    b = measure(np.stack([low + high, low], axis=1))
    # mid = low + high/2, side = high/2: RMS side/mid = (1/2) / sqrt(1 + 1/4)
    assert b.side_mid == pytest.approx(0.5 / np.sqrt(1.25), abs=0.01)
    assert b.bass_side_mid < 0.01
    wide_bass = measure(np.stack([low + high, -low + high], axis=1))  # the bass out of phase: all side
    assert wide_bass.bass_side_mid > 10


def test_the_measured_stretch_is_150_seconds_from_10_in_or_what_the_file_has():
    assert stretch(200 * RATE) == (10 * RATE, 160 * RATE)
    assert stretch(60 * RATE) == (10 * RATE, 60 * RATE)
    assert stretch(12 * RATE) == (0, 12 * RATE)  # too short to skip 10 s: measured whole


def test_another_sample_rate_is_measured_at_44100(tmp_path):
    x = sine(125, 5, 48000) * 0.5
    write_wav(tmp_path / "a.wav", np.stack([x, x], axis=1), 48000)
    b = measure_file(tmp_path / "a.wav")
    assert dict(zip(OCTAVES_HZ, b.octaves_db))[125.0] == pytest.approx(0.0, abs=0.05)


def test_eval_balance_prints_each_octave_beside_the_records(tmp_path, capsys):
    x = np.random.default_rng(2).standard_normal(5 * RATE) * 0.1
    write_wav(tmp_path / "mix.wav", np.stack([x, x], axis=1))
    assert main(["eval", "--balance", str(tmp_path / "mix.wav")]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in lines[3:3 + len(OCTAVES_HZ)]]
    assert [r[0] for r in rows] == ["31.5", "63", "125", "250", "500", "1k", "2k", "4k", "8k", "16k"]
    assert [float(r[3]) for r in rows] == list(RECORDS.median)
    assert rows[-2][-1] == "over"  # white noise is far brighter at 8 kHz than any lo-fi record
    assert "side/mid RMS 0.000" in lines[-2] and "MISS" in lines[-2]  # a mono file has no width
    assert main(["eval", "--balance", str(tmp_path / "mix.wav"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["octaves"]) == len(OCTAVES_HZ) and data["side_mid"] == 0.0


def test_eval_balance_of_a_missing_or_broken_file_is_one_line_and_status_2(tmp_path, capsys):
    (tmp_path / "bad.wav").write_bytes(b"not a wav")
    for name in ("none.wav", "bad.wav"):
        assert main(["eval", "--balance", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and name in err
