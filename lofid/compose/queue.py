"""The producer: a thread that runs the note model ahead of playback into a bounded queue.

Locks, always taken in this order:
- ``_writing`` is held while a note is generated and queued, and while queued notes are thrown
  away to be written again. So "drop the notes not yet played and rewind the generator by as
  many" is atomic: the generator's context always ends with exactly the queued notes, and a
  stale note can never slip in between.
- During a regeneration only, the consumer's hold (``holding``: the engine's render lock), so
  that the note the engine took ahead of its onset is handed back with the queued ones, and the
  first note is written again before the engine looks for it. The render thread then waits for
  the rewind and that one model step (about a millisecond), never for the producer's own steps.
- ``_cv`` guards only the queue itself. The engine's render thread takes it for a pop and never
  waits on the producer: on a busy machine a model step can be preempted for tens of
  milliseconds, and the render thread must not be stuck behind it. The sound-card callback sees
  none of these locks.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from lofid.config import Config
from lofid.music.tracks import Event

log = logging.getLogger(__name__)

# After a crash inside generation, wait this long before trying again (the queue keeps playing).
RESTART_DELAY_S = 0.5
# The producer sleeps until this share of the queue has been played, then fills it up again in one
# go: each wake-up of a thread costs more than a note (cold caches on a virtual machine,
# BENCHMARKS.md), and a note written in a run of them costs less than one written alone.
REFILL_SHARE = 8


class NoteSource(Protocol):
    """What the producer runs (lofid.compose.generator.NoteGenerator). Every call is made holding
    the producer's ``_writing`` lock, from its thread or the control thread, so calls never overlap."""

    def next_note(self) -> Event: ...

    def rewind(self, n: int) -> None: ...

    def reset(self) -> None: ...

    def redirect(self, how: str) -> None: ...

    def update(self, cfg: Config) -> None: ...


class Producer:
    """Keeps up to ``maxsize`` notes generated ahead. Blocks when full: a note is never dropped."""

    def __init__(self, generator: NoteSource, maxsize: int, on_error: Callable[[Exception], None] | None = None) -> None:
        self._gen = generator
        self._queue: collections.deque[Event] = collections.deque()
        self._maxsize = maxsize
        self._cv = threading.Condition()
        self._writing = threading.Lock()
        self._running = False
        self._thread: threading.Thread | None = None
        self._on_error = on_error
        self.generated = 0
        self.restarts = 0

    # -- consumer side -------------------------------------------------------------------
    def take(self) -> Event | None:
        """The next note, or None if none is ready yet (never blocks: the engine calls it)."""
        with self._cv:
            if not self._queue:
                return None
            note = self._queue.popleft()
            if len(self._queue) <= self._refill_at():
                self._cv.notify_all()
            return note

    def depth(self) -> int:
        return len(self._queue)

    def _refill_at(self) -> int:
        """The depth at which the producer wakes to fill the queue up (a full one less a share)."""
        return self._maxsize - max(1, self._maxsize // REFILL_SHARE)

    def queued(self) -> list[Event]:
        with self._cv:
            return list(self._queue)

    def _write(self) -> Event | None:
        """Generate the next note into the queue (holding ``_writing``); None if generation failed,
        which is logged and counted, never raised: a bad step must not end the music."""
        try:
            note = self._gen.next_note()
        except Exception as e:
            self.restarts += 1
            log.error("generation failed (%s: %s); restarting the producer", type(e).__name__, e)
            if self._on_error:
                self._on_error(e)
            return None
        with self._cv:
            self._queue.append(note)
            self.generated += 1
            self._cv.notify_all()
        return note

    # -- control side --------------------------------------------------------------------
    def regenerate(self, cfg: Config | None = None, fresh_phrase: bool = False, redirect: str | None = None,
                   holding: contextlib.AbstractContextManager[int] | None = None) -> int:
        """Drop the queued notes and let the producer write them again under ``cfg``.

        ``holding`` holds the consumer meanwhile and yields how many notes it took that it hands
        back unplayed (the engine's held note: ``Engine.taking_back``). The generator forgets
        exactly those and the dropped ones, so the music continues from what was heard;
        ``fresh_phrase`` (``ctl skip``) then starts a new phrase at the next bar, and ``redirect``
        changes the track's course there (``next``, ``hold``, ``release``). The first note is
        written again before the consumer is let go, so it never waits for one. Returns how many
        notes were forgotten.
        """
        with self._writing, holding or contextlib.nullcontext(0) as returned:
            with self._cv:
                forgotten = len(self._queue) + returned
                self._queue.clear()
                self._cv.notify_all()
            if forgotten:
                self._gen.rewind(forgotten)
            if fresh_phrase:
                self._gen.reset()
            if redirect is not None:
                self._gen.redirect(redirect)
            if cfg is not None:
                self._gen.update(cfg)
            if forgotten:
                self._write()
        return forgotten

    def resize(self, maxsize: int) -> None:
        with self._cv:
            self._maxsize = maxsize
            self._cv.notify_all()

    # -- the thread ----------------------------------------------------------------------
    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._run, name="lofid-producer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._running = False
            self._cv.notify_all()
        if self._thread:
            self._thread.join(timeout=2)

    def wait_for(self, n: int, timeout: float) -> bool:
        """Block until ``n`` notes are queued (the daemon starts the sound after the first few)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while len(self._queue) < n:
                left = deadline - time.monotonic()
                if left <= 0 or not self._running:
                    return False
                self._cv.wait(left)
            return True

    def _run(self) -> None:
        while True:
            with self._cv:  # only this thread fills the queue (a regeneration empties it first), so room found here stays room
                if len(self._queue) >= self._maxsize:  # full: asleep until a share of it has played
                    while self._running and len(self._queue) > self._refill_at():
                        self._cv.wait()
                if not self._running:
                    return
            with self._writing:
                note = self._write()
            if note is None:
                with self._cv:
                    self._cv.wait(RESTART_DELAY_S)
