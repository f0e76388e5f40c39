"""``lofid service install|uninstall|status``: run lofid as a systemd user service or a launchd agent.

The files written are the templates in ``systemd/`` with their ``@NAME@`` placeholders filled in
(the lofid command of this install, the checkout, the log file), so the unit and the plist exist
once, in the repository, and what gets installed is always what is reviewed there.

Where ``systemctl --user`` or ``launchctl`` cannot be used (a container, an SSH session without a
user manager) the file is still written and the command says plainly what it could not do and
what to run later; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape as xml_escape

from lofid.control import request
from lofid.errors import LofidError
from lofid.paths import ROOT, socket_path

TEMPLATES = ROOT / "systemd"
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
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user" / UNIT


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


def _run(commands: list[list[str]], manager: Manager, dry_run: bool) -> list[str]:
    """Run each command, printing it; return the problems (empty when all went well)."""
    problems: list[str] = []
    for cmd in commands:
        shown = " ".join(cmd)
        if dry_run:
            print(f"would run: {shown}")
            continue
        if shutil.which(cmd[0]) is None:
            return [f"{cmd[0]} is not available here"]
        print(f"$ {shown}")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            problems.append(f"{shown}: {e}")
            break
        detail = (done.stderr or done.stdout).strip().splitlines()
        if done.returncode != 0 and cmd[1] not in manager.tolerated:
            problems.append(f"{shown} failed: {detail[0] if detail else f'exit status {done.returncode}'}")
            break
    return problems


def install(manager: Manager, dry_run: bool = False) -> int:
    target, text = manager.target(), render(manager)
    if dry_run:
        print(f"would write {target}:\n{text}")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        if manager is LAUNCHD:
            log_path().parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    commands = manager.install(target)
    problems = _run(commands, manager, dry_run)
    if problems:
        print(f"lofid: {problems[0]}: the {manager.name} file is written but lofid is not enabled; "
              "run these yourself once you can:", file=sys.stderr)
        for cmd in commands:
            print("    " + " ".join(cmd), file=sys.stderr)
        return 1
    if not dry_run:
        print(f"lofid is installed and playing as a {manager.name} service; steer it with lofid ctl")
    return 0


def uninstall(manager: Manager, dry_run: bool = False) -> int:
    target = manager.target()
    if not target.exists():
        print(f"lofid is not installed as a {manager.name} service (no {target})")
        return 0
    problems = _run(manager.uninstall(target), manager, dry_run)
    if dry_run:
        print(f"would remove {target}")
        return 0
    target.unlink()
    print(f"removed {target}")
    if manager is SYSTEMD and not problems:
        problems = _run([["systemctl", "--user", "daemon-reload"]], manager, dry_run)
    if problems:
        print(f"lofid: {problems[0]}: if lofid still runs, stop it yourself", file=sys.stderr)
        return 1
    return 0


def status(manager: Manager, cfg_socket: str) -> int:
    target = manager.target()
    if not target.exists():
        print(f"{manager.name} file: not installed (would be {target})")
    elif target.read_text(encoding="utf-8") != render(manager):
        print(f"{manager.name} file: {target} (differs from this install: run lofid service install again)")
    else:
        print(f"{manager.name} file: {target} (up to date)")
    cmd = manager.status(target)
    if shutil.which(cmd[0]) is None:
        print(f"{manager.tool}: not available here")
    else:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        print((done.stdout or done.stderr).rstrip())
    path = socket_path(cfg_socket)
    try:
        reply, _ = request(path, {"cmd": "status"}, timeout=2.0)
        print(f"daemon: {reply.get('status', {}).get('state', 'answering')} (control socket {path})")
    except LofidError as e:
        print(f"daemon: {e}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("install", "uninstall", "status"),
                        help="install: write the unit/agent and start it; uninstall: stop and remove it; "
                             "status: what is installed and running")
    parser.add_argument("--dry-run", action="store_true", help="print what would be written and run; change nothing")
    parser.add_argument("--manager", choices=tuple(MANAGERS), default="launchd" if sys.platform == "darwin" else "systemd",
                        help="service manager (default: this system's)")


def main(args: argparse.Namespace) -> int:
    manager = MANAGERS[args.manager]
    if args.action == "install":
        return install(manager, args.dry_run)
    if args.action == "uninstall":
        return uninstall(manager, args.dry_run)
    return status(manager, args.cfg["control.socket"])
