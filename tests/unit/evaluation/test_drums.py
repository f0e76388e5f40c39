"""The beat's figures in lofid eval: a run written as lofid writes it, with drum hits whose distance from
the grid, softness, grooves and fills are known by construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from lofid.cli import main
from lofid.evaluation.tracks import read_marks, tracks_of, whole
from lofid.music.drums import PlacedHit
from lofid.music.midi import load_midi, midi_bytes
from lofid.music.notes import BAR, Note
from lofid.music.tracks import Cue, Palette, Section, Track

PALETTE = Palette("test", {"keys": 4, "bass": 33, "melody": 4}, 0)


def a_track(number: int, start: int, bpm: float, groove: str) -> Track:
    sections = (Section("A", start, 2, "full"), Section("break", start + 2 * BAR, 1, "off"),
                Section("A", start + 3 * BAR, 1, "full"))
    return Track(number, f"track {number}", 0, False, bpm, 0.0, PALETTE, groove, 1.0, start, sections)


def write(path: Path) -> Path:
    """Two tracks of four bars, 60 and 120 bpm. Every 16th of the full bars has a hit 0.1 of a 16th
    late (25 ms at 60 bpm, 12.5 ms at 120), every other one soft. The first plays a fill before its
    break, the second none."""
    events, hits, at = [], [], 0
    for number, bpm in ((1, 60.0), (2, 120.0)):
        track = a_track(number, at, bpm, f"groove-{number}")
        for i, section in enumerate(track.sections):
            events.append(Cue(section.start - at, section, track, i == 0))
            at = section.start
            events += [Note(60 + b % 3, 0 if b == 0 else BAR, BAR, 70) for b in range(section.bars)]
            at += (section.bars - 1) * BAR
            if section.drums:
                hits += [PlacedHit(t, 42, 40 if t % 2 else 90, 0.1, number == 1 and t >= track.start + BAR)
                         for t in range(section.start, section.end)]
        events.append(Note(60, BAR, 1, 10))  # the last bar's place, so the next track starts on its bar line
        at += BAR
    path.write_bytes(midi_bytes(events, 60.0, drums=hits))
    return path


def test_each_track_and_the_run_have_their_drum_figures(tmp_path):
    path = write(tmp_path / "run.mid")
    midi = load_midi(path)
    tracks = tracks_of(midi, read_marks(path, midi))
    assert [t.groove for t in tracks] == ["groove-1", "groove-2"]
    assert [round(t.values["drum_offset_ms"], 1) for t in tracks] == [25.0, 12.5]
    assert [t.values["soft_hits"] for t in tracks] == [0.5, 0.5]
    assert [(t.beat.breaks, t.beat.filled) for t in tracks] == [(1, 1), (1, 0)]
    run = whole(tracks)
    assert run["fills_before_breaks"] == 0.5 and run["soft_hits"] == 0.5
    assert 12.5 <= run["drum_offset_ms"] <= 25.0
    hours = (max(t.end for t in tracks) - min(t.start for t in tracks)) / 3600
    assert run["grooves_per_hour"] == pytest.approx(2 / hours)


def test_the_cli_prints_the_drums_of_each_track_and_of_the_run(tmp_path, capsys):
    path = write(tmp_path / "run.mid")
    assert main(["eval", str(path)]) == 0
    out = capsys.readouterr().out
    assert "drums 25.0 ms off the grid, 50% soft, 1/1 breaks filled" in out
    assert "drums 12.5 ms off the grid, 50% soft, 0/1 breaks filled" in out
    assert "fills before breaks" in out and "50.0%" in out.split("fills before breaks")[1].splitlines()[0]
