"""The ``lofid`` command: argparse and printing; everything below this package only does the work.

Each subcommand lives in its own module here exposing ``add_arguments(parser)`` and
``main(args) -> int``; this file only parses, loads the config once, and turns expected
failures (``LofidError``, which ``ConfigError`` is) into one line on stderr with exit status 2.
Modules are imported only when their command runs, so ``lofid ctl`` never pays for the model.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from lofid import __version__
from lofid.errors import LofidError

# what the entry point uses, then each command's module and the helpers beside them
__all__ = [
    "COMMANDS", "build_parser", "main", "commandline", "completion", "ctl", "doctor", "eval", "export", "generate",
    "likes", "logs", "manpage", "render", "run", "service", "snapcast", "train",
]

# name -> (module, one-line help). Only commands that work are listed.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("lofid.cli.run", "play music until stopped, steerable with lofid ctl (what the service runs)"),
    "doctor": ("lofid.cli.doctor", "check that everything needed to play is here, and say how to fix what is not"),
    "train": ("lofid.cli.train", "train the note model on a folder of MIDI files and export it to models/"),
    "generate": ("lofid.cli.generate", "write generated notes to a MIDI file, as the daemon would play them"),
    "eval": ("lofid.cli.eval", "measure a MIDI file or generated notes against the music targets: lofid eval --generate 2000"),
    "render": ("lofid.cli.render",
               "play the model through the engine offline into a WAV file: lofid render --seconds 60 --output out.wav"),
    "export": ("lofid.cli.export", "render an album of tagged FLAC, MP3 or Ogg files with covers, faster than real time: "
                                   "lofid export --tracks 10 --dir ~/Music/lofid"),
    "likes": ("lofid.cli.likes", "list the tracks liked with lofid ctl like (lofid export --likes renders them)"),
    "ctl": ("lofid.cli.ctl", "steer the running daemon: lofid ctl status, lofid ctl temperature 0.8, ..."),
    "service": ("lofid.cli.service", "run lofid as a systemd user service or launchd agent: install, uninstall, status"),
    "completion": ("lofid.cli.completion", "print the shell completion script for bash, zsh or fish: lofid completion bash"),
    "manpage": ("lofid.cli.manpage", "print the lofid(1) manual page as roff: lofid manpage | man -l -"),
}


def _common(top: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after its name. After the name they default to
    SUPPRESS, so ``lofid --set a=1 ctl --set b=2`` keeps both instead of the second list replacing the first."""
    keep: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE",
                        help="settings file (default: $XDG_CONFIG_HOME/lofid/config.yaml if it exists)", **keep)
    common.add_argument("--set", metavar="KEY=VALUE", action="append", dest="overrides",
                        help="override one setting, e.g. --set music.bpm=80 (repeatable)",
                        **(keep or {"default": []}))
    common.add_argument("-v", "--verbose", action="store_true", help="log debug detail", **keep)
    return common


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser. Given ``argv``, only the command named in it has its module imported (for its
    options), so ``lofid ctl`` starts without loading numpy, the model or the audio stack."""
    parser = argparse.ArgumentParser(
        prog="lofid", parents=[_common(top=True)],
        description="lofid: an endless lo-fi study-music daemon. See config.yaml for every setting.")
    parser.add_argument("--version", action="version", version=f"lofid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub_common = _common(top=False)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, parents=[sub_common], help=help_text, description=help_text)
        if argv is None or name in argv:
            importlib.import_module(module).add_arguments(p)
        p.set_defaults(module=module)
    return parser


def _quiet_fluidsynth() -> None:
    """pyfluidsynth (imported by pretty_midi too) prints where it found libfluidsynth to stdout
    when $CI is set; importing it once here, quietly, keeps that line out of lofid's output."""
    from lofid.audio.fluid import load_library

    try:
        load_library()
    except LofidError:  # reported by the commands that need it; pretty_midi does without
        pass


def _prepare(args: argparse.Namespace) -> None:
    """Logging to stderr (with syslog priorities when that is the journal), and the settings, for every
    command but ctl (doctor reads its own, to report on them)."""
    import logging

    from lofid.cli.logs import stderr_handler
    from lofid.config import load

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, handlers=[stderr_handler()])
    if args.command != "service":
        _quiet_fluidsynth()
    args.cfg = None if args.command == "doctor" else load(args.config, args.overrides)


def _error_prefix(command: str) -> str:
    """``<3>`` (err) before the line a failing command ends on, when stderr is the journal: so
    `journalctl -p err` shows why the service stopped. ctl is never the service (and stays light)."""
    if command == "ctl":
        return ""
    from lofid.cli.logs import is_journal

    return "<3>" if is_journal() else ""


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "ctl" and not any(word.startswith("-") for word in extra):
        args.words += extra  # `lofid ctl mood --keep deep focus`: words after an option are the verb's too
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not args.command:
        parser.print_help()
        return 2
    try:
        if args.command == "ctl":  # the quick path: ctl prints, never logs, and reads only the socket's setting
            args.cfg = None
        else:
            _prepare(args)
        return importlib.import_module(args.module).main(args)
    except LofidError as e:
        print(f"{_error_prefix(args.command)}lofid: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `lofid ctl status | head`: the reader left, which is fine
        sys.stderr.close()
        return 0

