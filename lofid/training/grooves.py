"""Learning the beat's vocabulary from the Groove MIDI Dataset: grooves and fills as drummers played them.

The Groove MIDI Dataset (Magenta; Gillick, Roberts, Engel, Eck and Bamman, "Learning to Groove
with Inverse Sequence Transformations", ICML 2019; CC BY 4.0) holds 1,150 performances by ten
drummers on a Roland TD-11 kit, recorded to a click, with ``info.csv`` naming each one's style,
tempo, kind (beat or fill) and metre. lofid learns from the beats in the styles lo-fi draws on
(STYLES), in 4/4, at MAX_BEAT_BPM or slower, and from the fills in those styles.

Each performance is put on the straight 16th grid of its click (its files keep one tempo, the
click's). A hit keeps its 16th, its velocity and how far from that 16th it was played, as a share
of a 16th, so the feel scales to any tempo. The kit is mapped to lofid's kit (KIT) as Magenta
maps the TD-11 for its drum models (music_vae's ROLAND_DRUM_PITCH_CLASSES: kick, snare, closed
hat, open hat, three toms, crash, ride), with the cross-stick kept apart as the rim and the
crashes left out (lo-fi does not crash); the kicks' velocities are lifted by a curve (KICK_CURVE)
so they lead the mix as a lo-fi kick does, still in the order the drummer played them. Where two
hits of one drum fall on one 16th of a bar (a flam, a buzz) the louder is kept.

A groove is GROOVE_BARS bars of one beat (its first bars with MIN_HITS hits or more), as played;
its kicks are the kick pattern most of those bars play, and a bar that plays other kicks takes
the kicks of the nearest bar that plays them, so the bass can answer the kicks in every bar. Its
swing is how much later its off-beat 16ths sit than its on-beat ones (medians). A fill is the last
bar of a fill performance with MIN_HITS hits or more (the landing on the next downbeat left out).
"""

from __future__ import annotations

import csv
import json
import shlex
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofid.errors import LofidError
from lofid.music.drums import KICKS, SOFT, DrumHit, hit_rows
from lofid.music.midi import load_midi
from lofid.music.notes import BAR, STEPS_PER_BEAT

STYLES = ("hiphop", "soul", "funk", "jazz", "latin", "neworleans", "pop", "reggae")  # what lo-fi draws on
METRE = "4-4"
MAX_BEAT_BPM = 100  # the beats learnt: lo-fi's tempi and a little above
MAX_FILL_BPM = 120  # fills a little faster still: their feel scales to the track's tempo
GROOVE_BARS = 8  # bars kept of each beat
MIN_HITS = 4  # a bar with fewer hits is a rest or a landing, not a groove's bar
MAX_SWING = 0.45  # 16ths: a groove's swing is kept below a triplet feel's
KICK_CURVE = 0.6  # exponent of the kicks' velocity curve, 127 * (v / 127) ** KICK_CURVE: the TD-11's kick
# pad reads soft (median velocity 50 in these takes) for a General MIDI kit's kick, which leads a lo-fi mix
# Roland TD-11 notes -> lofid's kit (General MIDI keys), after Magenta's ROLAND_DRUM_PITCH_CLASSES
# (magenta/models/music_vae/data.py), with the cross-stick (37) kept as the rim; crashes dropped.
KIT = {35: 36, 36: 36,  # kick
       38: 38, 40: 38,  # snare: head, rim shot
       37: 37,  # rim: cross-stick
       42: 42, 22: 42, 44: 42,  # closed hat: bow, edge, pedal
       46: 46, 26: 46,  # open hat: bow, edge
       43: 43, 58: 43, 47: 47, 45: 47, 50: 50, 48: 50,  # low, mid and high tom, head and rim
       51: 51, 53: 51, 59: 51}  # ride: bow, bell, edge


@dataclass(frozen=True)
class Take:
    """One performance of the dataset, as info.csv describes it."""

    name: str  # its id, e.g. "drummer1/session1/12"
    style: str
    bpm: float
    kind: str  # "beat" or "fill"
    path: Path


def takes(root: Path) -> list[Take]:
    """The performances learnt from: beats (MAX_BEAT_BPM or slower) and fills, in STYLES and in 4/4."""
    index = root / "info.csv"
    if not index.is_file():
        raise LofidError(f"{root}: no info.csv (expected the Groove MIDI Dataset's folder)")
    chosen = []
    with index.open(newline="") as f:
        for row in csv.DictReader(f):
            bpm, kind = float(row["bpm"]), row["beat_type"]
            if row["style"].split("/")[0] not in STYLES or row["time_signature"] != METRE:
                continue
            if bpm <= (MAX_BEAT_BPM if kind == "beat" else MAX_FILL_BPM):
                chosen.append(Take(row["id"], row["style"], bpm, kind, root / row["midi_filename"]))
    return chosen


