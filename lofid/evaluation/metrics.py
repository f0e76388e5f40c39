"""Measures of whether a piece stays pleasant for hours: the figures ``lofid eval`` prints.

Every metric is a pure function of a ``Piece``: its notes timed both in seconds (for silences,
density) and on the 16th grid of its beats (for strong beats and chords), plus its chords and key.
A piece comes from a MIDI file (with POP909's ``beat_midi.txt``, ``key_audio.txt`` and
``chord_midi.txt`` beside it when present; otherwise the "chord LABEL" text events lofid writes,
else chords guessed per bar from the accompaniment) or from generated notes, which take the same road
through ``notes_to_midi``, so ``lofid eval out.mid`` of a ``lofid generate`` file and
``lofid eval --generate`` measure the same notes.

Definitions (exact, because targets are judged on them):
- the note order is the corpus's: by 16th onset, then low to high pitch;
- in key: the share of notes whose pitch class is in the key's major scale (= its relative natural
  minor), the key being --key, POP909's key_audio.txt (segment by segment), or a
  Krumhansl-Schmuckler estimate (lofid.model.songs' key normalisation, so copy rate agrees with training);
- chord tones on strong beats: melody notes whose onset is on beat 1 or 3 of a 4/4 bar, counted
  only under a chord (not "N"); the share whose pitch class the chord holds. Melody = the notes of
  the "melody" part if there are any, else at each onset the highest note starting there unless a
  higher note is still held (the skyline);
- pitch-class entropy: Shannon entropy in bits of the pitch-class counts (each note counts once);
- repetition: from the 11th note on, the share of notes whose MIDI pitch equals the pitch of one of
  the 10 notes just before it;
- fewest distinct pitches: the smallest number of distinct MIDI pitches in any 64 consecutive
  notes (in the whole piece if it is shorter);
- longest silence: the longest time with no note sounding between the first onset and the last
  release, in seconds at the piece's own tempo;
- most voices: the most notes sounding at one instant (a note ending as another starts is not overlap;
  a pitch struck again on the same track ends the earlier note, as a MIDI file and FluidSynth do);
- notes per second: notes / (last release - first onset);
- copy rate: the share of the tune's 15-note runs (the melody part if marked, else every note)
  found in the corpus; see ``lofid.evaluation.copyindex``;
- theme return, chord onsets off the beat, rich chords: see ``lofid.evaluation.texture``;
- the keys' strike pitch, pitch classes, strikes per bar and hold: see ``lofid.evaluation.keys``.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lofid.errors import LofidError
from lofid.evaluation.keys import keys_figures
from lofid.evaluation.texture import chord_strikes, off_beat_share, rich_share, theme_return
from lofid.model.songs import normalise_key
from lofid.music.annotations import downbeat_index, read_beat_file, read_chord_file, read_key_file, song_beats
from lofid.music.beats import BeatGrid
from lofid.music.chords import Chord, chord_pitch_classes, estimate_chords
from lofid.music.keys import MAJOR_SCALE, scale_name
from lofid.music.midi import CHORD_MARK, PART_TRACKS, notes_to_midi
from lofid.music.notes import BAR, STEPS_PER_BEAT, Note

STRONG = 2 * STEPS_PER_BEAT  # beats 1 and 3 are this many 16ths apart
REPETITION_WINDOW = 10  # notes
DISTINCT_WINDOW = 64  # notes


@dataclass(frozen=True, slots=True)
class TimedNote:
    start: float  # seconds
    end: float
    pitch: int
    onset: int  # 16th on the piece's beat grid
    release: int  # 16th it ends on, > onset
    shift: int  # semitones that move this note's key to C major / A minor
    part: str = "keys"


@dataclass
class Piece:
    notes: list[TimedNote]  # in corpus order: onset, then pitch
    chords: list[Chord]
    downbeat: int  # a 16th on which a bar starts
    key: str  # how the key reads to a person, e.g. "Gb major / Eb minor"
    sources: dict[str, str] = field(default_factory=dict)  # where key, chords and melody came from


# ---- building a piece ----

def _beats(midi, folder: Path | None) -> np.ndarray:
    annotated = read_beat_file(folder / "beat_midi.txt") if folder else None
    beats = np.unique(np.asarray(song_beats(midi, annotated), dtype=np.float64))
    return beats if len(beats) >= 2 else np.array([0.0, 0.5])  # a file too short for a tempo map: 120 bpm


def _cut_restruck(notes) -> list[float]:
    """End times of one track's notes, where a pitch struck again before it ends stops at the new
    onset: one key of one instrument sounds once, as in a MIDI file and in FluidSynth."""
    ends = [float(n.end) for n in notes]
    last: dict[int, int] = {}  # pitch -> index of its latest note
    for i in sorted(range(len(notes)), key=lambda i: notes[i].start):
        j = last.get(notes[i].pitch)
        if j is not None and ends[j] > notes[i].start:
            ends[j] = float(notes[i].start)
        last[notes[i].pitch] = i
    return ends


def piece_from_midi(midi, folder: Path | None = None, shift: int | None = None, key_name: str = "",
                    name: str = "the piece") -> Piece:
    """A pretty_midi object as a Piece. ``folder`` holds POP909's annotations, if any; ``shift``
    fixes the key (``key_name`` says where it came from), otherwise it is read or estimated."""
    beats = _beats(midi, folder)
    grid = BeatGrid(beats)
    if shift is None:
        key_file = folder / "key_audio.txt" if folder else None
        normalised = copy.deepcopy(midi)
        normalise_key(normalised, key_file)  # the corpus's own rule, so copy rate matches training
        pairs = [(a.notes, b.notes) for a, b in zip(midi.instruments, normalised.instruments) if not a.is_drum]
        shifts = [[m.pitch - o.pitch for o, m in zip(orig, moved)] for orig, moved in pairs]
        annotated = bool(key_file and read_key_file(key_file))
        key_source = "key_audio.txt" if annotated else "estimated, Krumhansl-Schmuckler"
    else:
        pairs = [(inst.notes, inst.notes) for inst in midi.instruments if not inst.is_drum]
        shifts = [[shift] * len(orig) for orig, _ in pairs]
        key_source = key_name
    parts = {k.lower(): v for k, v in PART_TRACKS.items()}
    inst_names = [(inst.name or "").strip().lower() for inst in midi.instruments if not inst.is_drum]
    notes = []
    for (orig, _), inst_shifts, inst_name in zip(pairs, shifts, inst_names):
        if not orig or inst_name == "drums":  # a drum part written as an ordinary track is still no pitch
            continue
        ends = _cut_restruck(orig)
        onsets = grid.position([n.start for n in orig])
        releases = grid.position(ends)
        for n, end, on, off, s in zip(orig, ends, onsets, releases, inst_shifts):
            notes.append(TimedNote(float(n.start), end, int(n.pitch), int(on), int(max(off, on + 1)),
                                   int(s), parts.get(inst_name, "keys")))
    if not notes:
        raise LofidError(f"{name}: no notes to evaluate")
    notes.sort(key=lambda n: (n.onset, n.pitch))
    downbeat = downbeat_index(folder / "beat_midi.txt" if folder else None, midi, beats) * STEPS_PER_BEAT
    chord_file = folder / "chord_midi.txt" if folder else None
    marks = [(t.time, t.text[len(CHORD_MARK):].strip()) for t in midi.text_events if t.text.startswith(CHORD_MARK)]
    if chord_file and chord_file.is_file():
        chords, chord_source = read_chord_file(chord_file, grid.position), "chord_midi.txt"
    elif marks:
        chords, chord_source = marked_chords(marks, grid, max(n.release for n in notes)), "chord marks in the file"
    else:
        chords, chord_source = guess_chords(notes, downbeat), "estimated per bar from the accompaniment"
    key = ", ".join(dict.fromkeys(scale_name(n.shift) for n in notes))  # each key once, in the order heard
    tune = "the melody part" if any(n.part == "melody" for n in notes) else "highest note at each onset"
    return Piece(notes, chords, downbeat, key, {"key": key_source, "chords": chord_source, "melody": tune})


def piece_from_notes(notes: Sequence[Note], bpm: float, shift: int, key_name: str,
                     chords: Sequence[tuple[int, str]] = (), swing: float = 0.0) -> Piece:
    """Generated notes as the engine plays them (at ``bpm`` and ``swing``): bar 1 starts at the
    first note's step from 0. ``chords`` are the generator's (16th, label) chord changes."""
    return piece_from_midi(notes_to_midi(notes, bpm, chords=chords, swing=swing), None, shift, key_name,
                           "the generated notes")


def marked_chords(marks: Sequence[tuple[float, str]], grid: BeatGrid, end: int) -> list[Chord]:
    """Chords from (seconds, Harte label) text marks: each lasts until the next (the last until ``end``).
    An unreadable label counts as no chord."""
    starts = [int(v) for v in grid.position(np.array([t for t, _ in marks]))] + [end]
    chords = []
    for (_, label), start, stop in zip(marks, starts, starts[1:]):
        try:
            pcs = chord_pitch_classes(label)
        except ValueError:
            label, pcs = "N", frozenset()
        if stop > start:
            chords.append(Chord(start, stop, label, pcs))
    return chords


def guess_chords(notes: Sequence[TimedNote], downbeat: int) -> list[Chord]:
    """One chord per bar, from the accompaniment (the non-melody notes) only: a chord made of the
    melody itself would make every melody note a chord tone. A bar with no accompaniment has no
    chord ("N"), so its melody notes are not counted."""
    tune = set(map(id, melody(notes)))
    first = downbeat + (min(n.onset for n in notes) - downbeat) // BAR * BAR
    end = max(n.release for n in notes)
    spans = [(n.onset, n.release, n.pitch) for n in notes if id(n) not in tune]
    return estimate_chords(spans, list(range(first, end, BAR)), end)


# ---- metrics ----

def melody(notes: Sequence[TimedNote]) -> list[TimedNote]:
    """The melody part's notes if there are any, else the skyline (see the module docstring)."""
    marked = [n for n in notes if n.part == "melody"]
    if marked:
        return marked
    line: list[TimedNote] = []
    held: list[tuple[int, int]] = []  # (release, pitch) of earlier notes
    i = 0
    while i < len(notes):
        j = i
        while j < len(notes) and notes[j].onset == notes[i].onset:
            j += 1
        onset, top = notes[i].onset, max(notes[i:j], key=lambda n: n.pitch)
        held = [h for h in held if h[0] > onset]
        if all(p < top.pitch for _, p in held):
            line.append(top)
        held += [(n.release, n.pitch) for n in notes[i:j]]
        i = j
    return line


