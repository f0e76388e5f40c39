"""Device changes under a playing `lofid run` (``output.device: auto``): the music follows the default sink.

Headphones plugged in are a new sink that the desktop makes the default; unplugged, that sink goes
away. Both happen on a real sound server, PulseAudio and PipeWire (the ``sound_server`` fixture),
with null sinks for the speakers (``lofid_test``) and the headphones, whose monitors are recorded
across the change, so the test hears where the music went. The server's own policy moves the stream
(lofid's ALSA stream asks for no particular device); lofid must carry on playing through the move.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.player import Player
from tests.support.pulse import SINK, PulseServer, Recording

HEADPHONES = "lofid_headphones"
WITHIN_S = 5.0  # the bound: music at the new default within 5 s
AFTER_S = WITHIN_S + 2.0  # how long the sinks are recorded after the change


def around(server: PulseServer, folder: Path, change: Callable[[], object], *sinks: str) -> tuple[float, list[Recording]]:
    """Record ``sinks`` from a second before ``change()`` to ``AFTER_S`` after it: (when it was made, the recordings)."""
    with ExitStack() as stack:
        recordings = [stack.enter_context(Recording(server, folder / f"{sink}.wav", sink)) for sink in sinks]
        time.sleep(1.0)
        changed = time.monotonic()
        change()
        time.sleep(AFTER_S)
    return changed, recordings


def first_after(recording: Recording, t: float) -> float | None:
    heard = recording.loud(t)
    return heard[0] - t if len(heard) else None


@pytest.mark.slow
def test_the_music_follows_the_default_sink_to_headphones_and_back(sound_server, tmp_path):
    player = Player(sound_server, tmp_path, "fx.crackle=0")
    player.start()
    player.wait_ready()
    player.wait_heard()  # on the speakers
    sound_server.add_sink(HEADPHONES)  # plugged in: a new sink appears...

    # ...and the desktop makes it the default (a sound settings panel, or switch-on-connect, does).
    changed, (speakers, headphones) = around(
        sound_server, tmp_path, lambda: sound_server.pactl("set-default-sink", HEADPHONES), SINK, HEADPHONES)
    assert len(speakers.loud(changed - 0.5, changed)) and not len(headphones.loud(changed - 0.5, changed)), \
        "before the switch the music was not on the speakers alone"
    first = first_after(headphones, changed)
    assert first is not None and first < WITHIN_S, f"music in the headphones {first} s after they became the default"
    assert len(headphones.loud(changed + AFTER_S - 1.0)), "the music did not stay in the headphones"
    assert not len(speakers.loud(changed + WITHIN_S)), "the speakers still played after the switch"

    # Unplugged: the headphones' sink goes away and the music comes back on the speakers.
    changed, (speakers,) = around(sound_server, tmp_path, lambda: sound_server.remove_sink(HEADPHONES), SINK)
    assert not len(speakers.loud(changed - 0.5, changed)), "the speakers played while the headphones were in"
    first = first_after(speakers, changed)
    assert first is not None and first < WITHIN_S, f"music on the speakers {first} s after the headphones went"
    assert len(speakers.loud(changed + AFTER_S - 1.0)), "the music did not stay on the speakers"

    assert not player.status()["output"].startswith("null")
    assert player.stop() == 0
    assert "Traceback" not in player.log.read_text()
