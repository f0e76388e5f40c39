"""Audio files to keep: finished float stereo encoded as FLAC, Ogg Vorbis, MP3 or WAV, tagged, written whole.

Encoding is done in memory by libraries, no subprocess: FLAC, Ogg Vorbis and WAV by libsndfile
(``soundfile``), MP3 by LAME (``lameenc``, as the stream's encoder). The tags are written by
mutagen into the same bytes: Vorbis comments and a FLAC picture block, Vorbis comments with a
METADATA_BLOCK_PICTURE, ID3v2.4 (TIT2, TPE1, TALB, TRCK, TCON, TDRC, COMM, APIC) in an MP3 or a
WAV's id3 chunk. Then the file is written by ``paths.write_file``: atomically, so a full disk or a
folder that cannot be written leaves nothing half-written behind, and the error is one line naming
the file and the reason.
"""

from __future__ import annotations

import base64
import io
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofid import paths
from lofid.audio.sinks import pcm16
from lofid.errors import LofidError

FORMATS = ("flac", "mp3", "ogg", "wav")  # what lofid writes, by file name extension
MP3_KBPS = 192  # an album to keep: above the stream's 128
MP3_QUALITY = 2  # LAME's -q: slow and best (a file is encoded once, faster than it plays)
OGG_QUALITY = 0.6  # Vorbis quality 0..1 (about q6, 190 kbps)
BLOCK = 65536  # frames encoded at once: a long track is never copied whole
_SOUNDFILE = {"flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"), "wav": ("WAV", "PCM_16")}
_FRONT_COVER = 3  # the picture type of a front cover (ID3 APIC and FLAC alike)


@dataclass(frozen=True)
class Tags:
    """What a kept file says about itself."""

    title: str
    album: str
    number: int  # its place in the album, from 1
    total: int  # tracks in the album
    date: str  # the year, or an ISO date
    comment: str  # how to make it again: the seed and the settings
    cover: bytes | None = None  # a PNG
    artist: str = "lofid"
    genre: str = "Lo-Fi"


def format_of(path: str | Path) -> str:
    """The format a file name asks for, or a LofidError naming it."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise LofidError(f"{Path(path).name}: not a format lofid writes (use .{', .'.join(FORMATS)})")
    return suffix


def encode(audio: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """Float stereo (frames, 2) in -1..1 as the bytes of a ``fmt`` file, untagged."""
    if fmt == "mp3":
        import lameenc

        lame = lameenc.Encoder()
        lame.set_bit_rate(MP3_KBPS)
        lame.set_in_sample_rate(sample_rate)
        lame.set_channels(2)
        lame.set_quality(MP3_QUALITY)
        parts = [bytes(lame.encode(pcm16(audio[at:at + BLOCK]))) for at in range(0, len(audio), BLOCK)]
        return b"".join(parts) + bytes(lame.flush())
    try:
        import soundfile
    except (ImportError, OSError) as e:  # its wheel carries libsndfile; a source install needs the system's
        raise LofidError(f"cannot write {fmt.upper()}: soundfile (libsndfile) is not usable here ({e})") from None
    kind, subtype = _SOUNDFILE[fmt]
    out = io.BytesIO()
    level = {"compression_level": 1 - OGG_QUALITY} if fmt == "ogg" else {}  # libsndfile's: 0 best .. 1 smallest
    with soundfile.SoundFile(out, "w", sample_rate, 2, subtype, format=kind, **level) as f:
        for at in range(0, len(audio), BLOCK):
            f.write(np.clip(audio[at:at + BLOCK], -1.0, 1.0))
    return out.getvalue()


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise LofidError("the cover is not a PNG")
    return struct.unpack(">II", png[16:24])


def _picture(png: bytes):
    from mutagen.flac import Picture

    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = _FRONT_COVER, "image/png", "cover", png
    picture.width, picture.height = _png_size(png)
    picture.depth = 24
    return picture


def _vorbis_comments(tags: Tags) -> dict[str, str]:
    return {"TITLE": tags.title, "ARTIST": tags.artist, "ALBUM": tags.album, "TRACKNUMBER": str(tags.number),
            "TRACKTOTAL": str(tags.total), "GENRE": tags.genre, "DATE": tags.date, "COMMENT": tags.comment}


def _id3(tags: Tags):
    from mutagen.id3 import APIC, COMM, ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK

    id3 = ID3()
    for frame in (TIT2(encoding=3, text=tags.title), TPE1(encoding=3, text=tags.artist),
                  TALB(encoding=3, text=tags.album), TRCK(encoding=3, text=f"{tags.number}/{tags.total}"),
                  TCON(encoding=3, text=tags.genre), TDRC(encoding=3, text=tags.date),
                  COMM(encoding=3, lang="eng", desc="", text=tags.comment)):
        id3.add(frame)
    if tags.cover is not None:
        id3.add(APIC(encoding=3, mime="image/png", type=_FRONT_COVER, desc="cover", data=tags.cover))
    return id3


def tag(data: bytes, fmt: str, tags: Tags) -> bytes:
    """``data`` (a ``fmt`` file) with ``tags`` written into it."""
    buffer = io.BytesIO(data)
    if fmt == "flac":
        from mutagen.flac import FLAC

        flac = FLAC(buffer)
        flac.update(_vorbis_comments(tags))
        if tags.cover is not None:
            flac.add_picture(_picture(tags.cover))
        buffer.seek(0)
        flac.save(buffer)
    elif fmt == "ogg":
        from mutagen.oggvorbis import OggVorbis

        ogg = OggVorbis(buffer)
        ogg.update(_vorbis_comments(tags))
        if tags.cover is not None:
            ogg["METADATA_BLOCK_PICTURE"] = base64.b64encode(_picture(tags.cover).write()).decode("ascii")
        buffer.seek(0)
        ogg.save(buffer)
    elif fmt == "mp3":
        _id3(tags).save(buffer, v2_version=4)
    else:
        from mutagen.wave import WAVE

        wave = WAVE(buffer)
        wave.add_tags()
        assert wave.tags is not None
        for frame in _id3(tags).values():
            wave.tags.add(frame)
        buffer.seek(0)
        wave.save(buffer)
    return buffer.getvalue()


def write_audio(path: str | Path, audio: np.ndarray, sample_rate: int, tags: Tags) -> None:
    """Encode, tag and write ``path`` whole (its extension names the format); LofidError on failure."""
    fmt = format_of(path)
    paths.write_file(path, tag(encode(audio, sample_rate, fmt), fmt, tags), f"the {fmt.upper()} file")