def in_key(notes: Sequence[TimedNote]) -> float:
    return sum((n.pitch + n.shift) % 12 in MAJOR_SCALE for n in notes) / len(notes)


def strong_beat_chord_tones(notes: Sequence[TimedNote], chords: Sequence[Chord], downbeat: int) -> float | None:
    """Share of melody notes on beats 1 and 3 that are tones of the chord under them (None: none counted)."""
    starts = [c.start for c in chords]  # chords are in time order and do not overlap
    hits = total = 0
    for n in melody(notes):
        if (n.onset - downbeat) % STRONG:
            continue
        i = bisect.bisect_right(starts, n.onset) - 1
        chord = chords[i] if i >= 0 and chords[i].end > n.onset else None
        if chord is not None and chord.pcs:
            total += 1
            hits += n.pitch % 12 in chord.pcs
    return hits / total if total else None


def pitch_class_entropy(pitches: Sequence[int]) -> float:
    counts = np.bincount(np.asarray(pitches) % 12, minlength=12)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def repetition(pitches: Sequence[int], window: int = REPETITION_WINDOW) -> float | None:
    if len(pitches) <= window:
        return None
    repeats = sum(pitches[i] in pitches[i - window:i] for i in range(window, len(pitches)))
    return repeats / (len(pitches) - window)


