"""Keeping what you hear from a running `lofid run`: `ctl like`, `ctl save take.flac`, `lofid likes`
and `lofid export --likes`, while the music plays on.

Short tracks (music.track_minutes=0.5) keep it quick. The liked track is rendered again from what was
played, so its notes are those `ctl save x.mid` writes of the same track.
"""

from __future__ import annotations

import io
import json

import mutagen
import pretty_midi
import pytest
import soundfile
from PIL import Image

from tests.support.player import SILENT_RMS, Player, rms
from tests.support.waiting import until

pytestmark = pytest.mark.slow


def notes(path) -> list[tuple[int, float, float, int, int]]:
    """Every note of a MIDI file as (program, start, end, pitch, velocity), in time order."""
    midi = pretty_midi.PrettyMIDI(str(path))
    found = [(i.program if not i.is_drum else -1, round(n.start, 3), round(n.end, 3), n.pitch, n.velocity)
             for i in midi.instruments for n in i.notes]
    return sorted(found, key=lambda n: (n[1], n[3], n[0]))


def test_like_then_save_as_audio_then_export_the_likes_with_the_same_notes(tmp_path):
    player = Player(None, tmp_path, "music.track_minutes=0.5", "fx.crackle=0")
    player.start()
    try:
        player.wait_ready()
        until(lambda: (player.status()["track"] or {}).get("seconds_in", 0) > 4, "a few seconds of a track played")
        track = player.status()["track"]

        liked = player.ctl("like")
        assert liked.stdout == f"liked: {track['title']}\n"
        midi = tmp_path / "x.mid"
        player.ctl("save", str(midi))
        take = tmp_path / "take.flac"
        saving = player.ctl("save", str(take))
        assert saving.stdout == f"saving: {take}\n"  # the reply comes at once; the file when it is written
        until(take.exists, "the saved take written", timeout=60)
        assert player.status()["state"] == "playing" and player.proc.poll() is None

        tags = mutagen.File(take)
        assert tags["title"] == [track["title"]] and tags["artist"] == ["lofid"] and tags["genre"] == ["Lo-Fi"]
        assert Image.open(io.BytesIO(tags.pictures[0].data)).size == (600, 600)
        audio, rate = soundfile.read(take)
        assert len(audio) / rate > track["seconds_in"]  # what had played, and the notes' ring-out
        assert rms(audio) > 100 * SILENT_RMS
        until(lambda: f"save: wrote {take}" in player.log.read_text(), "the save in the log")  # just after the file

        listed = json.loads(player.lofid("likes", "--json").stdout)["likes"]
        assert [(like["title"], like["key"]) for like in listed] == [(track["title"], track["key"])]
        shown = player.lofid("likes").stdout
        assert shown.startswith(f"  1. {track['title']} · {track['key']} · ")

        album = tmp_path / "album"
        player.lofid("export", "--likes", "--midi", "--dir", str(album), timeout=120)
        name = next(album.glob("01 *.flac")).stem
        assert name == f"01 {track['title']}"
        exported, heard = notes(album / f"{name}.mid"), notes(midi)
        shared = min(len(exported), len(heard))  # the like and x.mid were taken a moment apart
        assert shared > 5 and exported[:shared] == heard[:shared]
        assert player.status()["state"] == "playing" and "Traceback" not in player.log.read_text()
    finally:
        player.kill()


def test_bad_saves_are_one_line_and_the_music_plays_on(tmp_path):
    player = Player(None, tmp_path, "music.track_minutes=0.5", "fx.crackle=0")
    player.start()
    try:
        player.wait_ready()
        until(lambda: player.status()["notes_played"] > 3, "notes played")
        refused = player.ctl("save", str(tmp_path / "take.aac"), check=False)
        assert (refused.returncode, refused.stderr) == (1, "lofid: save: 'take.aac' should end in .mid, .flac, .mp3, "
                                                           ".ogg, .wav\n")
        refused = player.ctl("save", str(tmp_path / "gone" / "take.flac"), check=False)
        assert (refused.returncode, refused.stderr) == (1, f"lofid: save: no folder {str(tmp_path / 'gone')!r}\n")
        assert list(tmp_path.glob("take.*")) == []
        played = player.status()["notes_played"]
        until(lambda: player.status()["notes_played"] > played, "notes still played")
    finally:
        player.kill()
