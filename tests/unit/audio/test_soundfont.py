"""Soundfont resolution: soundfonts/ first, then lofid's own instruments; the system GM font, then
pretty_midi's TimGM6mb, when asked for by ``gm`` or when lofid's own font is missing."""

from __future__ import annotations

from pathlib import Path

from lofid import paths
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
    choice = find_soundfont("auto", tmp_path / "local", (system,), touch(tmp_path / "lofid.sf2"))
    assert choice.origin == "soundfonts/"
    assert choice.path == tmp_path / "local" / "a.sf3"  # first by name, any of .sf2/.sf3
    assert local.exists()


def test_lofids_own_instruments_when_the_folder_has_none_whatever_the_system_has(tmp_path):
    (tmp_path / "local").mkdir()
    touch(tmp_path / "local" / "notes.txt")
    system = touch(tmp_path / "sys" / "FluidR3_GM.sf2")
    shipped = touch(tmp_path / "instruments" / "lofid.sf2")
    choice = find_soundfont("auto", tmp_path / "local", (system,), shipped)
    assert (choice.path, choice.origin) == (shipped, "shipped")
    assert "lofid's own" in choice.why
    assert find_soundfont().path == paths.SHIPPED_SOUNDFONT and paths.SHIPPED_SOUNDFONT.is_file()  # the checkout's


def test_gm_picks_the_system_font_and_so_does_auto_when_lofids_own_is_missing(tmp_path):
    (tmp_path / "local").mkdir()
    system = touch(tmp_path / "sys" / "FluidR3_GM.sf2")
    shipped = touch(tmp_path / "instruments" / "lofid.sf2")
    touch(tmp_path / "local" / "mine.sf2")
    choice = find_soundfont("gm", tmp_path / "local", (tmp_path / "missing.sf2", system), shipped)
    assert (choice.path, choice.origin) == (system, "system")  # gm passes over soundfonts/ and lofid's own
    (tmp_path / "local" / "mine.sf2").unlink()
    choice = find_soundfont("auto", tmp_path / "local", (tmp_path / "missing.sf2", system), tmp_path / "gone.sf2")
    assert (choice.path, choice.origin) == (system, "system")


def test_pretty_midi_font_is_the_last_resort(tmp_path):
    choice = find_soundfont("gm", tmp_path / "nothing", (tmp_path / "missing.sf2",), tmp_path / "gone.sf2")
    assert choice.origin == "pretty_midi"
    assert choice.path == pretty_midi_soundfont()
    assert choice.path.name == "TimGM6mb.sf2" and choice.path.stat().st_size > 1_000_000


def test_configured_path_is_taken_as_given(tmp_path):
    choice = find_soundfont(str(tmp_path / "mine.sf2"))
    assert (choice.path, choice.origin) == (tmp_path / "mine.sf2", "configured")
    rel = find_soundfont("soundfonts/x.sf2")
    assert rel.path.is_absolute() and rel.path.parts[-2:] == ("soundfonts", "x.sf2")
