"""Learning the keys' comping rhythms from POP909's PIANO tracks (its accompaniment, 977k notes).

Each song's PIANO notes are put on its annotated beat grid and cut into 4-beat bars at the annotated
downbeats. A bar becomes a pattern (lofid.compose.comping): a 16th with two or more notes starting is
a ``chord`` strike, held to the next strike when it (nearly) is, else snapped to 1/2/4/8 16ths; single
notes close together over two or more pitches are a ``broken`` chord; a lone one is a ``note``. A bar
owns a chord pushed from the previous bar's last 8th that still sounds on its downbeat, when the
downbeat strikes none. Pattern spellings vary a lot (19,660 in 70k bars), so a vocabulary is kept and
every bar counts as its nearest vocabulary pattern: frequencies, transitions and velocity accents
then use every bar. The table is stored in the model's .json, where lofid.compose.comping reads it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lofid.compose.comping import KINDS, PUSH, Event, Pattern, lead, off_beat
from lofid.music.annotations import read_beat_file
from lofid.music.beats import BeatGrid
from lofid.music.midi import load_midi
from lofid.music.notes import BAR, STEPS_PER_BEAT

TRACK = "PIANO"  # POP909's accompaniment track
BEATS_PER_BAR = BAR // STEPS_PER_BEAT  # only 4/4 bars are learnt
CHORD_NOTES = 2  # notes starting in one 16th that make a chord strike
BROKEN_GAP = 2  # 16ths: the widest gap between single notes of one broken chord
SHORT_HOLDS = (1, 2, 4, 8)  # 16ths: lengths a strike released early is snapped to
LEGATO_SLACK = 1  # 16ths: a strike released this close to the next one counts as held up to it
VOCABULARY = 96  # patterns kept
PUSHED_KEPT = 16  # of them at least this many pushed (1.3% of bars, but what makes comping lean forward)
CANDIDATES = 1000  # most frequent patterns the vocabulary is chosen from
TOP_NEXT = 12  # transitions stored per pattern (the rest is spread by overall frequency when playing)
STRIKE_DISTANCE = {"chord": 2.0, "broken": 1.0, "note": 1.0}  # distance of an onset one pattern lacks
PUSH_DISTANCE = 4.0  # distance of a pushed chord one pattern lacks: pushed bars match pushed patterns
SOUND_DISTANCE = 0.5  # distance of a 16th sounding in one pattern and silent in the other
CELLS = PUSH + BAR  # 16ths a pattern covers: the pushed ones, then the bar


@dataclass
class Song:
    """One song's PIANO notes on its 16th grid and where its 4-beat bars start."""

    onset: np.ndarray  # 16ths
    offset: np.ndarray  # 16ths, > onset
    pitch: np.ndarray
    velocity: np.ndarray
    bars: list[int]  # first 16th of each 4-beat bar
    struck: dict[int, np.ndarray] = field(default_factory=dict)  # 16th -> indices of the notes starting there

    def __post_init__(self) -> None:
        order = np.argsort(self.onset, kind="stable")
        steps, first = np.unique(self.onset[order], return_index=True)
        self.struck = dict(zip(steps.tolist(), np.split(order, first[1:])))

    def chord_at(self, step: int) -> np.ndarray | None:
        """The notes struck at 16th ``step`` if they are a chord strike."""
        idx = self.struck.get(step)
        return idx if idx is not None and len(idx) >= CHORD_NOTES else None


def bar_starts(beat_file: Path) -> list[int]:
    """First 16th of every 4-beat bar, from every downbeat flag in POP909's beat_midi.txt (its third
    column). lofid.music.annotations.downbeat_index gives only the first, and 783 of 909 songs change
    phase later (a bar of 2 or 6 beats): bars counted on from it would put 36% of them half a bar off."""
    try:
        flags = [i for i, line in enumerate(beat_file.read_text().splitlines())
                 if line.strip() and float(line.split()[2]) == 1.0]
    except (OSError, IndexError, ValueError):
        return []
    return [STEPS_PER_BEAT * a for a, b in zip(flags, flags[1:]) if b - a == BEATS_PER_BAR]


def load_song(folder: Path) -> Song | None:
    """A POP909 song folder's PIANO notes on its beats, or None without a piano, beats or bars."""
    beats = read_beat_file(folder / "beat_midi.txt")
    bars = bar_starts(folder / "beat_midi.txt")
    midi_path = folder / f"{folder.name}.mid"
    if beats is None or not bars or not midi_path.is_file():
        return None
    notes = [n for inst in load_midi(midi_path).instruments if inst.name.strip().upper() == TRACK for n in inst.notes]
    if not notes:
        return None
    grid = BeatGrid(beats)
    onset = grid.position([n.start for n in notes])
    offset = np.maximum(grid.position([n.end for n in notes]), onset + 1)
    return Song(onset, offset, np.array([n.pitch for n in notes]), np.array([n.velocity for n in notes]), bars)


