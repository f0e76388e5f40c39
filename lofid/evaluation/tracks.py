"""A radio run cut into its tracks: each judged in its own key and tempo, and the run as a whole.

The MIDI files lofid writes mark the run in their first track (the conductor): at each track's first
tick a marker ``track N: TITLE``, a key signature (mido's names: C, Eb, C#m) and a tempo; at each
section's first tick a marker ``section NAME`` (intro, A, B, break, ending); chord changes are the
text events ``chord LABEL`` (lofid.music.midi.CHORD_MARK). pretty_midi keeps no markers, so they are
read here with mido.

Definitions (exact, because targets are judged on them):
- a track's notes are those whose onset falls between its marker and the next track's (the first
  track also takes any before its marker); its chords are the chord marks there;
- each track is a Piece of its own (lofid.evaluation.metrics): its 16th grid follows the tempo map's
  beats counted from its marker, which is bar 1, beat 1 (so a track after a gap of any length is
  on its own beat); "in key" is judged in the key signature in force at its marker (``--key``
  overrides; with none, a Krumhansl-Schmuckler estimate from its notes);
- its bpm is the tempo in force at its marker; its length runs from its first onset to its last
  release; the silence before it from the previous track's last release to its first onset (0 when
  they overlap);
- its progression: the chord marks of its first ``section A`` (the chord sounding as A begins
  included), each as (root in semitones above the track's tonic, Harte quality without extras or
  bass), "N" and unreadable labels left out, consecutive repeats folded, then read as a loop: a last
  chord equal to the first folds into it, and a loop stated k times counts once ((I vi IV V I vi IV V)
  is (I vi IV V)). A track without a section A has no progression;
- the run lasts from the first onset to the last release of all tracks; a "per hour" figure is a
  count of distinct things (tracks; keys as tonic and mode; tempos as whole bpm; progressions) per
  hour of it;
- its drums are measured as lofid.evaluation.drums says (distance from the straight grid, soft
  hits, its groove, fills before its breaks);
- chord onsets off the beat and rich chords pool every track's chord strikes (each on its own grid);
  in key, longest silence, most voices and the silence between tracks are the worst track's; theme
  return is the mean over the tracks that have one; the keys' figures (lofid.evaluation.keys) pool
  every track's strikes.
"""

from __future__ import annotations

import copy
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from lofid.errors import LofidError
from lofid.evaluation.drums import WHOLE_DRUMS, Beat, measure_beat, track_values, whole_values
from lofid.evaluation.keys import keys_count
from lofid.evaluation.metrics import KEYS_METRICS, METRICS, Metric, Piece, measure, piece_from_midi
from lofid.music.chords import parse_label
from lofid.music.keys import TONICS, estimate_shift, key_shift, scale_name
from lofid.music.midi import CHORD_MARK, FILL_MARK, GROOVE_MARK

TRACK_MARK = "track "  # marker "track N: TITLE"
SECTION_MARK = "section "  # marker "section NAME"
LOOP_SECTION = "A"  # the section whose chords are the track's progression
EPSILON = 1e-6  # seconds: events on one tick read as one time
HOUR = 3600.0  # seconds

GAP = Metric("silence_before", "silence before the track", "s", high=2.5)  # "about 2 s"
_PER_TRACK = {m.name: m for m in (*METRICS, GAP)}


def _over_tracks(name: str, label: str, per_track: str | None = None) -> Metric:
    """A run's figure judged by the target of the per-track one it gathers (``per_track``, else ``name``)."""
    return replace(_PER_TRACK[per_track or name], name=name, label=label)


WHOLE = (
    Metric("tracks_per_hour", "tracks per hour", "/h", low=12),
    Metric("keys_per_hour", "keys per hour", "/h", low=6),
    Metric("tempos_per_hour", "tempos per hour (whole bpm)", "/h", low=5),
    Metric("progressions_per_hour", "progressions per hour", "/h", low=10),
    _over_tracks("in_key", "in key, worst track"),
    _over_tracks("longest_silence", "longest silence in a track"),
    _over_tracks("longest_gap", "longest silence between tracks", GAP.name),
    _over_tracks("most_voices", "most voices at once"),
    _over_tracks("chord_onsets_off_beat", "chord onsets off the beat"),
    _over_tracks("rich_chords", "chords of 4+ pitch classes"),
    _over_tracks("theme_return", "theme return, mean of tracks"),
    *WHOLE_DRUMS,
    *KEYS_METRICS,
)

Step = tuple[int, str]  # (root in semitones above the tonic, quality)


@dataclass(frozen=True, slots=True)
class Mark:
    time: float  # seconds, on the file's tempo map
    kind: str  # "marker" or "key"
    text: str  # the marker's text, or the key's mido name


