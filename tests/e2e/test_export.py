"""`lofid export` as a user runs it: an album of three short tracks as FLAC and as MP3, read back by
what a listener's player uses: ffmpeg decodes them, mutagen reads the tags, Pillow the covers.

Short tracks (music.track_minutes=0.5) keep it quick; the seed makes the album the same every time.
"""

from __future__ import annotations

import datetime
import io
import os
import subprocess
from pathlib import Path

import mutagen
import numpy as np
import pytest
import soundfile
from PIL import Image

from lofid.config import load
from lofid.daemon.takes import TAIL_S, generated_takes
from lofid.music.notes import step_seconds
from tests.support.meter import integrated_lufs
from tests.support.player import LOFID, ROOT
from tests.support.stream import RATE, decode, ffmpeg_available

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ffmpeg_available(), reason="needs ffmpeg (scripts/sysdeps.sh test)")]

SEED = 7
SHORT = ("--set", "music.track_minutes=0.5")
TARGET_LUFS = -16.0  # fx.loudness's default
LENGTH_SLACK_S = 0.3  # a swung last 16th, the chain's latency, an MP3's padding


def lofid(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state")}
    return subprocess.run([*LOFID, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def export(home: Path, folder: Path, fmt: str, tracks: int = 3) -> subprocess.CompletedProcess:
    done = lofid(home, "export", "--tracks", str(tracks), "--format", fmt, "--dir", str(folder), "--seed", str(SEED),
                 *SHORT)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def albums(tmp_path_factory) -> dict[str, Path]:
    home = tmp_path_factory.mktemp("home")
    for fmt in ("flac", "mp3"):
        export(home, home / fmt, fmt)
    return {"flac": home / "flac", "mp3": home / "mp3", "home": home}


@pytest.fixture(scope="module")
def expected() -> list:
    """The three tracks' takes, as the export made them (their notes only: nothing rendered)."""
    takes = generated_takes(load(None, [SHORT[1]]), SEED)
    return [next(takes) for _ in range(3)]


def tag(file, vorbis: str, id3: str) -> str:
    """A tag's text from a FLAC's Vorbis comment or an MP3's ID3 frame."""
    return str(file[vorbis][0]) if vorbis in file else str(file[id3].text[0])


@pytest.mark.parametrize("fmt", ["flac", "mp3"])
def test_an_album_of_three_tracks_plays_at_the_target_with_its_tags_cover_and_playlist(albums, expected, fmt):
    folder = albums[fmt]
    files = sorted(folder.glob(f"*.{fmt}"))
    titles = [take.track.title for take in expected]
    assert [f.name for f in files] == [f"{n:02d} {t}.{fmt}" for n, t in enumerate(titles, 1)]
    playlist = next(folder.glob("*.m3u8")).read_text().splitlines()
    assert playlist == ["#EXTM3U", *(f.name for f in files)]
    assert Image.open(folder / "cover.png").size == (600, 600)

    albums_named = set()
    for number, (path, take) in enumerate(zip(files, expected), 1):
        audio = decode(str(path), 600.0, input_format=None)
        seconds = take.end * step_seconds(take.track.bpm) + TAIL_S
        assert abs(len(audio) / RATE - seconds) < LENGTH_SLACK_S, path.name
        assert abs(integrated_lufs(audio, RATE) - TARGET_LUFS) <= 1.0, path.name

        file = mutagen.File(path)
        assert tag(file, "title", "TIT2") == take.track.title
        assert tag(file, "artist", "TPE1") == "lofid"
        assert tag(file, "genre", "TCON") == "Lo-Fi"
        assert tag(file, "date", "TDRC") == datetime.date.today().isoformat()
        comment = tag(file, "comment", "COMM::eng")
        assert f"seed {SEED}" in comment and "--set music.track_minutes=0.5" in comment
        if fmt == "flac":
            assert (file["tracknumber"], file["tracktotal"]) == ([str(number)], ["3"])
            cover = file.pictures[0].data
        else:
            assert str(file["TRCK"]) == f"{number}/3"
            cover = file["APIC:cover"].data
        assert Image.open(io.BytesIO(cover)).size == (600, 600)
        albums_named.add(tag(file, "album", "TALB"))
    assert len(albums_named) == 1 and "" not in albums_named


def test_the_same_seed_and_settings_export_the_same_audio(albums, tmp_path):
    export(albums["home"], tmp_path / "again", "flac", tracks=1)
    first, again = sorted(albums["flac"].glob("01 *.flac")), sorted((tmp_path / "again").glob("01 *.flac"))
    assert [f.name for f in first] == [f.name for f in again]
    a, b = soundfile.read(first[0])[0], soundfile.read(again[0])[0]
    assert len(a) > RATE and np.array_equal(a, b)


def test_bad_input_is_one_line_and_leaves_nothing(tmp_path):
    refused = lofid(tmp_path, "export", "--tracks", "1", "--format", "aac", "--dir", str(tmp_path / "a"))
    assert refused.returncode == 2 and "invalid choice: 'aac'" in refused.stderr
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    refused = lofid(tmp_path, "export", "--tracks", "1", "--dir", str(in_the_way / "album"), *SHORT)
    assert (refused.returncode, refused.stderr) == (2, f"lofid: {in_the_way / 'album'}: cannot make the album's folder "
                                                       "(Not a directory)\n")
    refused = lofid(tmp_path, "export", "--likes", "--dir", str(tmp_path / "b"))
    assert (refused.returncode, refused.stderr) == (2, "lofid: no liked tracks yet: lofid ctl like keeps the track playing\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
