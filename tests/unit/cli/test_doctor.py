"""`lofid doctor`: its verdicts, exit statuses and the fixes it names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lofid import paths

ROOT = paths.ROOT


def doctor(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "XDG_RUNTIME_DIR": str(tmp_path)}
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
    # PortAudio loads; whether a device exists depends on the machine, but it is never fatal
    out = line(r.stdout, "sound output")
    assert out.startswith("[ok  ]") or "null sink" in out


def test_names_a_configured_soundfont_and_warns_of_the_small_fallback(tmp_path):
    small = paths.pretty_midi_soundfont()
    r = doctor(tmp_path, "--set", f"sound.soundfont={small}")
    assert line(r.stdout, "soundfont") == f"[ok  ] soundfont: {small}: set by sound.soundfont"
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
    (tmp_path / "m.tflite").write_bytes(shipped.with_suffix(".tflite").read_bytes()[:5000])
    r = doctor(tmp_path, "--set", f"model.path={tmp_path}/m")
    assert r.returncode == 1
    assert line(r.stdout, "model").startswith(f"[FAIL] model: {tmp_path}/m.tflite: not a usable TFLite model")


def test_ready_to_play_with_the_shipped_model(tmp_path):
    r = doctor(tmp_path)
    assert line(r.stdout, "model").startswith("[ok  ] model:") and "window 30" in r.stdout
    # no sound device is only a warning: lofid still plays, into the null sink
    assert r.returncode == 0 and r.stdout.rstrip().endswith("ready to play.")
