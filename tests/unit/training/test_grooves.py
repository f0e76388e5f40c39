"""Learning the beat's vocabulary: performances the test plays on a TD-11's notes, read back as grooves
and fills with each hit's velocity and offset, on lofid's kit."""

from __future__ import annotations

import csv
from pathlib import Path

import pretty_midi
import pytest

from lofid.errors import LofidError
from lofid.music.drums import load_vocabulary
from lofid.training.grooves import learn, write_vocabulary

BPM = 80.0
SIXTEENTH = 60 / BPM / 4


def perform(path: Path, hits: list[tuple[int, int, int, float]], bpm: float = BPM) -> None:
    """A MIDI take at ``bpm``: (16th from the start, TD-11 note, velocity, offset in 16ths)."""
    midi = pretty_midi.PrettyMIDI(resolution=960, initial_tempo=bpm)
    kit = pretty_midi.Instrument(0, is_drum=True)
    sixteenth = 60 / bpm / 4
    for step, note, velocity, offset in hits:
        start = (step + offset) * sixteenth
        kit.notes.append(pretty_midi.Note(velocity, note, start, start + 0.05))
    midi.instruments.append(kit)
    path.parent.mkdir(parents=True, exist_ok=True)
    midi.write(str(path))


def hiphop_bar(bar: int) -> list[tuple[int, int, int, float]]:
    """A bar of a swung hip-hop beat on the TD-11: kicks on 1 and the 11th 16th (the third bar moves
    its second kick), rim-shot snares on 2 and 4 a little early, soft hat-edge ghosts on every odd
    16th a fifth of a 16th late, a cross-stick, an open hat edge, a crash to start."""
    at = bar * 16
    kicks = (0, 8) if bar == 2 else (0, 10)
    hits = [(at + kicks[0], 36, 100, 0.1), (at + kicks[1], 36, 90, 0.0)]
    hits += [(at + 4, 40, 105, -0.05), (at + 12, 40, 60 if bar == 3 else 110, -0.05)]
    hits += [(at + s, 22, 30, 0.2) for s in range(1, 16, 2)] + [(at + 8, 37, 70, 0.0), (at + 14, 26, 70, 0.0)]
    if bar == 3:
        hits.append((at + 12, 38, 100, 0.0))  # a flam: two snares in one 16th, the louder kept
    if bar == 0:
        hits.append((at, 49, 120, 0.0))
    return hits


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    rows = []

    def take(name: str, style: str, bpm: float, kind: str, hits) -> None:
        midi = f"drummer1/session1/{name}.mid"
        perform(tmp_path / midi, hits, bpm)
        rows.append({"drummer": "drummer1", "session": "drummer1/session1", "id": f"drummer1/session1/{name}",
                     "style": style, "bpm": int(bpm), "beat_type": kind, "time_signature": "4-4",
                     "midi_filename": midi, "audio_filename": "", "duration": 10.0, "split": "train"})

    five_bars = [h for bar in range(4) for h in hiphop_bar(bar)] + [(64, 36, 100, 0.0)]  # and the last, cut off
    take("1", "hiphop", BPM, "beat", five_bars)
    take("2", "rock", BPM, "beat", five_bars)  # not a style lo-fi draws on
    take("3", "hiphop", 130.0, "beat", five_bars)  # too fast
    fill = [(s, n, 90, 0.05) for s, n in ((0, 48), (2, 48), (4, 45), (6, 45), (8, 58), (10, 58), (12, 58))]
    take("4", "hiphop/fill", BPM, "fill", fill + [(16, 36, 110, 0.0), (16, 49, 110, 0.0)])  # lands on the next 1
    with (tmp_path / "info.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path


def test_a_beat_becomes_a_groove_of_its_bars_with_each_hits_velocity_and_offset_on_lofids_kit(dataset):
    table = learn(dataset)
    assert [g["name"] for g in table["grooves"]] == ["drummer1/session1/1"]  # rock and the fast take left out
    groove = table["grooves"][0]
    assert groove["style"] == "hiphop" and groove["bpm"] == BPM and len(groove["bars"]) == 4  # the cut-off bar left out
    assert groove["kicks"] == [0, 10] and abs(groove["swing"] - 0.2) <= 0.02  # the ghosts' lateness is its swing
    bars = [{(s, p): (v, o) for s, p, v, o in bar} for bar in groove["bars"]]
    assert {p for bar in bars for _, p in bar} == {36, 37, 38, 42, 46}  # TD-11 22 -> 42, 26 -> 46, 40 -> 38; no crash
    first = bars[0]
    assert abs(first[0, 36][1] - 10) <= 1  # offsets in hundredths of a 16th
    assert (first[0, 36][0], first[10, 36][0]) == (110, 103)  # the kicks lifted (100, 90 played), in their order
    assert first[4, 38][0] == 105 and abs(first[4, 38][1] + 5) <= 1
    assert first[3, 42] == (30, pytest.approx(20, abs=1))
    assert {s for s, p in bars[2] if p == 36} == {0, 10}  # the bar that moved a kick plays the groove's kicks
    assert bars[3][12, 38][0] == 100  # the louder of the flam
    fill = table["fills"][0]
    assert fill["style"] == "hiphop/fill" and {p for _, p, _, _ in fill["hits"]} == {50, 47, 43}  # toms, no landing
    assert table["figures"]["all"]["grooves"] == 1 and table["figures"]["all"]["fills"] == 1
    assert table["figures"]["styles"]["hiphop"]["soft_share"] > 0.4  # the hat ghosts


def test_the_written_vocabulary_loads_back_as_grooves_and_fills(dataset, tmp_path):
    out = tmp_path / "grooves.json"
    write_vocabulary(dataset, out)
    vocabulary = load_vocabulary(out)
    groove = vocabulary.groove("drummer1/session1/1")
    assert groove is not None and groove.kicks == (0, 10) and len(groove.bars) == 4
    kick = next(h for h in groove.bars[0] if h.pitch == 36 and h.step == 0)
    assert kick.velocity == 110 and kick.offset == pytest.approx(0.1, abs=0.01)
    assert len(vocabulary.fills) == 1 and vocabulary.fills[0].family == "hiphop"


def test_a_folder_without_the_datasets_index_is_a_clear_error(tmp_path):
    with pytest.raises(LofidError, match="info.csv"):
        learn(tmp_path)
