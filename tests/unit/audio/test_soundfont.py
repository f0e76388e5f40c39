"""Soundfont resolution: soundfonts/ first, then the system GM font, then pretty_midi's TimGM6mb."""

from __future__ import annotations

from pathlib import Path

from lofid.paths import find_soundfont, pretty_midi_soundfont


def touch(p: Path) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"RIFF")
    return p


def test_local_folder_wins_over_system_and_bundled(tmp_path):
    local = touch(tmp_path / "local" / "b.sf2")
    touch(tmp_path / "local" / "a.sf3")
    touch(tmp_path / "local" / "readme.txt")
    system = touch(tmp_path / "sys" / "FluidR3_GM.sf2")
    choice = find_soundfont("auto", tmp_path / "local", (system,))
    assert choice.origin == "soundfonts/"
    assert choice.path == tmp_path / "local" / "a.sf3"  # first by name, any of .sf2/.sf3
    assert local.exists()


def test_system_font_when_folder_has_none(tmp_path):
    (tmp_path / "local").mkdir()
    touch(tmp_path / "local" / "notes.txt")
    system = touch(tmp_path / "sys" / "FluidR3_GM.sf2")
    choice = find_soundfont("auto", tmp_path / "local", (tmp_path / "missing.sf2", system))
    assert (choice.path, choice.origin) == (system, "system")


def test_pretty_midi_font_is_the_last_resort(tmp_path):
    choice = find_soundfont("auto", tmp_path / "nothing", (tmp_path / "missing.sf2",))
    assert choice.origin == "pretty_midi"
    assert choice.path == pretty_midi_soundfont()
    assert choice.path.name == "TimGM6mb.sf2" and choice.path.stat().st_size > 1_000_000


def test_configured_path_is_taken_as_given(tmp_path):
    choice = find_soundfont(str(tmp_path / "mine.sf2"))
    assert (choice.path, choice.origin) == (tmp_path / "mine.sf2", "configured")
    rel = find_soundfont("soundfonts/x.sf2")
    assert rel.path.is_absolute() and rel.path.parts[-2:] == ("soundfonts", "x.sf2")
