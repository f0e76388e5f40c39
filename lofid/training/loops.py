"""Learning the 4-bar chord loops POP909's songs repeat: the table lofid.compose.loops draws tracks from.

Per song folder (``NNN/chord_midi.txt``, ``beat_midi.txt``, ``key_audio.txt``):

1. **Bars** run from one annotated downbeat to the next; a bar of other than the song's usual
   length (a pickup, a 2/4 bar) breaks loops.
2. **Chords per bar.** Each half bar takes the chord sounding longest in it if that covers at
   least MIN_COVER of it, as its root and class (compose.loops.CHORD_CLASS: C:maj7 is a maj chord,
   G:7 stays a dominant); two halves holding one chord make a one-chord bar.
3. **Degrees.** A chord's degree is its root above the tonic of the key at the bar's middle (a
   minor key counts from its minor tonic). A key segment with under MIN_IN_KEY of its chords in its
   scale is a wrong annotation (POP909's keys come from the audio): its bars are dropped.
4. **Loops.** Any 4 usable bars in one key make a window; a window the song plays at least
   MIN_REPEATS times is a loop it uses, unless it holds one chord or is a shorter loop repeated.
   Rotations of one cycle are one loop, stored from its tonic chord if it has one, else from the
   bar where the song's 4-bar phrases most often enter it.
5. **Table.** Per mode, the TOP loops used by the most songs (at least MIN_SONGS).

8-bar loops are not learnt: exact 8-bar matches across songs are rare, so compose.loops builds
them from two 4-bar loops.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections import Counter
from pathlib import Path

import numpy as np

from lofid.compose.loops import CHORD_CLASS, LOOP_BARS, SCALES, chord_tones, encode_loop
from lofid.errors import LofidError
from lofid.music.annotations import read_beat_file, read_chord_file, read_downbeats, read_keys
from lofid.music.beats import BeatGrid
from lofid.music.chords import Chord, parse_label

MIN_COVER = 0.5  # share of a half bar its chord must sound over
MIN_IN_KEY = 0.6  # share of a key segment's chords that must lie in its scale
MIN_CHORDS_JUDGED = 8  # chords a key segment needs before it is judged
MIN_REPEATS = 2  # times a song must play a window for it to be a loop the song uses
MIN_SONGS = 2  # songs that must use a loop for it to be kept
TOP = 200  # loops kept per mode
SCHEMA = 1

Bar = tuple[tuple[int, str], ...]  # one or two (degree, class) chords
Window = tuple[Bar, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class SongBar:
    chords: Bar | None  # None: the bar breaks loops
    minor: bool  # the mode of the key it is in
    segment: int  # index of its key segment in key_audio.txt


@dataclasses.dataclass(slots=True)
class _Heard:
    """One loop (a cycle of chords) across the corpus: the songs using it, each rotation's windows."""
    songs: int = 0
    windows: Counter = dataclasses.field(default_factory=Counter)  # rotation -> windows heard
    on_phrase: Counter = dataclasses.field(default_factory=Counter)  # rotation -> windows on a 4-bar phrase start

    def rotation(self, minor: bool) -> Window:
        """The rotation to store: from the tonic chord if heard so, else the one phrases start on, else the commonest."""
        tonic = (0, "min" if minor else "maj")
        return max(sorted(self.windows), key=lambda r: (r[0][0] == tonic, self.on_phrase[r], self.windows[r]))


def _half_chord(chords: list[tuple[Chord, tuple[int, str]]], ends: list[int], a: int, b: int) -> tuple[int, str] | None:
    """The (root, class) sounding longest in 16ths [a, b) (the first on a tie), if it covers
    MIN_COVER of them. ``chords`` follow each other in time, as chord_midi.txt lists them; ``ends``
    are their ends."""
    cover: Counter[tuple[int, str]] = Counter()
    for chord, parsed in itertools.islice(chords, bisect.bisect_right(ends, a), None):
        if chord.start >= b:
            break
        cover[parsed] += min(chord.end, b) - max(chord.start, a)
    best = cover.most_common(1)
    return best[0][0] if best and best[0][1] >= MIN_COVER * (b - a) else None


def _segment_at(spans: np.ndarray, t: float) -> int:
    """The key segment holding 16th ``t``, else the nearest."""
    return int(np.argmin(np.maximum(np.maximum(spans[:, 0] - t, t - spans[:, 1]), 0.0)))


