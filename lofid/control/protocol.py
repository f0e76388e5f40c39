"""The one table of control commands, their validation, and the Protocol the daemon implements.

The commands' names, fields and help, and the status fields, are ``lofid.control.vocabulary``
(which the client reads); this module adds what each command does.

A request is one JSON object; the reply is ``{"ok": true, ...}`` or ``{"ok": false, "error": "one line"}``:

    {"cmd": "status"}                                   -> {"ok": true, "status": {...}}
    {"cmd": "set", "key": "temperature", "value": 0.8}  -> {"ok": true, "temperature": 0.8}
        (plus "warning": "not kept for the next start: ..." when the state file cannot be written)
    {"cmd": "layer", "name": "rain", "value": "off"}    -> {"ok": true, "layers.rain.enabled": false}
    {"cmd": "pause"}  /  {"cmd": "resume"}              -> {"ok": true, "state": "paused"}
    {"cmd": "skip"}                                     -> {"ok": true, "skipped": true}
    {"cmd": "save", "path": "/abs/take.mid"}            -> {"ok": true, "saved": "/abs/take.mid"}
    {"cmd": "save", "path": "/abs/take.flac"}           -> {"ok": true, "saving": "/abs/take.flac"}
        (.flac, .mp3, .ogg or .wav: rendered in the background; a "kept" event tells when it is written)
    {"cmd": "like"}                                     -> {"ok": true, "liked": "rainy window"}
    {"cmd": "reload"}                                   -> {"ok": true, "changed": {"music.bpm": 80.0}}
    {"cmd": "mood", "value": "slow rainy night"}        -> {"ok": true, "mood": "slow rainy night",
                                                            "read_as": "60-72 bpm · 65% minor · ...", "words": [...]}
        ("keep": true lets the current track finish first; without "value", the mood now)

Values are judged by the config schema (``setting_for(key).check``), so a value the config file
refuses is refused here in the same words. Bad input of any kind (not UTF-8, not JSON, NaN,
infinities, numbers too large, wrong types, unknown commands or fields) is an error reply, and
so is an exception inside the daemon: ``handle`` never raises. The socket that carries these
lines, and its limits, is ``lofid.control.server``; the shapes of the status and of the watch
events are ``lofid.control.status``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lofid.config import layer_names, setting_for
from lofid.control.status import Status, TimersStatus
from lofid.control.vocabulary import MOOD_KEY, SHORT_KEYS, WORDS
from lofid.errors import LofidError, RequestError
from lofid.setting import RESTART, switch_word

log = logging.getLogger("lofid.control")

_MAX_ERROR = 300  # characters of an error message
MAX_REQUEST = 64 * 1024  # bytes in one request (a socket line, an HTTP body)
SLEEP_RANGE_S = (1.0, 24 * 3600.0)  # a sleep timer from a second to a day
PHASE_RANGE_S = (1.0, 4 * 3600.0)  # a focus phase from a second to four hours
MAX_CYCLES = 100
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")

class Controllable(Protocol):
    """What the daemon offers the control server, the HTTP door and MPRIS.

    Threads. Any method may be called from several threads at once: the control server's thread,
    one thread per HTTP connection, the D-Bus thread (MPRIS) and the daemon's own main thread
    (the timers, SIGHUP). The implementation serialises them: each method runs whole as if it were
    alone (the daemon holds one steering lock throughout it), so a check and the act on it are
    never split, the state a method leaves is consistent for the next, and the events it
    announces go out in the order of the changes. ``settings()`` alone may answer without waiting:
    the settings are replaced whole, never changed in place. A method returns soon (``reload``
    once a new model has loaded, ``save`` once its file is written; the others wait that long): it
    hands its change to the player and never waits for the audio (the render thread takes changes
    between two blocks) or for a network peer, and the events it announces are only queued for
    their listeners. None is ever called from the render thread or the sound-card callback.
    """

    def settings(self) -> Mapping[str, Any]:
        """The settings now in force (the current Config, dotted keys)."""

    def status(self) -> Status:
        """What plays and how (``lofid.control.status``); the reply adds "settings" from settings()."""

    def apply(self, changes: dict[str, Any]) -> str | None:
        """Take already validated dotted-key changes, e.g. {"music.bpm": 80.0}, and keep them for the next
        start; return None, or why they could not be kept (they still hold), in one line."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def skip(self) -> None:
        """Drop the notes not yet played and start a fresh phrase."""

    def next_track(self) -> None:
        """End this track at the next bar: its transition, then a new track."""

    def hold(self, on: bool) -> None:
        """Keep the current track going (on), or let it end as planned (off)."""

    def save(self, path: str) -> str:
        """Write what was played to the absolute ``path``: .mid at once, audio (.flac, .mp3, .ogg, .wav)
        in the background; return the path."""

    def like(self) -> str:
        """Keep the track playing in the user's likes; return its title."""

    def reload(self) -> dict[str, Any]:
        """Read the config again; return the settings that changed (dotted key -> new value)."""

    def sleep(self, seconds: float | None) -> TimersStatus:
        """Fade out and pause ``seconds`` from now (None: no sleep timer); return the timers' status."""

    def focus(self, study_s: float | None, break_s: float, cycles: int | None) -> TimersStatus:
        """Start the study/break rhythm now (``study_s`` None: stop it); return the timers' status."""

    def mood(self, text: str | None, keep: bool) -> dict[str, Any]:
        """Make the already validated ``text`` the mood (None: leave it) and keep it for the next start: a
        new track in it at the next bar, or after this one with ``keep``. Return the "mood" status field,
        and "warning" if it could not be kept."""


