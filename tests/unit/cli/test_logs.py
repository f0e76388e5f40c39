"""journald priorities: when stderr is the stream $JOURNAL_STREAM names (as systemd sets it for a
service), each log line starts with its sd-daemon(3) priority, so `journalctl -p warning` finds
lofid's warnings; anywhere else the lines stay plain.

The real lofid runs here with stderr to a file and JOURNAL_STREAM naming that file's device and
inode, just as journald's stream socket is named: `lofid eval --corpus` with an unreadable MIDI file
in the corpus logs an info line and a warning within a second.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pretty_midi
import pytest

from lofid.cli.logs import JournalFormatter, is_journal, priority

RUN_TIMEOUT_S = 120
SCALE = (60, 62, 64, 65, 67, 69, 71, 72)  # C major, enough notes for the copy-rate index


@pytest.fixture
def corpus(tmp_path):
    """A song to measure, and a corpus folder holding a copy of it and a file that is not MIDI."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=80)
    piano = pretty_midi.Instrument(0)
    piano.notes = [pretty_midi.Note(80, SCALE[i % len(SCALE)], i * 0.4, i * 0.4 + 0.35) for i in range(40)]
    pm.instruments.append(piano)
    (tmp_path / "corpus").mkdir()
    pm.write(str(tmp_path / "song.mid"))
    pm.write(str(tmp_path / "corpus" / "good.mid"))
    (tmp_path / "corpus" / "broken.mid").write_bytes(b"not a MIDI file")
    return tmp_path


def stream_of(path) -> str:
    st = Path(path).stat()
    return f"{st.st_dev}:{st.st_ino}"


def lofid_stderr(folder, journal_stream: str | None) -> list[str]:
    """The lines a real `lofid eval --corpus` writes to stderr (a file), with JOURNAL_STREAM as given."""
    err = folder / "stderr.log"
    err.touch()
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    env["XDG_CACHE_HOME"] = str(folder / "cache")  # a fresh index each run: the indexing is logged
    if journal_stream is not None:
        env["JOURNAL_STREAM"] = stream_of(err) if journal_stream == "this file" else journal_stream
    with err.open("a") as stderr:
        done = subprocess.run([sys.executable, "-m", "lofid.cli", "eval", "song.mid", "--corpus", "corpus"], cwd=folder,
                              env=env, stdout=subprocess.DEVNULL, stderr=stderr, timeout=RUN_TIMEOUT_S)
    lines = err.read_text().splitlines()
    err.unlink()
    assert done.returncode == 0, lines
    return lines


def test_under_journald_each_line_carries_its_priority(corpus):
    lines = lofid_stderr(corpus, "this file")
    assert "<4>lofid: copy rate: skipped 1 unreadable MIDI file in corpus" in lines
    assert any(line.startswith("<6>lofid: indexing the 2 MIDI files") for line in lines)
    assert all(line[:3] in ("<4>", "<6>") for line in lines), lines


def test_the_line_a_failing_command_ends_on_is_an_error_under_journald(tmp_path):
    err = tmp_path / "stderr.log"
    err.touch()
    env = {**os.environ, "JOURNAL_STREAM": stream_of(err)}
    with err.open("a") as stderr:
        done = subprocess.run([sys.executable, "-m", "lofid.cli", "run", "--config", str(tmp_path / "missing.yaml")],
                              env=env, stdout=subprocess.DEVNULL, stderr=stderr, timeout=RUN_TIMEOUT_S)
    assert done.returncode == 2
    assert err.read_text() == f"<3>lofid: {tmp_path / 'missing.yaml'}: no such file\n"


@pytest.mark.parametrize("journal_stream", [None, "1:2", "not-a-stream"], ids=["unset", "another stream", "garbage"])
def test_elsewhere_the_lines_stay_plain(corpus, journal_stream):
    lines = lofid_stderr(corpus, journal_stream)
    assert "lofid: copy rate: skipped 1 unreadable MIDI file in corpus" in lines
    assert not any(line.startswith("<") for line in lines), lines


def test_only_the_named_stream_counts(tmp_path):
    file = tmp_path / "log"
    file.touch()
    with file.open("a") as f, Path(os.devnull).open("w") as other:
        assert is_journal(f.fileno(), stream_of(file))
        assert not is_journal(other.fileno(), stream_of(file))
        assert not is_journal(f.fileno(), "")


def test_every_level_and_every_line_of_a_record_has_its_priority():
    assert [priority(level) for level in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO,
                                          logging.DEBUG, logging.WARNING + 5)] == [2, 3, 4, 6, 7, 4]
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("lofid", logging.ERROR, __file__, 1, "failed: %s", ("it",), sys.exc_info())
    lines = JournalFormatter("lofid: %(message)s").format(record).split("\n")
    assert lines[0] == "<3>lofid: failed: it" and len(lines) > 3  # the traceback follows, every line at <3>
    assert all(line.startswith("<3>") for line in lines)