def song_bars(folder: Path) -> list[SongBar]:
    """A POP909 song folder -> its bars in order, chords as degrees of their key; [] if unannotated."""
    beats = read_beat_file(folder / "beat_midi.txt")
    downbeats = read_downbeats(folder / "beat_midi.txt")
    keys = read_keys(folder / "key_audio.txt")
    if beats is None or len(downbeats) < 2 or not keys:
        return []
    grid = BeatGrid(beats)
    chords = [(c, (parsed[0], CHORD_CLASS[parsed[1]])) for c in read_chord_file(folder / "chord_midi.txt", grid.position)
              if (parsed := parse_label(c.label)) is not None and parsed[1] in CHORD_CLASS]
    ends = [c.end for c, _ in chords]
    spans = grid.position(np.array([(start, end) for start, end, _, _ in keys]))
    starts = grid.position(np.array([beats[i] for i in downbeats]))
    lengths = np.diff(downbeats)
    usual = int(np.bincount(lengths).argmax())  # beats in the song's usual bar
    bars = []
    for a, b, beats_long in zip(starts[:-1].tolist(), starts[1:].tolist(), lengths.tolist()):
        segment = _segment_at(spans, (a + b) / 2)
        tonic, minor = keys[segment][2:]
        mid = (a + b) // 2
        halves = (_half_chord(chords, ends, a, mid), _half_chord(chords, ends, mid, b)) if beats_long == usual else (None,)
        if None in halves:
            bars.append(SongBar(None, minor, segment))
            continue
        degrees = tuple(((root - tonic) % 12, cls) for root, cls in filter(None, halves))
        bars.append(SongBar(degrees[:1] if degrees[0] == degrees[1] else degrees, minor, segment))
    return _drop_misfit_keys(bars)


def _drop_misfit_keys(bars: list[SongBar]) -> list[SongBar]:
    """The bars of a key segment whose chords mostly lie outside its scale blanked (a wrong key)."""
    judged: dict[int, list[bool]] = {}
    for bar in bars:
        for degree, cls in bar.chords or ():
            judged.setdefault(bar.segment, []).append(chord_tones(degree, cls) <= SCALES[bar.minor])
    misfit = {s for s, hits in judged.items() if len(hits) >= MIN_CHORDS_JUDGED and np.mean(hits) < MIN_IN_KEY}
    return [dataclasses.replace(bar, chords=None) if bar.segment in misfit else bar for bar in bars]


def _is_loop(window: Window) -> bool:
    """Two chords at least, and not a shorter loop played over and over (I V | I V)."""
    n = len(window)
    repeats = any(n % p == 0 and window == window[:p] * (n // p) for p in range(1, n))
    return len({chord for bar in window for chord in bar}) >= 2 and not repeats


def _windows(bars: list[SongBar]) -> list[tuple[bool, Window, bool]]:
    """(minor, window, starts a 4-bar phrase) for every LOOP_BARS usable bars in one key segment;
    phrases are counted from the song's first bar with a chord."""
    first = next((i for i, bar in enumerate(bars) if bar.chords is not None), 0)
    found = []
    for start in range(len(bars) - LOOP_BARS + 1):
        run = bars[start:start + LOOP_BARS]
        if all(bar.chords is not None and bar.segment == run[0].segment for bar in run):
            found.append((run[0].minor, tuple(bar.chords for bar in run if bar.chords is not None),
                          (start - first) % LOOP_BARS == 0))
    return found


def learn_loops(data: str | Path) -> dict:
    """The loop table of every song folder under ``data`` (see the module docstring): per mode,
    ``{"loop": text, "songs": n}`` entries, the most used first, in compose.loops' text format."""
    heard: dict[bool, dict[Window, _Heard]] = {False: {}, True: {}}
    songs = 0
    for chord_file in sorted(Path(data).glob("*/chord_midi.txt")):
        try:
            bars = song_bars(chord_file.parent)
        except (LofidError, ValueError):
            continue  # a song without usable annotations teaches nothing
        songs += any(bar.chords is not None for bar in bars)
        windows = _windows(bars)
        played = Counter((minor, window) for minor, window, _ in windows)
        cycles = set()
        for minor, window, on_phrase in windows:
            if played[minor, window] < MIN_REPEATS or not _is_loop(window):
                continue
            cycle = min(window[i:] + window[:i] for i in range(LOOP_BARS))
            entry = heard[minor].setdefault(cycle, _Heard())
            entry.windows[window] += 1
            entry.on_phrase[window] += on_phrase
            cycles.add((minor, cycle))
        for minor, cycle in cycles:
            heard[minor][cycle].songs += 1
    if not songs:
        raise LofidError(f"{data}: no POP909 song folders with chord, beat and key annotations")
    loops = {}
    for minor, mode in ((False, "major"), (True, "minor")):
        ranked = sorted(heard[minor].items(), key=lambda kv: (-kv[1].songs, -kv[1].windows.total(), kv[0]))
        loops[mode] = [{"loop": encode_loop(entry.rotation(minor)), "songs": entry.songs}
                       for _, entry in ranked[:TOP] if entry.songs >= MIN_SONGS]
    return {"schema": SCHEMA, "source": "POP909 chord_midi.txt, beat_midi.txt, key_audio.txt", "songs": songs,
            "bars": LOOP_BARS, "loops": loops}