def fewest_distinct(pitches: Sequence[int], window: int = DISTINCT_WINDOW) -> int:
    if len(pitches) <= window:
        return len(set(pitches))
    return min(len(set(pitches[i:i + window])) for i in range(len(pitches) - window + 1))


def longest_silence(notes: Sequence[TimedNote]) -> float:
    longest, sounding_until = 0.0, -math.inf
    for n in sorted(notes, key=lambda n: n.start):
        if sounding_until > -math.inf:
            longest = max(longest, n.start - sounding_until)
        sounding_until = max(sounding_until, n.end)
    return longest


def most_voices(notes: Sequence[TimedNote]) -> int:
    events = sorted([(n.start, 1) for n in notes] + [(n.end, -1) for n in notes])  # ends sort first
    peak = current = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def notes_per_second(notes: Sequence[TimedNote]) -> float:
    span = max(n.end for n in notes) - min(n.start for n in notes)
    return len(notes) / span if span > 0 else 0.0


# ---- all together, with the targets of issue 6 ----

@dataclass(frozen=True)
class Metric:
    name: str  # the key in --json
    label: str  # how the human output names it
    unit: str  # "%" (value is a share 0-1), "bits", "s", "" or "/s"
    low: float | None = None  # the target: low <= value <= high
    high: float | None = None

    def ok(self, value: float | None) -> bool | None:
        if value is None or (self.low is None and self.high is None):
            return None
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def target(self) -> str:
        show = (lambda v: f"{v * 100:g}%") if self.unit == "%" else (lambda v: f"{v:g}{' ' + self.unit if self.unit else ''}")
        if self.low is not None and self.high is not None:
            return f"{show(self.low)}-{show(self.high)}"
        if self.low is not None:
            return f">= {show(self.low)}"
        return f"<= {show(self.high)}" if self.high is not None else ""


