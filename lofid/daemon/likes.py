"""The tracks the user liked: ``lofid ctl like`` adds the track playing, ``lofid likes`` lists them,
``lofid export --likes`` renders them as an album.

One JSON file in the user's data folder (``paths.likes_path``): ``{"likes": [take, ...]}``, each a
take (lofid.daemon.takes: its notes and cues, its settings and seed, and the title, key, bpm and
when it was liked, for the listing). Each change rewrites it whole with ``paths.write_atomically``,
so a reader (``lofid likes`` while the daemon adds one) sees the old list or the new one, and a
full disk leaves the old list as it was. Writers in one process take ``_lock``; the daemon writes
it only from its keeper thread (lofid.daemon.keeper), never holding the steering lock.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from lofid import paths
from lofid.daemon.takes import Take, from_json, to_json
from lofid.errors import LofidError

_lock = threading.Lock()


def listing(path: Path | None = None) -> list[dict[str, Any]]:
    """Every like as kept (in the order liked); [] when there are none."""
    path = path or paths.likes_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        raise LofidError(f"{path}: cannot read the likes ({e})") from None
    likes = data.get("likes") if isinstance(data, dict) else None
    if not isinstance(likes, list):
        raise LofidError(f"{path}: not a likes file (no \"likes\" list)")
    return likes


def takes(path: Path | None = None) -> list[Take]:
    """Every like as a take to render."""
    return [from_json(like) for like in listing(path)]


def _write(likes: list[dict[str, Any]], path: Path) -> None:
    try:
        paths.write_atomically(path, json.dumps({"likes": likes}, separators=(",", ":")) + "\n")
    except OSError as e:
        raise LofidError(f"{path}: cannot keep the like ({e.strerror or e})") from None


def add(take: Take, path: Path | None = None) -> int:
    """Keep ``take`` as the last like; return its number (from 1)."""
    path = path or paths.likes_path()
    with _lock:
        likes = listing(path)
        likes.append(to_json(take))
        _write(likes, path)
        return len(likes)


def complete(number: int, take: Take, path: Path | None = None) -> None:
    """Replace like ``number``'s notes with the whole track's (``take``), once it has ended; its
    listing (title, when) stays. Nothing happens if that like is gone or is another track."""
    path = path or paths.likes_path()
    with _lock:
        likes = listing(path)
        if not 1 <= number <= len(likes) or likes[number - 1].get("title") != take.track.title:
            return
        likes[number - 1] = {**to_json(take), "when": likes[number - 1].get("when")}
        _write(likes, path)
