"""Time to first sound: from launching `lofid run` to the first audible sample at the sink.

The sink's monitor is listened to from before the launch (tests.support.pulse.Listener: parec's
samples stamped as they arrive, so a late delivery can only make the figure longer), and the launch
waits until the sink has settled to the recorder's latency (``Listener.settle``): a null sink that
nobody plays to or records renders 2-s blocks of silence ahead, and a stream started before those
have played out is heard only after them, whatever plays it (a bare PortAudio sine, libpulse's
simple API, lofid: 1.2 s each with the recorder attached 0.3 s before; 0.1-0.2 s once settled). A
sound card that is playing has only its own short buffer ahead; ``queued_s`` is what the sink had
ahead at each launch. The first sample above -60 dBFS is the first thing a listener hears (with the
default layers on, rain or the first note, whichever comes first). The clock starts just before the
process is spawned, so Python's start-up, the model's loading and PortAudio's opening of the device
are all inside the figure.

The same launches into PipeWire (with pipewire-pulse, the sound server of today's desktops) show
the other sound server's start of a new stream.

Beside each, the same launch of `ffplay` playing an MP3 (a 440-Hz tone made by ffmpeg; what a user
would otherwise start for study music, talking to the sound server directly through SDL): how soon
a player that only decodes is heard through the same sound server, measured the same way.

Beside it, the moment the control socket first answers (``served_s``): lofid's own start (Python, the
imports, the daemon built and served); the sound device is opened and started right after it, so the
rest of the first-sound figure is the audio path's own start (PortAudio, the sound server).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.lightness import FFPLAY, start_ffplay
from bench.player import Player
from bench.stats import summary
from tests.support.pipewire import PipeWireServer, pipewire_available
from tests.support.pulse import Listener, PulseServer, end_process

LISTEN_S = 6.0  # at most this long after launch for the first sound
SKIP_S = 0.3  # the listener's start, not listened to
TONE_S = 8.0  # the reference MP3's length: longer than LISTEN_S


@dataclass(frozen=True)
class Launch:
    """One launch's figures, in seconds; ``heard_s`` is inf if nothing was heard in LISTEN_S."""

    heard_s: float  # launch to the first loud sample at the sink
    served_s: float  # launch to the control socket's first answer (nan for a player without one)
    queued_s: float  # what the sink had rendered ahead at the launch


def _listening(ear: Listener) -> float:
    """Let the recorder start and the sink settle; what the sink then has ahead, in seconds."""
    time.sleep(SKIP_S)  # what parec hands over from before it (the last launch's tail) is not listened to
    return ear.settle()


def first_sound(pulse: PulseServer, model: Path) -> Launch:
    """Launch `lofid run` into ``pulse`` once and time it."""
    with Player(pulse, model) as player, Listener(pulse, skip=SKIP_S) as ear:
        queued = _listening(ear)
        launched = player.start()
        served = player.wait_ready() - launched
        heard = ear.wait_loud(LISTEN_S - (time.monotonic() - launched))
    return Launch(heard - launched if heard is not None else float("inf"), served, queued)


def tone_mp3(folder: Path) -> Path:
    """A TONE_S 440-Hz tone (ffmpeg's sine, -18 dBFS) as a 128-kbps MP3: the reference player's file."""
    mp3 = folder / "tone.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={TONE_S:g}",
                    "-codec:a", "libmp3lame", "-b:a", "128k", str(mp3)], check=True)
    return mp3


def ffplay_first_sound(pulse: PulseServer, mp3: Path) -> Launch:
    """Launch ffplay on ``mp3`` into ``pulse`` once and time it."""
    with Listener(pulse, skip=SKIP_S) as ear:
        queued = _listening(ear)
        launched = time.monotonic()
        proc = start_ffplay(pulse, mp3)
        try:
            heard = ear.wait_loud(LISTEN_S)
        finally:
            end_process(proc)
    return Launch(heard - launched if heard is not None else float("inf"), float("nan"), queued)


def _launches(server: PulseServer, model: Path, runs: int, mp3: Path | None) -> dict:
    """lofid's launches into ``server``, then ffplay's (when there is an MP3 to play)."""
    launches = [first_sound(server, model) for _ in range(runs)]
    out = {"first_sound_s": summary([each.heard_s for each in launches], 3),
           "served_s": summary([each.served_s for each in launches], 3),
           "queued_s": summary([each.queued_s for each in launches], 3)}
    if mp3 is not None:
        out["ffplay_first_sound_s"] = summary([ffplay_first_sound(server, mp3).heard_s for _ in range(runs)], 3)
    return out


def run(pulse: PulseServer, model: Path, runs: int = 5) -> dict:
    """Median and spread over ``runs`` fresh launches (each in a fresh home, nothing cached but the OS's),
    and ffplay's beside them; then the same into a PipeWire server, when it is installed."""
    with tempfile.TemporaryDirectory(prefix="lofid-first-") as tmp:
        mp3 = tone_mp3(Path(tmp)) if shutil.which(FFPLAY) and shutil.which("ffmpeg") else None
        out = _launches(pulse, model, runs, mp3)
        if pipewire_available():
            with PipeWireServer() as pipewire:
                both = _launches(pipewire, model, runs, mp3)
            out["pipewire_first_sound_s"] = both["first_sound_s"]
            out["pipewire_queued_s"] = both["queued_s"]
            if mp3 is not None:
                out["pipewire_ffplay_first_sound_s"] = both["ffplay_first_sound_s"]
    return out
