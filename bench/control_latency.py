"""Control: how fast the daemon answers, and how soon a change is heard.

- Round trip: ``CALLS`` status requests over the socket through ``lofid.control.client.request`` (the
  client `lofid ctl` uses), each timed alone: the daemon's answer time, with a connection per
  call as ctl makes. One whole `lofid ctl status` process is timed too, for context: that is
  mostly Python starting.
- Pause: from sending the request to the recording going silent (the last sample above
  -60 dBFS; the engine fades out over 80 ms, then plays zeros).
- Resume: from the request to the first loud sample again (the rain layer is continuous, so
  this is the audio path itself: the render thread's ring buffer plus the sound server).
- Temperature: it regenerates the queued notes, so the first note written at the new
  temperature is the first change a listener can hear. The engine holds at most one note taken
  from the queue ahead of its onset, so after the reply the first regenerated note starts at
  the moment the daemon's ``notes_played`` count has grown by two (it takes the following note
  as it starts one). That moment is found by polling status every few ms; the figure is request
  to that moment plus the audio path measured by resume in the same run (the render-to-speaker
  delay a started note still has to travel). Both parts are conservative: polling and the
  resume request each add a few ms, and a note taken before the first poll makes it wait a
  note longer. When the first regenerated note was written (the queue is no longer empty) is
  kept too: the rest of the wait is the music's own gap until that note's onset.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np

from bench.player import ALL_LAYERS, WARMUP_S, Player, lofid_command
from bench.stats import percentiles, summary
from tests.support.pulse import PulseServer, Recording

CALLS = 1000
CTL_RUNS = 5
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


def ctl_process(player: Player) -> float:
    """Wall time of one `lofid ctl status` process, start to exit."""
    start = time.perf_counter()
    subprocess.run([*lofid_command(), "ctl", "--set", f"control.socket={player.socket}", "status"],
                   env=player.env, check=True, capture_output=True, timeout=60)
    return time.perf_counter() - start


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
    """Seconds from a temperature request to the first regenerated note written, and to it starting."""
    written, started = [], []
    for i in range(trials):
        time.sleep(1.0)
        asked = time.monotonic()
        player.call({"cmd": "set", "key": "temperature", "value": 0.8 if i % 2 == 0 else 1.0})
        taken = player.status()["notes_played"]
        first_written = first_started = float("inf")
        while time.monotonic() < asked + NOTE_TIMEOUT_S:
            status = player.status()
            now = time.monotonic() - asked
            if status["queue_notes"] > 0 or status["notes_played"] > taken:
                first_written = min(first_written, now)
            if status["notes_played"] >= taken + 2:
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
        ctl = [ctl_process(player) for _ in range(CTL_RUNS)]
        to_silence, to_sound = pause_resume(pulse, player, PAUSE_TRIALS)
        written, to_note = temperature_to_new_note(player, TEMPERATURE_TRIALS)
    audio_path = float(np.median(to_sound))
    return {
        "round_trip_ms": percentiles([1000 * t for t in trips], 3),
        "ctl_process_s": summary(ctl, 3),
        "pause_heard_s": summary(to_silence, 3),
        "resume_heard_s": summary(to_sound, 3),
        "temperature_note_written_s": summary(written, 3),
        "temperature_note_started_s": summary(to_note, 3),
        "temperature_heard_s": summary([t + audio_path for t in to_note], 3),
    }
