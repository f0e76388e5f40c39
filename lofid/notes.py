"""The Note type and the time grid every part of lofid shares, and MIDI <-> notes.

A Note is one event of the stream the model writes and the engine plays. Time is counted on a
16th-note grid: ``step`` is how many 16ths after the previous note's onset this note starts
(0 = together with it, so a chord is a run of notes with step 0), ``duration`` how many 16ths
it sounds. Seconds only appear when the engine applies the current bpm.

The model sees each note as a row of class indices: what it predicts (pitch 0-127, step
0-MAX_STEP, duration 0-MAX_DURATION, a velocity bin) and what it is told (the chord under the
note and its 16th within the bar). Rows live here so training and playing cannot disagree on
them, and so playing never needs TensorFlow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from lofid.errors import LofidError

STEPS_PER_BEAT = 4  # the 16th-note grid
MAX_STEP = 32  # two 4/4 bars; longer rests are clamped to this
MAX_DURATION = 32
VELOCITY_BINS = 8  # bin b covers velocities 16b..16b+15; it plays back as its centre
PART_TRACKS = {"melody": "melody", "bass": "bass"}  # track name -> Note part; other tracks are keys
BAR = 4 * STEPS_PER_BEAT  # 16ths in a 4/4 bar
HEADS = ("pitch", "step", "duration", "velocity")  # the model's output heads, in this order
VOCAB = {"pitch": 128, "step": MAX_STEP + 1, "duration": MAX_DURATION + 1, "velocity": VELOCITY_BINS}
# What the model is told about each note besides the note itself (see lofid.chords.chord_token).
CONTEXT = ("chord", "position")
COLUMNS = HEADS + CONTEXT  # a row's columns, in this order
CHORD_QUALITIES = ("maj", "min", "dom", "dim", "sus", "aug")
INPUT_VOCAB = {**VOCAB, "chord": 1 + 12 * len(CHORD_QUALITIES), "position": BAR}
TONICS = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "E#": 5, "F": 5, "F#": 6, "Gb": 6,
          "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11, "B#": 0}


CHORD_MARK = "chord "  # the text event that names a chord change in the MIDI files lofid writes
PARTS = ("keys", "bass", "melody")  # the instruments a Note can be for; each has a sound.program_<part>


def part_programs(settings: Mapping[str, object]) -> dict[str, int]:
    """Each part's General MIDI program from the settings (``sound.program_<part>``)."""
    return {part: int(settings[f"sound.program_{part}"]) for part in PARTS}


@dataclass(frozen=True, slots=True)
class Note:
    pitch: int  # MIDI note number 0-127
    step: int  # 16ths after the previous note's onset; 0 = together with it
    duration: int  # 16ths it sounds, >= 1
    velocity: int  # MIDI velocity 1-127
    part: str = "keys"  # the instrument that plays it: keys, bass or melody


