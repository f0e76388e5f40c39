"""`lofid service`: the unit and plist it writes for the user, checked by systemd-analyze and
plistlib, and the manager commands it runs.

systemctl --user and launchctl cannot run in the test container (no user manager, not macOS), so
where a test checks the commands issued, they are recorded by small stand-in scripts on PATH;
everything written to disk is the real thing.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lofid import cli
from lofid.daemon import service
from lofid.paths import ROOT

LOFID = service.lofid_executable()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fake home with its own XDG folders, so nothing of the real user's is touched."""
    home = tmp_path / "home & co"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)  # ~/.local/share, the default
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no systemctl, no launchctl unless a test adds one
    (tmp_path / "bin").mkdir()
    return home


def fake_tool(home: Path, name: str, fail_with: str = "") -> Path:
    """A stand-in for systemctl/launchctl that records its arguments (and can fail like one)."""
    log = home.parent / f"{name}.log"
    script = home.parent / "bin" / name
    body = f'echo "$*" >> "{log}"\n' + (f'echo "{fail_with}" >&2; exit 1\n' if fail_with else "")
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return log


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["service", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def unit_file(home: Path) -> Path:
    return home / ".config" / "systemd" / "user" / "lofid.service"


def test_install_writes_the_unit_with_this_installs_paths(capsys, home):
    code, out, err = run(capsys, "install")
    unit = unit_file(home)
    text = unit.read_text()
    assert f'ExecStart="{LOFID}" run' in text and f"WorkingDirectory={ROOT}" in text
    for line in ("Type=notify", "Restart=on-failure", "WatchdogSec=40", "WantedBy=default.target"):
        assert line in text.splitlines()
    assert not re.search(r"@[A-Z_]+@", text)
    assert (ROOT / "systemd" / "lofid.service").read_text().count("\n") == text.count("\n")  # the template, filled
    # no systemctl here: said plainly, the file is still written, and the commands to run later are listed
    assert code == 1 and f"wrote {unit}" in out
    assert "systemctl is not available here" in err and "systemctl --user enable lofid.service" in err


@pytest.mark.skipif(shutil.which("systemd-analyze", path=os.defpath + ":/usr/bin:/bin") is None,
                    reason="systemd-analyze is not installed")
def test_the_installed_unit_passes_systemd_analyze_verify(capsys, home, tmp_path, monkeypatch):
    # A lofid command under a folder named with a space and a %: systemd must see the same path
    # (a % left unescaped would be read as a specifier and the executable not found).
    odd = tmp_path / "my 100% lofi"
    odd.mkdir()
    shutil.copy(LOFID, odd / "lofid")
    monkeypatch.setattr(service, "lofid_executable", lambda: odd / "lofid")
    run(capsys, "install")
    text = unit_file(home).read_text()
    assert 'ExecStart="' + str(odd / "lofid").replace("%", "%%") + '" run' in text
    analyze = shutil.which("systemd-analyze", path=os.defpath + ":/usr/bin:/bin")
    done = subprocess.run([analyze, "verify", str(unit_file(home))], capture_output=True, text=True, timeout=120)
    complaints = [line for line in done.stderr.splitlines() if "lofid.service" in line]
    assert done.returncode == 0 and complaints == [], done.stderr


def test_install_enables_and_restarts_through_systemctl_user(capsys, home):
    calls = fake_tool(home, "systemctl")
    code, out, err = run(capsys, "install")
    assert code == 0 and err == ""
    assert calls.read_text().splitlines() == ["--user daemon-reload", "--user enable lofid.service",
                                              "--user restart lofid.service"]
    assert "$ systemctl --user restart lofid.service" in out and "installed and playing" in out


def test_a_user_manager_out_of_reach_is_said_plainly(capsys, home):
    fake_tool(home, "systemctl", fail_with="Failed to connect to bus: No medium found")
    code, out, err = run(capsys, "install")
    assert code == 1 and unit_file(home).exists()
    assert "systemctl --user daemon-reload failed: Failed to connect to bus: No medium found" in err


def test_dry_run_prints_and_changes_nothing(capsys, home):
    calls = fake_tool(home, "systemctl")
    code, out, err = run(capsys, "install", "--dry-run")
    assert code == 0 and f"would write {unit_file(home)}:" in out and "Type=notify" in out
    assert "would run: systemctl --user enable lofid.service" in out
    assert not unit_file(home).exists() and not calls.exists()


def test_uninstall_stops_and_removes_and_status_follows(capsys, home):
    calls = fake_tool(home, "systemctl")
    assert run(capsys, "status")[1].startswith("systemd file: not installed")
    run(capsys, "install")
    assert "(up to date)" in run(capsys, "status")[1]
    unit_file(home).write_text(unit_file(home).read_text().replace("Nice=2", "Nice=0"))
    assert "differs from this install" in run(capsys, "status")[1]
    code, out, _ = run(capsys, "uninstall")
    assert code == 0 and not unit_file(home).exists() and f"removed {unit_file(home)}" in out
    assert calls.read_text().splitlines()[-2:] == ["--user disable --now lofid.service", "--user daemon-reload"]
    assert run(capsys, "uninstall")[:2] == (0, f"lofid is not installed as a systemd service (no {unit_file(home)})\n")


def test_the_launchd_agent_plist(capsys, home):
    calls = fake_tool(home, "launchctl")
    code, out, err = run(capsys, "install", "--manager", "launchd")
    path = home / "Library" / "LaunchAgents" / "io.lofid.daemon.plist"
    with path.open("rb") as f:
        agent = plistlib.load(f)
    log = str(home / "Library" / "Logs" / "lofid.log")  # the home has an & in its name: XML-escaped, read back whole
    assert agent["Label"] == "io.lofid.daemon"
    assert agent["ProgramArguments"] == [str(LOFID), "run"]
    assert agent["WorkingDirectory"] == str(ROOT)
    assert agent["KeepAlive"] == {"SuccessfulExit": False} and agent["RunAtLoad"] is True
    assert agent["StandardOutPath"] == log and agent["StandardErrorPath"] == log
    assert (home / "Library" / "Logs").is_dir()
    uid = os.getuid()
    assert code == 0 and calls.read_text().splitlines() == [
        f"bootout gui/{uid}/io.lofid.daemon", f"enable gui/{uid}/io.lofid.daemon", f"bootstrap gui/{uid} {path}"]
    run(capsys, "uninstall", "--manager", "launchd")
    assert not path.exists() and calls.read_text().splitlines()[-1] == f"bootout gui/{uid}/io.lofid.daemon"


def test_a_path_a_unit_cannot_carry_is_one_line(capsys, home, monkeypatch):
    monkeypatch.setattr(service, "lofid_executable", lambda: Path('/opt/"quoted"/lofid'))
    code, out, err = run(capsys, "install")
    assert code == 2 and err.count("\n") == 1 and "cannot go in a unit file" in err
    assert not unit_file(home).exists()


def companions(home: Path) -> dict[str, Path]:
    """Where the shells and man look for a user's own files, as lofid service install should write them."""
    return {"bash": home / ".local" / "share" / "bash-completion" / "completions" / "lofid",
            "zsh": home / ".local" / "share" / "zsh" / "site-functions" / "_lofid",
            "fish": home / ".config" / "fish" / "completions" / "lofid.fish",
            "man": home / ".local" / "share" / "man" / "man1" / "lofid.1"}


def test_install_puts_the_completions_and_man_page_where_they_are_found(capsys, home):
    for program in ("systemctl", "bash", "zsh", "fish", "man"):
        fake_tool(home, program)
    code, out, err = run(capsys, "install")
    files = companions(home)
    assert code == 0 and err == ""
    assert files["bash"].read_text().startswith("# bash completion for lofid") and "complete -F _lofid lofid" in \
        files["bash"].read_text()
    assert files["zsh"].read_text().startswith("#compdef lofid")
    assert "complete -c lofid" in files["fish"].read_text()
    assert files["man"].read_text().startswith(".TH LOFID 1")
    for name, what in (("bash", "bash completion"), ("zsh", "zsh completion"), ("fish", "fish completion"),
                       ("man", "man page")):
        assert f"wrote {files[name]} ({what})" in out
    assert f"fpath=({files['zsh'].parent} $fpath)" in out  # what zsh users still have to do
    assert not (home.parent / "bash.log").exists()  # found on PATH, never run


def test_completions_go_under_xdg_data_home_and_only_for_programs_here(capsys, home, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    fake_tool(home, "bash")
    code, out, _ = run(capsys, "install")
    assert (tmp_path / "data" / "bash-completion" / "completions" / "lofid").is_file()
    assert not (tmp_path / "data" / "zsh").exists() and not (home / ".config" / "fish").exists()
    assert "zsh completion: skipped, zsh is not installed here" in out
    assert "man page: skipped, man is not installed here" in out


def test_dry_run_names_the_completions_and_man_page_and_writes_none(capsys, home):
    for program in ("bash", "zsh", "fish", "man"):
        fake_tool(home, program)
    code, out, _ = run(capsys, "install", "--dry-run")
    assert code == 0
    for path in companions(home).values():
        assert f"would write {path} (" in out and not path.exists()


def test_uninstall_removes_the_completions_and_man_page(capsys, home):
    for program in ("systemctl", "bash", "zsh", "fish", "man"):
        fake_tool(home, program)
    run(capsys, "install")
    files = companions(home)
    code, out, _ = run(capsys, "uninstall", "--dry-run")
    assert code == 0 and all(f"would remove {path} (" in out and path.exists() for path in files.values())
    code, out, _ = run(capsys, "uninstall")
    assert code == 0 and not unit_file(home).exists()
    for path in files.values():
        assert f"removed {path} (" in out and not path.exists()