def hold(start: int, release: int, until: int) -> int:
    """Length (16ths) of a strike at ``start`` released at ``release`` when the next strike (or the
    bar end) comes at ``until``: all of it if held (nearly) that long, else snapped to a short hold."""
    gap = max(1, until - start)
    if release >= until - LEGATO_SLACK:
        return gap
    length = max(1, release - start)
    return min(min(SHORT_HOLDS, key=lambda h: (abs(h - length), h)), gap)


def pushed_into(song: Song, bar: int) -> int | None:
    """The 16th of the chord pushed into the bar starting at ``bar``, if one is: the latest strike in
    the last PUSH 16ths before a downbeat that strikes none, two of its notes still sounding there."""
    if song.chord_at(bar) is not None:
        return None
    for step in range(bar - 1, bar - PUSH - 1, -1):
        idx = song.chord_at(step)
        if idx is not None:
            return step if int(np.sum(song.offset[idx] > bar)) >= CHORD_NOTES else None
    return None


def bar_pattern(song: Song, bar: int) -> Pattern:
    """The pattern of the bar starting at 16th ``bar`` (see the module docstring)."""
    end = bar + BAR
    push_in, push_out = pushed_into(song, bar), pushed_into(song, end)
    limit = end if push_out is None else push_out  # a push into the next bar ends this one
    steps = ([push_in] if push_in is not None else []) + [s for s in range(bar, end) if s in song.struck and s != push_out]
    chords = [s for s in steps if song.chord_at(s) is not None]
    events: list[Event] = []

    def held(s: int, kind: str) -> int:
        release = int(np.median(song.offset[song.struck[s]]))
        later = [t for t in (chords if kind == "chord" else steps) if t > s]
        length = hold(s, release, min(later[0], limit) if later else limit)
        return max(length, bar + 1 - s)  # a pushed chord is tied over the downbeat

    run: list[int] = []  # single notes close together

    def close_run() -> None:
        if len(run) >= 2 and len({int(song.pitch[song.struck[s][0]]) for s in run}) >= 2:
            step = 1 if np.median(np.diff(run)) < 1.5 else 2
            events.append((run[0] - bar, min(run[-1] - run[0] + step, limit - run[0]), "broken", step))
        else:
            events.extend((s - bar, held(s, "note"), "note", 0) for s in run)
        run.clear()

    for s in steps:
        if s in chords:
            close_run()
            events.append((s - bar, held(s, "chord"), "chord", 0))
        else:
            if run and s - run[-1] > BROKEN_GAP:
                close_run()
            run.append(s)
    close_run()
    return tuple(events)


def features(pattern: Sequence[Event]) -> np.ndarray:
    """Onsets of each kind and what sounds, over CELLS 16ths, weighted so that the L1 distance between
    two patterns counts what a listener hears differ."""
    f = np.zeros((len(KINDS) + 2, CELLS))  # onsets of each kind; a chord sounding; a single note sounding
    for start, length, kind, step in pattern:
        at = start + PUSH
        f[len(KINDS) + (kind != "chord"), at:at + length] = SOUND_DISTANCE
        onsets = range(at, min(at + length, CELLS), step) if kind == "broken" else [at]
        f[KINDS.index(kind), list(onsets)] = STRIKE_DISTANCE[kind]
    f[0, :PUSH] = f[0, :PUSH] * PUSH_DISTANCE / STRIKE_DISTANCE["chord"]
    return f.ravel()


def choose_vocabulary(counts: Counter, size: int = VOCABULARY) -> list[Pattern]:
    """``size`` patterns that sit nearest the corpus's bars: the PUSHED_KEPT most frequent pushed ones,
    then, greedily, the candidate that most lowers the bars' mean distance to their nearest pattern.

    Keeping merely the most frequent spellings maps most syncopated bars onto plain ones (as learnt,
    13% of chords off the beat against the corpus's 28%); choosing for distance keeps their shapes.
    """
    ranked = [p for p, _ in counts.most_common()]
    pushed = [p for p in ranked if lead(p)][:PUSHED_KEPT]  # rare spellings, mostly not among the candidates
    candidates = pushed + [p for p in ranked[:CANDIDATES] if not lead(p)]
    keep = list(range(len(pushed)))
    bars = np.stack([features(p) for p in ranked])
    weight = np.array([counts[p] for p in ranked], dtype=float)
    distance = np.stack([np.abs(bars - features(p)).sum(axis=1) for p in candidates])  # candidate x pattern
    nearest = distance[keep].min(axis=0) if keep else distance.max(axis=0)
    while len(keep) < min(size, len(candidates)):
        gain = (np.maximum(0.0, nearest - distance) * weight).sum(axis=1)
        gain[keep] = -1.0
        best = int(np.argmax(gain))
        keep.append(best)
        nearest = np.minimum(nearest, distance[best])
    return [candidates[i] for i in keep]


