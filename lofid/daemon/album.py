"""Takes kept as files: one track (``ctl save take.flac``) or an album (``lofid export``).

A track's file is its take rendered by a fresh engine, at the loudness target, encoded and tagged
(title, artist lofid, album, number and total, genre Lo-Fi, date, the seed and settings in the
comment, the cover embedded) by lofid.audio.tagged, and written atomically. An album is a folder of
``NN title.ext`` files, an ``.m3u8`` playlist listing them in order and the first track's cover as
``cover.png``. Rendering runs where it is called, as fast as the machine goes: in ``lofid export``, or in the
process the daemon's keeper starts for a save (lofid.daemon.kept), never on its render thread.

Failure: a LofidError names what could not be written; every file is written whole or not at all,
and an album that fails part-way removes the files it wrote, so no half album is left behind.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofid import paths
from lofid.audio.tagged import Tags, format_of, write_audio
from lofid.compose.cover import cover_png
from lofid.compose.titles import TitleMaker
from lofid.config import Config
from lofid.daemon.covers import track_facts
from lofid.daemon.takes import Take, finished, take_midi
from lofid.errors import LofidError

ARTIST = "lofid"
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")  # not in a file name on Linux, macOS or Windows
MAX_NAME = 120  # characters of a title in a file name


@dataclass(frozen=True)
class Progress:
    """How far an export is: tracks done of the total (a share of one while it renders)."""

    done: float
    total: int
    title: str  # the track rendering, or just written
    written: bool  # the track is written (else: rendering)


def file_title(title: str) -> str:
    """``title`` as a file name's part: no separators or characters a file system refuses."""
    cleaned = _UNSAFE.sub(" ", title).strip(" .") or "untitled"
    return cleaned[:MAX_NAME]


def album_title(seed: int) -> str:
    """A title for the album of ``seed``, drawn as track titles are (the same seed, the same title)."""
    return TitleMaker(np.random.default_rng([seed, 28])).next()


def cover(take: Take) -> bytes:
    """The take's cover: painted from its track's facts (as the daemon's covers are, the hour it began
    included), the same picture every time."""
    return cover_png(track_facts(take.track, take.config()["music.mood"], take.seed, take.hour))


def write_take(path: str | Path, take: Take, cfg: Config | None = None, album: str | None = None,
               number: int = 1, total: int = 1, rendered: Callable[[float], None] | None = None) -> float:
    """Render ``take`` (telling ``rendered`` the share done as it goes) and write it to ``path`` (its
    extension names the format), tagged, with its cover; returns the seconds of audio written."""
    format_of(path)
    cfg = cfg or take.config()
    audio = finished(take, cfg, rendered)
    date = datetime.date.today().isoformat()
    tags = Tags(take.track.title, album or take.track.title, number, total, date, take.comment(), cover(take))
    write_audio(path, audio, cfg["output.sample_rate"], tags)
    return len(audio) / cfg["output.sample_rate"]


def export(takes: Sequence[Take], folder: Path, fmt: str, album: str, cfg: Config | None = None,
           midi: bool = False, progress: Callable[[Progress], None] | None = None) -> list[Path]:
    """Write ``takes`` into ``folder`` as an album; return the audio files, in order.

    ``cfg`` plays every take (None: each its own settings); ``midi`` writes each track's notes
    beside it as ``NN title.mid``."""
    format_of(f"x.{fmt}")
    _writable(folder)
    written: list[Path] = []
    total = len(takes)
    tell: Callable[[Progress], None] = progress or (lambda _: None)
    try:
        for number, take in enumerate(takes, 1):
            name = f"{number:02d} {file_title(take.track.title)}"
            path = folder / f"{name}.{fmt}"
            title = take.track.title

            def rendering(share: float, number: int = number, title: str = title) -> None:
                tell(Progress(number - 1 + share, total, title, False))

            write_take(path, take, cfg, album, number, total, rendering)
            written.append(path)
            if midi:
                paths.write_file(folder / f"{name}.mid", take_midi(take), "the MIDI file")
                written.append(folder / f"{name}.mid")
            if number == 1:
                paths.write_file(folder / "cover.png", cover(take), "the cover")
                written.append(folder / "cover.png")
            tell(Progress(number, total, title, True))
        tracks = [p.name for p in written if p.suffix == f".{fmt}"]
        playlist = folder / f"{file_title(album)}.m3u8"
        paths.write_file(playlist, "#EXTM3U\n" + "".join(f"{name}\n" for name in tracks), "the playlist")
        written.append(playlist)
    except BaseException:
        for path in written:  # no half album: what this export wrote goes
            path.unlink(missing_ok=True)
        raise
    return [p for p in written if p.suffix == f".{fmt}"]


def _writable(folder: Path) -> None:
    """Make ``folder`` (and its parents), or a LofidError naming it and why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LofidError(f"{folder}: cannot make the album's folder ({e.strerror or e})") from None
    if not folder.is_dir():
        raise LofidError(f"{folder}: not a folder")
