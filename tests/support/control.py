"""The control tests' stand-in for the daemon, and the ways they talk to a server.

``Player`` keeps what the control server asks of it, like the daemon will, so a test can see the
effect of a request; the end-to-end tests of `lofid run` cover the real daemon behind it.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from lofid import cli
from lofid.config import defaults
from lofid.control.status import mood_status


class Player:
    """Keeps what the control server asks of it, like the daemon will, so tests can see the effect."""

    def __init__(self) -> None:
        self.cfg = defaults()
        self.state = "playing"
        self.skips = 0
        self.nexts, self.holds = 0, []
        self.saved: list[str] = []
        self.likes = 0
        self.fail_with: Exception | None = None
        self.timers: dict[str, Any] = {"sleep": None, "focus": None}
        self.moods: list[tuple[str | None, bool]] = []  # (text, keep) of every mood request
        self.cover: str | None = None  # the track's cover ID, once painted

    def settings(self):
        return self.cfg

    def status(self) -> dict[str, Any]:
        if self.fail_with:
            raise self.fail_with
        return {"state": self.state, "track": {"number": 3, "title": "rainy window", "key": "Eb minor", "bpm": 78.0,
                                               "section": "A", "held": False, "seconds_in": 72.0, "length_s": 185.0,
                                               "cover": self.cover},
                "mood": mood_status(self.cfg),
                "uptime_s": 3725.0, "queue_notes": 240, "queue_s": 12.5, "notes_played": 1234, "melody_played": 800,
                "underruns": 2, "model": "models/lofid.npz", "backend": "numpy",
                "soundfont": "/usr/share/sounds/sf2/FluidR3_GM.sf2", "output": "null (no sound device)",
                "guardrails": {"stuck": 2, "chaos": 0, "reprime": 0},
                "loudness": {"heard_lufs": -24.2, "gain_db": 8.1}, "timers": self.timers,
                "streams": {"bitrate_kbps": 128, "dropped_blocks": 3,
                            "http": {"url": "http://127.0.0.1:8765/", "listeners": 2, "dropped_listeners": 0},
                            "icecast": {"server": "127.0.0.1:8000/lofid.mp3", "state": "retrying", "connects": 1,
                                        "error": "connection refused"},
                            "snapcast": {"server": "127.0.0.1:4953", "format": "44100:16:2", "state": "connected",
                                         "connects": 1, "dropped_blocks": 0}},
                "mpd": {"address": "127.0.0.1:6600", "clients": 2}}

    def apply(self, changes: dict[str, Any]) -> None:
        self.cfg = self.cfg.replace(changes)

    def pause(self) -> None:
        self.state = "paused"

    def resume(self) -> None:
        self.state = "playing"

    def skip(self) -> None:
        self.skips += 1

    def next_track(self) -> None:
        self.nexts += 1

    def hold(self, on: bool) -> None:
        self.holds.append(on)

    def sleep(self, seconds):
        self.timers = {**self.timers, "sleep": None if seconds is None else {"left_s": seconds}}
        return self.timers

    def focus(self, study_s, break_s, cycles):
        self.timers = {**self.timers, "focus": None if study_s is None else {
            "phase": "study", "cycle": 1, "cycles": cycles, "left_s": study_s, "study_s": study_s, "break_s": break_s}}
        return self.timers

    def save(self, path: str) -> str:
        Path(path).write_bytes(b"MThd")
        self.saved.append(path)
        return path

    def like(self) -> str:
        self.likes += 1
        return "rainy window"

    def mood(self, text: str | None, keep: bool) -> dict[str, Any]:
        self.moods.append((text, keep))
        if text is not None:
            self.apply({"music.mood": text})
        return {"mood": mood_status(self.cfg)}

    def reload(self) -> dict[str, Any]:
        self.cfg = self.cfg.replace({"music.bpm": 80})
        return {"music.bpm": 80.0}



def ctl(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["ctl", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def raw(path: Path, data: bytes, expect: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Send raw bytes on a fresh connection and read ``expect`` reply lines."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(data)
        buf = b""
        while buf.count(b"\n") < expect:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return [json.loads(line) for line in buf.splitlines()]
