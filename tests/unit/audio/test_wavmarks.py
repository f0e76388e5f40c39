"""Track markers in WAV files: written after the audio, read back, and the audio left as it was."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from lofid.audio.sinks import WavSink
from lofid.audio.wavmarks import Marker, read_markers
from lofid.errors import LofidError

RATE = 22050


def sink_with(tmp_path, frames: int, marks: list[Marker]):
    sink = WavSink(tmp_path / "marked.wav", RATE)
    for m in marks:
        sink.mark(m.frame, m.label)
    audio = np.linspace(-0.5, 0.5, frames * 2, dtype=np.float32).reshape(-1, 2)
    sink.write(audio)
    sink.close()
    return sink.path, audio


def test_marks_are_read_back_in_order_with_their_names_and_the_audio_is_untouched(tmp_path):
    marks = [Marker(0, "1. early rooftops"), Marker(12345, "2. café à minuit"), Marker(777, "odd")]
    path, audio = sink_with(tmp_path, 20000, marks)
    assert read_markers(path) == sorted(marks, key=lambda m: m.frame)
    with wave.open(str(path)) as w:  # Python's own reader skips the chunks: the same audio
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2) / 32767
    assert len(pcm) == 20000
    np.testing.assert_allclose(pcm, audio, atol=1 / 32767)


def test_marks_beyond_the_end_of_the_audio_are_dropped(tmp_path):
    path, _ = sink_with(tmp_path, 1000, [Marker(10, "in"), Marker(1000, "just past"), Marker(5000, "far")])
    assert read_markers(path) == [Marker(10, "in")]


def test_a_file_without_marks_has_none_and_keeps_no_empty_chunks(tmp_path):
    path, _ = sink_with(tmp_path, 1000, [])
    assert read_markers(path) == []
    assert path.stat().st_size == 44 + 1000 * 4  # the header and the audio alone


def test_a_file_that_is_not_a_wav_or_has_its_markers_cut_short_is_named(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, this is not audio")
    with pytest.raises(LofidError, match="notes.txt: not a WAV file"):
        read_markers(bogus)
    path, _ = sink_with(tmp_path, 100, [Marker(1, "a"), Marker(2, "b")])
    data = bytearray(path.read_bytes())
    cue = data.index(b"cue ")
    data[cue + 8:cue + 12] = (50).to_bytes(4, "little")  # says 50 points, holds 2
    path.write_bytes(bytes(data))
    with pytest.raises(LofidError, match="marked.wav: its cue chunk is cut short"):
        read_markers(path)
