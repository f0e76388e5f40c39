"""Kept files: every format lofid writes carries its tags and cover back to mutagen and Pillow, an
unknown one is refused by name, and a kept take is brought to the loudness target as a meter reads it."""

from __future__ import annotations

import base64
import io

import mutagen
import numpy as np
import pytest
import soundfile
from mutagen.flac import Picture
from PIL import Image

from lofid.audio.master import integrated_lufs, to_target
from lofid.audio.tagged import FORMATS, Tags, format_of, write_audio
from lofid.errors import LofidError
from tests.support.meter import integrated_lufs as meter_lufs
from tests.support.meter import true_peak_dbtp

RATE = 44100


def music(seconds: float = 3.0, level: float = 0.1) -> np.ndarray:
    """Two tones and some noise, with a quiet gap: something a gated meter must get right."""
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(1)
    x = np.stack([level * np.sin(2 * np.pi * 220 * t), level * np.sin(2 * np.pi * 330 * t)], 1)
    x += 0.02 * rng.standard_normal(x.shape)
    x[RATE:RATE + RATE // 2] *= 0.001
    return x.astype(np.float32)


def cover() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 60, 140)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_reads_back_with_its_tags_and_cover(tmp_path, fmt):
    path = tmp_path / f"01 a title.{fmt}"
    write_audio(path, music(), RATE, Tags("a title", "an album", 1, 3, "2026-12-07", "lofid seed 7", cover()))
    file = mutagen.File(path)
    assert abs(file.info.length - 3.0) < 0.1
    text = {k.lower(): str(v[0] if isinstance(v, list) else v) for k, v in (file.tags or {}).items()}
    for value in ("a title", "an album", "lofid", "Lo-Fi", "2026-12-07", "lofid seed 7"):
        assert value in text.values(), (fmt, value, text)
    if fmt in ("flac", "ogg"):
        assert (text["tracknumber"], text["tracktotal"]) == ("1", "3")
        picture = file.pictures[0] if fmt == "flac" else Picture(base64.b64decode(file["metadata_block_picture"][0]))
        data = picture.data
    else:
        assert text["trck"] == "1/3"
        data = file.tags["APIC:cover"].data
    assert Image.open(io.BytesIO(data)).size == (64, 64)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # nothing else: the temporary is gone


def test_lossless_formats_keep_the_samples(tmp_path):
    x = music()
    write_audio(tmp_path / "t.flac", x, RATE, Tags("t", "a", 1, 1, "2026", ""))
    y, rate = soundfile.read(tmp_path / "t.flac", dtype="float32")
    assert rate == RATE and np.max(np.abs(y - x)) < 1e-4  # 16 bits


def test_an_unknown_format_is_refused_by_name():
    with pytest.raises(LofidError, match=r"^take.aac: not a format lofid writes \(use .flac, .mp3, .ogg, .wav\)$"):
        format_of("/music/take.aac")


def test_the_loudness_is_read_as_a_meter_reads_it_and_brought_to_the_target():
    x = music(8.0)
    assert abs(integrated_lufs(x, RATE) - meter_lufs(x, RATE)) < 0.1
    for level in (0.02, 0.5):  # too quiet, and too loud (its peaks limited)
        y = to_target(music(8.0, level), RATE, -16.0)
        assert abs(meter_lufs(y, RATE) + 16.0) < 0.5 and true_peak_dbtp(y) <= -1.0
    assert to_target(x, RATE, None) is x  # fx.loudness off: as mixed
    assert integrated_lufs(np.zeros((RATE, 2)), RATE) is None
