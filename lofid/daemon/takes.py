"""A take: one track's notes and cues as they were played, and the settings they were played under,
which is all a fresh engine needs to play that track again, sample for sample the same each time.

The daemon's engine logs what it plays of the current track (``Engine.track_log``: (16th, event)
from the track's first cue), so ``ctl save take.flac`` and ``ctl like`` take that log, whatever was
steered on the way (a skip, a regenerated queue, a new mood); ``lofid export`` takes each track's
events from a generator as the daemon would play them. ``render_take`` plays a take through its own
engine offline (never the daemon's render thread): the track from its first 16th to where its last
note ends (a whole track's no later than its planned end), then a fade of ``TAIL_S`` while the last
notes ring out; and ``finished`` brings it to the loudness target.
Takes are kept as JSON (the likes): ``to_json`` and ``from_json``.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lofid.audio.engine import Engine
from lofid.audio.master import to_target
from lofid.compose.generator import NoteGenerator
from lofid.config import SECRET_KEYS, Config, defaults, part_programs, setting_for
from lofid.daemon.offline import OFFLINE_BLOCK
from lofid.daemon.saving import played_midi
from lofid.errors import LofidError
from lofid.music.notes import Note
from lofid.music.tracks import Cue, Palette, Section, Track

TAIL_S = 3.0  # after the last 16th: the notes ring out under a fade
NEUTRAL = {"output.volume": 100}  # a kept file is not at the listening level: the loudness target sets it
_UNKEPT = frozenset(SECRET_KEYS)  # never written into a file
_UNHEARD = ("control.", "desktop.", "timers.", "output.")  # sections that do not change a take's sound...
_HEARD = ("output.sample_rate",)  # ...but for this
_DEFAULTS = defaults()


@dataclass(frozen=True)
class Take:
    """One track as played: (16th from its first cue, event), and the settings it played under."""

    events: tuple[tuple[int, Note | Cue], ...]  # the first is the track's cue, at 0; each event's step is 0
    settings: Mapping[str, Any]  # those that differ from the defaults (no secrets)
    seed: int
    whole: bool  # the whole track, or as far as it was played
    hour: int | None = None  # the local hour it began to play (its cover's light); None: one rendered offline

    @property
    def track(self) -> Track:
        """The track as last planned (a held track's form, or one ended early, is planned anew at a cue)."""
        return [e for _, e in self.events if isinstance(e, Cue)][-1].track

    @property
    def end(self) -> int:
        """The 16th where it ends: where its last note does, a whole track's no later than its planned end
        (a track ended early by ``next`` stops where its notes do)."""
        last = max(at + (e.duration if isinstance(e, Note) else 0) for at, e in self.events)
        return min(last, self.track.end - self.track.start) if self.whole else last

    def config(self) -> Config:
        """The settings to play it again: the defaults with its own."""
        return _DEFAULTS.replace({**self.settings, **NEUTRAL})

    def comment(self) -> str:
        """How to make it again, in a line: what a file's comment tag says."""
        settings = [" ".join(f"--set {k}={v}" for k, v in sorted(self.settings.items()))] if self.settings else []
        return "; ".join([f"lofid seed {self.seed}", f"track {self.track.number}", *settings])


def kept_settings(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of ``cfg`` that shape the sound and differ from the defaults, without secrets: what a take keeps."""
    return {k: v for k, v in cfg.items() if k not in _UNKEPT and setting_for(k).default != v
            and (k in _HEARD or not k.startswith(_UNHEARD))}


def take_from_log(log: Iterable[tuple[int, Note | Cue]], cfg: Mapping[str, Any], seed: int, whole: bool = False,
                  hour: int | None = None) -> Take:
    """A take of what the engine logged of a track (``Engine.track_log``), re-counted from its first cue."""
    events = list(log)
    if not events or not isinstance(events[0][1], Cue) or not any(isinstance(e, Note) for _, e in events):
        raise LofidError("nothing of this track has been played yet")
    origin = events[0][0]
    return Take(tuple((at - origin, dataclasses.replace(e, step=0)) for at, e in events), kept_settings(cfg), seed,
                whole, hour)


def generated_takes(cfg: Config, seed: int) -> Iterator[Take]:
    """The tracks the daemon would play from ``seed`` under ``cfg``, one take each, endlessly."""
    generator = NoteGenerator(cfg, seed)
    events: list[tuple[int, Note | Cue]] = []
    onset = 0
    while True:
        event = generator.next_note()
        onset += event.step
        if isinstance(event, Cue) and event.new and events:
            yield take_from_log(events, cfg, seed, whole=True)
            events = []
        events.append((onset, event))


def _source(take: Take) -> Callable[[], Note | Cue | None]:
    """The take's events one by one, each ``step`` 16ths after the one before, as the engine takes them."""
    stream = iter([dataclasses.replace(e, step=at - previous)
                   for (at, e), previous in zip(take.events, [0, *(at for at, _ in take.events)])])
    return lambda: next(stream, None)


def render_take(take: Take, cfg: Config | None = None, rendered: Callable[[float], None] | None = None) -> np.ndarray:
    """The take played by a fresh engine offline: float32 stereo (frames, 2), to its end and the tail;
    ``rendered`` is told the share done after each block."""
    cfg = (cfg or take.config()).replace(NEUTRAL)
    engine = Engine(cfg, _source(take))
    try:
        first = engine.render(OFFLINE_BLOCK)  # it takes the track's cue: its tempo from there
        end = max(math.ceil(engine.grid.position(take.end)), len(first))
        tail = int(TAIL_S * engine.sample_rate)
        audio = np.empty((end + tail, 2), np.float32)  # filled in place: a long track is held once
        audio[:len(first)] = first
        while (done := engine.music_time) < end:
            frames = min(OFFLINE_BLOCK, end - done)
            audio[done:done + frames] = engine.render(frames)
            if rendered is not None:
                rendered(engine.music_time / end)
        engine.pause(TAIL_S)
        audio[end:] = engine.render(tail)
    finally:
        engine.close()
    return audio


def finished(take: Take, cfg: Config | None = None, rendered: Callable[[float], None] | None = None) -> np.ndarray:
    """The take rendered (``rendered``: as ``render_take``) and brought to its loudness target (``fx.loudness``)."""
    cfg = cfg or take.config()
    return to_target(render_take(take, cfg, rendered), cfg["output.sample_rate"], cfg["fx.loudness"])


def take_midi(take: Take) -> bytes:
    """The take's notes as a MIDI file, as ``ctl save x.mid`` writes them."""
    cfg = take.config()
    return played_midi(list(take.events), 0, (), take.track.bpm, part_programs(cfg, take.track.palette.programs),
                       take.track.swing)


# -- JSON --------------------------------------------------------------------------------------------

def _event_json(at: int, e: Note | Cue) -> list[Any]:
    if isinstance(e, Note):
        return ["note", at, e.pitch, e.duration, e.velocity, e.part, e.nudge]
    return ["cue", at, dataclasses.asdict(e.section), dataclasses.asdict(e.track), e.new]


def _track(d: dict[str, Any]) -> Track:
    return Track(**{**d, "palette": Palette(**d["palette"]), "sections": tuple(Section(**s) for s in d["sections"])})


def _event(item: list[Any]) -> tuple[int, Note | Cue]:
    kind, at, *rest = item
    if kind == "note":
        pitch, duration, velocity, part, nudge = rest
        return at, Note(pitch, 0, duration, velocity, part, nudge)
    section, track, new = rest
    return at, Cue(0, Section(**section), _track(track), new)


def to_json(take: Take) -> dict[str, Any]:
    """The take as JSON data, with what a listing shows (title, key, bpm, when)."""
    track = take.track
    return {"title": track.title, "key": track.key_name, "bpm": round(track.bpm, 1),
            "when": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "seed": take.seed, "whole": take.whole, "hour": take.hour, "settings": dict(take.settings),
            "events": [_event_json(at, e) for at, e in take.events]}


def from_json(data: Mapping[str, Any]) -> Take:
    """A take from ``to_json``'s data; LofidError if it is not one."""
    try:
        hour = data.get("hour")
        return Take(tuple(_event(item) for item in data["events"]), dict(data["settings"]), int(data["seed"]),
                    bool(data["whole"]), None if hour is None else int(hour))
    except (KeyError, TypeError, ValueError) as e:
        raise LofidError(f"not a kept track ({e})") from None
