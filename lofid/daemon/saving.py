"""``lofid ctl save``: the track playing, as played so far, written as a MIDI file.

From the track's first 16th, with its chords (as text events), section markers, key signature
and tempo; read from what the engine logged as it played, so the file is what was heard.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

from lofid import paths
from lofid.audio.engine import Engine
from lofid.errors import LofidError
from lofid.music.midi import midi_bytes
from lofid.music.notes import Note
from lofid.music.tracks import Cue


def played_midi(played: list[tuple[int, Note | Cue]], track_start: int, chords: Iterable[tuple[int, str]],
                bpm: float, programs: Mapping[str, int], swing: float) -> bytes:
    """MIDI bytes of ``played`` ((16th, event) as the engine logged them); ``chords`` are (16th,
    label) of the whole plan, of which those within the played stretch are kept, from ``track_start``."""
    if not any(isinstance(event, Note) for _, event in played):
        raise LofidError("nothing has been played yet")
    first = previous = played[0][0]
    events = []
    for index, event in played:
        events.append(dataclasses.replace(event, step=index - previous))
        previous = index
    heard = [(at - track_start, label) for at, label in chords if track_start <= at < track_start + previous - first + 1]
    return midi_bytes(events, bpm, programs, heard, swing=swing)


def save_played(path: str | Path, engine: Engine, chords: Iterable[tuple[int, str]], programs: Mapping[str, int]) -> str:
    """Write the engine's current track as played so far to ``path``; return the path written."""
    track = engine.track
    data = played_midi(list(engine.track_log), track.start if track is not None else 0, chords, engine.bpm,
                       programs, engine.grid.swing)
    paths.write_file(path, data, "the MIDI file")
    return str(path)
