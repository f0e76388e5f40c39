"""What ``ctl save`` and ``ctl like`` keep: the engine's log of the track playing, as MIDI at once, or
handed to the keeper to render (audio, likes).

The daemon calls these holding its steering lock, so the log, the settings and the track agree; they
only copy the log (the engine appends to it on the render thread; a copy of a deque is whole) and
queue a job on the keeper's thread (lofid.daemon.keeper), which renders and writes. A like is kept at
once as far as the track has played, and again whole once the track has ended (``track_changed``):
the engine starts a new log for each track, so the liked track's log, kept here, is then complete.
A save of audio is rendered in a process of its own (``in_own_process``): a render on one of the
daemon's threads would take turns with the render thread for Python's interpreter lock, and the
sound card would hear it (bench/saves.py: 9 underruns in 5 saves that way, on a busy 2-core machine).
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lofid.audio.engine import Engine
from lofid.audio.tagged import FORMATS
from lofid.config import Config, part_programs
from lofid.control.status import KeptEvent
from lofid.daemon import likes
from lofid.daemon.keeper import Keeper
from lofid.daemon.saving import save_played
from lofid.daemon.takes import Take, from_json, take_from_log, to_json
from lofid.errors import LofidError
from lofid.music.notes import Note
from lofid.music.tracks import Cue

log = logging.getLogger("lofid")

MIDI_SUFFIXES = (".mid", ".midi")  # ctl save writes these itself, at once (lofid.daemon.saving)
RENDER_NICE = 10  # how far the process rendering a save stands back from the music (nice increment)
Log = Sequence[tuple[int, Note | Cue]]  # the engine's track_log


@dataclass
class _Liked:
    """A like of a track still playing."""

    log: Log  # the engine's log of that track, which it stops appending to when the next begins
    track: int  # its number
    settings: Mapping[str, Any]  # those it played under
    hour: int | None  # the local hour it began
    number: int | None = None  # its place in the likes file, once the keeper has written it


def _write(path: str, take: dict[str, Any]) -> str:
    from lofid.daemon.album import write_take  # tagging and the cover's Pillow: only where a save is written

    write_take(path, from_json(take))
    return path


def in_own_process(path: str, take: dict[str, Any]) -> str:
    """Render and write ``take`` (its JSON) to ``path`` in a process of its own, niced: so the rendering
    never holds the daemon's interpreter lock that its render thread needs, and yields the CPU to the
    music. Spawned (never forked from a process with threads) and gone when done; a LofidError in it
    comes back as itself, a process that died as BrokenProcessPool."""
    import multiprocessing  # imported at the first save, not at start
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=os.nice, initargs=(RENDER_NICE,)) as pool:
        return pool.submit(_write, path, take).result()


def began(engine: Engine) -> int:
    """The local hour the track playing began (its cover's light, as the daemon painted it)."""
    seconds_in = (engine.sample_time - engine.track_started) / engine.sample_rate
    return time.localtime(time.time() - max(0.0, seconds_in)).tm_hour


class Kept:
    """Saves and likes, handed to a keeper that tells ``done`` (the daemon's ``announce``) of each
    outcome; ``seed`` is the daemon's (a take's comment says it)."""

    def __init__(self, done: Callable[[KeptEvent], None], seed: int) -> None:
        self.keeper, self.seed = Keeper(done), seed
        self._liked: list[_Liked] = []  # likes of tracks still playing

    def save(self, path: str, engine: Engine, chords: Iterable[tuple[int, str]], settings: Config) -> str:
        """The track playing as played so far to ``path``: MIDI (with ``chords``, its markers, key
        signature and tempo) written at once, or audio (.flac, .mp3, .ogg, .wav) queued; return the path."""
        suffix = Path(path).suffix.lower()
        if suffix in MIDI_SUFFIXES:
            return save_played(path, engine, chords, part_programs(settings))
        if suffix.lstrip(".") not in FORMATS:
            raise LofidError(f"save: {Path(path).name!r} should end in {MIDI_SUFFIXES[0]}, .{', .'.join(FORMATS)}")
        take = take_from_log(list(engine.track_log), settings, self.seed, hour=began(engine))
        try:  # a folder that cannot be written is said now, in the reply; a full disk, when it is written
            with tempfile.TemporaryFile(dir=Path(path).parent):
                pass
        except OSError as e:
            raise LofidError(f"{path}: cannot write the {suffix.lstrip('.').upper()} file ({e.strerror or e})") from None

        self.keeper.submit("save", functools.partial(in_own_process, path, to_json(take)))
        return path

    def like(self, engine: Engine, settings: Mapping[str, Any]) -> str:
        """Queue a like of the track playing (as far as it has played; once, however often it is liked);
        return its title."""
        played = engine.track_log
        take = take_from_log(list(played), settings, self.seed, hour=began(engine))
        if any(liked.track == take.track.number for liked in self._liked):
            return take.track.title
        liked = _Liked(played, take.track.number, settings, take.hour)

        def keep() -> str:
            liked.number = likes.add(take)
            return f"like {liked.number} ({take.track.title})"

        self.keeper.submit("like", keep)
        self._liked.append(liked)
        return take.track.title

    def track_changed(self, playing: int) -> None:
        """Track ``playing`` has begun: each liked track before it is written again, whole."""
        for liked in [liked for liked in self._liked if liked.track != playing]:
            self._liked.remove(liked)
            take = take_from_log(list(liked.log), liked.settings, self.seed, whole=True, hour=liked.hour)

            def keep(liked: _Liked = liked, take: Take = take) -> str:
                if liked.number is None:  # its first writing failed: nothing to complete
                    raise LofidError(f"{take.track.title} was not kept")
                likes.complete(liked.number, take)
                return f"like {liked.number} ({take.track.title}), whole"

            try:
                self.keeper.submit("like", keep)
            except LofidError as e:  # the keeper is busy: the like stays as far as it had played
                log.error("%s", e)

    def close(self) -> None:
        self.keeper.close()
