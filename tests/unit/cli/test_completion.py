"""`lofid completion bash|zsh|fish`: the scripts parse in their shells, and completing with them
gives what a user typing expects. bash's completion function is run for real (COMP_WORDS and
COMP_CWORD set as readline sets them), fish's through `complete -C`, and the analyser bash and zsh
share in zsh itself. The lists asserted come from the program's own tables, so a verb or command
added elsewhere must complete without this file changing."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from lofid import cli
from lofid.cli.completion import SCRIPTS, vocabulary
from lofid.cli.ctl import VERBS

SHELL_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    """Each shell's script as `lofid completion SHELL` prints it, written to a file."""
    folder = tmp_path_factory.mktemp("completion")
    v = vocabulary()
    paths = {shell: folder / f"lofid.{shell}" for shell in SCRIPTS}
    for shell, path in paths.items():
        path.write_text(SCRIPTS[shell](v))
    return paths


def test_the_command_prints_the_script(capsys):
    assert cli.main(["completion", "bash"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# bash completion for lofid") and "complete -F _lofid lofid" in out


def _check(argv: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed here, so its script cannot be checked")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_bash_parses_its_script(scripts):
    _check(["bash", "-n", str(scripts["bash"])], "bash")


def test_zsh_parses_its_script(scripts):
    _check(["zsh", "-n", str(scripts["zsh"])], "zsh")


def test_fish_parses_its_script(scripts):
    _check(["fish", "--no-execute", str(scripts["fish"])], "fish")


def bash_complete(script, *words: str) -> list[str]:
    """COMPREPLY after bash's completion function ran on ``words`` (the last one is being typed), split as
    readline splits them (at = too)."""
    quoted = " ".join("'" + w + "'" for w in words)
    probe = (f"source '{script}'; COMP_WORDS=({quoted}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); "
             "_lofid; printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_commands_verbs_settings_and_their_values(scripts):
    bash = scripts["bash"]
    assert bash_complete(bash, "lofid", "ct") == ["ctl"]
    assert bash_complete(bash, "lofid", "") == list(cli.COMMANDS)
    assert bash_complete(bash, "lofid", "ctl", "") == list(VERBS)  # sleep, focus, watch... as they are added
    assert bash_complete(bash, "lofid", "ctl", "temp") == ["temperature"]
    assert bash_complete(bash, "lofid", "ctl", "harmony", "") == ["strict", "loose", "free"]
    assert bash_complete(bash, "lofid", "ctl", "hold", "") == ["on", "off"]
    assert bash_complete(bash, "lofid", "ctl", "--timeout", "5", "vol") == ["volume"]  # an option's value is skipped
    assert bash_complete(bash, "lofid", "ctl", "set", "fx.lo") == ["fx.lowpass_hz", "fx.loudness"]
    assert bash_complete(bash, "lofid", "ctl", "set", "fx.loudness", "") == ["off"]
    assert bash_complete(bash, "lofid", "ctl", "layer", "") == ["music", "rain", "beat"]
    assert bash_complete(bash, "lofid", "ctl", "layer", "rain", "") == ["on", "off"]
    assert bash_complete(bash, "lofid", "service", "") == ["install", "uninstall", "status"]
    assert bash_complete(bash, "lofid", "service", "--manager", "") == ["systemd", "launchd"]
    assert "--harmony-only" in bash_complete(bash, "lofid", "train", "--")


def test_bash_completes_a_set_key_then_its_value_after_the_equals(scripts):
    bash = scripts["bash"]
    assert bash_complete(bash, "lofid", "--set", "music.ke") == ["music.key="]
    assert bash_complete(bash, "lofid", "--set", "model.") == ["model.path=", "model.backend="]
    # readline splits `music.key=F` at the = and replaces only what follows it
    assert bash_complete(bash, "lofid", "render", "--set", "music.key", "=", "F") == ["F", "F#", "Fm", "F#m"]
    assert bash_complete(bash, "lofid", "--set", "layers.rain.enabled", "=") == ["on", "off"]


def test_bash_completes_files_where_a_file_goes(scripts, tmp_path):
    (tmp_path / "take.mid").write_bytes(b"")
    assert bash_complete(scripts["bash"], "lofid", "eval", str(tmp_path / "ta")) == [str(tmp_path / "take.mid")]
    assert bash_complete(scripts["bash"], "lofid", "ctl", "save", str(tmp_path / "ta")) == [str(tmp_path / "take.mid")]


def test_zsh_runs_the_analyser_bash_shares(scripts):
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed here")
    # sourced outside a completion system, the script's last line (compdef) fails: the functions are defined
    probe = f"source '{scripts['zsh']}' 2>/dev/null; _lofid_want '' ctl harmony; _lofid_want vol ctl --timeout 5"
    done = subprocess.run(["zsh", "-f", "-c", probe], capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
    assert done.stdout.splitlines() == ["words strict loose free", "words " + " ".join(VERBS)]


def fish_complete(script, line: str) -> list[str]:
    done = subprocess.run(["fish", "--no-config", "-c", f"source '{script}'; complete -C '{line}'"],
                          capture_output=True, text=True, timeout=SHELL_TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    return [row.split("\t")[0] for row in done.stdout.splitlines()]


def test_fish_completes_verbs_with_their_help_and_setting_values(scripts):
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed here")
    fish = scripts["fish"]
    assert fish_complete(fish, "lofid ct") == ["ctl"]
    assert fish_complete(fish, "lofid ctl temp") == ["temperature"]
    assert sorted(fish_complete(fish, "lofid ctl harmony ")) == ["free", "loose", "strict"]
    assert fish_complete(fish, "lofid --set music.ke") == ["music.key="]
    assert fish_complete(fish, "lofid ctl set fx.loudness ") == ["off"]
    assert set(fish_complete(fish, "lofid ctl ")) == set(VERBS)