def played_bars(path: Path, bpm: float) -> list[list[DrumHit]]:
    """A performance's hits bar by bar on the straight 16th grid of ``bpm``, mapped to lofid's kit."""
    midi = load_midi(path)
    sixteenth = 60.0 / bpm / STEPS_PER_BEAT
    kept: dict[tuple[int, int], DrumHit] = {}
    for inst in midi.instruments:
        for note in inst.notes:
            pitch = KIT.get(note.pitch)
            if pitch is None:
                continue
            position = note.start / sixteenth
            step = int(round(position))
            velocity = round(127 * (note.velocity / 127) ** KICK_CURVE) if pitch in KICKS else int(note.velocity)
            hit = DrumHit(step, pitch, velocity, round(position - step, 2))
            if (step, pitch) not in kept or kept[step, pitch].velocity < hit.velocity:
                kept[step, pitch] = hit
    bars: list[list[DrumHit]] = [[] for _ in range(max((s // BAR for s, _ in kept), default=-1) + 1)]
    for (step, _), hit in sorted(kept.items()):
        bars[step // BAR].append(DrumHit(step % BAR, hit.pitch, hit.velocity, hit.offset))
    return bars


def _kicks(bar: Sequence[DrumHit]) -> frozenset[int]:
    return frozenset(h.step for h in bar if h.pitch in KICKS)


def groove_of(bars: list[list[DrumHit]]) -> tuple[list[list[DrumHit]], tuple[int, ...], float] | None:
    """A beat's groove: (its bars, its kicks, its swing), or None when it has too few bars or no kick."""
    full = [b for b in bars[:-1] if len(b) >= MIN_HITS]  # the last bar is where the take stops
    first = next((i for i, b in enumerate(bars) if len(b) >= MIN_HITS), None)
    if first is None or len(full) < 2:
        return None
    chosen = [b for b in bars[first:-1] if len(b) >= MIN_HITS][:GROOVE_BARS]
    patterns = Counter(_kicks(b) for b in chosen if _kicks(b))
    if not patterns:
        return None
    main = patterns.most_common(1)[0][0]
    home = [i for i, b in enumerate(chosen) if _kicks(b) == main]
    kept = []
    for i, bar in enumerate(chosen):
        if _kicks(bar) != main:
            nearest = chosen[min(home, key=lambda j: abs(j - i))]
            bar = sorted([h for h in bar if h.pitch not in KICKS] + [h for h in nearest if h.pitch in KICKS],
                         key=lambda h: (h.step, h.pitch))
        kept.append(bar)
    hits = [h for b in kept for h in b]
    on = [h.offset for h in hits if h.step % 2 == 0]
    off = [h.offset for h in hits if h.step % 2 == 1]
    swing = float(np.clip(np.median(off) - np.median(on), 0.0, MAX_SWING)) if on and off else 0.0
    return kept, tuple(sorted(main)), round(swing, 2)


def fill_of(bars: list[list[DrumHit]]) -> list[DrumHit] | None:
    """A fill's bar: the last with MIN_HITS hits or more."""
    return next((b for b in reversed(bars) if len(b) >= MIN_HITS), None)


def learn(root: Path) -> dict:
    """The vocabulary (grooves, fills) and its figures, from the dataset at ``root``."""
    grooves, fills = [], []
    stats: dict[str, dict] = defaultdict(lambda: {"beats": 0, "grooves": 0, "bars": 0, "fills": 0,
                                                  "offsets_ms": [], "velocities": []})
    for take in takes(root):
        bars = played_bars(take.path, take.bpm)
        family = stats[take.style.split("/")[0]]
        sixteenth_ms = 60_000 / take.bpm / STEPS_PER_BEAT
        if take.kind == "beat":
            family["beats"] += 1
            learnt = groove_of(bars)
            if learnt is None:
                continue
            kept, kicks, swing = learnt
            grooves.append({"name": take.name, "style": take.style, "bpm": take.bpm, "swing": swing,
                            "kicks": list(kicks), "bars": [hit_rows(b) for b in kept]})
            family["grooves"] += 1
            family["bars"] += len(kept)
            family["offsets_ms"] += [abs(h.offset) * sixteenth_ms for b in kept for h in b]
            family["velocities"] += [h.velocity for b in kept for h in b]
        else:
            bar = fill_of(bars)
            if bar is not None:
                fills.append({"name": take.name, "style": take.style, "bpm": take.bpm, "hits": hit_rows(bar)})
                family["fills"] += 1
    if not grooves:
        raise LofidError(f"{root}: no beats learnt (styles {', '.join(STYLES)}, {METRE}, {MAX_BEAT_BPM} bpm or slower)")
    return {"grooves": grooves, "fills": fills, "figures": _figures(stats)}


def _figures(stats: dict[str, dict]) -> dict:
    """Per style and for all: beats read, grooves, bars, fills, median offset (ms), soft share."""

    def summary(s: dict) -> dict:
        offsets, velocities = s["offsets_ms"], s["velocities"]
        return {"beats": s["beats"], "grooves": s["grooves"], "bars": s["bars"], "fills": s["fills"],
                "median_offset_ms": round(float(np.median(offsets)), 1) if offsets else None,
                "soft_share": round(float(np.mean(np.asarray(velocities) < SOFT)), 3) if velocities else None}

    every = {"beats": 0, "grooves": 0, "bars": 0, "fills": 0, "offsets_ms": [], "velocities": []}
    for s in stats.values():
        for k in every:
            every[k] += s[k]
    return {"styles": {style: summary(stats[style]) for style in sorted(stats)}, "all": summary(every)}


def write_vocabulary(root: str | Path, out: str | Path) -> dict:
    """Learn from ``root`` and write the vocabulary to ``out`` (JSON); returns its figures."""
    from lofid.paths import write_file

    table = learn(Path(root))
    table = {"source": "Groove MIDI Dataset (Magenta; Gillick et al., ICML 2019; CC BY 4.0), "
                       "learnt by lofid.training.grooves",
             "command": shlex.join(["lofid", "train", "--grooves", "--data", str(root), "--out", str(out)]),
             "kit": {str(k): v for k, v in sorted(KIT.items())}, **table}
    write_file(out, (json.dumps(table, separators=(",", ":")) + "\n").encode(), "the grooves")
    return table["figures"]
