"""``lofid export``: an album of tracks, rendered offline faster than real time, tagged, with covers.

``--tracks N`` or ``--minutes M`` of new tracks from ``--seed`` (as ``lofid render`` makes them: the
same seed, settings and mood write the same album), or ``--likes``: the liked tracks. A progress bar
on a terminal, else a line per track.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lofid.cli.render import add_mood_argument, add_seed_argument, with_mood_argument
from lofid.config import Config, resolve_seed
from lofid.errors import LofidError

if TYPE_CHECKING:  # the daemon's modules load numpy and the engine: only when the command runs
    from lofid.daemon.album import Progress
    from lofid.daemon.takes import Take

log = logging.getLogger("lofid")

FORMATS = ("flac", "mp3", "ogg")  # an album's; `ctl save` also writes .wav
BAR_WIDTH = 30  # characters of the progress bar
MAX_TRACKS = 500


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--tracks", type=int, metavar="N", help="how many tracks")
    what.add_argument("--minutes", type=float, metavar="M", help="tracks until the album is this long")
    what.add_argument("--likes", action="store_true", help="the tracks liked with lofid ctl like (lofid likes lists them), "
                                                           "each as it played: --set and --mood shape new tracks only")
    parser.add_argument("--dir", required=True, metavar="DIR", help="the folder to write the album into")
    parser.add_argument("--format", choices=FORMATS, default="flac", help="the files' format (default flac)")
    parser.add_argument("--midi", action="store_true", help="also write each track's notes as NN title.mid")
    add_mood_argument(parser)
    add_seed_argument(parser)


class _Bar:
    """The progress: a bar redrawn in place on a terminal, else a log line per track."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.live = sys.stderr.isatty()
        if self.live:
            self._draw(0, "")

    def _draw(self, done: float, title: str) -> None:
        filled = int(BAR_WIDTH * done / max(self.total, 1))
        sys.stderr.write(f"\r\033[K[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {int(done)}/{self.total} {title}")
        sys.stderr.flush()

    def __call__(self, progress: Progress) -> None:
        if self.live:
            self._draw(progress.done, progress.title)
        elif progress.written:
            log.info("%d/%d %s", progress.done, progress.total, progress.title)

    def close(self) -> None:
        if self.live:
            sys.stderr.write("\n")


def _until_minutes(takes: Iterator[Take], minutes: float) -> Iterator[Take]:
    """Tracks until they add up to ``minutes`` (at least one)."""
    heard = 0.0
    for take in takes:
        yield take
        heard += take.track.seconds / 60
        if heard >= minutes:
            return


def _takes(args: argparse.Namespace, cfg: Config, seed: int) -> list[Take]:
    """The tracks to export: the liked, or new ones from ``seed`` (only their notes: rendering comes after)."""
    from lofid.daemon import likes
    from lofid.daemon.takes import generated_takes

    if args.likes:
        takes = likes.takes()
        if not takes:
            raise LofidError("no liked tracks yet: lofid ctl like keeps the track playing")
        return takes
    if args.tracks is not None:
        if not 1 <= args.tracks <= MAX_TRACKS:
            raise LofidError(f"--tracks {args.tracks}: give from 1 to {MAX_TRACKS}")
        return list(itertools.islice(generated_takes(cfg, seed), args.tracks))
    if not 0 < args.minutes <= 24 * 60:
        raise LofidError(f"--minutes {args.minutes:g}: give a length from a fraction of a minute to 24 hours")
    return list(_until_minutes(generated_takes(cfg, seed), args.minutes))


def main(args: argparse.Namespace) -> int:
    from lofid.daemon.album import album_title, export

    cfg = with_mood_argument(args)
    seed = resolve_seed(cfg, args.seed)
    takes = _takes(args, cfg, seed)
    album = "liked by you" if args.likes else album_title(seed)
    folder = Path(args.dir).expanduser()
    bar = _Bar(len(takes))
    start = time.perf_counter()
    try:
        files = export(takes, folder, args.format, album, None if args.likes else cfg, args.midi, bar)
    finally:
        bar.close()
    took = time.perf_counter() - start
    seconds = sum(take.track.seconds for take in takes)
    log.info("wrote %d tracks of %r to %s (%s): %.0f s of music in %.1f s (%.0fx real time)", len(files), album,
             folder, args.format, seconds, took, seconds / max(took, 1e-9))
    return 0
