"""Shared fixtures: an audio engine fed hand-written notes, and a way to render it."""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest

from lofid.config import defaults
from lofid.music.notes import Note
from tests.support.engine import render
from tests.support.pipewire import PipeWireServer, pipewire_available
from tests.support.pulse import PulseServer, pulse_available

# With the suite spread over the cores (``make test``), each worker has about one: TensorFlow (the training
# tests, in this process and in the `lofid train` they start) keeps to one thread, so a training run does
# not starve the real-time tests on the other worker. Set before anything imports TensorFlow.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

SOUND_SERVERS = [
    pytest.param(PulseServer, id="pulseaudio", marks=pytest.mark.skipif(
        not pulse_available(), reason="PulseAudio is not installed (make test installs it)")),
    pytest.param(PipeWireServer, id="pipewire", marks=pytest.mark.skipif(
        not pipewire_available(), reason="PipeWire (pipewire, wireplumber, pipewire-pulse) is not installed "
                                         "(make test installs it)")),
]


@pytest.fixture
def make_engine() -> Iterable[Callable]:
    """``make_engine(notes, settings, effects_dir) -> (engine, queue)``; the queue is the note source.

    The source behaves like the daemon's queue: it hands out the next note, or None when empty.
    """
    from lofid.audio.engine import Engine

    made = []

    def make(notes: Iterable[Note] = (), settings: dict | None = None, effects_dir: Path | None = None):
        queue = deque(notes)
        engine = Engine(defaults().replace(settings or {}), lambda: queue.popleft() if queue else None,
                        effects_dir=effects_dir)
        made.append(engine)
        return engine, queue

    yield make
    for engine in made:
        engine.close()


@pytest.fixture
def play() -> Callable[..., np.ndarray]:
    return render


@pytest.fixture
def pulse() -> Iterable[PulseServer]:
    """A private PulseAudio server with the null sink ``lofid_test``, this process pointed at it."""
    with PulseServer() as server:
        yield server


@pytest.fixture(params=SOUND_SERVERS)
def sound_server(request) -> Iterable[PulseServer]:
    """A private sound server with the null sink ``lofid_test``, this process pointed at it: the test
    runs once against PulseAudio and once against PipeWire (through its PulseAudio layer, as desktops run it)."""
    with request.param() as server:
        yield server


def _weight(item: pytest.Item) -> int:
    """``slow``: half a minute or more, 1; ``slow(n)``: longer, the larger ``n``; 0 for the rest."""
    mark = item.get_closest_marker("slow")
    return 0 if mark is None else mark.args[0] if mark.args else 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, the rest in their order: with the suite spread over workers
    (``make test``), the long ones start at once, and the short ones fill in around them."""
    items.sort(key=lambda item: -_weight(item))


def _children() -> list[int]:
    """Pids of this process's living children (from /proc: no extra dependency). It runs twice a test,
    so it reads each stat line as bytes (a glob and decoding took half as long again)."""
    me, kids = os.getpid(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_bytes().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me and fields[0] != b"Z":
            kids.append(int(proc.name))
    return kids


@pytest.fixture(autouse=True)
def no_daemon_outlives_its_test():
    """A test that fails half-way must not leave a `lofid run` playing for the rest of the session."""
    before = set(_children())
    yield
    for pid in set(_children()) - before:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
