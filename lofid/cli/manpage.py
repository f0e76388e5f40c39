"""``lofid manpage``: the lofid(1) manual page, as roff, made from the parser and ctl's verbs.

The commands, their options and the verbs come from the same reading of the parser as the shell
completion (``lofid.cli.completion.vocabulary``), so the page cannot fall behind the program; the
files, environment and exit statuses are written here. Its own command, not a shell of ``lofid
completion``: it prints a page for man, not a script for a shell. Read it with
``lofid manpage | man -l -``; ``lofid service install`` installs it where ``man lofid`` finds it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lofid import __version__
from lofid.cli.commandline import Option, Vocabulary, vocabulary
from lofid.daemon.service import COMPANIONS, LABEL, UNIT

FILES = (
    ("$XDG_CONFIG_HOME/lofid/config.yaml", "Your settings, usually ~/.config/lofid/config.yaml: give only those you "
     "change (config.yaml in the lofid folder documents every one). --config FILE reads another file."),
    ("$XDG_STATE_HOME/lofid/state.yaml", "The settings changed with lofid ctl, usually ~/.local/state/lofid/state.yaml, "
     "laid over the config at the next start; delete it to forget them (setting control.state_file)."),
    ("$XDG_RUNTIME_DIR/lofid.sock", "The control socket, mode 0600, that lofid ctl talks to; without "
     "XDG_RUNTIME_DIR, a private per-user folder in the temporary folder (setting control.socket)."),
    ("$XDG_CACHE_HOME/lofid/", "The copy-rate index of a corpus (lofid eval --corpus), built once."),
    ("$XDG_DATA_HOME/lofid/likes.json", "The tracks liked with lofid ctl like, usually ~/.local/share/lofid/likes.json: "
     "their notes and settings; lofid likes lists them, lofid export --likes renders them."),
    (f"~/.config/systemd/user/{UNIT}", "The systemd user unit lofid service install writes (Linux)."),
    (f"~/Library/LaunchAgents/{LABEL}.plist", "The launchd agent lofid service install writes (macOS); it logs to "
     "~/Library/Logs/lofid.log."),
)
ENVIRONMENT = (
    ("XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR, XDG_CACHE_HOME", "Where the files above are (see FILES)."),
    ("XDG_DATA_HOME", "Where the likes are kept, and lofid service install puts the bash and zsh completions and "
     "this page (default ~/.local/share)."),
    ("NOTIFY_SOCKET, WATCHDOG_USEC", "Set by systemd for lofid run: it says when the music has started, "
     "shows its status and pings the watchdog."),
    ("JOURNAL_STREAM", "Set by systemd when stderr goes to the journal: each log line then carries its syslog "
     "priority, so journalctl -p warning finds lofid's warnings."),
)
EXIT_STATUS = (
    ("0", "Done (lofid doctor: ready to play; lofid run: stopped by SIGTERM or SIGINT)."),
    ("1", "lofid doctor: something needed to play is missing; lofid ctl: the daemon refused the request (the "
     "reason is on stderr); lofid service: the service manager could not be used (the file is written)."),
    ("2", "A usage error, an invalid setting (one line naming the file, the key, the value and what is allowed), "
     "or, for lofid ctl, no daemon to talk to."),
    ("130", "Interrupted (Ctrl-C)."),
)


def roff(text: str) -> str:
    """Text as roff reads it literally: backslashes and dashes escaped, a leading dot or quote made plain."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def _tagged(tag: str, text: str) -> list[str]:
    return [".TP", tag, roff(text)]


def _option_tag(option: Option) -> str:
    flags = ", ".join(f"\\fB{roff(f)}\\fR" for f in option.flags)
    return flags + (f" \\fI{roff(option.metavar)}\\fR" if option.metavar else "")


def _home(path: Path) -> str:
    """``/home/me/.local/share/man`` -> ``~/.local/share/man``: the page is read by the user it was made for."""
    return f"~/{path.relative_to(Path.home())}" if path.is_relative_to(Path.home()) else str(path)


def _section(title: str, entries: tuple[tuple[str, str], ...], tag: str = "\\fI{}\\fR") -> list[str]:
    lines = [f".SH {title}"]
    for name, text in entries:
        lines += _tagged(tag.format(roff(name)), text)
    return lines


def page(v: Vocabulary) -> str:
    """The whole page, roff for man's -man macros (not hyphenated, not justified: it is full of names)."""
    from lofid.cli.ctl import VERBS

    lines = [f'.TH LOFID 1 "" "lofid {__version__}" "User Commands"', ".nh", ".ad l", ".SH NAME",
             "lofid \\- an endless lo\\-fi study\\-music daemon", ".SH SYNOPSIS",
             ".B lofid", ".RI [ options ] \" COMMAND \" [ command\\-options ]", ".br",
             ".B lofid ctl", ".RI [ options ] \" VERB \" [ ARG ...]", ".SH DESCRIPTION",
             roff("A small LSTM writes lo-fi music note by note, forever; FluidSynth plays it with looping rain and "
                  "a beat through the sound card. lofid run plays until stopped (it is what the service runs) and "
                  "lofid ctl steers it while it plays. Every setting, with its range, is in config.yaml in the lofid "
                  "folder; settings are read from the defaults, then your file, then --set flags."),
             ".SH OPTIONS", roff("Every command takes these, before or after its name:")]
    for option in v.common:
        lines += _tagged(_option_tag(option), option.help)
    lines += [".PP", roff("and before a command only:")]
    for option in v.top:
        lines += _tagged(_option_tag(option), option.help)
    lines.append(".SH COMMANDS")
    for c in v.commands:
        usage = " ".join(filter(None, ["lofid", c.name, "[options]" if c.options else "", c.args]))
        lines += [".SS", f"\\fB{roff(usage)}\\fR", roff(c.help)]
        for option in c.options:
            lines += _tagged(_option_tag(option), option.help)
    lines += [".SH CTL VERBS", roff("lofid ctl VERB [ARG ...] sends one request to the running daemon, which "
                                    "checks it and answers; --json prints the raw reply. A setting verb without a "
                                    "value prints the value now in force (lofid ctl volume).")]
    for name, verb in VERBS.items():
        tag = f"\\fB{roff(name)}\\fR" + (f" \\fI{roff(verb.args)}\\fR" if verb.args else "")
        lines += [*_tagged(tag, verb.help), ".br", roff(f"e.g. lofid ctl {verb.example}")]
    companions = tuple((_home(c.target()), f"The {c.what} lofid service install writes where {c.name} finds it.")
                       for c in COMPANIONS)
    lines += _section("FILES", FILES + companions) + _section("ENVIRONMENT", ENVIRONMENT, "\\fB{}\\fR")
    lines += _section("EXIT STATUS", EXIT_STATUS, "{}")
    lines += [".SH SEE ALSO", "\\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1), \\fBman\\fR(1); " + roff(
        "config.yaml and README.md in the lofid folder.")]
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Read it with `lofid manpage | man -l -`; lofid service install puts it where `man lofid` finds it."


def main(args: argparse.Namespace) -> int:
    sys.stdout.write(page(vocabulary()))
    return 0
