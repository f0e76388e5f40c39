"""The daemon's keeper: the slow work of keeping what was heard, off every thread that steers or plays.

``ctl save take.flac`` has the track rendered again by a fresh engine, encoded and written (in a
process of its own: lofid.daemon.kept); ``ctl like`` rewrites the likes file, and again when a liked
track ends (its whole notes). Each is a job handed
to ``submit`` by a steering entry, which returns at once: the music plays on while the job runs.

Threads: one thread of its own (``lofid-keep``, started with the first job) runs the jobs one at a
time, in the order given, holding no lock of the daemon's; at most ``MAX_JOBS`` wait, beyond them
``submit`` refuses with a LofidError (the reply says so). Each job's outcome is a log line and a
"kept" event (``done``, which the daemon announces to the watchers). Failure: a job's LofidError
(a full disk, a folder gone) is that line and event, naming the file; anything else is logged with
its traceback; the keeper goes on with the next job either way. ``close`` lets the job running
finish (its file is written whole or not at all) for up to ``CLOSE_S``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from lofid.control.status import KeptEvent
from lofid.errors import LofidError

log = logging.getLogger("lofid")

MAX_JOBS = 8  # jobs waiting at once
CLOSE_S = 30.0  # how long stopping waits for the job running (a long track renders in seconds)

Job = Callable[[], str]  # does the work; returns what was kept, for the log and the event ("/home/u/take.flac")


class Keeper:
    """Runs keeping jobs on its own thread; tells ``done`` of each outcome."""

    def __init__(self, done: Callable[[KeptEvent], None]) -> None:
        self._done = done
        self._jobs: queue.Queue[tuple[str, Job] | None] = queue.Queue(MAX_JOBS)
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, what: str, job: Job) -> None:
        """Queue ``job`` (``what``: "save" or "like"); a LofidError if too many wait."""
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lofid-keep", daemon=True)
                self._thread.start()
        try:
            self._jobs.put_nowait((what, job))
        except queue.Full:
            raise LofidError(f"{what}: {MAX_JOBS} files are being written already; try again in a moment") from None

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            what, job = item
            try:
                kept = job()
            except LofidError as e:
                log.error("%s failed: %s", what, e)
                self._tell(KeptEvent(event="kept", what=what, kept=None, error=str(e)))
            except Exception as e:
                log.exception("%s failed inside lofid", what)
                self._tell(KeptEvent(event="kept", what=what, kept=None, error=f"failed inside lofid ({e})"))
            else:
                log.info("%s: wrote %s", what, kept)
                self._tell(KeptEvent(event="kept", what=what, kept=kept, error=None))

    def _tell(self, event: KeptEvent) -> None:
        try:
            self._done(event)
        except Exception:
            log.exception("telling of a kept file failed")

    def close(self) -> None:
        """Stop after the job running (waiting up to CLOSE_S); the jobs still waiting are dropped."""
        if self._thread is None:
            return
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        self._jobs.put(None)
        self._thread.join(CLOSE_S)
