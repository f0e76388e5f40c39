"""`lofid doctor`: its verdicts, exit statuses and the fixes it names."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from lofid import paths

ROOT = paths.ROOT


def doctor(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "XDG_RUNTIME_DIR": str(tmp_path), **(env or {})}
    return subprocess.run([sys.executable, "-m", "lofid.cli", "doctor", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def line(out: str, name: str) -> str:
    return next(text for text in out.splitlines() if f"] {name}:" in text)


def test_missing_model_fails_with_the_command_that_fixes_it(tmp_path):
    r = doctor(tmp_path, "--set", f"model.path={tmp_path}/nomodel")
    assert r.returncode == 1
    assert line(r.stdout, "model").startswith("[FAIL]")
    assert f"{tmp_path}/nomodel.json: no such model file" in r.stdout
    assert "lofid train --data DIR --out models/NAME" in r.stdout
    assert "cannot play yet: fix model" in r.stderr


def test_an_install_without_the_compiled_loops_fails_naming_them_and_the_fix(tmp_path):
    """As an install whose C compiler was missing leaves it: lofid.audio._dsp cannot be imported
    (hidden here by a sitecustomize on PYTHONPATH, since this checkout has it built)."""
    assert line(doctor(tmp_path).stdout, "effects chain") == "[ok  ] effects chain: its compiled sample loops load"
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text('import sys\nsys.modules["lofid.audio._dsp"] = None\n')
    r = doctor(tmp_path, env={"PYTHONPATH": str(hide)})
    assert r.returncode == 1
    assert line(r.stdout, "effects chain").startswith("[FAIL] effects chain: lofid's compiled sample loops (lofid/audio/_dsp.c)")
    assert "make run" in r.stdout and "cannot play yet: fix effects chain" in r.stderr


def test_missing_configured_soundfont_fails(tmp_path):
    r = doctor(tmp_path, "--set", f"sound.soundfont={tmp_path}/gone.sf2")
    assert r.returncode == 1
    assert line(r.stdout, "soundfont") == f"[FAIL] soundfont: {tmp_path}/gone.sf2 does not exist"


def test_reports_libraries_and_the_resolved_soundfont(tmp_path):
    r = doctor(tmp_path)
    assert line(r.stdout, "FluidSynth").startswith("[ok  ]")
    sf = line(r.stdout, "soundfont")
    assert (".sf2" in sf or ".sf3" in sf) and "sound.soundfont is auto" in sf  # which font, and why
    assert sf.startswith("[ok  ]") or "pretty_midi's small TimGM6mb is the last fallback" in sf
    if not any(paths.SOUNDFONTS.glob("*.sf[23]")):  # the user's folder is empty: lofid's own instruments play
        assert sf == f"[ok  ] soundfont: {paths.SHIPPED_SOUNDFONT}: sound.soundfont is auto and soundfonts/ has none: " \
            "lofid's own lo-fi instruments"
    if paths.SYSTEM_SOUNDFONTS[0].is_file():  # Debian's MuseScore General Lite, which `make test` installs
        gm = line(doctor(tmp_path, "--set", "sound.soundfont=gm").stdout, "soundfont")
        assert gm.startswith(f"[ok  ] soundfont: {paths.SYSTEM_SOUNDFONTS[0]}: the best General MIDI font the system has")
    assert line(r.stdout, "instruments") == "[ok  ] instruments: every palette's keys, bass, lead, pad and kit " \
        "(15 presets) are in lofid.sf2"
    # PortAudio loads; whether a device exists depends on the machine, but it is never fatal
    out = line(r.stdout, "sound output")
    assert out.startswith("[ok  ]") or "null sink" in out


def test_names_a_configured_soundfont_and_warns_of_the_small_fallback(tmp_path):
    small = paths.pretty_midi_soundfont()
    r = doctor(tmp_path, "--set", f"sound.soundfont={small}")
    assert line(r.stdout, "soundfont") == f"[ok  ] soundfont: {small}: set by sound.soundfont"
    # a General MIDI font has the palettes' programs but not lofid's brush kit (bank 128, program 40)? it says which
    instruments = line(r.stdout, "instruments")
    assert instruments.startswith("[ok  ] instruments: every palette's") or (
        instruments.startswith("[warn] instruments: TimGM6mb.sf2 lacks ") and "of the palettes" in instruments)
    r = doctor(tmp_path, "--set", f"sound.soundfont={tmp_path}/none.sf2")
    assert r.returncode == 1


def test_validates_a_given_config_file(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("music:\n  bpm: 70\n")
    r = doctor(tmp_path, "--config", str(good))
    assert line(r.stdout, "config") == f"[ok  ] config: valid ({good})"
    bad = tmp_path / "bad.yaml"
    bad.write_text("layers:\n  rain:\n    volume: loud\n")
    r = doctor(tmp_path, "--config", str(bad))
    assert r.returncode == 2
    assert "layers.rain.volume = loud is not allowed: expected a number from 0 to 1" in line(r.stdout, "config")


def test_a_damaged_model_fails_naming_the_file(tmp_path):
    shipped = ROOT / "models" / "lofid"
    (tmp_path / "m.json").write_text(shipped.with_suffix(".json").read_text())
    (tmp_path / "m.npz").write_bytes(shipped.with_suffix(".npz").read_bytes()[:5000])
    r = doctor(tmp_path, "--set", f"model.path={tmp_path}/m")
    assert r.returncode == 1
    assert line(r.stdout, "model").startswith(f"[FAIL] model: {tmp_path}/m.npz: not a usable model weights file")


def test_ready_to_play_with_the_shipped_model(tmp_path):
    r = doctor(tmp_path)
    assert line(r.stdout, "model").startswith("[ok  ] model:") and "window 30" in r.stdout
    # no sound device is only a warning: lofid still plays, into the null sink
    assert r.returncode == 0 and r.stdout.rstrip().endswith("ready to play.")


def test_names_the_palettes_instruments_a_font_lacks(tmp_path, monkeypatch):
    """A font with a piano alone (written by scripts/sf2.py): doctor names every other program and kit the
    palettes play, warns that they fall back, and lofid can still play."""
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("sf2", ROOT / "scripts" / "sf2.py")
    sf2 = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "sf2", sf2)  # its dataclasses look their module up while being made
    spec.loader.exec_module(sf2)
    points = (np.sin(2 * np.pi * 440 * np.arange(16064) / 32000) * 20000).astype(np.int16)
    font = tmp_path / "piano.sf2"
    sf2.write_sf2(font, "piano", [sf2.Sample("a4", points, 32000, 69, 0, (0, 16000))],
                  [sf2.Instrument("piano", [sf2.Zone(0, gens={sf2.SAMPLE_MODES: 1})])], [sf2.Preset("Piano", 0, 0, 0)])
    r = doctor(tmp_path, "--set", f"sound.soundfont={font}")
    text = line(r.stdout, "instruments")
    assert text.startswith("[warn] instruments: piano.sf2 lacks program 1, program 4, ")
    assert "kit 0, kit 8, kit 32, kit 40 of the palettes: those parts play its piano" in text
    assert "program 0," not in text and r.returncode in (0, 1)  # a warning, never what stops lofid
    assert "instruments" not in r.stderr


def test_the_mpd_door_is_checked_when_it_is_on(tmp_path):
    assert "MPD door" not in doctor(tmp_path).stdout  # off by default: not a line
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = doctor(tmp_path, "--set", "control.mpd.enabled=true", "--set", f"control.mpd.listen=127.0.0.1:{port}")
    assert line(r.stdout, "MPD door").startswith(f"[ok  ] MPD door: 127.0.0.1:{port} is taken")
    r = doctor(tmp_path, "--set", "control.mpd.enabled=true", "--set", "control.mpd.listen=0.0.0.0:6600")
    assert r.returncode == 1 and line(r.stdout, "MPD door").startswith("[FAIL] MPD door: 0.0.0.0:6600 is not loopback")
    assert "fix: set control.mpd.password" in r.stdout
