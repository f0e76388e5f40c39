"""``lofid render``: the shipped note model through the engine into a WAV file."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from lofid import cli, paths
from lofid.audio.limiter import CEILING
from tests.support.stream import ffmpeg_available

SHIPPED = paths.MODELS / "lofid"
needs_model = pytest.mark.skipif(not SHIPPED.with_suffix(".npz").is_file(),
                                 reason="the shipped model models/lofid.npz is not built yet")


def render(tmp_path: Path, name: str, seconds: float, *extra: str) -> tuple[np.ndarray, int, bytes]:
    out = tmp_path / name
    assert cli.main(["render", "--seconds", str(seconds), "--output", str(out), "--set",
                     f"model.path={SHIPPED}", *extra]) == 0
    raw = out.read_bytes()
    with wave.open(str(out)) as w:
        rate, channels, frames = w.getframerate(), w.getnchannels(), w.getnframes()
        pcm = np.frombuffer(w.readframes(frames), "<i2").reshape(-1, channels) / 32767
    return pcm, rate, raw


@needs_model
def test_render_writes_stereo_music_at_the_rate_and_length(tmp_path):
    audio, rate, _ = render(tmp_path, "a.wav", 6, "--seed", "7")
    assert rate == 44100 and audio.shape == (6 * 44100, 2)
    assert np.sqrt(np.mean(audio ** 2)) > 0.01
    assert np.abs(audio).max() <= CEILING


@needs_model
def test_the_same_seed_writes_the_same_file_and_another_seed_another(tmp_path):
    *_, first = render(tmp_path, "a.wav", 4, "--seed", "11")
    *_, again = render(tmp_path, "b.wav", 4, "--seed", "11")
    *_, other = render(tmp_path, "c.wav", 4, "--seed", "12")
    assert first == again
    assert first != other


@needs_model
def test_settings_apply_to_the_render(tmp_path):
    full, _, _ = render(tmp_path, "full.wav", 4, "--seed", "5", "--set", "fx.loudness=off",
                        "--set", "output.sample_rate=22050")  # like for like: the rate alone moves the level a little
    bare, rate, _ = render(tmp_path, "bare.wav", 4, "--seed", "5", "--set", "fx.loudness=off",
                           "--set", "layers.rain.enabled=false",
                           "--set", "layers.beat.enabled=false", "--set", "fx.crackle=0", "--set",
                           "output.sample_rate=22050")
    assert rate == 22050 and len(bare) == 4 * 22050
    assert np.sqrt(np.mean(bare ** 2)) < np.sqrt(np.mean(full ** 2))  # rain and beat were taking part


@needs_model
@pytest.mark.skipif(not ffmpeg_available(), reason="ffprobe comes with ffmpeg (make test installs it)")
def test_each_track_is_marked_where_its_music_starts_and_an_editor_reads_the_marks(tmp_path):
    audio, rate, _ = render(tmp_path, "marked.wav", 80, "--seed", "7", "--set", "music.track_minutes=0.5")
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(tmp_path / "marked.wav")],
                           capture_output=True, text=True, check=True)
    chapters = json.loads(probe.stdout)["chapters"]
    assert len(chapters) >= 2
    assert [c["tags"]["title"].split(". ")[0] for c in chapters] == [str(n) for n in range(1, len(chapters) + 1)]
    assert float(chapters[0]["start_time"]) < 0.05  # the first track starts the file
    second = round(float(chapters[1]["start_time"]) * rate)
    before, after = (np.sqrt(np.mean(audio[a:b] ** 2)) for a, b in ((second - rate // 2, second),
                                                                     (second, second + rate // 2)))
    assert after > 4 * before  # the transition's rain, then the new track's first notes


def test_a_bad_length_is_one_line(tmp_path, capsys):
    assert cli.main(["render", "--seconds", "0", "--output", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lofid: --seconds 0") and "\n" not in err


def test_a_render_longer_than_a_wav_file_holds_is_refused_before_it_starts(tmp_path, capsys):
    """A WAV file's sizes are 32-bit: 6.8 hours of 16-bit stereo at 44.1 kHz, 3.4 at 88.2 kHz."""
    out = tmp_path / "long.wav"
    assert cli.main(["render", "--minutes", "420", "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("lofid: --seconds 25200: give a length from a fraction of a second to 6.8 hours "
                   "(what a WAV file holds at 44100 Hz)")
    assert not out.exists()
    assert cli.main(["render", "--minutes", "240", "--output", str(out), "--set", "output.sample_rate=88200"]) == 2
    assert "to 3.4 hours (what a WAV file holds at 88200 Hz)" in capsys.readouterr().err
