"""``lofid service install|uninstall|status``: run lofid as a systemd user service or a launchd agent.

What is written comes from lofid.daemon.service (the filled-in template); this module runs the
manager's commands and says what it did. Where ``systemctl --user`` or ``launchctl`` cannot be
used (a container, an SSH session without a user manager) the file is still written and the
command says plainly what it could not do and what to run later; the exit status is then 1.
The shell completions and the man page are installed beside the service, for each of bash, zsh,
fish and man found here, and removed with it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from lofid.control.client import request
from lofid.daemon.service import COMPANIONS, LAUNCHD, MANAGERS, SYSTEMD, Manager, log_path, render
from lofid.errors import LofidError
from lofid.paths import socket_path

COMMAND_TIMEOUT_S = 60  # seconds a systemctl/launchctl call may take


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
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as e:
            problems.append(f"{shown}: {e}")
            break
        detail = (done.stderr or done.stdout).strip().splitlines()
        if done.returncode != 0 and cmd[1] not in manager.tolerated:
            problems.append(f"{shown} failed: {detail[0] if detail else f'exit status {done.returncode}'}")
            break
    return problems


def _companion_texts() -> dict[str, str]:
    """Each companion's text, made now from this install's parser: the completion scripts and the man page."""
    from lofid.cli import completion, manpage

    v = completion.vocabulary()
    return {**{shell: write(v) for shell, write in completion.SCRIPTS.items()}, "man": manpage.page(v)}


def install_companions(dry_run: bool = False) -> None:
    """Write the completion of each shell found here, and the man page where man is, saying what is left to do."""
    found = [c for c in COMPANIONS if shutil.which(c.name)]
    texts = _companion_texts() if found and not dry_run else {}
    for c in COMPANIONS:
        target = c.target()
        if c not in found:
            print(f"{c.what}: skipped, {c.name} is not installed here")
            continue
        if dry_run:
            print(f"would write {target} ({c.what})")
        else:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(texts[c.name], encoding="utf-8")
            except OSError as e:
                print(f"lofid: cannot write the {c.what} to {target} ({e.strerror or e}); skipped", file=sys.stderr)
                continue
            print(f"wrote {target} ({c.what})")
        if c.hint(target):
            print(f"    {c.hint(target)}")


def uninstall_companions(dry_run: bool = False) -> None:
    """Remove the completions and the man page that are there, whichever programs are still installed."""
    for c in COMPANIONS:
        target = c.target()
        if target.exists():
            if not dry_run:
                target.unlink()
            print(f"{'would remove' if dry_run else 'removed'} {target} ({c.what})")


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
    install_companions(dry_run)
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
    uninstall_companions(dry_run)
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
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
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
                        help="install: write the unit/agent, the shell completions and the man page, and start it; "
                             "uninstall: stop and remove them; "
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