def live_key(name: str, settings: Mapping[str, Any]) -> str:
    """The dotted key a `set` may change: a short name, or the dotted key of a setting the schema
    does not mark as read at start (layers included)."""
    if name in SHORT_KEYS:
        return SHORT_KEYS[name]
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "layers" and parts[2] in ("enabled", "volume"):
        _known_layer(parts[1], settings)
        return name
    if name in settings and setting_for(name).applies == RESTART:
        raise RequestError(f"cannot set {name!r} while playing: it is read at start (change it in the config "
                           "file and restart lofid)")
    if name in settings:
        return name
    raise RequestError(f"cannot set {name!r} while playing: settable are {', '.join(SHORT_KEYS)}, "
                       "layers.NAME.enabled/volume and the settings config.yaml does not mark \"read at start\"")


def _known_layer(name: str, settings: Mapping[str, Any]) -> None:
    layers = layer_names(settings)
    if name not in layers:
        raise RequestError(f"no layer {name!r} (layers: {', '.join(layers) or 'none'})")


def _change(target: Controllable, key: str, name: str, value: Any) -> dict[str, Any]:
    """Validate ``value`` for ``key`` (errors name it as the user did), apply it, answer it."""
    value = dataclasses.replace(setting_for(key), key=name).check(value)
    warning = target.apply({key: value})
    return {name: value, "warning": warning} if warning else {name: value}


