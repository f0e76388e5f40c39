"""A full or a read-only disk under a real `lofid run`: changes still hold, the user is told they are
not kept, no partial file is left, and the music plays on.

The daemon runs in its own mount namespace (``unshare``: a user namespace too, so no root is
needed) with a small real tmpfs mounted on its state folder, filled to the last byte or remounted
read-only before lofid starts. The test reads that folder as the daemon sees it through
``/proc/PID/root``.

Decided behaviour (README, "No setting is lost"): a `ctl` change whose state cannot be written is
applied, and ctl says on stderr that it is not kept for the next start (exit 0); the state file is
left whole as it was; the next change that can be written keeps every change made meanwhile.
`ctl save` onto a full disk is refused in one line (exit 1) and leaves no file; `ctl save` of audio
(written in the background) fails in one log line and leaves no file; `lofid export` fails in one line
and removes the tracks it had written.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.support.player import LOFID, Player
from tests.support.waiting import until

TMPFS_KB = 64  # the state folder's size: a few pages
ALBUM_TMPFS_KB = 6 * 1024  # an album's folder: its first 37 s FLAC track (4.4 MB) and cover fit, not its second
PREPARE = {  # what is done to the state folder before lofid starts
    "full": 'head -c 10M /dev/zero > "$d/filler" 2>/dev/null || true',  # fill it: ENOSPC
    "read-only": 'mount -o remount,ro "$d"',  # EROFS
}
WHY = {"full": "No space left on device", "read-only": "Read-only file system"}


def _namespaces_work() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-Urm", "sh", "-c", 'd=$(mktemp -d) && mount -t tmpfs t "$d"'],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _namespaces_work(), reason="needs unshare and user+mount namespaces "
                                "(a private tmpfs is the only way to fill or freeze a disk without root)")


def launch(tmp_path, kind: str) -> Player:
    script = (f'set -e; d="$XDG_STATE_HOME"; mkdir -p "$d"; mount -t tmpfs -o size={TMPFS_KB}k lofid-test "$d"; '
              f'mkdir -p "$d/lofid" "$d/takes"; {PREPARE[kind]}; exec "$@"')
    player = Player(None, tmp_path, "fx.crackle=0", command=["unshare", "-Urm", "sh", "-c", script, "sh", *LOFID, "run"])
    player.start()
    player.wait_ready()
    return player


def seen(player: Player, *parts: str) -> Path:
    """A path in the daemon's state folder as the daemon sees it (inside its mount namespace)."""
    return Path(f"/proc/{player.proc.pid}/root") / (player.home / "state").relative_to("/") / Path(*parts)


@pytest.mark.parametrize("kind", ["full", "read-only"])
def test_a_change_that_cannot_be_kept_holds_says_so_and_leaves_no_partial_file(tmp_path, kind):
    player = launch(tmp_path, kind)
    try:
        played = player.status()["notes_played"]
        done = player.ctl("volume", "40")
        state = player.home / "state" / "lofid" / "state.yaml"
        assert (done.returncode, done.stdout) == (0, "volume: 40\n")
        assert done.stderr == (f"lofid: warning: not kept for the next start: cannot write {state} ({WHY[kind]}); "
                               "it holds until lofid stops\n")
        assert player.status()["settings"]["output.volume"] == 40  # applied all the same
        assert sorted(p.name for p in seen(player, "lofid").iterdir()) == []  # no state file, no temporary left

        take = player.home / "state" / "takes" / "take.mid"
        time.sleep(1.0)
        refused = player.ctl("save", str(take), check=False)
        assert (refused.returncode, refused.stdout) == (1, "")
        assert refused.stderr == f"lofid: {take}: cannot write the MIDI file ({WHY[kind]})\n"
        if kind == "read-only":  # audio: said at once too (a full disk is said once the file is written: below)
            audio = take.with_suffix(".flac")
            refused = player.ctl("save", str(audio), check=False)
            assert (refused.returncode, refused.stderr) == (1, f"lofid: {audio}: cannot write the FLAC file ({WHY[kind]})\n")
        assert list(seen(player, "takes").iterdir()) == []

        until(lambda: player.status()["notes_played"] > played, "notes still played")  # a lo-fi bar may hold one strike
        assert player.status()["state"] == "playing"
        assert player.proc.poll() is None and "Traceback" not in player.log.read_text()
    finally:
        player.kill()


def test_once_there_is_room_again_the_next_change_keeps_every_change_made_meanwhile(tmp_path):
    player = launch(tmp_path, "full")
    try:
        assert "not kept" in player.ctl("volume", "40").stderr
        assert "not kept" in player.ctl("bpm", "70").stderr
        seen(player, "filler").unlink()  # the disk has room again
        kept = player.ctl("swing", "0.2")
        assert (kept.stdout, kept.stderr) == ("swing: 0.2\n", "")
        saved = yaml.safe_load(seen(player, "lofid", "state.yaml").read_text())
        assert saved == {"output.volume": 40, "music.bpm": 70.0, "music.swing": 0.2}
        take = player.home / "state" / "takes" / "take.mid"
        assert player.ctl("save", str(take)).stdout == f"saved: {take}\n"
        assert seen(player, "takes", "take.mid").read_bytes()[:4] == b"MThd"
    finally:
        player.kill()


def test_an_audio_save_or_an_album_onto_a_full_disk_is_one_line_leaves_nothing_and_the_music_plays_on(tmp_path):
    player = launch(tmp_path, "full")
    try:
        until(lambda: player.status()["notes_played"] > 3, "notes played")
        take = player.home / "state" / "takes" / "take.flac"
        assert player.ctl("save", str(take)).stdout == f"saving: {take}\n"  # rendered and written in the background
        failed = f"save failed: {take}: cannot write the FLAC file ({WHY['full']})"
        until(lambda: failed in player.log.read_text(), "the failed save in the log")
        assert list(seen(player, "takes").iterdir()) == []  # no partial file, no temporary
        played = player.status()["notes_played"]
        until(lambda: player.status()["notes_played"] > played, "notes still played")
        assert player.proc.poll() is None and "Traceback" not in player.log.read_text()
    finally:
        player.kill()

    album = tmp_path / "album"  # `lofid export` onto a disk with room for its first track only: what it wrote goes
    script = (f'set -e; d="{album}"; mkdir -p "$d"; mount -t tmpfs -o size={ALBUM_TMPFS_KB}k lofid-test "$d"; '
              'rc=0; "$@" --dir "$d" || rc=$?; ls -A "$d"; exit $rc')
    done = subprocess.run(["unshare", "-Urm", "sh", "-c", script, "sh", *LOFID, "export", "--tracks", "2", "--seed", "7",
                           "--set", "music.track_minutes=0.5"], env=player.env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert "lofid: 1/2 " in done.stderr  # the first track was written...
    assert done.stderr.splitlines()[-1].startswith(f"lofid: {album}/02 ")  # ...the second could not be
    assert done.stderr.splitlines()[-1].endswith(f".flac: cannot write the FLAC file ({WHY['full']})")
