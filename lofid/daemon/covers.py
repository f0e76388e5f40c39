"""Each track's cover, painted off the render thread and kept in the user's cache.

When the daemon sees a new track (on its main thread, twice a second) it hands the track to
``Covers.want``, which returns at once. The ``lofid-covers`` thread paints the cover from the track's
facts (lofid.compose.cover: title, key, tempo, palette, the mood in force, the local hour, the seed;
tens of milliseconds), writes it atomically to ``$XDG_CACHE_HOME/lofid/covers/ID.png``
(``paths.cover_path``; the ID is the hash of the facts, so a picture already there is only touched),
removes all but the newest ``KEEP`` covers there, and, holding the daemon's steering lock only for
that, announces a "cover" event if the track still plays: MPRIS's ``mpris:artUrl``, the web remote's
picture and ``ctl watch`` hear it, and the track's status names the cover from then on. The thread
never holds the lock while it paints or writes.

Only the newest wish waits: skipping past several tracks paints the last one alone. Failure (a full
disk, an unwritable cache): one warning line naming the file, no cover for that track, and the
music plays on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lofid import paths
from lofid.control.status import CoverEvent, Event, TrackStatus
from lofid.music.tracks import Track

if TYPE_CHECKING:  # the painting (Pillow, 4 MB and 30 ms to import) is imported on the covers thread, not at start
    from lofid.compose.cover import CoverFacts

log = logging.getLogger("lofid.covers")

KEEP = 8  # covers left in the cache: the current one, and those a panel or a browser may still show


def track_facts(track: Track, mood: str, seed: int, hour: int | None) -> CoverFacts:
    """What ``track``'s cover is painted from: its hour is the local one it began to play at (its
    light), None for one rendered offline."""
    from lofid.compose.cover import CoverFacts

    return CoverFacts(title=track.title, key=track.key_name, bpm=round(track.bpm, 1), palette=track.palette.name,
                      mood=mood, hour=hour, seed=seed)


class Covers:
    """A worker that paints the covers wished for and announces each, under ``lock``, while its track plays."""

    def __init__(self, lock: AbstractContextManager[Any], playing: Callable[[], TrackStatus | None],
                 announce: Callable[[Event], None], keep: int = KEEP) -> None:
        self._lock, self._playing, self._announce, self._keep = lock, playing, announce, keep
        self._wish: tuple[Track, str, int, int] | None = None  # (track, mood, seed, local hour) to paint
        self._painted: tuple[int, str] | None = None  # (track number, cover ID) of the newest cover
        self._closed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="lofid-covers", daemon=True)

    def start(self) -> Covers:
        self._thread.start()
        return self

    def want(self, track: Track | None, mood: str, seed: int) -> None:
        """Paint ``track``'s cover soon (any thread; returns at once; replaces a wish not yet begun)."""
        if track is None:
            return
        with self._wake:
            self._wish = (track, mood, seed, time.localtime().tm_hour)
            self._wake.notify()

    def painted(self, number: int) -> str | None:
        """The ID of track ``number``'s cover, once painted."""
        painted = self._painted
        return painted[1] if painted is not None and painted[0] == number else None

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._wish is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                assert self._wish is not None
                (track_wished, mood, seed, hour), self._wish = self._wish, None
            number, facts = track_wished.number, track_facts(track_wished, mood, seed, hour)
            try:
                made = self._make(facts)
            except Exception:  # a fault in the painting: that track goes without, the next is tried
                log.exception("painting the cover of %r failed", facts.title)
                continue
            if made is not None:
                with self._lock:
                    self._painted = (number, made)
                    track = self._playing()
                    if track is not None and track["number"] == number:
                        self._announce(CoverEvent(event="cover", track=track))

    def _make(self, facts: CoverFacts) -> str | None:
        """Paint and keep the cover of ``facts``; its ID, or None (said in one line) when it cannot be kept."""
        from lofid.compose.cover import cover_id, cover_png

        name = cover_id(facts)
        path = paths.cover_path(name)
        try:
            if path.is_file():
                path.touch()  # the newest again, so the cleaning keeps it
            else:
                started = time.perf_counter()
                paths.write_atomically(path, cover_png(facts))
                log.debug("cover of %r painted in %.0f ms: %s", facts.title, 1000 * (time.perf_counter() - started), path)
            clean(path.parent, self._keep)
        except OSError as e:
            log.warning("no cover for %r: cannot write %s (%s)", facts.title, path, e.strerror or e)
            return None
        return name


def clean(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` newest covers in ``folder`` (one another process removed first is no matter)."""
    covers = sorted(folder.glob("*.png"), key=_age)
    for old in covers[:-keep] if keep > 0 else covers:
        old.unlink(missing_ok=True)


def _age(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
