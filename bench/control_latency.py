"""Control: how fast the daemon answers, and how soon a change is heard.

- Round trip: ``CALLS`` status requests over the socket through ``lofid.control.client.request`` (the
  client `lofid ctl` uses), each timed alone: the daemon's answer time, with a connection per
  call as ctl makes.
- Held open: the same, ``HELD_CALLS`` times, while ``HELD`` connections that sent half a line
  (a hung script, a stuck client) stay open; the daemon's memory before, while and after.
- A whole `lofid ctl status` process, next to a bare `python -c pass` of the same interpreter,
  run in turns ``CTL_RUNS`` times each: the ratio of medians is what ctl adds to starting Python.
- Pause: from sending the request to the recording going silent (the last sample above
  -60 dBFS; the engine fades out over 80 ms, then plays zeros).
- Resume: from the request to the first loud sample again (the rain layer is continuous, so
  this is the audio path itself: the render thread's ring buffer plus the sound server).
- Temperature: it regenerates the notes not yet played (the queue's and the one the engine
  held ahead of its onset, which it hands back), so the first melody note written at the new
  temperature is the first change a listener can hear (the keys, bass and pad under it follow
  the chords, which the temperature does not move): it starts at the moment the daemon's
  ``melody_played`` count, read after the reply, has grown by one. That moment is found by
  polling status every few ms; the figure is request to that moment plus the audio path measured
  by resume in the same run (the render-to-speaker delay a started note still has to travel).
  Both parts are conservative: polling and the resume request each add a few ms, and a note
  taken before the first poll makes it wait a note longer. When the first regenerated note was
  written (the queue is no longer empty) is kept too: the rest of the wait is the music's own
  gap until that note's onset.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.player import ALL_LAYERS, WARMUP_S, Player, lofid_command
from bench.stats import percentiles, summary
from tests.support.pulse import PulseServer, Recording
from tests.support.sockets import held_open

CALLS = 1000
HELD = 1000  # half-sent connections held open
HELD_CALLS = 300  # round trips timed while they are held
CTL_RUNS = 20  # each of `lofid ctl status` and bare Python
PAUSE_TRIALS = 5
TEMPERATURE_TRIALS = 5
POLL_S = 0.005
NOTE_TIMEOUT_S = 15.0  # an untrained model may leave long gaps between notes


def round_trips(player: Player, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        player.call({"cmd": "status"})
        times.append(time.perf_counter() - start)
    return times


def held_round_trips(player: Player, held: int, calls: int) -> dict:
    """Round trips while ``held`` half-sent connections stay open, and the daemon's VmRSS around them."""
    rss_before = player.rss_kb()
    hanging = held_open(player.socket, held, b'{"cmd": "status", "pad": "')
    try:
        rss_held = player.rss_kb()
        trips = round_trips(player, calls)
        rss_after = player.rss_kb()
    finally:
        for s in hanging:
            s.close()
    return {"held": held, "round_trip_ms": percentiles([1000 * t for t in trips], 3),
            "rss_mb": {"before": round(rss_before / 1024, 1), "held": round(rss_held / 1024, 1),
                       "after": round(rss_after / 1024, 1)}}


def process_time(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one process, start to exit."""
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - start


def ctl_beside_python(player: Player, runs: int) -> dict:
    """`lofid ctl status` (socket found through XDG_RUNTIME_DIR, as a user's is) and `python -c pass`, in turns."""
    ctl, bare = [], []
    for _ in range(runs):
        ctl.append(process_time([*lofid_command(), "ctl", "status"], player.env))
        bare.append(process_time([sys.executable, "-c", "pass"], player.env))
    c, b = summary(ctl, 4), summary(bare, 4)
    return {"ctl_s": c, "python_s": b, "ratio": round(c["median"] / b["median"], 2)}


def pause_resume(pulse: PulseServer, player: Player, trials: int) -> tuple[list[float], list[float]]:
    """Request-to-silence and request-to-sound times from one recording of ``trials`` pause/resume pairs."""
    marks = []
    with Recording(pulse, player.home / "pause.wav") as rec:
        for _ in range(trials):
            time.sleep(1.0)
            paused = time.monotonic()
            player.call({"cmd": "pause"})
            time.sleep(1.2)
            resumed = time.monotonic()
            player.call({"cmd": "resume"})
            marks.append((paused, resumed))
        time.sleep(1.2)
    to_silence, to_sound = [], []
    for paused, resumed in marks:
        loud = rec.loud(paused, resumed)
        silent_from = loud[-1] + 1 / rec.rate if len(loud) else paused
        # silence that only began in the last 100 ms before resume would mean it never settled
        to_silence.append(silent_from - paused if silent_from < resumed - 0.1 else float("inf"))
        back = rec.loud(resumed, resumed + 1.2)
        to_sound.append(float(back[0] - resumed) if len(back) else float("inf"))
    return to_silence, to_sound


def temperature_to_new_note(player: Player, trials: int) -> tuple[list[float], list[float]]:
    """Seconds from a temperature request to the first regenerated note written, and to the first
    regenerated melody note starting."""
    written, started = [], []
    for i in range(trials):
        time.sleep(1.0)
        asked = time.monotonic()
        player.call({"cmd": "set", "key": "temperature", "value": 0.8 if i % 2 == 0 else 1.0})
        before = player.status()
        first_written = first_started = float("inf")
        while time.monotonic() < asked + NOTE_TIMEOUT_S:
            status = player.status()
            now = time.monotonic() - asked
            if status["queue_notes"] > 0 or status["notes_played"] > before["notes_played"]:
                first_written = min(first_written, now)
            if status["melody_played"] > before["melody_played"]:
                first_started = now
                break
            time.sleep(POLL_S)
        written.append(first_written)
        started.append(first_started)
    return written, started


def run(pulse: PulseServer, model: Path, calls: int = CALLS) -> dict:
    with Player(pulse, model, *ALL_LAYERS) as player:
        player.start()
        player.wait_ready()
        time.sleep(WARMUP_S)
        trips = round_trips(player, calls)
        held = held_round_trips(player, HELD, HELD_CALLS)
        ctl = ctl_beside_python(player, CTL_RUNS)
        to_silence, to_sound = pause_resume(pulse, player, PAUSE_TRIALS)
        written, to_note = temperature_to_new_note(player, TEMPERATURE_TRIALS)
    audio_path = float(np.median(to_sound))
    return {
        "round_trip_ms": percentiles([1000 * t for t in trips], 3),
        "held_open": held,
        "ctl_process": ctl,
        "pause_heard_s": summary(to_silence, 3),
        "resume_heard_s": summary(to_sound, 3),
        "temperature_note_written_s": summary(written, 3),
        "temperature_note_started_s": summary(to_note, 3),
        "temperature_heard_s": summary([t + audio_path for t in to_note], 3),
    }
