"""MIDI files in and out: pretty_midi objects <-> Notes on the 16th grid, and folders of MIDI files.

Reading keeps a file's own beats (or POP909's annotated ones) so rubato songs stay on the grid;
writing places every note where the engine would play it, swing included, so a saved file and
what was heard agree. Every failure is a LofidError naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from lofid.errors import LofidError
from lofid.music.annotations import read_beat_file, song_beats
from lofid.music.notes import (
    STEPS_PER_BEAT,
    BeatGrid,
    Note,
    bin_velocity,
    notes_from_onsets,
    swing_offset,
    velocity_bin,
)

MIDI_SUFFIXES = (".mid", ".midi")
PART_TRACKS = {"melody": "melody", "bass": "bass"}  # track name -> Note part; other tracks are keys
CHORD_MARK = "chord "  # the text event that names a chord change in the MIDI files lofid writes


def load_midi(path: str | os.PathLike):
    """pretty_midi.PrettyMIDI of ``path``; any failure is a LofidError naming the file."""
    import pretty_midi

    try:
        return pretty_midi.PrettyMIDI(str(path))
    except FileNotFoundError:
        raise LofidError(f"{path}: no such MIDI file") from None
    except Exception as e:  # mido/pretty_midi raise many types for a damaged file
        raise LofidError(f"{path}: not a readable MIDI file ({e.__class__.__name__}: {e})") from None


def midi_files(folder: Path) -> list[Path]:
    """Every .mid/.midi under ``folder`` (recursively), in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())


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


def read_notes(path: str | os.PathLike, tracks: Sequence[str] | None = None) -> list[Note]:
    """Notes of a MIDI file, using a POP909 ``beat_midi.txt`` beside it when there is one."""
    beats = read_beat_file(Path(path).parent / "beat_midi.txt")
    return midi_to_notes(load_midi(path), tracks, beats, PART_TRACKS)


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
