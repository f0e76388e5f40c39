"""`lofid manpage`: the lofid(1) page is roff that groff and man render without a warning, and it
documents every command, every ctl verb and the sections a man page owes its reader."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from lofid import cli
from lofid.cli.ctl import VERBS

RENDER_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("man") / "lofid.1"
    done = subprocess.run([sys.executable, "-m", "lofid.cli", "manpage"], capture_output=True, text=True,
                          timeout=RENDER_TIMEOUT_S)
    path.write_text(done.stdout)
    assert done.returncode == 0 and done.stdout.startswith(".TH LOFID 1"), done.stderr
    return path


@pytest.fixture(scope="module")
def rendered(page):
    """The page as groff sets it for a terminal, with every warning turned on (-ww)."""
    if shutil.which("groff") is None:
        pytest.skip("groff is not installed here (Debian: groff-base)")
    done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-P", "-cbou", str(page)], capture_output=True,
                          text=True, timeout=RENDER_TIMEOUT_S, env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def test_groff_renders_it_without_a_warning(rendered):
    assert rendered.splitlines()[0].split() == ["LOFID(1)", "User", "Commands", "LOFID(1)"]


def test_it_lists_every_command_and_every_verb(rendered):
    text = " ".join(rendered.split())  # lines joined, as a reader reads them
    for name in cli.COMMANDS:
        assert f"lofid {name}" in text, name
    verbs = text.split("CTL VERBS", 1)[1].split("FILES", 1)[0]
    for name, verb in VERBS.items():
        assert f"{name} {verb.args}".strip() in verbs and f"e.g. lofid ctl {verb.example}" in verbs, name
    for section in ("NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "FILES", "ENVIRONMENT", "EXIT STATUS", "SEE ALSO"):
        assert f"\n{section}\n" in rendered, section
    for where in ("$XDG_CONFIG_HOME/lofid/config.yaml", "$XDG_STATE_HOME/lofid/state.yaml", "$XDG_RUNTIME_DIR/lofid.sock",
                  "JOURNAL_STREAM", "--set KEY=VALUE", "--manager systemd|launchd"):
        assert where in text, where


def test_man_reads_it_without_a_warning(page):
    if shutil.which("man") is None:
        pytest.skip("man is not installed here (Debian: man-db)")
    done = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                          timeout=RENDER_TIMEOUT_S, env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "80"})
    assert done.returncode == 0 and done.stderr == "" and "lofid ctl" in done.stdout, done.stderr
