"""The state file: run-time changes survive a restart, are replaced atomically, and a damaged
file costs a warning, never the start."""

from __future__ import annotations

import logging
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
import yaml

from lofid.config import defaults
from lofid.daemon.state import StateFile
from lofid.paths import state_path, write_atomically


def test_changes_survive_a_restart_as_dotted_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    path = state_path("auto")
    assert path == tmp_path / "xdg-state" / "lofid" / "state.yaml"
    first = StateFile(path)
    first.load()
    assert first.record({"generation.temperature": 0.8}) is None and first.record({"layers.beat.enabled": False}) is None
    assert first.record({"generation.temperature": 0.6}) is None  # the last value wins

    assert yaml.safe_load(path.read_text()) == {"generation.temperature": 0.6, "layers.beat.enabled": False}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    restarted = StateFile(path)
    assert restarted.load() == {"generation.temperature": 0.6, "layers.beat.enabled": False}
    cfg = restarted.apply_to(defaults())
    assert cfg["generation.temperature"] == 0.6 and cfg["layers.beat.enabled"] is False
    assert cfg["music.bpm"] == defaults()["music.bpm"]


def test_no_state_file_means_no_changes(tmp_path):
    state = StateFile(tmp_path / "state.yaml")
    assert state.load() == {} and state.apply_to(defaults()) == defaults()


def test_each_write_replaces_the_file_by_rename_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "state.yaml"
    state = StateFile(path)
    state.record({"music.bpm": 70})
    before = path.stat().st_ino
    state.record({"music.bpm": 90})
    assert path.stat().st_ino != before  # a new file renamed into place, not the old one rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.yaml"]


def test_a_write_that_fails_midway_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "state.yaml"
    write_atomically(path, "music.bpm: 70\n")

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)  # the disk fills up between write and rename
    with pytest.raises(OSError):
        write_atomically(path, "music.bpm: 90\n")
    assert path.read_text() == "music.bpm: 70\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.yaml"]


WRITER = """
import sys
from pathlib import Path
from lofid.daemon.state import StateFile
state = StateFile(Path(sys.argv[1]))
print("go", flush=True)
i = 0
while True:
    i += 1
    state.record({"music.bpm": 40 + i % 160, "generation.temperature": 0.5 + (i % 10) / 10})
"""


def test_sigkill_during_writes_never_leaves_an_unreadable_file(tmp_path, caplog):
    path = tmp_path / "state.yaml"
    for delay in (0.05, 0.13, 0.21, 0.3):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
        assert writer.stdout.readline() == b"go\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        with caplog.at_level(logging.WARNING):
            values = StateFile(path).load()
        assert set(values) == {"music.bpm", "generation.temperature"}, caplog.text
        assert not caplog.records
        assert [p.name for p in tmp_path.iterdir()] == ["state.yaml"]  # a killed write's temporary is cleaned


@pytest.mark.parametrize("content, problem", [
    (b"music.bpm: [80\n", "not valid YAML at line"),
    (b"- just\n- a list\n", "should be a mapping of settings"),
    (b"\xff\xfe garbage", "cannot read it"),
])
def test_a_damaged_state_file_is_skipped_with_one_warning(tmp_path, caplog, content, problem):
    path = tmp_path / "state.yaml"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        state = StateFile(path)
        assert state.load() == {} and state.apply_to(defaults()) == defaults()
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert str(path) in message and problem in message and "\n" not in message
    state.record({"music.bpm": 66})  # the next change writes a good file over it
    assert StateFile(path).load() == {"music.bpm": 66.0}


def test_invalid_entries_are_skipped_and_the_rest_kept(tmp_path, caplog):
    path = tmp_path / "state.yaml"
    path.write_text("music.bpm: 500\ngeneration.temperature: 0.7\nnonsense.key: 1\nmusic.key: Eb\n")
    with caplog.at_level(logging.WARNING):
        values = StateFile(path).load()
    assert values == {"generation.temperature": 0.7, "music.key": "Eb"}
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and all(m.startswith(f"{path}: skipping a saved setting") for m in messages)
    assert "music.bpm = 500 is not allowed" in messages[0] and "unknown setting 'nonsense.key'" in messages[1]


def test_a_state_file_that_cannot_be_written_costs_a_warning_not_the_change(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    state = StateFile(blocker / "state.yaml")
    with caplog.at_level(logging.WARNING):
        why = state.record({"music.bpm": 80})
    assert why.startswith(f"not kept for the next start: cannot write {blocker / 'state.yaml'} (")
    assert why.endswith("); it holds until lofid stops")
    assert state.values == {"music.bpm": 80}
    assert caplog.messages == [f"run-time settings {why}"]