def nearest_pattern(patterns: Sequence[Pattern], vocabulary: Sequence[Pattern]) -> tuple[np.ndarray, np.ndarray]:
    """Index of each pattern's nearest vocabulary pattern, and its distance."""
    v = np.stack([features(p) for p in vocabulary])
    d = np.stack([np.abs(v - features(p)).sum(axis=1) for p in patterns])
    return d.argmin(axis=1), d.min(axis=1)


def accent_strikes(pattern: Sequence[Event]) -> list[tuple[str, int]]:
    """(kind, 16th from the downbeat) of every onset the pattern plays."""
    out = []
    for start, length, kind, step in pattern:
        out += [(kind, t) for t in (range(start, start + length, step) if kind == "broken" else [start])]
    return out


def learn_comping(data: str | Path) -> dict:
    """The comping table from every POP909 song folder under ``data`` (a JSON-able dict of about 23 KB):
    the vocabulary, each pattern's share of the bars, its learnt successors, the velocity accent of
    each kind on each 16th (over its bar's mean) and the spread around them."""
    songs = [s for s in (load_song(f) for f in sorted(Path(data).iterdir()) if f.is_dir()) if s is not None]
    if not songs:
        raise ValueError(f"{data}: no POP909 song folder with a PIANO track and beat annotations")
    sequences = [[bar_pattern(song, bar) for bar in song.bars] for song in songs]
    counts = Counter(p for seq in sequences for p in seq)
    vocabulary = choose_vocabulary(counts)
    distinct = list(counts)
    index, distance = nearest_pattern(distinct, vocabulary)
    mapped = dict(zip(distinct, index.tolist()))
    share = np.bincount(index, weights=[counts[p] for p in distinct], minlength=len(vocabulary))
    pairs: Counter = Counter()
    ratios: dict[tuple[str, int], list[float]] = {}
    for song, seq in zip(songs, sequences):
        for k, (bar, pattern) in enumerate(zip(song.bars, seq)):
            if k + 1 < len(seq) and song.bars[k + 1] == bar + BAR:
                pairs[mapped[pattern], mapped[seq[k + 1]]] += 1
            velocities = [song.velocity[idx] for s, idx in song.struck.items() if bar <= s < bar + BAR]
            if not velocities:
                continue
            mean = float(np.concatenate(velocities).mean())
            for kind, t in accent_strikes(pattern):
                if bar + t in song.struck:
                    ratios.setdefault((kind, t % BAR), []).append(float(song.velocity[song.struck[bar + t]].mean()) / mean)
    bars_out = [sum(c for (a, _), c in pairs.items() if a == i) for i in range(len(vocabulary))]
    successors = [Counter({b: c for (a, b), c in pairs.items() if a == i}).most_common(TOP_NEXT)
                  for i in range(len(vocabulary))]
    accents = {k: [round(float(np.mean(ratios.get((k, t), [1.0]))), 3) for t in range(BAR)] for k in KINDS}
    residual = [r / accents[k][t] - 1.0 for (k, t), rs in ratios.items() for r in rs]
    chords = [(s - bar) % STEPS_PER_BEAT != 0 for song in songs for bar in song.bars
              for s in range(bar, bar + BAR) if song.chord_at(s) is not None]
    total = int(share.sum())
    return {
        "source": f"POP909 {TRACK} tracks on their annotated beats (lofid.training.comping)",
        "songs": len(songs),
        "bars": total,
        "patterns": [[list(e) for e in p] for p in vocabulary],
        "p": [round(float(c) / total, 5) for c in share],
        "bars_out": bars_out,
        "next": [[[j, round(c / n, 4)] for j, c in row] for row, n in zip(successors, bars_out)],
        "accents": accents,
        "spread": round(float(np.std(residual)), 3),
        "corpus": {
            "chords_off_beat": round(float(np.mean(chords)), 4),
            "bars_pushed": round(sum(counts[p] for p in distinct if lead(p)) / total, 4),
            "mean_distance": round(float(np.dot(distance, [counts[p] for p in distinct])) / total, 3),
            "vocabulary_off_beat": round(float(sum(q for p, q in zip(vocabulary, share) if off_beat(p))) / total, 4),
        },
    }
