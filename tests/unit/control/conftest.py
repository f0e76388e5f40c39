"""Fixtures of the control tests: a private runtime folder, the stand-in player, a served socket."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from lofid.control.server import ControlServer
from tests.support.control import Player


@pytest.fixture
def rundir(monkeypatch):
    # A short private folder: AF_UNIX paths are limited to ~100 bytes, pytest's tmp_path can be longer.
    folder = Path(tempfile.mkdtemp(prefix="lofid-t"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "no-config"))
    yield folder
    for p in sorted(folder.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    folder.rmdir()


@pytest.fixture
def player():
    return Player()


@pytest.fixture
def server(rundir, player):
    with ControlServer(rundir / "lofid.sock", player) as srv:
        yield srv
