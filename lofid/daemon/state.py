"""Settings changed at run time (``lofid ctl``), kept across restarts.

The state file (``$XDG_STATE_HOME/lofid/state.yaml`` by default) holds only what was changed while
playing, as dotted keys, and is laid over the config at the next start. It is replaced atomically
(write a temporary file beside it, fsync, rename, fsync the folder), so a crash or SIGKILL at any
moment leaves either the old file or the new one, never a torn one.

A damaged state file must not keep the music from starting: an unreadable file is skipped with one
warning naming it, and each invalid entry is skipped with a warning while the rest are kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lofid.config import Config, read_yaml_file, setting_for
from lofid.errors import ConfigError
from lofid.paths import write_atomically

log = logging.getLogger("lofid.state")

_HEADER = "# lofid: settings changed with `lofid ctl`, restored at the next start. Delete this file to forget them.\n"


class StateFile:
    """The run-time changes: ``load`` them at start, ``record`` each change as it is made."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def load(self) -> dict[str, Any]:
        """Read the file (missing is fine); keep and return its valid entries, warn about the rest."""
        self._remove_leftovers()
        self.values = {}
        if not self.path.exists():
            return {}
        try:
            entries = read_yaml_file(self.path)
        except ConfigError as e:
            log.warning("ignoring the saved settings: %s", e)
            return {}
        for key, value in entries.items():
            try:
                self.values[key] = setting_for(key).check(value)
            except ConfigError as e:
                log.warning("%s: skipping a saved setting: %s", self.path, e)
        return dict(self.values)

    def apply_to(self, cfg: Config) -> Config:
        """``cfg`` with the saved settings laid over it (after ``load``)."""
        return cfg.replace(self.values)

    def record(self, changes: Mapping[str, Any]) -> str | None:
        """Add ``changes`` (validated dotted keys) and rewrite the file atomically; None once kept.

        If the file cannot be written (a full or read-only disk), it is left as it was, a warning is
        logged, and the reason comes back in one line: the change still holds until the daemon stops,
        which beats refusing it, and the next change that can be written keeps this one too.
        """
        with self._lock:
            self.values.update(changes)
            try:
                write_atomically(self.path, _HEADER + yaml.safe_dump(self.values, sort_keys=True), mode=0o600)
            except OSError as e:
                why = (f"not kept for the next start: cannot write {self.path} ({e.strerror or e}); "
                       "it holds until lofid stops")
                log.warning("run-time settings %s", why)
                return why
        return None

    def _remove_leftovers(self) -> None:
        """Temporary files of writes that a crash interrupted (the real file is intact)."""
        if self.path.parent.is_dir():
            for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
                stale.unlink(missing_ok=True)
