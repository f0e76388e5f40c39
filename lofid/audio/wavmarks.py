"""Track markers in a WAV file: RIFF ``cue `` points, each named by a ``labl`` in a ``LIST adtl`` chunk.

This is the form in which audio editors keep markers (and ffprobe reads them as chapters), so a long
``lofid render`` shows where each track starts and what it is called.
The chunks go after the audio, into the file still open, once it is complete; players, Python's ``wave`` and
libsndfile skip chunks they do not know, so the file plays as before. No library writes them:
``wave`` and soundfile know only the audio, mutagen only tags, hence these few lines of struct.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lofid.errors import LofidError

_HEADER = struct.Struct("<4sI")  # a chunk's id and size (its data's, without the pad byte)
_POINT = struct.Struct("<II4sIII")  # id, position, "data", chunk start, block start, frame in the data


@dataclass(frozen=True)
class Marker:
    """A named place in the audio."""

    frame: int  # frames from the start of the audio
    label: str


def _chunk(kind: bytes, data: bytes) -> bytes:
    return _HEADER.pack(kind, len(data)) + data + b"\0" * (len(data) % 2)


def marker_chunks(markers: Sequence[Marker]) -> bytes:
    """The ``cue `` and ``LIST adtl`` chunks for ``markers``, numbered from 1 in order."""
    points = b"".join(_POINT.pack(n, m.frame, b"data", 0, 0, m.frame) for n, m in enumerate(markers, 1))
    labels = b"".join(_chunk(b"labl", struct.pack("<I", n) + m.label.encode() + b"\0") for n, m in enumerate(markers, 1))
    return _chunk(b"cue ", struct.pack("<I", len(markers)) + points) + _chunk(b"LIST", b"adtl" + labels)


def append_markers(f: BinaryIO, markers: Sequence[Marker]) -> None:
    """Add ``markers`` to the finished WAV file open in ``f`` (seekable, written; nothing if there are
    none) and correct its RIFF size. OSError if it cannot be written."""
    if not markers:
        return
    f.seek(0, 2)
    f.write(marker_chunks(markers))
    riff_size = f.tell() - 8
    f.seek(4)
    f.write(struct.pack("<I", riff_size))


def read_markers(path: Path) -> list[Marker]:
    """The markers of the WAV file at ``path``, in frame order; LofidError if it is not a RIFF WAVE file."""
    frames: dict[int, int] = {}
    labels: dict[int, str] = {}
    with Path(path).open("rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise LofidError(f"{path}: not a WAV file")
        while len(header := f.read(_HEADER.size)) == _HEADER.size:
            kind, size = _HEADER.unpack(header)
            if kind not in (b"cue ", b"LIST"):
                f.seek(size + size % 2, 1)  # the audio, and any other chunk, unread
                continue
            body = f.read(size + size % 2)
            try:
                if kind == b"cue ":
                    (count,) = struct.unpack_from("<I", body)
                    for i in range(count):
                        ident, *_, frame = _POINT.unpack_from(body, 4 + i * _POINT.size)
                        frames[ident] = frame
                elif body[:4] == b"adtl":
                    labels.update(_labels(body[4:size]))
            except struct.error:
                raise LofidError(f"{path}: its {kind.decode().strip()} chunk is cut short") from None
    return sorted((Marker(frame, labels.get(ident, "")) for ident, frame in frames.items()), key=lambda m: m.frame)


def _labels(data: bytes) -> dict[int, str]:
    """Each ``labl`` sub-chunk's cue point id and text, from a ``LIST adtl`` chunk's body."""
    out, at = {}, 0
    while at + _HEADER.size <= len(data):
        kind, size = _HEADER.unpack_from(data, at)
        text = data[at + _HEADER.size:at + _HEADER.size + size]
        if kind == b"labl" and size >= 4:
            out[struct.unpack_from("<I", text)[0]] = text[4:].split(b"\0", 1)[0].decode(errors="replace")
        at += _HEADER.size + size + size % 2
    return out
