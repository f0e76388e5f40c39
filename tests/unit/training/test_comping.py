"""Learning comping rhythms from POP909-shaped song folders the tests write, with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import pretty_midi

from lofid.training.comping import bar_starts, learn_comping

CHARLESTON = [[0, 6, "chord", 0], [6, 10, "chord", 0]]  # struck on 1, again on the "and" of 2, held
TRIAD = (60, 64, 67)


def pop909_song(folder: Path, strikes: list[tuple[float, float, int]], bar_beats: list[int]) -> None:
    """A song folder as POP909 lays it out, at 60 bpm (a beat is a second): ``NNN.mid`` whose PIANO
    track strikes the triad at each (beat, release beat, velocity), a MELODY track that is not
    comping, and a beat_midi.txt whose third column flags the first beat of bars of ``bar_beats``."""
    folder.mkdir(parents=True)
    midi = pretty_midi.PrettyMIDI(initial_tempo=60.0)
    piano = pretty_midi.Instrument(program=0, name="PIANO")
    piano.notes = [pretty_midi.Note(v, p, on, off) for on, off, v in strikes for p in TRIAD]
    melody = pretty_midi.Instrument(program=0, name="MELODY")
    melody.notes = [pretty_midi.Note(80, 72, t + 0.25, t + 0.5) for t in range(sum(bar_beats))]
    midi.instruments += [piano, melody]
    midi.write(str(folder / f"{folder.name}.mid"))
    downbeats = {sum(bar_beats[:i]) for i in range(len(bar_beats) + 1)}
    (folder / "beat_midi.txt").write_text("".join(f"{t}.0 {int(t % 2 == 0)}.0 {int(t in downbeats)}.0\n"
                                                  for t in range(sum(bar_beats) + 1)))


def charleston(bar_beats: list[int], loud_push: bool = False) -> list[tuple[float, float, int]]:
    """Every 4-beat bar strikes on 1 and on the "and" of 2 (the latter louder if ``loud_push``);
    a bar of another length holds one chord."""
    strikes, t = [], 0
    for beats in bar_beats:
        if beats == 4:
            strikes += [(t, t + 1.5, 60), (t + 1.5, t + 4, 90 if loud_push else 60)]
        else:
            strikes.append((t, t + beats, 60))
        t += beats
    return strikes


def test_a_charleston_is_learnt_as_the_likeliest_pattern_its_accent_too_and_bars_follow_every_downbeat(tmp_path):
    # Song 001 has a 6-beat bar after bar 2: its later bars start 2 beats off a 4-beat count from the first.
    pop909_song(tmp_path / "001", charleston([4, 4, 6, 4, 4, 4]), [4, 4, 6, 4, 4, 4])
    pop909_song(tmp_path / "002", charleston([4] * 6, loud_push=True), [4] * 6)
    (tmp_path / "index.xlsx").write_text("not a song")  # POP909 has files beside the folders
    assert bar_starts(tmp_path / "001" / "beat_midi.txt") == [0, 16, 56, 72, 88]  # the 6-beat bar is left out

    table = learn_comping(tmp_path)
    text = json.dumps(table)
    assert len(text) < 60_000 and json.loads(text) == table
    assert table["songs"] == 2 and table["bars"] == 5 + 6
    best = max(range(len(table["patterns"])), key=lambda i: table["p"][i])
    assert table["patterns"][best] == CHARLESTON and table["p"][best] == 1.0
    assert table["next"][best][0][0] == best  # a groove: it follows itself
    accents = table["accents"]["chord"]
    assert accents[6] > 1.0 > accents[0]  # song 002 leans on the "and" of 2
    assert table["corpus"]["chords_off_beat"] == 0.5


def test_a_chord_pushed_from_the_and_of_4_belongs_to_the_next_bar(tmp_path):
    # Bar 1 holds a chord to its "and" of 4 (beat 3.5), where the next chord is struck and tied over.
    pushes = [(0.0, 3.5, 60)] + [(4 * b - 0.5, 4 * b + 3.5, 60) for b in range(1, 4)]
    pop909_song(tmp_path / "001", pushes, [4] * 4)
    table = learn_comping(tmp_path)
    learnt = {tuple(map(tuple, p)): q for p, q in zip(table["patterns"], table["p"])}
    assert learnt == {((0, 14, "chord", 0),): 0.25,  # bar 1 ends where the push into bar 2 comes in
                      ((-2, 16, "chord", 0),): 0.5,  # bars 2 and 3: struck 2 16ths early, held to the next push
                      ((-2, 8, "chord", 0),): 0.25}  # bar 4: released before the song's end, snapped short
    assert table["corpus"]["bars_pushed"] == 0.75
