"""POP909's annotation files beside each song: beats and downbeats, chords, keys.

Each reader turns one file into plain values (seconds, 16ths, shifts); an absent or unusable file
is reported as "none" (or, for chords, a LofidError naming it) so a folder of plain MIDI still works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from lofid.errors import LofidError
from lofid.music.chords import Chord, chord_pitch_classes
from lofid.music.keys import key_shift, parse_key

MELODY_TRACKS = ("MELODY", "BRIDGE")  # POP909's lead lines: what the shipped model learns (--tracks)


def read_beat_file(path: Path) -> list[float] | None:
    """Beat times from a POP909 ``beat_midi.txt`` (first column, seconds), or None if absent/unusable."""
    try:
        times = [float(line.split()[0]) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError, IndexError):
        return None
    return times if len(times) >= 2 else None


def read_downbeats(path: Path) -> list[int]:
    """Indices of the beats that start a bar in a POP909 ``beat_midi.txt`` (third column 1; the
    indices of ``read_beat_file``'s times), or [] if absent/unusable."""
    try:
        flags = [float(line.split()[2]) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, ValueError, IndexError):
        return []
    return [i for i, flag in enumerate(flags) if flag == 1.0]


def downbeat_index(beat_file: Path | None, midi, beats: Sequence[float] | np.ndarray) -> int:
    """Index in ``beats`` of the first beat that starts a 4/4 bar: POP909's beat_midi.txt third
    column, else the MIDI file's own downbeats."""
    if beat_file is not None and (annotated := read_downbeats(beat_file)):
        return annotated[0]
    downbeats = midi.get_downbeats()  # no usable beat file: the MIDI file's time signature decides
    return int(np.argmin(np.abs(np.asarray(beats) - downbeats[0]))) if len(downbeats) else 0


def song_beats(midi, beat_times: Sequence[float] | None = None) -> list[float]:
    """The beat times a song is gridded by: POP909's annotated beats when given, else the tempo map."""
    return list(beat_times) if beat_times is not None and len(beat_times) >= 2 else list(midi.get_beats())


def read_keys(path: Path) -> list[tuple[float, float, int, bool]]:
    """(start s, end s, tonic pitch class, minor) segments from a POP909 ``key_audio.txt``; [] when
    absent or unusable."""
    try:
        lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
        segments = []
        for start, end, name in lines:
            key = parse_key(name)
            if key is None:
                return []
            segments.append((float(start), float(end), *key))
        return segments
    except (OSError, ValueError):
        return []


def read_key_file(path: Path) -> list[tuple[float, float, int]]:
    """(start, end, shift) segments from a POP909 ``key_audio.txt``; [] when absent or unusable."""
    return [(start, end, key_shift(tonic, minor)) for start, end, tonic, minor in read_keys(path)]


def read_chord_file(path: Path, position: Callable[[np.ndarray], np.ndarray]) -> list[Chord]:
    """Chords of a POP909 ``chord_midi.txt`` (``start end label`` in seconds) on the piece's 16th grid.

    ``position`` maps seconds to 16ths (the piece's beat grid), so a chord change and a note that
    land on the same 16th agree however the annotation rounded its times.
    """
    chords = []
    try:
        rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
        for number, row in enumerate(rows, 1):
            if len(row) != 3:
                raise ValueError(f"line {number}: expected 'start end label'")
            start, end = position(np.array([float(row[0]), float(row[1])]))
            chords.append(Chord(int(start), int(end), row[2], chord_pitch_classes(row[2])))
    except OSError as e:
        raise LofidError(f"{path}: cannot read the chord file ({e.strerror or e})") from None
    except ValueError as e:
        raise LofidError(f"{path}: not a chord file ({e})") from None
    return [c for c in chords if c.end > c.start]
