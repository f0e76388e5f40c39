"""`lofid ctl` is the quick path: it must not pay for what it does not use (bench/control_latency.py
times it next to a bare interpreter). A module slipping back into its imports fails here."""

from __future__ import annotations

import subprocess
import sys

SLOW = ("numpy", "yaml", "lofid.config", "lofid.control.protocol", "logging", "dataclasses", "tempfile")
PROBE = """
import sys
from lofid.cli import main
code = main(["ctl", "status"])
print(code, ",".join(sys.modules))
"""


def test_ctl_status_imports_nothing_it_does_not_use(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60,
                          env={"XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    code, modules = done.stdout.split()
    assert code == "2" and "not running" in done.stderr  # it really ran: no daemon there to answer
    assert [m for m in SLOW if m in modules.split(",")] == []


def test_help_still_lists_the_settings_it_reads_from_the_schema(capsys):
    from lofid import cli

    try:
        cli.main(["ctl", "--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "temperature VALUE" in out and "a number from 0.1 to 2" in out
