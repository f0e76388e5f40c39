"""A MIDI file as the note model's rows: key-normalised, each note told its chord and its 16th in the bar.

Songs are transposed to C major / A minor segment by segment (POP909's ``key_audio.txt``, else an
estimate), their chords read from ``chord_midi.txt`` (else estimated per bar from the tracks not
learnt from), and positions counted from the first downbeat. Training reads every song this way,
and so does ``lofid generate --primer``, so a primer means to the model what the corpus did.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lofid.model.encoding import COLUMNS, chord_token, to_rows, with_context
from lofid.music.annotations import downbeat_index, read_beat_file, read_chord_file, read_key_file, song_beats
from lofid.music.beats import BeatGrid
from lofid.music.chords import estimate_chords
from lofid.music.keys import estimate_shift
from lofid.music.midi import PART_TRACKS, load_midi, midi_to_events
from lofid.music.notes import BAR, STEPS_PER_BEAT, fold_pitch, notes_from_onsets


def normalise_key(midi, key_file: Path | None = None) -> list[tuple[float, float, int]]:
    """Transpose a pretty_midi object in place to C major / A minor (segment by segment if annotated).

    Returns the (start, end, shift) segments used, in seconds, so annotations can follow the notes.
    """
    notes = [n for inst in midi.instruments if not inst.is_drum for n in inst.notes]
    segments = read_key_file(key_file) if key_file else []
    if not segments:
        shift = estimate_shift([n.pitch for n in notes], [n.end - n.start for n in notes])
        segments = [(float("-inf"), float("inf"), shift)]
    starts = np.array([s for s, _, _ in segments])
    for n in notes:
        i = max(0, int(np.searchsorted(starts, n.start, side="right")) - 1)
        n.pitch = fold_pitch(n.pitch + segments[i][2])
    return segments


def song_rows(path: Path, tracks: Sequence[str] | None = None) -> np.ndarray:
    """One file's key-normalised model rows (n, 6): each note with the chord under it and its 16th
    in the bar. Raises LofidError when the file cannot be read."""
    midi = load_midi(path)
    segments = normalise_key(midi, path.parent / "key_audio.txt")
    beat_file = path.parent / "beat_midi.txt"
    beats = song_beats(midi, read_beat_file(beat_file))
    if len(beats) < 2:
        return np.zeros((0, len(COLUMNS)), np.int32)
    grid = BeatGrid(beats)
    events = midi_to_events(midi, tracks, grid, PART_TRACKS)
    if not events:
        return np.zeros((0, len(COLUMNS)), np.int32)
    downbeat = downbeat_index(beat_file, midi, beats) * STEPS_PER_BEAT
    onsets = np.array([e[0] for e in events])
    chords = song_chords(path.parent / "chord_midi.txt", midi, tracks, grid, segments, downbeat)
    starts = np.array([start for start, _, _ in chords] or [0])
    index = np.searchsorted(starts, onsets, side="right") - 1
    tokens = [chords[i][2] if i >= 0 and chords[i][1] > onset else 0 for i, onset in zip(index, onsets)]
    return with_context(to_rows(notes_from_onsets(events)), tokens, onsets - downbeat)


def song_chords(chord_file: Path, midi, tracks: Sequence[str] | None, grid: BeatGrid,
                segments: Sequence[tuple[float, float, int]], downbeat: int) -> list[tuple[int, int, int]]:
    """(start 16th, end 16th, chord token) spans in the normalised key, in time order.

    POP909's ``chord_midi.txt`` when present (each chord moved by its key segment's shift), else
    one chord per bar estimated from the tracks not learnt from (all tracks if every one is).
    """
    if chord_file.is_file():
        key_starts = grid.position(np.array([max(start, -1e9) for start, _, _ in segments]))
        spans = []
        for chord in read_chord_file(chord_file, grid.position):
            i = max(0, int(np.searchsorted(key_starts, chord.start, side="right")) - 1)
            spans.append((chord.start, chord.end, chord_token(chord.label, segments[i][2])))
        return spans
    wanted = {t.lower() for t in tracks} if tracks else None
    backing = [inst for inst in midi.instruments if not inst.is_drum and inst.notes and
               (wanted is None or (inst.name or "").strip().lower() not in wanted)]
    if not backing:
        backing = [inst for inst in midi.instruments if not inst.is_drum]
    notes = [n for inst in backing for n in inst.notes]
    if not notes:
        return []
    starts, ends = grid.position([n.start for n in notes]), grid.position([n.end for n in notes])
    spans = [(int(a), int(b), n.pitch) for n, a, b in zip(notes, starts, ends)]
    first = downbeat + (min(a for a, _, _ in spans) - downbeat) // BAR * BAR
    end = max(b for _, b, _ in spans)
    return [(c.start, c.end, chord_token(c.label)) for c in estimate_chords(spans, list(range(first, end, BAR)), end)]
