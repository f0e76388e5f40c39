"""``lofid completion bash|zsh|fish``: a shell completion script made from what the command line offers.

Nothing is listed by hand: the commands and options come from the parser, the ctl verbs from
``lofid.cli.ctl.VERBS``, the settings and their allowed words from the schema, the layers from the
defaults and ``effects/``; so whatever is added completes. bash and zsh share one analyser in the
shell both speak: from the words typed it says what the next can be ("words a b", "files", "dirs",
"settings KEY...", or nothing), and each shell's driver offers it. fish gets ``complete`` lines.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Mapping

from lofid import __version__
from lofid.cli.commandline import CTL, DIRS, FILES, NONE, SETTINGS, VALUE, Option, Vocabulary, vocabulary, words


def _grouped(answers: Mapping[str, str]) -> list[tuple[list[str], str]]:
    """``{pattern: answer}`` as case arms, patterns with the same answer in one arm, in first-seen order."""
    arms: dict[str, list[str]] = {}
    for pattern, answer in answers.items():
        arms.setdefault(answer, []).append(pattern)
    return [(patterns, answer) for answer, patterns in arms.items()]


def _sh_case(head: str, subject: str, answers: Mapping[str, str], echo: bool = True) -> str:
    """A shell function ``name()  # what it says`` answering by a ``case``: ``echo 'answer'``, or the answer as a command."""
    name, _, comment = head.partition("  # ")
    lines = [f"{name} {{  # {comment}", f"  case {subject} in"]
    for patterns, answer in _grouped(answers):
        said = "echo '" + answer + "'" if echo else answer
        lines += [f"    {'|'.join(patterns)}) {said} ;;"] if answer else []
    return "\n".join([*lines, "  esac", "}"])


_SH_ANALYSER = r"""
_lofid_want() {  # $1 the word being typed, then the words before it (after lofid): what it can be
  local cur=$1 cmd= first= last= opt= n=0 w
  shift
  for w in "$@"; do
    if [ -n "$opt" ]; then opt=; continue; fi  # an option's value
    case $w in
      --*=*) ;;
      -*) opt=$(_lofid_takes "$cmd" "$w") ;;
      *) if [ -z "$cmd" ]; then cmd=$w; else [ "$n" = 0 ] && first=$w; last=$w; n=$((n + 1)); fi ;;
    esac
  done
  if [ -n "$opt" ]; then echo "$opt"; return; fi
  case $cur in -*) _lofid_options "$cmd"; return ;; esac
  _lofid_positional "$cmd" "$n" "$first" "$last"
}
"""


def _sh_tables(v: Vocabulary) -> str:
    """The analyser and its tables, for bash and zsh alike."""
    takes = {f"*:{flag}": o.value for o in (*v.common, *v.top) for flag in o.flags}
    takes |= {f"{c.name}:{flag}": o.value for c in v.commands for o in c.options for flag in o.flags}
    takes = {k: f"{SETTINGS} {' '.join(v.settings)}" if a == SETTINGS else a for k, a in takes.items()}
    flags = lambda options: words(f for o in options for f in o.flags)  # noqa: E731
    options = {c.name: flags((*v.common, *c.options)) for c in v.commands} | {"''": flags((*v.common, *v.top))}
    positional = {":0": words(c.name for c in v.commands)}
    for c in v.commands:
        positional |= {f"{c.name}:{i}": spec for i, spec in enumerate(c.positionals)}
    slots = {f"{verb}:{i}": 'echo "words $(_lofid_values "$3")"' if spec == VALUE else f"echo '{spec}'"
             for verb, specs in v.verbs.items() for i, spec in enumerate(specs) if spec}
    return "\n\n".join([
        _sh_case("_lofid_values()  # $1 a setting's key (or ctl's short name for it): the words it allows", '"$1"',
                 {k: " ".join(ws) for k, ws in v.values.items()}),
        _sh_case("_lofid_takes()  # $1 the command, $2 an option: what its value can be; nothing for a flag", '"$1:$2"',
                 takes),
        _sh_case("_lofid_options()  # $1 the command (or none): its options", '"$1"', options),
        _sh_case("_lofid_slot()  # $1 a ctl verb, $2 which of its words (0 first), $3 the word before", '"$1:$2"',
                 slots, echo=False),
        _sh_case("_lofid_positional()  # $1 the command, $2 which word after it, $3 the first, $4 the one before",
                 '"$1:$2"', {k: f"echo '{a}'" for k, a in positional.items() if a}
                 | {f"{CTL}:*": '_lofid_slot "$3" "$(($2 - 1))" "$4"'}, echo=False),
        _SH_ANALYSER.strip(),
    ])


