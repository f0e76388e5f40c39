"""``lofid ctl VERB [ARGS]``: steer the running daemon through its control socket.

Each verb becomes one request of ``lofid.control.protocol``; the daemon validates it with the
config schema and answers. Exit status: 0 done, 1 the daemon refused (the reason on stderr),
2 a usage error or no daemon to talk to. ``--json`` prints the daemon's reply line as it came.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lofid.control.client import CLIENT_TIMEOUT, request, watch
from lofid.control.vocabulary import MOOD_KEY, SHORT_KEYS, STATUS_FIELDS, WORDS
from lofid.errors import ConfigError
from lofid.paths import cover_path, socket_path, user_config_path

# ctl is the quick path (a call costs little more than starting Python), so the settings schema, YAML
# and logging are imported only where a call needs them: help text, or a settings file naming the socket.
SOCKET_KEY = "control.socket"
EXAMPLES = {"temperature": "0.8", "volume": "60", "bpm": "80", "key": "F", "swing": "0.2", "harmony": "loose",
            "wow": "0.4", "saturation": "0.5", "reverb": "0.3", "sidechain": "0.5", "loudness": "-14", "crackle": "0.1",
            "lowpass": "4000"}
DONE = {"pause": "paused", "resume": "playing", "skip": "skipped to a fresh phrase",
        "next": "a new track starts at the next bar"}
_VERBS_EPILOG = "\0the verbs"  # stands for verbs_help() in the parser until help is shown


class Verb:
    """One ctl verb: the words it takes (as shown in help), an example, its help, and how its words
    become the request. ``help`` may be a function, for text that needs the settings schema;
    ``counts`` are the numbers of words it takes (by default, those of ``args``)."""

    __slots__ = ("args", "example", "_help", "build", "counts")

    def __init__(self, args: str, example: str, help: str | Callable[[], str],
                 build: Callable[[list[str]], dict[str, object]], counts: tuple[int, ...] | None = None) -> None:
        self.args, self.example, self._help, self.build = args, example, help, build
        self.counts = counts or (len(args.split()),)

    @property
    def help(self) -> str:
        return self._help() if callable(self._help) else self._help


def value_of(text: str) -> object:
    """A word from the command line as the JSON value the daemon checks: a number if it is one."""
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        return number if math.isfinite(number) else text
    return text


def _setting_help(key: str) -> str:
    from lofid.config import setting_for

    setting = setting_for(key)
    return f"{setting.help}; {setting.allowed()}"


def _settable_help() -> str:
    """What ``set`` takes by dotted key, from the schema: a section whose settings all change while
    playing as ``fx.*``, the others' such settings one by one."""
    from lofid.config import SCHEMA
    from lofid.setting import RESTART

    sections: dict[str, list[bool]] = {}
    for s in SCHEMA:
        sections.setdefault(s.key.split(".")[0], []).append(s.applies != RESTART)
    named = [f"{section}.*" if all(live) else ", ".join(s.key for s in SCHEMA if s.key.split(".")[0] == section
                                                          and s.applies != RESTART)
             for section, live in sections.items() if any(live)]
    return ("change a setting while playing by its dotted key (config.yaml marks those read at start, which it "
            "refuses): " + ", ".join(named).replace("layers.*", "layers.NAME.*"))


def _setter(short: str) -> Verb:
    return Verb("VALUE", f"{short} {EXAMPLES[short]}", lambda: _setting_help(SHORT_KEYS[short]),
                lambda words: {"cmd": "set", "key": short, "value": value_of(words[0])})


def _plain(cmd: str) -> Verb:
    return Verb("", cmd, WORDS[cmd][1], lambda words: {"cmd": cmd})


