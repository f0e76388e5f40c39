"""A played track as a MIDI file: what the engine logged, from the track's first 16th, with the chords heard."""

from __future__ import annotations

import io

import pretty_midi
import pytest

from lofid.config import DEFAULT_PROGRAMS
from lofid.daemon.saving import played_midi
from lofid.errors import LofidError
from lofid.music.notes import Note

BPM = 80.0


def test_what_was_played_is_written_from_its_first_sixteenth_with_the_chords_heard():
    played = [(64, Note(60, 0, 4, 70)), (68, Note(64, 3, 4, 70, "melody")), (72, Note(48, 9, 8, 60, "bass"))]
    chords = [(0, "C"), (64, "Am"), (72, "F"), (96, "G")]  # before the track, heard, heard, not yet played
    midi = pretty_midi.PrettyMIDI(io.BytesIO(played_midi(played, 64, chords, BPM, DEFAULT_PROGRAMS, 0.0)))
    starts = sorted(round(n.start, 3) for i in midi.instruments for n in i.notes)
    sixteenth = 60.0 / BPM / 4
    assert starts == [0.0, round(4 * sixteenth, 3), round(8 * sixteenth, 3)]  # the steps are the log's, not the notes'
    assert [t.text for t in midi.text_events if t.text.startswith("chord ")] == ["chord Am", "chord F"]


def test_nothing_played_is_said_so():
    with pytest.raises(LofidError, match="nothing has been played yet"):
        played_midi([], 0, [], BPM, DEFAULT_PROGRAMS, 0.0)