def _header(shell: str) -> str:
    return (f"# {shell} completion for lofid {__version__}, made by `lofid completion {shell}` from its parser,\n"
            "# ctl verbs and settings schema: regenerate it (lofid service install does) rather than edit it.\n")


_BASH_DRIVER = r"""
_lofid() {
  local -a typed=()
  local i cur kind want
  for ((i = 1; i <= COMP_CWORD; i++)); do  # bash splits KEY=VALUE at the =: join it back
    if ((${#typed[@]})) && [[ ${COMP_WORDS[i]} == = || ${COMP_WORDS[i-1]} == = ]]; then
      typed[${#typed[@]}-1]+=${COMP_WORDS[i]}
    else
      typed+=("${COMP_WORDS[i]}")
    fi
  done
  ((${#typed[@]})) || return 0
  cur=${typed[${#typed[@]}-1]}
  read -r kind want <<<"$(_lofid_want "$cur" "${typed[@]:0:${#typed[@]}-1}")"
  case $kind in
    files) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    dirs) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    words) mapfile -t COMPREPLY < <(compgen -W "$want" -- "$cur") ;;
    settings)
      if [[ $cur == *=* ]]; then  # readline replaces only what follows the = (when = breaks words)
        mapfile -t COMPREPLY < <(compgen -W "$(_lofid_values "${cur%%=*}")" -- "${cur#*=}")
        [[ $COMP_WORDBREAKS == *=* ]] || COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
      else
        compopt -o nospace 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -S = -W "$want" -- "$cur")
      fi ;;
  esac
}
complete -F _lofid lofid
"""

_ZSH_DRIVER = r"""
_lofid() {
  local kind want
  read -r kind want <<<"$(_lofid_want "$PREFIX" "${(@)words[2,CURRENT-1]}")"
  case $kind in
    files) _files ;;
    dirs) _files -/ ;;
    words) compadd -- ${=want} ;;
    settings)
      if compset -P '*='; then
        compadd -- $(_lofid_values "${IPREFIX%=}")
      else
        compadd -S = -- ${=want}
      fi ;;
  esac
}

if [ "$funcstack[1]" = _lofid ]; then _lofid "$@"; else compdef _lofid lofid; fi  # autoloaded from fpath, or sourced
"""


def sh_script(shell: str, v: Vocabulary) -> str:
    """bash's or zsh's script: the shared analyser and its tables, then the shell's own driver."""
    first, driver = {"bash": ("", _BASH_DRIVER), "zsh": ("#compdef lofid\n", _ZSH_DRIVER)}[shell]
    return first + _header(shell) + "\n" + _sh_tables(v) + "\n" + driver


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_flags(spec: str, option: bool) -> str:
    """complete's flags for what an option's value, or a word, completes as ("" for nothing)."""
    if spec.startswith("words "):
        return ("-x " if option else "") + "-a " + _fish_quote(spec.removeprefix("words "))
    return {FILES: "-r -F" if option else "-F", DIRS: "-x -a '(__fish_complete_directories (commandline -ct))'",
            SETTINGS: "-x -a '(__lofid_set (commandline -ct))'", NONE: "-x" if option else ""}.get(spec, "")


def _fish_option(option: Option, condition: str = "") -> str:
    """One ``complete`` line for an option: its flags, what its value completes as, its help."""
    flags = " ".join(f"-s {f[1:]}" if len(f) == 2 else f"-l {f[2:]}" for f in option.flags)
    return " ".join(filter(None, ["complete -c lofid", condition and f"-n {_fish_quote(condition)}", flags,
                                  _fish_flags(option.value, option=True), "-d " + _fish_quote(option.help)]))