VERBS: dict[str, Verb] = {
    "status": _plain("status"),
    **{short: _setter(short) for short in SHORT_KEYS},
    "set": Verb("KEY VALUE", "set parts.keys.lowpass_hz 1800", _settable_help,
                lambda words: {"cmd": "set", "key": words[0], "value": value_of(words[1])}),
    "layer": Verb("NAME on|off|VOLUME", "layer rain 0.3", WORDS["layer"][1] + " (layers: see status)",
                  lambda words: {"cmd": "layer", "name": words[0], "value": value_of(words[1])}),
    "pause": _plain("pause"),
    "resume": _plain("resume"),
    "skip": _plain("skip"),
    "next": _plain("next"),
    "hold": Verb("on|off", "hold on", WORDS["hold"][1],
                 lambda words: {"cmd": "hold", "value": words[0]}),
    "save": Verb("FILE", "save ~/lofi-take.flac", WORDS["save"][1],
                 lambda words: {"cmd": "save", "path": str(Path(words[0]).expanduser().resolve())}),
    "like": _plain("like"),
    "reload": _plain("reload"),
    "sleep": Verb("DURATION|off", "sleep 45m", WORDS["sleep"][1], lambda words: {"cmd": "sleep", "value": words[0]}),
    "focus": Verb("STUDY BREAK [CYCLES]|off", "focus 25m 5m 4", WORDS["focus"][1],
                  lambda words: {"cmd": "focus", "value": " ".join(words)}, counts=(1, 2, 3)),
    "mood": Verb("[WORDS]", "mood slow rainy night, no drums", WORDS["mood"][1] + " (--keep: after this track)",
                 lambda words: {"cmd": "mood", **({"value": " ".join(words)} if words else {})}, counts=tuple(range(64))),
    "watch": Verb("", "watch", WORDS["watch"][1] + "; --json prints each event as it came", lambda words: {"cmd": "watch"}),
}
TIMER_VERBS = ("sleep", "focus")  # without a value: what runs, and the time left


def verbs_help() -> str:
    lines = ["verbs:"]
    for name, verb in VERBS.items():
        lines.append(f"  {name} {verb.args}".rstrip())
        lines.append(f"      {verb.help}")
        lines.append(f"      e.g. lofid ctl {verb.example}")
    lines.append("A setting verb without a value prints the value now in force (lofid ctl volume); "
                 "sleep and focus print the timers.")
    return "\n".join(lines)


def _seconds(text: str) -> float:
    value = value_of(text)
    if not isinstance(value, (int, float)) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return float(value)


