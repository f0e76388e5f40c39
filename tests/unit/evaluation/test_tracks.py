"""A radio run of marked tracks, written here with mido as lofid's files mark them, and measured track
by track: answers known by construction."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

from lofid.cli import main
from lofid.evaluation.tracks import as_loop, read_marks, tracks_of, whole
from lofid.music.chords import QUALITIES, parse_label
from lofid.music.midi import load_midi

PPQ = 480
SIXTEENTH = PPQ // 4
BAR = 16 * SIXTEENTH

# (title, key, bpm, sections as (name, one chord label a bar; None: no new mark), silence after it in s)
RUN = (
    ("Rain on Glass", "Eb", 75, (("intro", ["Eb:maj7"]), ("A", ["Eb:maj7", "C:min7", "Ab:maj7", "Bb:7"]),
                                 ("ending", ["Eb:maj7"])), 0.75),
    ("Late Bus", "C#m", 96, (("intro", ["C#:min7"]), ("A", ["C#:min7", "C#:min7", "A:maj7", "B:7"]),
                             ("B", ["F#:min7", "G#:min7"]), ("ending", ["C#:min7"])), 3.25),
    # A begins on the intro's chord, unmarked, and states the loop of "Rain on Glass" twice, a fourth up
    ("Paper Moon", "F", 75, (("intro", ["F:maj7"]),
                             ("A", [None, "D:min7", "Bb:maj7", "C:7", "F:maj7", "D:min7", "Bb:maj7", "C:7"])), 0.0),
)
# Lengths: 6 bars at 75 bpm = 19.2 s, 8 bars at 96 bpm = 20 s, 9 bars at 75 bpm = 28.8 s; with the
# silences between, the run lasts 19.2 + 0.75 + 20 + 3.25 + 28.8 = 72 s: 3 tracks are 150 an hour.
RUN_SECONDS = 72.0


def write_run(path: Path, run=RUN, markers: bool = True) -> Path:
    """Each bar: bass on the root, the chord's four notes on beat 1 held to the "and" of 4, a dyad
    pushed there (off the beat, two pitch classes), and the chord's notes as a melody of quarters."""
    conductor = [(0, mido.MetaMessage("time_signature", numerator=4, denominator=4))]
    parts = {name: [] for name in ("keys", "bass", "melody", "drums")}
    tick = 0
    for number, (title, key, bpm, sections, silence) in enumerate(run, 1):
        conductor += [(tick, mido.MetaMessage("marker", text=f"track {number}: {title}")),
                      (tick, mido.MetaMessage("key_signature", key=key)),
                      (tick, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))]
        chord = None
        for section, bars in sections:
            conductor.append((tick, mido.MetaMessage("marker", text=f"section {section}")))
            for label in bars:
                if label is not None:
                    conductor.append((tick, mido.MetaMessage("text", text=f"chord {label}")))
                    chord = label
                root, quality = parse_label(chord)
                tones = [48 + root + i for i in QUALITIES[quality][:4]]
                notes = [("bass", 36 + root, 0, 16)] + [("keys", p, 0, 14) for p in tones]
                notes += [("keys", tones[1] + 12, 14, 16), ("keys", tones[3] + 12, 14, 16)]
                notes += [("melody", p + 24, 4 * beat, 4 * beat + 4) for beat, p in enumerate(tones)]
                notes += [("drums", 36, 4 * beat, 4 * beat + 1) for beat in range(4)]
                for part, pitch, on, off in notes:
                    channel = 9 if part == "drums" else 0
                    parts[part] += [(tick + on * SIXTEENTH, mido.Message("note_on", note=pitch, velocity=80, channel=channel)),
                                    (tick + off * SIXTEENTH, mido.Message("note_off", note=pitch, channel=channel))]
                tick += BAR
        tick += round(silence * bpm / 60 * PPQ)  # at this track's tempo, still in force
    if not markers:
        conductor = [(at, m) for at, m in conductor if m.type != "marker"]
    midi = mido.MidiFile(ticks_per_beat=PPQ)
    for name, events in [("conductor", conductor), *parts.items()]:
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)] if name != "conductor" else [])
        now = 0
        for at, message in sorted(events, key=lambda e: (e[0], e[1].type != "note_off")):  # offs first
            track.append(message.copy(time=at - now))
            now = at
        midi.tracks.append(track)
    midi.save(str(path))
    return path


@pytest.fixture
def run_file(tmp_path) -> Path:
    return write_run(tmp_path / "radio.mid")


def measured(path: Path):
    midi = load_midi(path)
    return tracks_of(midi, read_marks(path, midi), name=str(path))


def test_each_track_has_its_title_key_tempo_length_and_the_silence_before_it(run_file):
    tracks = measured(run_file)
    assert [(t.number, t.title, t.key) for t in tracks] == [
        (1, "Rain on Glass", "Eb major"), (2, "Late Bus", "C# minor"), (3, "Paper Moon", "F major")]
    assert [t.bpm for t in tracks] == pytest.approx([75, 96, 75], abs=1e-3)
    assert [t.end - t.start for t in tracks] == pytest.approx([19.2, 20.0, 28.8], abs=1e-6)
    assert [t.values["silence_before"] for t in tracks] == [None, pytest.approx(0.75), pytest.approx(3.25)]
    assert [len(t.piece.notes) for t in tracks] == [6 * 11, 8 * 11, 9 * 11]  # bass, 4 + 2 keys, 4 melody


