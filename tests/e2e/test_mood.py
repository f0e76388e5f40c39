"""`lofid ctl mood` against a real `lofid run` (null sink): a new mood starts a new track at the next bar
and shows in status; --keep lets the current track play on; unknown words change nothing and the
music plays on; the mood is kept for the next start.

Explicit values ("in D minor, 60 bpm") make what the next track must be exact, whatever the seed draws.
"""

from __future__ import annotations

import time

from tests.support.player import Player
from tests.support.waiting import until

NEW_TRACK_S = 20.0  # the next bar, the transition, and a slow machine's share


def test_ctl_mood_changes_the_next_track_and_status_and_is_kept(tmp_path):
    player = Player(None, tmp_path)
    player.start()
    try:
        player.wait_ready()
        until(lambda: player.status()["track"] is not None, "a first track", timeout=NEW_TRACK_S)
        first = player.status()
        assert first["mood"]["text"] == "auto" and first["track"]["number"] == 1

        # Unknown words: one line naming them and known ones near; nothing changes, the music plays on.
        bad = player.ctl("mood", "purple", "elephant", check=False)
        assert bad.returncode == 1 and bad.stderr.count("\n") == 1
        assert "did not know 'purple', 'elephant'" in bad.stderr and "known words" in bad.stderr
        after = player.status()
        assert after["mood"]["text"] == "auto" and after["track"]["number"] == 1
        assert after["notes_played"] > first["notes_played"] or after["queue_notes"] > 0

        # A mood: a new track in it from the next bar, shown in status and ctl mood.
        said = player.ctl("mood", "in D minor, 60 bpm, no drums")
        assert said.stdout.startswith("mood: in D minor, 60 bpm, no drums (read as: in D minor · 60 bpm · no drums")
        until(lambda: player.status()["track"]["number"] == 2, "the mood's track starts", timeout=NEW_TRACK_S)
        status = player.status()
        assert (status["track"]["key"], status["track"]["bpm"]) == ("D minor", 60.0), status["track"]
        assert status["mood"] == {"text": "in D minor, 60 bpm, no drums", "words": ["60 bpm", "in D minor", "no drums"],
                                  "read_as": "in D minor · 60 bpm · no drums", "levels": {}}
        assert "mood:" in player.ctl("status").stdout and "in D minor · 60 bpm" in player.ctl("mood").stdout

        # --keep: this track plays on; the mood is the next one's.
        player.ctl("mood", "--keep", "in F major, 100 bpm")
        time.sleep(3.0)
        kept = player.status()
        assert kept["track"]["number"] == 2 and kept["mood"]["text"] == "in F major, 100 bpm"
        player.ctl("next")
        until(lambda: player.status()["track"]["number"] == 3, "the next track", timeout=NEW_TRACK_S)
        assert (player.status()["track"]["key"], player.status()["track"]["bpm"]) == ("F major", 100.0)
        assert player.stop() == 0
    finally:
        player.kill()

    # Kept in the state file: the next start plays in it.
    again = Player(None, tmp_path)
    again.start()
    try:
        again.wait_ready()
        until(lambda: again.status()["track"] is not None, "a first track", timeout=NEW_TRACK_S)
        restored = again.status()
        assert restored["mood"]["text"] == "in F major, 100 bpm"
        assert (restored["track"]["key"], restored["track"]["bpm"]) == ("F major", 100.0)
        assert "Traceback" not in again.log.read_text() + player.log.read_text()
    finally:
        again.kill()
