"""lofid as a systemd user service or a launchd agent: the managers, their files and commands.

The files written are the templates in ``systemd/`` with their ``@NAME@`` placeholders filled in
(the lofid command of this install, the checkout, the log file), so the unit and the plist exist
once, in the repository, and what gets installed is always what is reviewed there. Beside the
service go its companions, the shell completions and the man page, where each program looks for a
user's own. ``lofid service`` (lofid.cli.service) runs the commands and writes the companions' text.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from lofid.errors import LofidError
from lofid.paths import ROOT, TEMPLATES, config_home

LABEL = "io.lofid.daemon"
UNIT = "lofid.service"


def _systemd_escape(value: str) -> str:
    """A path as a unit file value: ``%`` starts a specifier, and quotes or newlines cannot be carried."""
    if any(c in value for c in '"\\\n'):
        raise LofidError(f"{value!r}: a path with quotes, backslashes or newlines cannot go in a unit file")
    return value.replace("%", "%%")


@dataclass(frozen=True)
class Manager:
    """One service manager: where its file goes and the commands that (un)load it."""

    name: str  # "systemd" or "launchd"
    template: Path
    escape: Callable[[str], str]
    tool: str
    target: Callable[[], Path]
    install: Callable[[Path], list[list[str]]]
    uninstall: Callable[[Path], list[list[str]]]
    status: Callable[[Path], list[str]]
    tolerated: tuple[str, ...] = ()  # subcommands whose failure is expected (unloading what was not loaded)


def _unit_path() -> Path:
    return config_home() / "systemd" / "user" / UNIT


def _plist_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def log_path() -> Path:
    return Path.home() / "Library" / "Logs" / "lofid.log"


def _domain() -> str:
    return f"gui/{os.getuid()}"


SYSTEMD = Manager(
    "systemd", TEMPLATES / "lofid.service", _systemd_escape, "systemctl", _unit_path,
    # restart, not enable --now: a reinstall must replace a daemon already running the old unit
    install=lambda f: [["systemctl", "--user", "daemon-reload"], ["systemctl", "--user", "enable", UNIT],
                       ["systemctl", "--user", "restart", UNIT]],
    uninstall=lambda f: [["systemctl", "--user", "disable", "--now", UNIT]],
    status=lambda f: ["systemctl", "--user", "status", "--no-pager", UNIT],
)
LAUNCHD = Manager(
    "launchd", TEMPLATES / f"{LABEL}.plist", xml_escape, "launchctl", _plist_path,
    install=lambda f: [["launchctl", "bootout", f"{_domain()}/{LABEL}"], ["launchctl", "enable", f"{_domain()}/{LABEL}"],
                       ["launchctl", "bootstrap", _domain(), str(f)]],
    uninstall=lambda f: [["launchctl", "bootout", f"{_domain()}/{LABEL}"]],
    status=lambda f: ["launchctl", "print", f"{_domain()}/{LABEL}"],
    tolerated=("bootout",),
)
MANAGERS = {"systemd": SYSTEMD, "launchd": LAUNCHD}


def data_home() -> Path:
    """``$XDG_DATA_HOME``, else ``~/.local/share``: where bash-completion and man look for a user's own files."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


@dataclass(frozen=True)
class Companion:
    """A file installed beside the service so that a shell completes lofid, or ``man lofid`` finds its page."""

    name: str  # the program that reads it ("bash", "zsh", "fish", "man"); installed only where that program is
    what: str
    target: Callable[[], Path]
    hint: Callable[[Path], str]  # what the user may still have to do for it to be found ("" if nothing)


COMPANIONS = (
    Companion("bash", "bash completion", lambda: data_home() / "bash-completion" / "completions" / "lofid",
              lambda p: f"new bash shells load it through bash-completion; without that package, add `source {p}` "
                        "to ~/.bashrc"),
    Companion("zsh", "zsh completion", lambda: data_home() / "zsh" / "site-functions" / "_lofid",
              lambda p: f"add `fpath=({p.parent} $fpath)` to ~/.zshrc, before compinit runs"),
    Companion("fish", "fish completion", lambda: config_home() / "fish" / "completions" / "lofid.fish", lambda p: ""),
    Companion("man", "man page", lambda: data_home() / "man" / "man1" / "lofid.1",
              lambda p: f"man lofid finds it when ~/.local/bin is on PATH; else add `export MANPATH={p.parent.parent}:` "
                        "to your profile"),
)


def lofid_executable() -> Path:
    """The ``lofid`` command of the running install (the venv's), without resolving its symlinks."""
    beside = Path(sys.executable).parent / "lofid"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("lofid")
    if found:
        return Path(found).absolute()
    raise LofidError(f"cannot find the lofid command next to {sys.executable}: install lofid first (make run)")


def render(manager: Manager) -> str:
    """The manager's template with this install's paths filled in."""
    values = {"LOFID": str(lofid_executable()), "ROOT": str(ROOT), "ROOT_URL": ROOT.as_uri(), "LOG": str(log_path())}
    try:
        text = manager.template.read_text(encoding="utf-8")
    except OSError as e:
        raise LofidError(f"{manager.template}: cannot read the service template ({e.strerror})") from None
    text = re.sub(r"@([A-Z_]+)@", lambda m: manager.escape(values[m.group(1)]) if m.group(1) in values else m.group(0), text)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise LofidError(f"{manager.template}: unknown placeholder {left[0]}")
    return text
