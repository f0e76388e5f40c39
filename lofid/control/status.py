"""The shapes the daemon reports in: its status, and the events a watching connection is sent.

Each is a ``TypedDict``: the JSON object on the wire is the dict itself, so ``encode`` writes it as
it is, keys in the order given here, and every reader (``lofid ctl``, the HTTP door and the web
remote, MPRIS, the stream outputs, the tests' stand-ins) reads the same names. ``lofid ctl``
prints ``Status`` from its JSON (``lofid.control.vocabulary.STATUS_FIELDS`` gives the order and
labels) and never imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict

from lofid.control.vocabulary import MOOD_KEY
from lofid.mood_levels import mood_levels
from lofid.music.mood import read_mood
from lofid.music.tracks import Track

State = Literal["playing", "paused"]
Phase = Literal["study", "break"]  # of a focus timer


class NextTrack(TypedDict):
    """The track planned to follow the one playing."""

    number: int
    title: str
    length_s: float  # as planned now


def upcoming(track: Track | None) -> NextTrack | None:
    """The status of the track planned next (None: not planned yet)."""
    return None if track is None else {"number": track.number, "title": track.title, "length_s": round(track.seconds, 1)}


class TrackStatus(TypedDict):
    """The track playing."""

    number: int  # from 1, counted since start
    title: str
    key: str  # "Eb minor"
    bpm: float
    section: str  # "A", "B", "ending" ...
    held: bool  # `lofid ctl hold on`: the track goes on
    seconds_in: float
    length_s: float  # as planned now (hours while held)
    cover: str | None  # its picture's ID (GET /cover/ID.png; $XDG_CACHE_HOME/lofid/covers/ID.png); None until painted
    next: NextTrack | None  # the track planned after it, once planned (seconds before it starts); else None


class MoodStatus(TypedDict):
    """The mood in force (``music.mood``)."""

    text: str  # as said; "auto": none
    read_as: str  # what the tracks draw for it, one line
    words: list[str]  # the words and phrases it was read from
    levels: dict[str, float]  # the levels it moves now, over settings at their defaults ("layers.rain.volume": 0.5)


def mood_status(settings: Mapping[str, Any]) -> MoodStatus:
    """The status of the mood in ``settings`` (``music.mood``): it, what it was read as, its words and
    the levels it moves (what is heard where a slider shows its setting's default)."""
    text = settings[MOOD_KEY]
    mood = read_mood(text)
    return {"text": text, "read_as": mood.describe(), "words": list(mood.words), "levels": mood_levels(settings)}


class LoudnessStatus(TypedDict):
    """What the loudness stage hears (LUFS, before its gain; None before it has heard enough) and its gain (dB)."""

    heard_lufs: float | None
    gain_db: float


class SleepStatus(TypedDict):
    left_s: float


class FocusStatus(TypedDict):
    phase: Phase
    cycle: int  # from 1
    cycles: int | None  # None: until turned off
    left_s: float  # of this phase
    study_s: float
    break_s: float


class TimersStatus(TypedDict):
    """The sleep and focus timers; None where one is off."""

    sleep: SleepStatus | None
    focus: FocusStatus | None


class HttpStatus(TypedDict):
    url: str
    listeners: int  # MP3 listeners now
    dropped_listeners: int  # cut off for falling behind, since start


class StreamsStatus(TypedDict):
    bitrate_kbps: int | None  # of the MP3 stream; None: no MP3 stream (Snapcast alone)
    dropped_blocks: int  # blocks the MP3 encoder could not take in time
    http: HttpStatus | None
    icecast: Mapping[str, object] | None  # lofid.audio.icecast.IcecastSource.status(): server, state, connects, error
    snapcast: Mapping[str, object] | None  # lofid.audio.snapcast.SnapcastSource.status(): server, format, state,
    #                                        connects, dropped_blocks, error


class MpdStatus(TypedDict):
    address: str  # where the MPD door listens, HOST:PORT
    clients: int  # MPD clients connected now


class Status(TypedDict):
    """``Controllable.status()``: what ``lofid ctl status`` prints (the reply adds "settings")."""

    state: State
    track: TrackStatus | None  # None before the first track's cue is heard
    mood: MoodStatus
    uptime_s: float
    queue_notes: int  # generated, not yet played
    queue_s: float  # the same in seconds of music
    notes_played: int  # every part's
    melody_played: int  # of those, the melody's (the note model's own)
    underruns: int
    model: str
    backend: str
    soundfont: str
    output: str  # the device, or what plays instead ("null (no sound device)")
    bpm: float
    producer_restarts: int
    guardrails: dict[str, int]  # times the melody was steered back, by cause
    loudness: LoudnessStatus
    timers: TimersStatus
    streams: StreamsStatus | None  # None: no stream output
    mpd: MpdStatus | None  # None: the MPD door is off


# -- watch events: one JSON object per line with an "event" field (replies have "ok" instead) --------

class StateEvent(TypedDict):
    event: Literal["state"]
    state: State


class TrackEvent(TypedDict):
    event: Literal["track"]
    track: TrackStatus


class CoverEvent(TypedDict):
    """The track's cover is painted (a moment after its track event): ``track["cover"]`` names it."""

    event: Literal["cover"]
    track: TrackStatus


class SetEvent(TypedDict):
    event: Literal["set"]
    changes: dict[str, Any]  # dotted key -> the value now in force


class TimerEvent(TypedDict):
    event: Literal["timer"]
    what: str  # "sleep set", "focus off", "break", "study", "sleep ended", "focus ended" ...
    timers: TimersStatus


class KeptEvent(TypedDict):
    event: Literal["kept"]
    what: str  # "save" (ctl save of audio) or "like"
    kept: str | None  # what was written (a file; "like 3"); None when it failed
    error: str | None  # why it failed, in one line


Event = StateEvent | TrackEvent | CoverEvent | SetEvent | TimerEvent | KeptEvent


def status_line(s: Status, bpm: float, settings: Mapping[str, Any]) -> str:
    """The daemon's one-line live status (its terminal and systemd's STATUS=), at ``bpm`` as heard now."""
    track = s["track"]
    title = f"{track['title']} ({track['key']}) · " if track else ""
    return (f"{s['state']} · {title}{bpm:g} bpm · temperature {settings['generation.temperature']:g} · "
            f"harmony {settings['generation.harmony']} · queue {s['queue_notes']} notes ({s['queue_s']:g} s) · "
            f"{s['notes_played']} notes · {s['underruns']} underruns · to {s['output']}")