METRICS: tuple[Metric, ...] = (
    Metric("in_key", "in key", "%", low=0.95),
    Metric("strong_beat_chord_tones", "chord tones on strong beats", "%", low=0.70),
    Metric("pitch_class_entropy", "pitch-class entropy", "bits"),
    Metric("repetition", "repetition (10-note window)", "%", low=0.20, high=0.60),
    Metric("copy_rate", "copy rate (15-note sequences)", "%", high=0.05),
    Metric("fewest_distinct_pitches", "fewest distinct pitches / 64 notes", "", low=5),
    Metric("longest_silence", "longest silence", "s", high=4.0),
    Metric("most_voices", "most voices at once", "", high=10),
    Metric("notes_per_second", "notes per second", "/s"),
    Metric("theme_return", "theme return (4-interval figures)", "%", low=0.30),
    Metric("chord_onsets_off_beat", "chord onsets off the beat", "%", low=0.30, high=0.70),
    Metric("rich_chords", "chords of 4+ pitch classes", "%", low=0.30, high=0.80),
)
# How the keys are played (lofid.evaluation.keys): lo-fi keys between C4 and C5, three or four voices.
KEYS_METRICS = (
    Metric("keys_pitch", "keys: mean strike pitch (60 = C4)", "", low=60, high=72),
    Metric("keys_pitch_classes", "keys: pitch classes per strike", ""),
    Metric("keys_three_or_four", "keys: strikes of 3-4 pitch classes", "%", low=0.5),
    Metric("keys_strikes_per_bar", "keys: strikes per bar", ""),
    Metric("keys_hold_beats", "keys: hold of a struck note", "beats"),
)
METRICS += KEYS_METRICS


def normalised_pitches(piece: Piece) -> list[int]:
    """What the copy index compares: the tune's pitches moved to C major / A minor, in corpus order.
    The tune is the melody part when one is marked (a copied melody under new chords is still a
    copy), else every note."""
    marked = [n for n in piece.notes if n.part == "melody"]
    return [n.pitch + n.shift for n in (marked or piece.notes)]


def measure(piece: Piece, copy_rate: Callable[[Sequence[int]], float | None] | None = None) -> dict:
    """Every metric of ``piece``: name -> value (None where it cannot be measured, e.g. copy rate
    without a corpus)."""
    pitches = [n.pitch for n in piece.notes]
    strikes = chord_strikes(piece.notes)
    return {
        "in_key": in_key(piece.notes),
        "strong_beat_chord_tones": strong_beat_chord_tones(piece.notes, piece.chords, piece.downbeat),
        "pitch_class_entropy": pitch_class_entropy(pitches),
        "repetition": repetition(pitches),
        "copy_rate": copy_rate(normalised_pitches(piece)) if copy_rate else None,
        "fewest_distinct_pitches": fewest_distinct(pitches),
        "longest_silence": longest_silence(piece.notes),
        "most_voices": most_voices(piece.notes),
        "notes_per_second": notes_per_second(piece.notes),
        "theme_return": theme_return([n.pitch for n in melody(piece.notes)]),
        "chord_onsets_off_beat": off_beat_share(strikes, piece.downbeat),
        "rich_chords": rich_share(strikes),
        **keys_figures(piece.notes),
    }
