"""lofid's log lines on stderr, carrying their syslog priority when stderr is the journal.

Under systemd a service's stderr is a stream into journald, and ``$JOURNAL_STREAM`` names it
("DEV:INODE"). A line that starts with an sd-daemon(3) prefix such as ``<4>`` is stored at that
priority, so ``journalctl -p warning`` finds lofid's warnings. The prefix is written only when
stderr really is that stream: a child whose stderr was sent elsewhere (a file, a pipe, a terminal)
inherits the variable, not the stream, and a person reading it wants no ``<6>`` in front of each line.
"""

from __future__ import annotations

import logging
import os

FORMAT = "lofid: %(message)s"
STDERR = 2
# syslog(3) priorities of the logging levels: at or above each level, its priority
PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
DEBUG_PRIORITY = 7


def priority(level: int) -> int:
    """The syslog priority of a logging level (a level between two takes the lower one's)."""
    return next((p for at_least, p in PRIORITIES if level >= at_least), DEBUG_PRIORITY)


def is_journal(fd: int = STDERR, journal_stream: str | None = None) -> bool:
    """Whether ``fd`` is the stream ``$JOURNAL_STREAM`` (or ``journal_stream``) names, by device and inode."""
    named = os.environ.get("JOURNAL_STREAM", "") if journal_stream is None else journal_stream
    dev, sep, ino = named.partition(":")
    try:
        st = os.fstat(fd)
        return bool(sep) and (st.st_dev, st.st_ino) == (int(dev), int(ino))
    except (OSError, ValueError):
        return False


class JournalFormatter(logging.Formatter):
    """Puts the record's priority before each of its lines (a traceback too), so none is stored as plain info."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


def stderr_handler() -> logging.Handler:
    """The handler for lofid's log: stderr, with priorities when it is the journal."""
    handler = logging.StreamHandler()
    handler.setFormatter(JournalFormatter(FORMAT) if is_journal() else logging.Formatter(FORMAT))
    return handler
