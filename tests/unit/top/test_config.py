"""Config: layering (defaults < file < --set), validation messages, and the documented defaults."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lofid import config, paths
from lofid.config import load
from lofid.errors import ConfigError

ROOT = paths.ROOT


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


def test_defaults_without_any_file():
    cfg = load()
    assert cfg["music.bpm"] == "auto" and cfg["music.key"] == "auto" and cfg["music.track_minutes"] == "2-4"
    assert cfg["generation.window"] == 30
    assert cfg["layers.rain.enabled"] is True
    assert cfg.source == "defaults"


def test_precedence_defaults_then_file_then_set(tmp_path):
    f = write(tmp_path, "music:\n  bpm: 80\n  key: F\ngeneration:\n  temperature: 0.7\n")
    cfg = load(f, ["music.bpm=90", "layers.rain.enabled=false"])
    assert cfg["music.bpm"] == 90.0  # --set beats the file
    assert cfg["music.key"] == "F"  # the file beats the default
    assert cfg["generation.temperature"] == 0.7
    assert cfg["layers.rain.enabled"] is False
    assert cfg["music.swing"] == config.defaults()["music.swing"]  # untouched default


def test_user_config_in_xdg_home_is_read(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "lofid").mkdir(parents=True)
    (home / "lofid" / "config.yaml").write_text("music: {bpm: 66}\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    assert load()["music.bpm"] == 66.0
    # --config replaces the user's file rather than adding to it
    other = write(tmp_path, "music: {key: D}\n")
    cfg = load(other)
    assert cfg["music.bpm"] == "auto" and cfg["music.key"] == "D"


def test_extra_layer_names_are_accepted(tmp_path):
    cfg = load(None, ["layers.cafe.volume=0.3"])
    assert cfg["layers.cafe.volume"] == 0.3
    assert config.layer_names(cfg) == ["music", "rain", "beat", "cafe"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("music:\n  tempo: 80\n", "unknown setting 'music.tempo'"),
        ("music:\n  bpm: fast\n", "music.bpm = fast is not allowed: expected a number from 40 to 200"),
        ("music:\n  bpm: 500\n", "music.bpm = 500 is not allowed: expected a number from 40 to 200"),
        ("generation:\n  window: 2.5\n", "generation.window = 2.5 is not allowed: expected a whole number"),
        ("music:\n  key: H\n", "music.key = H is not allowed: expected one of auto, C, C#"),
        ("music:\n  bpm: fast\n", "music.bpm = fast is not allowed: expected a number from 40 to 200 or auto"),
        ("music:\n  track_minutes: 5-2\n", "music.track_minutes = 5-2 is not allowed: expected minutes, as 3 or a range 2-4"),
        ("layers:\n  rain:\n    enabled: 3\n", "layers.rain.enabled = 3 is not allowed: expected true or false"),
        ("model:\n  backend: torch\n", "model.backend = torch is not allowed: expected one of numpy, litert, tensorflow"),
        ("music: [1, 2]\n", "music is a section, not a setting"),
        ("music:\n  bpm: [80\n", "not valid YAML at line"),
        ("generation:\n  temperature: .nan\n", "generation.temperature = .nan is not allowed"),
    ],
)
def test_each_kind_of_file_error_names_file_key_value_and_range(tmp_path, text, expected):
    f = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load(f)
    msg = str(e.value)
    assert msg.startswith(str(f)), msg
    assert expected in msg
    assert "\n" not in msg


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: no such file"):
        load(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    "item, expected",
    [
        ("music.bpm", "expected key.sub=value"),
        ("music.bpm=-3", "--set music.bpm = -3 is not allowed"),
        ("nosuch.key=1", "--set unknown setting 'nosuch.key'"),
    ],
)
def test_set_errors(item, expected):
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        load(None, [item])


def test_shipped_config_yaml_is_the_documented_defaults():
    text = (ROOT / "config.yaml").read_text()
    assert text == config.documented_defaults(), "regenerate: python -m lofid.config > config.yaml"
    assert config.flatten(__import__("yaml").safe_load(text)) == dict(config.defaults())
    for line in text.splitlines():
        if ":" in line and not line.rstrip().endswith(":") and not line.startswith("#"):
            assert "#" in line, f"setting without a comment: {line}"


def run_cli(*args: str, env_home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_home), "XDG_CONFIG_HOME": str(env_home / "cfg")}
    return subprocess.run([sys.executable, "-m", "lofid.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_cli_reports_config_error_in_one_line_with_status_2(tmp_path):
    bad = write(tmp_path, "music:\n  bpm: 500\n")
    r = run_cli("doctor", "--config", str(bad), env_home=tmp_path)
    assert r.returncode == 2
    assert "music.bpm = 500 is not allowed" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_cli_version_and_help_list_only_working_commands(tmp_path):
    r = run_cli("--version", env_home=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("lofid ")
    r = run_cli("--help", env_home=tmp_path)
    assert r.returncode == 0
    from lofid.cli import COMMANDS

    for name in COMMANDS:
        assert name in r.stdout
