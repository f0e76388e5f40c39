"""The sleep and focus timers: when the music fades out for the night, and a study/break rhythm.

Bookkeeping and policy only, on the monotonic clock: the player asks ``tick(now)`` twice a second
what has happened and does it (a fade, a break, a cue); what a break silences is ``break_rest``.
Time runs on while paused; a suspend stops that clock and so lengthens the timers by as much,
which is what a listener expects of "45 more minutes".
Timers do not survive a restart: they belong to one listening session (a sleep timer that came back
after the next morning's boot would surprise), and status shows none after one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lofid.control.status import FocusStatus, Phase, SleepStatus, TimersStatus

SLEEP_FADE_S = 10.0  # the sleep timer's fade to silence at its end


@dataclass(frozen=True)
class Sleep:
    ends: float  # monotonic seconds


@dataclass(frozen=True)
class Focus:
    study_s: float
    break_s: float
    cycles: int | None  # None: until turned off
    started: float  # monotonic seconds

    def phase(self, now: float) -> tuple[Phase, int, float] | None:
        """("study" or "break", the cycle from 1, seconds left of the phase), or None once every cycle is done."""
        period = self.study_s + self.break_s
        elapsed = max(0.0, now - self.started)
        cycle = int(elapsed // period)
        if self.cycles is not None and cycle >= self.cycles:
            return None
        into = elapsed - cycle * period
        if into < self.study_s:
            return "study", cycle + 1, self.study_s - into
        return "break", cycle + 1, period - into


class Timers:
    """The sleep timer and the focus timer of one run; each may be off (None)."""

    def __init__(self) -> None:
        self.sleep: Sleep | None = None
        self.focus: Focus | None = None
        self._phase: str | None = None  # the focus phase last reported by tick

    def set_sleep(self, seconds: float | None, now: float) -> None:
        self.sleep = None if seconds is None else Sleep(now + seconds)

    def set_focus(self, study_s: float | None, break_s: float = 0.0, cycles: int | None = None,
                  now: float = 0.0) -> None:
        """Start a focus rhythm now (study first), or turn it off (``study_s`` None)."""
        self.focus = None if study_s is None else Focus(study_s, break_s, cycles, now)
        self._phase = None if study_s is None else "study"

    @property
    def on_break(self) -> bool:
        return self._phase == "break"

    def tick(self, now: float) -> list[str]:
        """What has happened since the last tick, in order: "sleep ended", "break", "study", "focus ended"."""
        happened = []
        if self.sleep is not None and now >= self.sleep.ends:
            self.sleep = None
            happened.append("sleep ended")
        if self.focus is not None:
            phase = self.focus.phase(now)
            name = None if phase is None else phase[0]
            if name is None:
                self.focus = None
                happened.append("focus ended")
            elif name != self._phase:
                happened.append(name)
            self._phase = name
        return happened

    def status(self, now: float) -> TimersStatus:
        """What runs and the time left."""
        sleep: SleepStatus | None = None if self.sleep is None else {"left_s": round(max(0.0, self.sleep.ends - now), 1)}
        focus: FocusStatus | None = None
        phase = self.focus.phase(now) if self.focus is not None else None
        if phase is not None and self.focus is not None:
            name, cycle, left = phase
            focus = {"phase": name, "cycle": cycle, "cycles": self.focus.cycles, "left_s": round(left, 1),
                     "study_s": self.focus.study_s, "break_s": self.focus.break_s}
        return {"sleep": sleep, "focus": focus}


def break_rest(focus_break: str, layers: Iterable[str]) -> dict[str, bool]:
    """The layer switches a focus break lays over the settings in force (``timers.focus_break``):
    "rain" rests the music and the beat and plays rain; "silence" rests every one of ``layers``,
    so only the cues sound."""
    quiet = ("music", "beat", *(() if focus_break == "rain" else layers))
    rest = {f"layers.{name}.enabled": False for name in quiet}
    if focus_break == "rain":
        rest["layers.rain.enabled"] = True
    return rest