@dataclass
class Track:
    number: int
    title: str
    key: str  # as the file spells it, e.g. "C# minor"; or the estimate, e.g. "Eb major / C minor"
    key_id: tuple  # (tonic, minor), or ("estimated", shift): what "distinct keys" compares
    bpm: float
    piece: Piece
    progression: tuple[Step, ...] | None
    values: dict  # every metric of METRICS, and GAP's
    start: float = 0.0  # seconds: first onset
    end: float = 0.0  # seconds: last release
    groove: str = ""  # its drum groove's name, from its marker
    beat: Beat | None = None  # what its drums measure (lofid.evaluation.drums)


def read_marks(path: str | os.PathLike, midi) -> list[Mark]:
    """The conductor's markers and key signatures, timed on ``midi``'s (the same file's) tempo map."""
    import mido

    try:
        conductor = mido.MidiFile(str(path)).tracks[:1]
    except Exception as e:  # mido raises many types for a damaged file
        raise LofidError(f"{path}: not a readable MIDI file ({e.__class__.__name__}: {e})") from None
    marks, tick = [], 0
    for message in conductor[0] if conductor else ():
        tick += message.time
        if message.type == "marker":
            marks.append(Mark(float(midi.tick_to_time(tick)), "marker", message.text.strip()))
        elif message.type == "key_signature":
            marks.append(Mark(float(midi.tick_to_time(tick)), "key", message.key))
    return marks


def has_tracks(marks: Sequence[Mark]) -> bool:
    return any(m.kind == "marker" and m.text.startswith(TRACK_MARK) for m in marks)


class _Span:
    """One track of a pretty_midi object, as much of it as ``piece_from_midi`` reads when the key is
    given: the track's instruments and text events, and beats counted from its marker."""

    def __init__(self, midi, lo: float, hi: float, at: float) -> None:
        self.instruments = []
        for inst in midi.instruments:
            part = copy.copy(inst)
            part.notes = [n for n in inst.notes if lo - EPSILON <= n.start < hi - EPSILON]
            self.instruments.append(part)
        self.text_events = [t for t in midi.text_events if lo - EPSILON <= t.time < hi - EPSILON]
        self._beats = midi.get_beats(at)

    def get_beats(self) -> np.ndarray:
        return self._beats

    def get_downbeats(self) -> np.ndarray:
        return self._beats[:1]


def _signature(name: str | None) -> tuple[str, int, bool] | None:
    """mido's key name -> (how to show it, tonic, minor): "C#m" -> ("C# minor", 1, True)."""
    if not name:
        return None
    minor = name.endswith("m")
    tonic = name[:-1] if minor else name
    return (f"{tonic} {'minor' if minor else 'major'}", TONICS[tonic], minor) if tonic in TONICS else None


def _estimate(span: _Span, label: str) -> int:
    """The key-normalising shift of a track without a key signature, from its pitched notes."""
    pitched = [n for inst in span.instruments if not inst.is_drum and (inst.name or "").strip().lower() != "drums"
               for n in inst.notes]
    if not pitched:
        raise LofidError(f"{label}: no notes to evaluate")
    return estimate_shift([n.pitch for n in pitched], [n.end - n.start for n in pitched])


