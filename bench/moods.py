"""Moods: what each mood moves, against the same seed without one.

    .venv/bin/python -m bench.moods [--minutes 20] [--render-seconds 60] [--seed 7] [--json] [--mood WORDS ...]

For each mood (and none), with one seed, the default settings and nothing of the user's:
- ``lofid generate`` (lofid.compose.score.compose, what the command writes) for at least MINUTES
  minutes: the median of the tracks' tempi (bpm), the share of tracks in minor, melody notes per
  second, all notes per second, and the share of bars where the groove plays its kick (drums on);
- the planner alone (lofid.compose.tracks.TrackPlanner) drawing PLANNED tracks: their share in minor
  and their median tempo, which 20-40 minutes (a dozen tracks) can only estimate roughly;
- ``lofid render`` (lofid.daemon.offline.render_file) for RENDER_S seconds of the mix: its spectral
  centroid (Hz: per frame the magnitude-weighted mean frequency, the median over the frames);
- a render of the ambience alone (music and beat off, crackle 0, the loudness stage off) for
  RAIN_S seconds: the rain's loudness in LUFS (BS.1770, tests.support.meter; None where there is none).

The opposites (slow/upbeat, dark/bright, sparse/busy, drums/no drums) should land on opposite sides
of the no-mood row for the figure they name.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lofid.compose.score import compose, drum_hits  # noqa: E402
from lofid.compose.tracks import TrackPlanner  # noqa: E402
from lofid.config import defaults  # noqa: E402
from lofid.daemon.offline import render_file  # noqa: E402
from lofid.music.drums import KICKS  # noqa: E402
from lofid.music.notes import BAR, Note, step_seconds  # noqa: E402
from lofid.music.tracks import Cue  # noqa: E402
from tests.support.meter import integrated_lufs, read_wav  # noqa: E402

SEED = 7
MINUTES = 20.0  # of generated music per mood, at least (the last track whole)
RENDER_S = 60.0  # seconds of the mix rendered per mood, for the spectral centroid
RAIN_S = 12.0  # seconds of the ambience alone, for the rain's loudness
MOODS = ("", "slow", "upbeat", "dark", "bright", "sparse", "busy", "drums", "no drums", "slow rainy night",
         "sunny sunday morning, upbeat", "deep focus, no drums", "melancholy piano, late autumn")
PLANNED = 400  # tracks the planner alone draws per mood
FRAME = 4096  # samples per frame of the spectral centroid
QUIET = 0.1  # frames under this share of the median frame's magnitude (the transitions) are left out
AMBIENCE_ALONE = {"layers.music.enabled": False, "layers.beat.enabled": False, "fx.crackle": 0.0, "fx.loudness": "off"}


def generated(mood: str, seed: int, minutes: float) -> dict:
    """The figures of ``minutes`` of ``lofid generate --mood MOOD``."""
    cfg = defaults().replace({"music.mood": mood or "auto"})
    score = compose(cfg, seed, minutes=minutes)
    tracks, seconds, melody, notes, bpm, onset = [], 0.0, 0, 0, None, 0
    for event in score.events:
        if isinstance(event, Cue) and event.new:
            tracks.append(event.track)
            bpm = event.track.bpm
            seconds += event.track.transition
        seconds += event.step * step_seconds(bpm or 74.0)
        onset += event.step
        if isinstance(event, Note):
            notes += 1
            melody += event.part == "melody"
    bars = onset // BAR + 1
    kicked = {at // BAR for at, pitch, _ in drum_hits(score.events) if pitch in KICKS}
    return {"minutes": round(seconds / 60, 1), "tracks": len(tracks),
            "median_bpm": statistics.median(t.bpm for t in tracks),
            "minor_share": round(sum(t.minor for t in tracks) / len(tracks), 2),
            "melody_notes_per_s": round(melody / seconds, 2), "notes_per_s": round(notes / seconds, 2),
            "drum_bar_share": round(len(kicked) / bars, 2)}


def planned(mood: str, seed: int) -> dict:
    """The share in minor and the median tempo of PLANNED tracks the planner draws under ``mood``."""
    planner = TrackPlanner(defaults().replace({"music.mood": mood or "auto"}), None, ["groove"],
                           np.random.default_rng(seed))
    tracks = [planner.plan(n, 0).track for n in range(1, PLANNED + 1)]
    return {"planned_minor_share": round(sum(t.minor for t in tracks) / len(tracks), 2),
            "planned_median_bpm": statistics.median(t.bpm for t in tracks)}


def centroid_hz(path: Path) -> float:
    """The median over FRAME-sample frames (the quiet ones left out) of each frame's spectral centroid:
    the magnitude-weighted mean frequency, both channels summed."""
    audio, rate = read_wav(path)
    mono = audio.sum(axis=1) if audio.ndim == 2 else audio
    frames = mono[:len(mono) // FRAME * FRAME].reshape(-1, FRAME) * np.hanning(FRAME)
    magnitude = np.abs(np.fft.rfft(frames, axis=1))
    freqs = np.fft.rfftfreq(FRAME, 1.0 / rate)
    total = magnitude.sum(axis=1)
    loud = total > QUIET * np.median(total)
    return float(np.median((magnitude[loud] @ freqs) / total[loud]))


def rendered(mood: str, seed: int, seconds: float, rain_seconds: float, folder: Path) -> dict:
    """The mix's spectral centroid and the rain's loudness under ``mood``."""
    cfg = defaults().replace({"music.mood": mood or "auto"})
    mix, rain = folder / "mix.wav", folder / "rain.wav"
    render_file(cfg, seconds, mix, seed)
    render_file(cfg.replace(AMBIENCE_ALONE), rain_seconds, rain, seed)
    audio, rate = read_wav(rain)
    loudness = integrated_lufs(audio, rate)  # None: no rain at all
    return {"centroid_hz": round(centroid_hz(mix)), "rain_lufs": None if loudness is None else round(loudness, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=MINUTES)
    parser.add_argument("--render-seconds", type=float, default=RENDER_S, help="0: no renders")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--mood", action="append", help="measure these moods (and none) instead of MOODS")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    moods = ("", *args.mood) if args.mood else MOODS
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mood in moods:
            row = generated(mood, args.seed, args.minutes) | planned(mood, args.seed)
            if args.render_seconds > 0:
                row |= rendered(mood, args.seed, args.render_seconds, RAIN_S, Path(tmp))
            rows[mood or "(none)"] = row
            if not args.json:
                print(f"{mood or '(none)':<32} " + "  ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    if args.json:
        print(json.dumps({"seed": args.seed, "moods": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
