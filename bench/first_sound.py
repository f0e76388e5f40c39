"""Time to first sound: from launching `lofid run` to the first audible sample at the sink.

The sink's monitor is listened to from before the launch (tests.support.pulse.Listener: parec's
samples stamped as they arrive, so a late delivery can only make the figure longer); the first
sample above -60 dBFS is the first thing a listener hears (with the default layers on, rain or the
first note, whichever comes first). The clock starts just before the process is spawned, so Python's start-up, the
model's loading and PortAudio's opening of the device are all inside the figure.

The same launches into PipeWire (with pipewire-pulse, the sound server of today's desktops) show
how much of the figure is the sound server's start of a new stream: PulseAudio's null sink starts
playing a new stream about a second after lofid's sound card has started; PipeWire at once.

Beside it, the moment the control socket first answers (``served_s``): lofid's own start (Python, the
imports, the daemon built and served); the sound device is opened and started right after it, so the
rest of the first-sound figure is the audio path's own start (PortAudio, the sound server).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.player import Player
from bench.stats import summary
from tests.support.pipewire import PipeWireServer, pipewire_available
from tests.support.pulse import Listener, PulseServer

LISTEN_S = 6.0  # at most this long after launch for the first sound
SKIP_S = 0.3  # the listener's start, not listened to


def first_sound(pulse: PulseServer, model: Path) -> tuple[float, float]:
    """Seconds from launch to the first loud sample (inf if nothing was heard in LISTEN_S), and to the
    control socket's first answer."""
    with Player(pulse, model) as player, Listener(pulse, skip=SKIP_S) as ear:
        time.sleep(SKIP_S)  # what parec hands over from before it (the last launch's tail) is not listened to
        launched = player.start()
        served = player.wait_ready() - launched
        heard = ear.wait_loud(LISTEN_S - (time.monotonic() - launched))
    return (heard - launched if heard is not None else float("inf")), served


def run(pulse: PulseServer, model: Path, runs: int = 5) -> dict:
    """Median and spread over ``runs`` fresh launches (each in a fresh home, nothing cached but the OS's);
    then as many into a PipeWire server, when it is installed: the same lofid, the other sound server."""
    times = [first_sound(pulse, model) for _ in range(runs)]
    out = {"first_sound_s": summary([heard for heard, _ in times], 3),
           "served_s": summary([served for _, served in times], 3)}
    if pipewire_available():
        with PipeWireServer() as pipewire:
            out["pipewire_first_sound_s"] = summary([first_sound(pipewire, model)[0] for _ in range(runs)], 3)
    return out