def velocity_bin(velocity: int) -> int:
    return min(VELOCITY_BINS - 1, max(0, int(velocity)) // 16)


def bin_velocity(b: int) -> int:
    """The velocity a bin plays back as: the centre of its range."""
    return int(b) * 16 + 8


def to_rows(notes: Iterable[Note]) -> np.ndarray:
    """Notes -> an (n, 4) int32 array of the predicted columns, clamped to the model's vocabularies."""
    rows = [(min(127, max(0, n.pitch)), min(MAX_STEP, max(0, n.step)), min(MAX_DURATION, max(1, n.duration)),
             velocity_bin(n.velocity)) for n in notes]
    return np.asarray(rows, dtype=np.int32).reshape(-1, len(HEADS))


def with_context(rows: np.ndarray, chords: Sequence[int], positions: Sequence[int]) -> np.ndarray:
    """(n, 4) note rows + each note's chord token and 16th in the bar -> (n, 6) model input rows."""
    context = np.stack([np.asarray(chords, np.int32), np.asarray(positions, np.int32) % BAR], axis=-1)
    return np.concatenate([np.asarray(rows, np.int32).reshape(-1, len(HEADS)), context.reshape(-1, 2)], axis=-1)


class BeatGrid:
    """Seconds <-> 16th positions, following a list of beat times (so rubato songs stay on the grid).

    Between beats time is interpolated; before the first and after the last beat the nearest
    beat interval is extended, so every note gets a position.
    """

    def __init__(self, beat_times: Sequence[float]) -> None:
        beats = np.unique(np.asarray(beat_times, dtype=np.float64))
        if len(beats) < 2:
            raise ValueError("a beat grid needs at least two beats")
        self.beats = beats

    def position(self, seconds: float | np.ndarray) -> np.ndarray:
        """16th index (rounded) of each time."""
        t = np.asarray(seconds, dtype=np.float64)
        b = self.beats
        idx = np.interp(t, b, np.arange(len(b), dtype=np.float64))
        first, last = b[1] - b[0], b[-1] - b[-2]
        idx = np.where(t < b[0], (t - b[0]) / first, idx)
        idx = np.where(t > b[-1], len(b) - 1 + (t - b[-1]) / last, idx)
        return np.rint(idx * STEPS_PER_BEAT).astype(np.int64)


def downbeat_index(beat_file: Path | None, midi, beats: Sequence[float]) -> int:
    """Index in ``beats`` of the first beat that starts a 4/4 bar: POP909's beat_midi.txt third
    column, else the MIDI file's own downbeats."""
    if beat_file is not None:
        try:
            flags = [line.split()[2] for line in beat_file.read_text().splitlines() if line.strip()]
            return next(i for i, flag in enumerate(flags) if float(flag) == 1.0)
        except (OSError, IndexError, ValueError, StopIteration):
            pass  # no usable beat file: the MIDI file's time signature decides
    downbeats = midi.get_downbeats()
    return int(np.argmin(np.abs(np.asarray(beats) - downbeats[0]))) if len(downbeats) else 0


def read_beat_file(path: Path) -> list[float] | None:
    """Beat times from a POP909 ``beat_midi.txt`` (first column, seconds), or None if absent/unusable."""
    try:
        times = [float(line.split()[0]) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError, IndexError):
        return None
    return times if len(times) >= 2 else None


def load_midi(path: str | os.PathLike):
    """pretty_midi.PrettyMIDI of ``path``; any failure is a LofidError naming the file."""
    import pretty_midi

    try:
        return pretty_midi.PrettyMIDI(str(path))
    except FileNotFoundError:
        raise LofidError(f"{path}: no such MIDI file") from None
    except Exception as e:  # mido/pretty_midi raise many types for a damaged file
        raise LofidError(f"{path}: not a readable MIDI file ({e.__class__.__name__}: {e})") from None


def song_beats(midi, beat_times: Sequence[float] | None = None) -> list[float]:
    """The beat times a song is gridded by: POP909's annotated beats when given, else the tempo map."""
    return list(beat_times) if beat_times is not None and len(beat_times) >= 2 else list(midi.get_beats())


def midi_to_events(midi, tracks: Sequence[str] | None, grid: BeatGrid,
                   part_names: Mapping[str, str] | None = None) -> list[tuple[int, int, int, int, str]]:
    """(onset 16th, pitch, duration, velocity, part) of the wanted tracks' notes, sorted as the
    notes are (onset, then pitch). Drum tracks are skipped; ``tracks`` keeps only instruments with
    these names (case-insensitive); ``part_names`` maps a track name to a Note part."""
    wanted = {t.lower() for t in tracks} if tracks else None
    parts = {k.lower(): v for k, v in (part_names or {}).items()}
    events: list[tuple[int, int, int, int, str]] = []
    for inst in midi.instruments:
        name = (inst.name or "").strip().lower()
        if inst.is_drum or (wanted is not None and name not in wanted) or not inst.notes:
            continue
        part = parts.get(name, "keys")
        starts = grid.position([n.start for n in inst.notes])
        ends = grid.position([n.end for n in inst.notes])
        for n, s, e in zip(inst.notes, starts, ends):
            events.append((int(s), n.pitch, max(1, int(e - s)), bin_velocity(velocity_bin(n.velocity)), part))
    return sorted(events, key=lambda ev: (ev[0], ev[1]))


def midi_to_notes(midi, tracks: Sequence[str] | None = None, beat_times: Sequence[float] | None = None,
                  part_names: Mapping[str, str] | None = None) -> list[Note]:
    """The notes of a pretty_midi object on the 16th grid, in time order (chords low to high).

    ``beat_times`` (POP909's annotated beats) beats the file's tempo map when given; tracks and
    parts as ``midi_to_events``.
    """
    beats = song_beats(midi, beat_times)
    if len(beats) < 2:
        return []
    return notes_from_onsets(midi_to_events(midi, tracks, BeatGrid(beats), part_names))


def notes_from_onsets(events: Iterable[tuple[int, int, int, int, str]]) -> list[Note]:
    """(onset 16th, pitch, duration, velocity, part) events -> Notes with steps, in time order.

    Notes starting together are ordered low to high, so a chord always reads the same way.
    """
    notes, prev = [], None
    for onset, pitch, duration, velocity, part in sorted(events, key=lambda ev: (ev[0], ev[1])):
        step = 0 if prev is None else onset - prev
        notes.append(Note(pitch, min(step, MAX_STEP), min(duration, MAX_DURATION), velocity, part))
        prev = onset
    return notes


def fold_pitch(pitch: int) -> int:
    """A pitch moved by octaves into 0-127, so a transposed note keeps its pitch class."""
    while pitch > 127:
        pitch -= 12
    while pitch < 0:
        pitch += 12
    return pitch


def read_notes(path: str | os.PathLike, tracks: Sequence[str] | None = None) -> list[Note]:
    """Notes of a MIDI file, using a POP909 ``beat_midi.txt`` beside it when there is one."""
    beats = read_beat_file(Path(path).parent / "beat_midi.txt")
    return midi_to_notes(load_midi(path), tracks, beats, PART_TRACKS)


def swing_offset(index: int, swing: float) -> float:
    """How late 16th ``index`` sounds, in 16ths: off-beat 16ths by ``swing``, on-beat ones not at all."""
    return swing if index % 2 else 0.0


def notes_to_midi(notes: Iterable[Note], bpm: float, programs: Mapping[str, int] | None = None,
                  chords: Sequence[tuple[int, str]] = (), drums: Sequence[tuple[int, int, int]] = (),
                  swing: float = 0.0):
    """A pretty_midi object playing ``notes`` at ``bpm``: one instrument per part.

    ``chords`` are (16th, Harte label) chord changes, written as "chord LABEL" text events so
    ``lofid eval`` can read them back; ``drums`` are (16th, GM drum key, velocity) hits, written
    as a drum track. ``swing`` delays off-beat 16ths by that share of a 16th, as the engine does.
    """
    import pretty_midi

    programs = dict(programs or {})
    midi = pretty_midi.PrettyMIDI(initial_tempo=float(bpm))
    step = 60.0 / float(bpm) / STEPS_PER_BEAT

    def at(index: int) -> float:  # 16th ``index`` in seconds, as the engine's Grid places it
        return (index + swing_offset(index, swing)) * step

    instruments: dict[str, pretty_midi.Instrument] = {}
    onset = 0
    for n in notes:
        onset += n.step
        inst = instruments.get(n.part)
        if inst is None:
            inst = instruments[n.part] = pretty_midi.Instrument(program=programs.get(n.part, 0), name=n.part)
            midi.instruments.append(inst)
        # Both ends from whole 16ths, so a note ending as the next begins meets it exactly.
        inst.notes.append(pretty_midi.Note(velocity=min(127, max(1, n.velocity)), pitch=min(127, max(0, n.pitch)),
                                           start=at(onset), end=at(onset + max(1, n.duration))))
    midi.text_events += [pretty_midi.Text(f"{CHORD_MARK}{label}", at(index)) for index, label in chords]
    if drums:
        kit = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
        kit.notes += [pretty_midi.Note(velocity=v, pitch=p, start=at(index), end=at(index + 1))
                      for index, p, v in drums]
        midi.instruments.append(kit)
    return midi


def write_midi(notes: Iterable[Note], path: str | os.PathLike, bpm: float,
               programs: Mapping[str, int] | None = None, chords: Sequence[tuple[int, str]] = (),
               drums: Sequence[tuple[int, int, int]] = (), swing: float = 0.0) -> None:
    """Write ``notes`` as a MIDI file (see ``notes_to_midi``); a path that cannot be written is a
    LofidError naming it."""
    midi = notes_to_midi(notes, bpm, programs, chords, drums, swing)
    try:
        midi.write(str(path))
    except OSError as e:
        raise LofidError(f"{path}: cannot write the MIDI file ({e.strerror or e})") from None