def _fish_word(condition: str, spec: str, help: str = "") -> str:
    """One ``complete`` line for a word after the command (or the command itself), "" if nothing is offered."""
    what = _fish_flags(spec, option=False)
    return what and f"complete -c lofid -n {_fish_quote(condition)} {what}" + (help and f" -d {_fish_quote(help)}")


_FISH_ARGS = r"""
function __lofid_args --description 'the words typed before the cursor, without options and their values'
    set -l value 0
    for w in (commandline -opc)[2..-1]
        if test $value = 1
            set value 0
        else if not string match -q -- '-*' $w
            echo $w
        else if contains -- $w @VALUED@
            set value 1
        end
    end
end
"""

_FISH_HELPERS = r"""
function __lofid_at --description 'true when the words typed so far (as __lofid_args gives them) are these; * is any'
    set -l typed (__lofid_args)
    test (count $typed) -eq (count $argv); or return 1
    set -l i 0
    for want in $argv
        set i (math $i + 1)
        test "$want" = '*' -o "$want" = "$typed[$i]"; or return 1
    end
end

function __lofid_in --description 'true after the command named'
    set -l typed (__lofid_args)
    test "$typed[1]" = "$argv[1]"
end

function __lofid_set --description 'KEY= for every setting, or KEY=VALUE for the one being typed'
    set -l key (string split -m 1 = -- $argv[1])
    if set -q key[2]
        for value in (__lofid_values $key[1])
            echo $key[1]=$value
        end
    else
        printf '%s=\n' $__lofid_settings
    end
end
"""


def fish_script(v: Vocabulary) -> str:
    from lofid.cli.ctl import VERBS

    valued = dict.fromkeys(f for o in (*v.common, *v.top, *(o for c in v.commands for o in c.options)) if o.value
                           for f in o.flags)
    lines = [_header("fish"), "complete -c lofid -f  # files only where an argument is one",
             _FISH_ARGS.replace("@VALUED@", " ".join(valued)),
             "function __lofid_values --description 'the words a setting (or ctl short name) allows'",
             "    switch $argv[1]"]
    for patterns, answer in _grouped({k: " ".join(ws) for k, ws in v.values.items()}):
        lines += [f"        case {' '.join(patterns)}", f"            printf '%s\\n' {answer}"]
    lines += ["    end", "end", "", "set -g __lofid_settings " + " ".join(v.settings), _FISH_HELPERS]
    completes = [_fish_option(o) for o in v.common] + [_fish_option(o, "__lofid_at") for o in v.top]
    for c in v.commands:
        completes.append(_fish_word("__lofid_at", words([c.name]), c.help))
        completes += [_fish_option(o, f"__lofid_in {c.name}") for o in c.options]
        if c.name != CTL:
            completes += [_fish_word(f"__lofid_at {c.name}" + " '*'" * i, spec) for i, spec in enumerate(c.positionals)]
    for name, slots in v.verbs.items():
        completes.append(_fish_word(f"__lofid_at {CTL}", words([name]), VERBS[name].help))
        for i, spec in enumerate(slots):
            at = f"__lofid_at {CTL} {name}" + " '*'" * i
            completes.append(f"complete -c lofid -n {_fish_quote(at)} -a '(__lofid_values (__lofid_args)[{i + 2}])'"
                             if spec == VALUE else _fish_word(at, spec))
    return "\n".join([*lines, *filter(None, completes)]) + "\n"


# shell -> its script, made from a Vocabulary
SCRIPTS: dict[str, Callable[[Vocabulary], str]] = {
    "bash": functools.partial(sh_script, "bash"), "zsh": functools.partial(sh_script, "zsh"), "fish": fish_script}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=tuple(SCRIPTS), help="the shell to complete lofid in")
    parser.epilog = ("Try it in this shell with `source <(lofid completion bash)`; lofid service install puts the "
                     "scripts where bash, zsh and fish find them.")


def main(args: argparse.Namespace) -> int:
    sys.stdout.write(SCRIPTS[args.shell](vocabulary()))
    return 0