class _VerbsHelp(argparse.RawDescriptionHelpFormatter):
    """Writes the verb list under ``--help`` only when help is shown: it reads the settings schema."""

    def add_text(self, text: str | None) -> None:
        super().add_text(verbs_help() if text == _VERBS_EPILOG else text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = _VerbsHelp
    parser.epilog = _VERBS_EPILOG
    parser.add_argument("verb", nargs="?", metavar="VERB", help="what to do (listed below)")
    parser.add_argument("words", nargs="*", metavar="ARG", help="the verb's value(s)")
    parser.add_argument("--json", action="store_true", help="print the daemon's raw JSON reply")
    parser.add_argument("--keep", action="store_true", help="mood: let the current track finish first")
    parser.add_argument("--timeout", type=_seconds, default=CLIENT_TIMEOUT, metavar="SECONDS",
                        help=f"how long to wait for the daemon (default {CLIENT_TIMEOUT:g})")


def show(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return ", ".join(f"{k} = {show(v)}" for k, v in value.items()) or "nothing"
    return str(value)


def _duration(seconds: object) -> str:
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return show(seconds)
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def track_line(track: object) -> str:
    """``3 · rainy window · Eb minor · 78 bpm · A · 1:12 of 3:05``, or ``-`` before the first track."""
    if not isinstance(track, dict) or "title" not in track:
        return show(track)
    length = "held" if track.get("held") else _clock(track.get("length_s"))
    return (f"{track.get('number')} · {track['title']} · {track.get('key')} · {show(track.get('bpm'))} bpm · "
            f"{track.get('section')} · {_clock(track.get('seconds_in'))} of {length}")


def _clock(seconds: object) -> str:
    """``72`` -> ``1:12``."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return show(seconds)
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def _left(seconds: object) -> str:
    """Time left: ``44:10``, or ``1:30:00`` from an hour up."""
    return _duration(seconds) if isinstance(seconds, (int, float)) and seconds >= 3600 else _clock(seconds)


def mood_line(mood: object) -> str:
    """``slow rainy night (read as: 60-72 bpm · 53% minor · ...)``, or ``auto (...)``."""
    if not isinstance(mood, dict):
        return show(mood)
    return f"{mood.get('text') or 'auto'} (read as: {mood.get('read_as')})"


def timers_line(timers: object) -> str:
    """``sleep in 44:10 · focus: study, 24:50 left, cycle 1 of 4``, or ``none``."""
    if not isinstance(timers, dict):
        return show(timers)
    parts = []
    sleep, focus = timers.get("sleep"), timers.get("focus")
    if isinstance(sleep, dict):
        parts.append(f"sleep in {_left(sleep.get('left_s'))}")
    if isinstance(focus, dict):
        cycles = focus.get("cycles")
        of = f" of {cycles}" if cycles else " (endless)"
        parts.append(f"focus: {focus.get('phase')}, {_left(focus.get('left_s'))} left, cycle {focus.get('cycle')}{of}")
    return " · ".join(parts) or "none"


def streams_line(streams: object) -> str:
    """``http://127.0.0.1:8765/ · 2 listeners · Icecast 127.0.0.1:8000/lofid.mp3 connected · Snapcast
    127.0.0.1:4953 retrying (connection refused) · 0 blocks dropped``, or ``off``."""
    if not isinstance(streams, dict):
        return "off" if streams is None else show(streams)
    parts = []
    http = streams.get("http")
    if isinstance(http, dict):
        parts.append(f"{http.get('url')} · {show(http.get('listeners'))} listeners")
    for name in ("Icecast", "Snapcast"):
        source = streams.get(name.lower())
        if isinstance(source, dict):
            error = f" ({source['error']})" if source.get("error") else ""
            parts.append(f"{name} {source.get('server')} {source.get('state')}{error}")
    parts.append(f"{show(streams.get('dropped_blocks'))} blocks dropped")
    return " · ".join(parts)


def mpd_line(mpd: object) -> str:
    """``127.0.0.1:6600 · 2 clients``, or ``off``."""
    if not isinstance(mpd, dict):
        return "off" if mpd is None else show(mpd)
    return f"{mpd.get('address')} · {show(mpd.get('clients'))} clients"


def event_line(event: dict[str, Any]) -> str:
    """One watched event as a line: ``state: paused``, ``track: ...``, ``cover: FILE (title)``, ``volume: 40``,
    ``timer: break · ...``."""
    kind = event.get("event")
    if kind == "state":
        return f"state: {show(event.get('state'))}"
    if kind == "track":
        return f"track: {track_line(event.get('track'))}"
    if kind == "cover" and isinstance(event.get("track"), dict) and event["track"].get("cover"):
        return f"cover: {cover_path(str(event['track']['cover']))} ({show(event['track'].get('title'))})"
    if kind == "set" and isinstance(event.get("changes"), dict):
        names = {key: short for short, key in SHORT_KEYS.items()} | {MOOD_KEY: "mood"}
        return "\n".join(f"{names.get(k, k)}: {show(v)}" for k, v in event["changes"].items())
    if kind == "timer":
        return f"timer: {show(event.get('what'))} · {timers_line(event.get('timers'))}"
    if kind == "kept":
        failed = f"failed: {show(event.get('error'))}"
        return f"{show(event.get('what'))}: {show(event.get('kept')) if event.get('kept') else failed}"
    return f"{show(kind)}: {show({k: v for k, v in event.items() if k != 'event'})}"


def format_status(status: dict[str, Any]) -> str:
    """The status reply as aligned ``label: value`` lines, then every setting."""
    known = {key for key, _, _ in STATUS_FIELDS}
    shown = {"uptime_s": _duration, "track": track_line, "mood": mood_line, "timers": timers_line,
             "streams": streams_line, "mpd": mpd_line}
    rows = [(label, shown[key](status[key]) if key in shown else show(status[key]) + unit)
            for key, label, unit in STATUS_FIELDS if key in status]
    rows += [(k, show(v)) for k, v in status.items() if k not in known and k != "settings"]
    settings = status.get("settings") or {}
    width = max([len(label) + 1 for label, _ in rows] + [len(k) + 3 for k in settings] + [0])
    lines = [f"{label + ':':<{width}} {text}" for label, text in rows]
    if settings:
        lines.append("settings:")
        lines += [f"  {k + ':':<{width - 2}} {show(v)}" for k, v in settings.items()]
    return "\n".join(lines)


def daemon_socket(config: str | None, overrides: list[str]) -> Path:
    """The socket to reach: ``control.socket`` from ``--set``, else from the settings file, else the default.

    It is the one setting ctl needs, so other ``--set`` items are not read, and the settings file
    only when it names the socket (parsing YAML would double ctl's start-up time). A broken file must
    not lock the user out of the running daemon: it warns and the default is used."""
    mine = [item for item in overrides if item.partition("=")[0].strip() == SOCKET_KEY]
    file = Path(config) if config else user_config_path()
    try:
        named = bool(config) or "socket" in file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        named = False
    if not (mine or named):
        return socket_path()
    from lofid.config import load

    try:
        return socket_path(load(config, mine)[SOCKET_KEY])
    except ConfigError as e:
        print(f"lofid: warning: {e}; using the default settings to reach the daemon", file=sys.stderr)
        return socket_path()


def _usage(parser_prog: str, message: str) -> int:
    print(f"{parser_prog}: {message} (see lofid ctl --help)", file=sys.stderr)
    return 2


def _watch(path: Path, raw: bool, timeout: float) -> int:
    """Print a line per change until interrupted (Ctrl-C) or the daemon stops (exit 1)."""
    for event, line in watch(path, timeout):
        print(line if raw else event_line(event), flush=True)
    print("lofid: the daemon stopped", file=sys.stderr)
    return 1


def main(args: argparse.Namespace) -> int:
    prog = "lofid ctl"
    if args.verb is None:
        print(verbs_help(), file=sys.stderr)
        return 2
    verb = VERBS.get(args.verb)
    if verb is None:
        return _usage(prog, f"unknown verb {args.verb!r}; verbs: {', '.join(VERBS)}")
    query = (args.verb in SHORT_KEYS or args.verb in TIMER_VERBS) and not args.words  # `lofid ctl volume`: now?
    if not query and len(args.words) not in verb.counts:
        wanted = f"needs {verb.args}" if max(verb.counts) else "takes no value"
        return _usage(prog, f"{args.verb} {wanted}, e.g. lofid ctl {verb.example}")
    path = daemon_socket(args.config, args.overrides)
    if args.verb == "watch":
        return _watch(path, args.json, args.timeout)
    message: dict[str, object] = {"cmd": "status"} if query else verb.build(args.words)
    if args.verb == "mood" and args.keep:
        message["keep"] = True
    reply, raw = request(path, message, args.timeout)
    if not reply["ok"]:
        print(raw if args.json else f"lofid: {reply.get('error', 'refused')}", file=sys.stdout if args.json else sys.stderr)
        return 1
    if args.json:
        print(raw)
    elif query and args.verb in TIMER_VERBS:
        print(f"timers: {timers_line(reply['status'].get('timers'))}")
    elif query:
        print(f"{args.verb}: {show(reply['status'].get('settings', {}).get(SHORT_KEYS[args.verb]))}")
    elif args.verb in DONE:
        print(DONE[args.verb])
    elif "status" in reply:
        print(format_status(reply["status"]))
    elif "timers" in reply:
        print(f"timers: {timers_line(reply['timers'])}")
    elif args.verb == "mood":
        when = ("" if not args.words else " · from the next track (this one plays to its end)" if reply.get("keep")
                else " · from the next bar")
        print(f"mood: {mood_line(reply.get('mood'))}{when}")
    else:
        print("\n".join(f"{k}: {show(v)}" for k, v in reply.items() if k not in ("ok", "warning")))
    if "warning" in reply and not args.json:
        print(f"lofid: warning: {reply['warning']}", file=sys.stderr)
    return 0