def _set(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    name = _text(req, "key")
    return _change(target, live_key(name, target.settings()), name, req["value"])


def _layer(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    name, value = _text(req, "name"), req["value"]
    _known_layer(name, target.settings())
    switch = switch_word(value) is not None
    if isinstance(value, str) and not switch:
        raise RequestError(f"layer {name}: {value[:40]!r} is not on, off or a volume from 0 to 1")
    key = f"layers.{name}.{'enabled' if switch else 'volume'}"
    return _change(target, key, key, value)


def _status(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = dict(target.status())
    status.setdefault("settings", dict(target.settings()))
    return {"status": status}


def _pause(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    target.pause()
    return {"state": "paused"}


def _resume(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    target.resume()
    return {"state": "playing"}


def _skip(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    target.skip()
    return {"skipped": True}


def _next(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    target.next_track()
    return {"next": True}


def _hold(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    value = switch_word(req["value"])
    if value is None:
        raise RequestError(f"hold: {str(req['value'])[:40]!r} is not on or off")
    target.hold(value)
    return {"hold": value}


def _save(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    path = _text(req, "path")
    p = Path(path)
    if "\0" in path or len(path) > 4096:
        raise RequestError("save: not a usable file name")
    if not p.is_absolute():  # the daemon's working folder is not the user's: ctl sends absolute paths
        raise RequestError(f"save: {path!r} is not an absolute path")
    if not p.parent.is_dir():
        raise RequestError(f"save: no folder {str(p.parent)!r}")
    midi = p.suffix.lower() in (".mid", ".midi")  # written at once; audio (the target checks its format) later
    return {"saved" if midi else "saving": str(target.save(str(p)))}


def _like(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    return {"liked": target.like()}


def _reload(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    return {"changed": dict(target.reload() or {})}


def duration(text: str, what: str, low: float, high: float) -> float:
    """``"1h30m"``, ``"45m"``, ``"90s"``, ``"2.5s"`` or a bare number of minutes -> seconds within [low, high]."""
    word = text.strip().lower()
    match = _DURATION.match(word) if word else None
    if word.replace(".", "", 1).isdigit():
        seconds = float(word) * 60
    elif match and any(match.groups()):
        h, m, sec = match.groups()
        seconds = int(h or 0) * 3600 + int(m or 0) * 60 + float(sec or 0)
    else:
        raise RequestError(f"{what}: {text[:40]!r} is not a duration like 45m, 1h30m or 90s")
    if not low <= seconds <= high:
        raise RequestError(f"{what}: {text[:40]} is not between {low:g} s and {high / 3600:g} h")
    return seconds


def _sleep(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    word = _text(req, "value")
    seconds = None if word.strip().lower() == "off" else duration(word, "sleep", *SLEEP_RANGE_S)
    return {"timers": target.sleep(seconds)}


def _focus(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    words = _text(req, "value").split()
    if words == ["off"]:
        return {"timers": target.focus(None, 0.0, None)}
    if len(words) not in (2, 3):
        raise RequestError(f"focus: {' '.join(words)[:40]!r} is not STUDY BREAK [CYCLES], e.g. \"25m 5m 4\", or off")
    study, rest = (duration(w, "focus", *PHASE_RANGE_S) for w in words[:2])
    cycles = None
    if len(words) == 3:
        if not words[2].isdigit() or not 1 <= int(words[2]) <= MAX_CYCLES:
            raise RequestError(f"focus: cycles {words[2][:40]!r} is not a whole number from 1 to {MAX_CYCLES}")
        cycles = int(words[2])
    return {"timers": target.focus(study, rest, cycles)}


def _mood(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    text, keep = req.get("value"), switch_word(req.get("keep", False))
    if keep is None:
        raise RequestError(f"mood: keep {str(req['keep'])[:40]!r} is not on or off")
    if text is not None:
        if not isinstance(text, str):
            raise RequestError("mood: value should be words, e.g. \"slow rainy night\"")
        text = dataclasses.replace(setting_for(MOOD_KEY), key="mood").check(text)
    return {**target.mood(text, keep), "keep": keep}


def _watch(target: Controllable, req: dict[str, Any]) -> dict[str, Any]:
    return {"watching": True}  # the server subscribes the connection when this reply goes out


def _text(req: dict[str, Any], field: str) -> str:
    value = req[field]
    if not isinstance(value, str) or not value:
        raise RequestError(f"{req['cmd']}: {field} should be a non-empty string")
    return value


@dataclass(frozen=True)
class Command:
    fields: tuple[str, ...]  # the request's fields besides "cmd", all required
    help: str
    run: Callable[[Controllable, dict[str, Any]], dict[str, Any]]


_RUN = {"status": _status, "set": _set, "layer": _layer, "pause": _pause, "resume": _resume, "skip": _skip,
        "next": _next, "hold": _hold, "save": _save, "like": _like, "reload": _reload, "sleep": _sleep, "focus": _focus,
        "watch": _watch, "mood": _mood}
COMMANDS: dict[str, Command] = {name: Command(fields, text, _RUN[name]) for name, (fields, text) in WORDS.items()}


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise RequestError(f"number {text[:40]} is too large")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 40:
        raise RequestError(f"number {text[:40]}... is too large")
    return int(text)


def _no_constant(name: str) -> Any:
    raise RequestError(f"{name} is not a number lofid accepts")


def parse_request(line: bytes) -> dict[str, Any]:
    """Bytes of one line -> a checked request dict, or RequestError saying what is wrong."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("request is not valid UTF-8") from None
    try:
        req = json.loads(text, parse_float=_finite_float, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise RequestError("request is nested too deeply") from None
    except ValueError as e:
        raise RequestError(f"request is not valid JSON ({e})") from None
    if not isinstance(req, dict):
        raise RequestError('request should be a JSON object like {"cmd": "status"}')
    cmd = req.get("cmd")
    if not isinstance(cmd, str) or cmd not in COMMANDS:
        shown = repr(cmd[:40]) if isinstance(cmd, str) else "missing"
        raise RequestError(f"unknown command {shown} (commands: {', '.join(COMMANDS)})")
    fields = COMMANDS[cmd].fields
    missing = [f for f in fields if not f.endswith("?") and f not in req]
    extra = [f for f in req if f != "cmd" and f not in fields and f + "?" not in fields]
    if missing:
        raise RequestError(f"{cmd} needs {' and '.join(missing)}")
    if extra:
        raise RequestError(f"{cmd} does not take {', '.join(repr(f[:40]) for f in extra[:3])}")
    return req


def one_line(text: object) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_ERROR else text[:_MAX_ERROR - 3] + "..."


def handle(target: Controllable, line: bytes) -> tuple[bytes, str | None]:
    """One request line -> one reply line, and the command if it was carried out (else None).

    Never raises: every failure becomes an error reply."""
    cmd, done = "request", None
    try:
        req = parse_request(line)
        cmd = req["cmd"]
        reply = {"ok": True, **COMMANDS[cmd].run(target, req)}
        done = cmd
    except LofidError as e:
        reply = {"ok": False, "error": one_line(e)}
    except OSError as e:
        reply = {"ok": False, "error": one_line(f"{cmd}: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""))}
    except Exception as e:  # a bug in the target must cost one reply, not the server
        log.exception("control: %s failed", cmd)
        reply = {"ok": False, "error": one_line(f"{cmd} failed inside lofid: {e.__class__.__name__}: {e}")}
    try:
        return encode(reply), done
    except ValueError as e:
        return encode({"ok": False, "error": one_line(f"{cmd}: reply not JSON ({e})")}), None


def encode(message: Mapping[str, Any]) -> bytes:
    """One protocol line: a reply or an event."""
    return (json.dumps(message, allow_nan=False, default=str, ensure_ascii=False) + "\n").encode()


def error_line(message: str) -> bytes:
    return encode({"ok": False, "error": message})
