"""What the command line offers, read from the real parser and tables: its commands and their
options, the ctl verbs and what each word of them takes, the settings and their allowed words, the
layers. The completion scripts and the man page are both made from it, so neither lists anything by hand.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from dataclasses import dataclass

CTL = "ctl"
# What a word completes as (the analyser's answer): besides "words W...", these.
FILES, DIRS, NONE, SETTINGS, VALUE = "files", "dirs", "none", "settings", "value"  # VALUE: of the setting named before
_SAFE = re.compile(r"[\w.#+@%,:/=-]+")  # a word that needs no quoting in a script or a case pattern


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]  # "-v", "--verbose"
    metavar: str  # "" for a flag
    help: str
    value: str  # what its value completes as: "" for a flag


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]  # its own, without the common ones
    args: str  # its positional arguments as a usage line shows them, e.g. "install|uninstall|status"
    positionals: tuple[str, ...]  # what each positional completes as (ctl's words: see Vocabulary.verbs)


@dataclass(frozen=True)
class Vocabulary:
    """Everything a completion script or the man page says about the command line."""

    common: tuple[Option, ...]  # taken by every command, before or after its name
    top: tuple[Option, ...]  # only before a command (--version)
    commands: tuple[Command, ...]
    verbs: dict[str, tuple[str, ...]]  # ctl verb -> what each of its words completes as
    values: dict[str, tuple[str, ...]]  # setting key, or ctl's short name for it -> its allowed words (if any)
    settings: tuple[str, ...]  # every key --set takes


def words(items: Iterable[str]) -> str:
    """The analyser's answer for a list of words ("" when there are none)."""
    items = list(items)
    bad = [w for w in items if not _SAFE.fullmatch(w)]
    if bad:
        raise ValueError(f"cannot complete {bad[0]!r}: only plain words go in a completion script")
    return "words " + " ".join(items) if items else ""


def _value_spec(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.choices:
        return words(action.choices)
    return SETTINGS if action.dest == "overrides" else _path_spec(_metavar(action)) or NONE


def _metavar(action: argparse.Action) -> str | None:
    """The action's metavar; one given as a tuple (a name per value) joined, as argparse's usage joins it."""
    return " ".join(action.metavar) if isinstance(action.metavar, tuple) else action.metavar


def _path_spec(metavar: str | None) -> str:
    """FILE, PATH or a name with an extension (FILE.mid, ROLL.png) complete as files; DIR as folders."""
    if metavar == "DIR":
        return DIRS
    return FILES if metavar and (metavar in ("FILE", "PATH") or "." in metavar) else ""


def _option(action: argparse.Action) -> Option:
    metavar = "" if action.nargs == 0 else _metavar(action) or "|".join(action.choices or ()) or action.dest.upper()
    return Option(tuple(action.option_strings), metavar, action.help or "", _value_spec(action))


def _shown(action: argparse.Action) -> str:
    name = "|".join(action.choices) if action.choices else _metavar(action) or action.dest.upper()
    return {"?": f"[{name}]", "*": f"[{name} ...]", "+": f"{name} [{name} ...]"}.get(str(action.nargs), name)


def _setting_words(key: str) -> tuple[str, ...]:
    from lofid.config import setting_for
    from lofid.setting import OFF_WORDS, ON_WORDS

    s = setting_for(key)
    listed = s.choices or ((ON_WORDS[0], OFF_WORDS[0]) if s.kind is bool else ())
    extra = [w for w, allowed in (("auto", s.auto), ("off", s.off), ("null", s.nullable)) if allowed and w not in listed]
    return (*listed, *extra)


def layer_names() -> list[str]:
    """The built-in layers and one per WAV in effects/ (as the engine names them), known when the script is made."""
    from lofid.audio.layers import layer_name
    from lofid.config import defaults
    from lofid.config import layer_names as configured
    from lofid.paths import EFFECTS

    found = [layer_name(p) for p in sorted(EFFECTS.glob("*.wav")) if p.is_file()]
    return list(dict.fromkeys([*configured(defaults()), *found]))


def _verb_slots(name: str, args: str, live: list[str], layers: list[str]) -> tuple[str, ...]:
    """What each word of a ctl verb completes as, read from its argument names: a setter's VALUE its
    setting's words, KEY a live setting and the VALUE after it that setting's words, NAME a layer,
    FILE... a file, and the lower-case words of ``on|off|VOLUME``. A word after an optional part
    (``STUDY BREAK [CYCLES]|off``) stands for all the words, so it is offered first."""
    from lofid.control.vocabulary import SHORT_KEYS

    tokens = args.split()
    literals = [[w for w in token.split("|") if w.islower()] for token in tokens]
    for i, token in enumerate(tokens[1:], 1):
        if token.startswith("["):
            literals[0] += literals[i]
            literals[i] = []
    named = {"KEY": words(live), "NAME": words(layers)}
    slots: list[str] = []
    for i, token in enumerate(tokens):
        if name in SHORT_KEYS:
            slots.append(words(_setting_words(SHORT_KEYS[name])))
        elif token == "VALUE" and i and tokens[i - 1] == "KEY":
            slots.append(VALUE)
        else:
            slots.append(named.get(token) or _path_spec(token) or words(literals[i]))
    return tuple(slots)


def vocabulary() -> Vocabulary:
    """Read the parser (every command's module imported for its options), ctl's verbs and the settings schema."""
    from lofid.cli import build_parser
    from lofid.cli.ctl import VERBS
    from lofid.config import SCHEMA, setting_for
    from lofid.control.vocabulary import SHORT_KEYS
    from lofid.setting import RESTART

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in sub._choices_actions}
    everywhere = set.intersection(*({tuple(a.option_strings) for a in p._actions} for p in [parser, *sub.choices.values()]))
    own = [a for a in parser._actions if a.option_strings]
    commands = []
    for name, p in sub.choices.items():
        actions = [a for a in p._actions if tuple(a.option_strings) not in everywhere]
        positionals = [a for a in actions if not a.option_strings]
        commands.append(Command(name, helps[name] or "", tuple(_option(a) for a in actions if a.option_strings),
                                " ".join(_shown(a) for a in positionals),
                                (words(VERBS),) if name == CTL else tuple(_value_spec(a) for a in positionals)))
    layers = layer_names()
    known = [s.key for s in SCHEMA]
    settings = known + [key for n in layers for key in (f"layers.{n}.enabled", f"layers.{n}.volume") if key not in known]
    live = [*SHORT_KEYS, *(k for k in settings if setting_for(k).applies != RESTART)]
    values = {k: _setting_words(SHORT_KEYS.get(k, k)) for k in [*SHORT_KEYS, *settings]}
    return Vocabulary(
        common=tuple(_option(a) for a in own if tuple(a.option_strings) in everywhere),
        top=tuple(_option(a) for a in own if tuple(a.option_strings) not in everywhere),
        commands=tuple(commands),
        verbs={name: _verb_slots(name, verb.args, live, layers) for name, verb in VERBS.items()},
        values={k: v for k, v in values.items() if v},
        settings=tuple(settings))