def as_loop(steps: Sequence[Step]) -> tuple[Step, ...] | None:
    """A progression read as a loop (see the module docstring); None when it holds no chord."""
    folded = [s for i, s in enumerate(steps) if i == 0 or s != steps[i - 1]]
    while len(folded) > 1 and folded[-1] == folded[0]:
        folded.pop()
    n = len(folded)
    if not n:
        return None
    period = next(p for p in range(1, n + 1) if n % p == 0 and folded == folded[:p] * (n // p))
    return tuple(folded[:period])


def progression(chords: Sequence[tuple[float, str]], sections: Sequence[tuple[float, str]],
                lo: float, hi: float, tonic: int) -> tuple[Step, ...] | None:
    """The track's loop: its first section A's chords (``chords``: (seconds, label) in time order)."""
    inside = [(t, s) for t, s in sections if lo - EPSILON <= t < hi - EPSILON]
    first = next((i for i, (_, s) in enumerate(inside) if s == LOOP_SECTION), None)
    if first is None:
        return None
    a_start = inside[first][0]
    a_end = inside[first + 1][0] if first + 1 < len(inside) else hi
    before = [c for c in chords if lo - EPSILON <= c[0] < a_start - EPSILON]
    within = [c for c in chords if a_start - EPSILON <= c[0] < a_end - EPSILON]
    if before and (not within or within[0][0] > a_start + EPSILON):
        within.insert(0, before[-1])  # the chord still sounding as A begins
    parsed = [parse_label(label) for _, label in within]
    return as_loop([((root - tonic) % 12, quality) for root, quality in filter(None, parsed)])


def tracks_of(midi, marks: Sequence[Mark], shift: int | None = None, key_name: str = "--key",
              name: str = "the piece", copy_rate: Callable[[Sequence[int]], float | None] | None = None
              ) -> list[Track]:
    """Every marked track of ``midi`` as a Piece, measured; [] when the file marks no tracks.
    ``shift`` judges every track's "in key" by one key instead of its own."""
    starts = [(m.time, m.text[len(TRACK_MARK):]) for m in marks if m.kind == "marker" and m.text.startswith(TRACK_MARK)]
    sections = [(m.time, m.text[len(SECTION_MARK):].strip()) for m in marks
                if m.kind == "marker" and m.text.startswith(SECTION_MARK)]
    keys = [m for m in marks if m.kind == "key"]
    chords = sorted((t.time, t.text[len(CHORD_MARK):].strip()) for t in midi.text_events if t.text.startswith(CHORD_MARK))
    tempo_times, tempi = midi.get_tempo_changes()
    bounds = [t for t, _ in starts] + [math.inf]
    tracks: list[Track] = []
    for i, (at, head) in enumerate(starts):
        lo, hi = (-math.inf if i == 0 else at), bounds[i + 1]
        number_text, _, title = head.partition(":")
        number = int(number_text) if number_text.strip().isdigit() else i + 1
        label = f"{name}, track {number}"
        span = _Span(midi, lo, hi, at)
        in_force = [m.text for m in keys if m.time <= at + EPSILON]
        signature = _signature(in_force[-1] if in_force else None)
        key_id: tuple
        if signature is not None:
            key, tonic, minor = signature
            key_id, own_shift, source = (tonic, minor), key_shift(tonic, minor), f"key signature {in_force[-1]}"
        else:
            own_shift = _estimate(span, label)
            key, key_id, tonic = scale_name(own_shift), ("estimated", own_shift), -own_shift % 12
            source = "estimated, Krumhansl-Schmuckler"
        piece = piece_from_midi(span, None, own_shift if shift is None else shift,
                                source if shift is None else key_name, label)
        tempo = int(np.searchsorted(tempo_times, at + EPSILON, side="right")) - 1
        track = Track(number, title.strip(), key, key_id, float(tempi[max(tempo, 0)]), piece,
                      progression(chords, sections, lo, hi, tonic), measure(piece, copy_rate),
                      min(n.start for n in piece.notes), max(n.end for n in piece.notes))
        track.values[GAP.name] = max(0.0, track.start - tracks[-1].end) if tracks else None
        inside = [m for m in marks if m.kind == "marker" and lo - EPSILON <= m.time < hi - EPSILON]
        track.groove = next((m.text[len(GROOVE_MARK):] for m in inside if m.text.startswith(GROOVE_MARK)), "")
        track.beat = measure_beat([n for inst in span.instruments if inst.is_drum for n in inst.notes], span.get_beats(),
                                  track.bpm, [m.time for m in inside if m.text == f"{SECTION_MARK}break"],
                                  [m.time for m in inside if m.text == FILL_MARK])
        track.values.update(track_values(track.beat))
        tracks.append(track)
    return tracks


def _strikes(piece: Piece) -> int:
    """How many chord strikes lofid.evaluation.texture.chord_strikes finds: 16ths where two or more
    keys notes start."""
    return sum(count >= 2 for count in Counter(n.onset for n in piece.notes if n.part == "keys").values())


def _pooled(tracks: Sequence[Track], metric: str) -> float | None:
    weights = [(t.values[metric], _strikes(t.piece)) for t in tracks if t.values[metric] is not None]
    total = sum(w for _, w in weights)
    return sum(v * w for v, w in weights) / total if total else None


def whole(tracks: Sequence[Track]) -> dict:
    """The run's figures of WHOLE: name -> value (None where nothing was measured)."""
    hours = (max(t.end for t in tracks) - min(t.start for t in tracks)) / HOUR

    def per_hour(things) -> float | None:
        return len(set(things)) / hours if hours > 0 else None

    def worst(metric: str, pick=max):
        values = [t.values[metric] for t in tracks if t.values[metric] is not None]
        return pick(values) if values else None

    themes = [t.values["theme_return"] for t in tracks if t.values["theme_return"] is not None]
    keys = sum((keys_count(t.piece.notes) for t in tracks), start=keys_count([]))
    return {
        "tracks_per_hour": per_hour(range(len(tracks))),
        "keys_per_hour": per_hour(t.key_id for t in tracks),
        "tempos_per_hour": per_hour(round(t.bpm) for t in tracks),
        "progressions_per_hour": per_hour(t.progression for t in tracks if t.progression),
        "in_key": worst("in_key", min),
        "longest_silence": worst("longest_silence"),
        "longest_gap": worst(GAP.name),
        "most_voices": worst("most_voices"),
        "chord_onsets_off_beat": _pooled(tracks, "chord_onsets_off_beat"),
        "rich_chords": _pooled(tracks, "rich_chords"),
        "theme_return": sum(themes) / len(themes) if themes else None,
        **whole_values([t.beat for t in tracks if t.beat is not None], [t.groove for t in tracks], hours),
        **keys.figures(),
    }


def misses(track: Track) -> list[tuple[Metric, float]]:
    """The track's figures that miss their target, in METRICS order, the silence before it last."""
    return [(m, track.values[m.name]) for m in (*METRICS, GAP) if m.ok(track.values[m.name]) is False]