def test_each_track_is_judged_in_its_own_key_and_on_its_own_beat(run_file):
    tracks = measured(run_file)
    for t in tracks:  # every note is a tone of a diatonic chord of the track's own key
        assert t.values["in_key"] == 1.0 and t.values["strong_beat_chord_tones"] == 1.0
        # one strike on beat 1, one on the "and" of 4, though tracks 2 and 3 start 0.75 s and 3.25 s
        # after a whole bar: on the file's own beats from 0, 94% of track 3's strikes would be off
        assert t.values["chord_onsets_off_beat"] == 0.5 and t.values["rich_chords"] == 0.5
        assert t.values["longest_silence"] == pytest.approx(0.0, abs=1e-9) and t.values["most_voices"] == 6
    assert tracks[1].piece.sources["key"] == "key signature C#m"
    # judged all in E flat major instead, the C sharp minor track falls out of key
    midi = load_midi(run_file)
    by_one_key = tracks_of(midi, read_marks(run_file, midi), shift=-3, key_name="--key")
    assert by_one_key[0].values["in_key"] == 1.0 and by_one_key[1].values["in_key"] < 0.6


def test_a_progression_is_section_As_loop_relative_to_the_tonic(run_file):
    tracks = measured(run_file)
    loop = ((0, "maj7"), (9, "min7"), (5, "maj7"), (7, "7"))
    assert tracks[0].progression == loop
    assert tracks[1].progression == ((0, "min7"), (8, "maj7"), (10, "7"))  # repeat folded, section B left out
    assert tracks[2].progression == loop  # the chord sounding as A begins counts; stated twice, once
    assert as_loop([(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")]) == ((0, "maj"), (5, "maj"), (7, "7"))
    assert as_loop([(0, "maj"), (5, "maj")] * 3) == ((0, "maj"), (5, "maj"))
    assert as_loop([]) is None


def test_the_whole_run_counts_distinct_things_per_hour_and_keeps_the_worst_track(run_file):
    figures = whole(measured(run_file))
    hours = RUN_SECONDS / 3600
    assert figures["tracks_per_hour"] == pytest.approx(3 / hours)  # 150
    assert figures["keys_per_hour"] == pytest.approx(3 / hours)
    assert figures["tempos_per_hour"] == pytest.approx(2 / hours)  # 75 bpm twice
    assert figures["progressions_per_hour"] == pytest.approx(2 / hours)  # tracks 1 and 3 share one
    assert figures["longest_gap"] == pytest.approx(3.25)
    assert figures["in_key"] == 1.0 and figures["most_voices"] == 6
    assert figures["chord_onsets_off_beat"] == 0.5 and figures["rich_chords"] == 0.5
    assert figures["theme_return"] is None  # 36 melody notes at most: too short a line
    # every bar strikes a four-note chord held 14 16ths and a dyad held 2: two strikes a bar, 3 pitch
    # classes a strike, half of them of three or four, held 60 / 6 16ths = 2.5 beats on average
    assert figures["keys_strikes_per_bar"] == 2.0 and figures["keys_pitch_classes"] == 3.0
    assert figures["keys_three_or_four"] == 0.5 and figures["keys_hold_beats"] == 2.5
    assert 48 < figures["keys_pitch"] < 72


def test_cli_prints_a_line_per_track_then_the_run_against_its_targets(run_file, capsys):
    assert main(["eval", str(run_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{run_file}: 3 tracks, {23 * 11} notes, 1.2 min"
    one, two, three = lines[1:4]
    assert one.split()[:7] == ["1", "Rain", "on", "Glass", "Eb", "major", "75"] and "0:19" in one
    assert "C# minor" in two and "96 bpm" in two and "0:20" in two
    assert len({line.index("bpm") for line in (one, two, three)}) == 1, "columns align"
    assert "silence before the track 3.25 s" in three and "silence" not in one + two
    assert lines[4] == "  the whole run:"
    run = {line[:38].strip(): line for line in lines[5:]}
    assert run["tracks per hour"].split()[3:] == ["150.00", "/h", "target", ">=", "12", "/h", "ok"]
    assert run["tempos per hour (whole bpm)"].split()[5:8] == ["100.00", "/h", "target"]
    assert run["longest silence between tracks"].endswith("MISS") and "3.25 s" in run["longest silence between tracks"]
    assert run["chord onsets off the beat"].endswith("50.0%   target 30%-70%    ok")
    assert run["keys: strikes per bar"].split()[-1] == "2.00" and run["keys: hold of a struck note"].endswith("2.50 beats")
    assert run["keys: strikes of 3-4 pitch classes"].endswith("50.0%   target >= 50%     ok")
    for line in (one, two, three):  # each track's keys: strike pitch and its note, pitch classes, strikes, hold, off-beat
        assert " 3.0 pc 2.00/bar 2.5 beats 50% off" in line
    assert len({line.index("target") for line in lines[5:] if "target" in line}) == 1, "targets align"


def test_cli_json_has_the_tracks_and_the_whole(run_file, capsys):
    assert main(["eval", str(run_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [t["key"] for t in report["tracks"]] == ["Eb major", "C# minor", "F major"]
    assert report["tracks"][0]["progression"] == ["0:maj7", "9:min7", "5:maj7", "7:7"]
    assert report["tracks"][2]["metrics"]["silence_before"] == {"value": pytest.approx(3.25), "target": "<= 2.5 s",
                                                              "ok": False}
    assert report["whole"]["keys_per_hour"] == {"value": pytest.approx(150), "target": ">= 6 /h", "ok": True}
    assert report["seconds"] == pytest.approx(RUN_SECONDS)


def test_a_file_without_track_markers_is_one_piece_as_before(tmp_path, capsys):
    song = write_run(tmp_path / "plain.mid", RUN[:1], markers=False)
    assert main(["eval", str(song), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "tracks" not in report and report["metrics"]["in_key"]["value"] == 1.0
