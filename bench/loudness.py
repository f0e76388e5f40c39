"""Loudness: the finished mix against its target (-16 LUFS, true peaks at or under -1 dBTP), track by track, and each layer alone.

    .venv/bin/python -m bench.loudness [--minutes 12] [--seed 7] [--json]

Everything is measured on `lofid render` WAVs (the installed command, default settings, a private
config folder so no user's settings leak in), with one seed, so every render plays the same
composition on the same timeline: the default mix, one without ambience to find the tracks, and
each layer alone with the loudness stage off (``fx.loudness=off``). Meter: tests.support.meter
(pyloudnorm's BS.1770-4 integrated loudness; true peak 4x oversampled, Annex 2).

- Default mix: integrated loudness and true peak of the whole render, and per track; the largest
  step between consecutive tracks and the largest distance of a track from the target. A track
  cut off by the end of the render counts when it is at least MIN_TRACK_S long (marked partial).
- Where the tracks are: found in the audio, from the transitions of about 1.2 s
  (lofid.compose.tracks.TRANSITION_S) where only rain and crackle play. A render with rain,
  crackle, reverb and the loudness stage off is digitally silent there; a transition is a run of
  50-ms frames at least QUIET_BELOW_MEDIAN_DB under the render's median level lasting
  GAP_S (seed 7: 0.75-1.1 s, and no other quiet run of even 0.1 s). Not the markers of `lofid
  generate`'s MIDI file: those hold only while two commands agree on the timeline, where the gaps
  are read from the very audio measured and need nothing but the render. As a check that the mix is on that timeline,
  the mix's loudness in the transitions (rain and crackle only) is reported beside the tracks':
  it would equal theirs if the transitions were misplaced.
- Layers, loudness stage off: music alone (rain and beat off, crackle 0), beat alone, rain alone,
  crackle alone, and the full mix; and the rain's distance below the music in LU (target >= 10).
- Kick heard in the full mix: both the beat alone and the default mix are band-passed to the
  kick's band (KICK_BAND_HZ), their envelopes taken (RMS over 5-ms bins). Per track, the bar's
  length is found in the beat alone (the autocorrelation peak within BAR_S, one 4/4 bar at 65-95
  bpm; drum patterns repeat each bar). ``kick periodicity`` is the Pearson correlation of an
  envelope with itself one bar later: 1 for a loop that repeats exactly, near 0 for none. The
  figure is the mix's over the beat alone's (1.0: the low band of the mix pulses with the kick as
  clearly as the beat alone does). Its blind spot, a bass line that also repeats each bar, is
  covered by ``kick correlation``: the Pearson correlation of the mix's low-band envelope with the
  beat alone's at the same instants (the same timeline): how much of what moves in the mix's low
  band is the kick (1: all of it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench.player import lofid_command
from bench.stats import summary
from tests.support.meter import integrated_lufs, read_wav, true_peak_dbtp

SEED = 7
MINUTES = 12.0  # default render length
TARGET_LUFS = -16.0  # fx.loudness's default, DESIGN "Sound"
TOLERANCE_LU = 1.0  # "near -16": EBU R128's tolerance where exact normalisation cannot be had
TRUE_PEAK_MAX_DBTP = -1.0
RAIN_BELOW_MUSIC_LU = 10.0  # at least; DESIGN says 10-20 dB down
MIN_TRACK_S = 60.0  # a track cut by the render's end counts from this long

FRAME_S = 0.05  # level frames for finding transitions
QUIET_BELOW_MEDIAN_DB = 40.0  # a transition frame is this far under the render's median level
GAP_S = (0.3, 3.0)  # how long a transition's quiet run lasts (1.2 s less release tails, plus slack)
EDGE_S = 0.1  # seconds trimmed off each side of a transition when its level is measured

KICK_BAND_HZ = (30.0, 120.0)
ENVELOPE_HZ = 200  # envelope bins per second (5 ms)
BAR_S = (2.4, 3.8)  # one 4/4 bar at 65-95 bpm (lofid.compose.tracks.LOFI_BPM): 2.53-3.69 s, with slack

OFF = "fx.loudness=off"
RENDERS: dict[str, tuple[str, ...]] = {
    "mix": (),  # the default mix, as a listener hears it
    "tracks": ("layers.rain.enabled=false", "fx.crackle=0", "fx.reverb=0", OFF),  # silent transitions
    "music": ("layers.rain.enabled=false", "layers.beat.enabled=false", "fx.crackle=0", OFF),
    "beat": ("layers.music.enabled=false", "layers.rain.enabled=false", "fx.crackle=0", OFF),
    "rain": ("layers.music.enabled=false", "layers.beat.enabled=false", "fx.crackle=0", OFF),
    "crackle": ("layers.music.enabled=false", "layers.beat.enabled=false", "layers.rain.enabled=false", OFF),
    "full": (OFF,),
}
LAYERS = ("music", "beat", "rain", "crackle", "full")
PARALLEL = 2  # renders at once (each is one busy process)


# -- rendering ---------------------------------------------------------------------------------

def render(output: Path, seconds: float, seed: int, settings: Sequence[str]) -> None:
    """`lofid render` to ``output`` with its own (empty) config folder; RuntimeError with lofid's message if it fails."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(output.parent / "config")}
    cmd = [*lofid_command(), "render", "--seconds", f"{seconds:g}", "--seed", str(seed), "--output", str(output),
           *(a for s in settings for a in ("--set", s))]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"lofid render {' '.join(settings)} failed: {done.stderr.strip()[-300:]}")


def render_all(folder: Path, seconds: float, seed: int, extra: Sequence[str] = ()) -> dict[str, Path]:
    """Every render of RENDERS into ``folder``, PARALLEL at a time, each with the ``extra`` settings too: name -> WAV."""
    paths = {name: folder / f"{name}.wav" for name in RENDERS}
    with ThreadPoolExecutor(PARALLEL) as pool:
        jobs = [pool.submit(render, paths[name], seconds, seed, (*extra, *settings)) for name, settings in RENDERS.items()]
        for job in jobs:
            job.result()
    return paths


# -- where the tracks are ----------------------------------------------------------------------

def frame_levels_db(x: np.ndarray, sr: int, frame_s: float = FRAME_S) -> np.ndarray:
    """RMS level of each ``frame_s`` frame (both channels), in dBFS; digital silence reads -200."""
    n = int(frame_s * sr)
    frames = x[:len(x) // n * n].reshape(-1, n * x.shape[1])
    return 10 * np.log10(np.mean(np.square(frames, dtype=np.float64), axis=1) + 1e-20)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, past-last) index of every run of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def transitions(x: np.ndarray, sr: int) -> list[tuple[float, float]]:
    """(start, end) seconds of the quiet runs between tracks in a render without ambience."""
    level = frame_levels_db(x, sr)
    quiet = level < np.median(level) - QUIET_BELOW_MEDIAN_DB
    return [(a * FRAME_S, b * FRAME_S) for a, b in runs(quiet) if GAP_S[0] <= (b - a) * FRAME_S <= GAP_S[1]]


def track_spans(gaps: Sequence[tuple[float, float]], length_s: float) -> list[dict]:
    """The tracks between the transitions: {"start_s", "end_s", "partial"}; a cut-off last one only if MIN_TRACK_S long."""
    edges = [0.0, *(t for gap in gaps for t in gap), length_s]
    spans = [{"start_s": round(a, 2), "end_s": round(b, 2), "partial": i == len(edges) // 2 - 1}
             for i, (a, b) in enumerate(zip(edges[::2], edges[1::2]))]
    return [s for s in spans if not s["partial"] or s["end_s"] - s["start_s"] >= MIN_TRACK_S]


def piece(x: np.ndarray, sr: int, start_s: float, end_s: float) -> np.ndarray:
    return x[int(start_s * sr):int(end_s * sr)]


# -- the kick in the low band -----------------------------------------------------------------

def low_envelope(x: np.ndarray, sr: int) -> np.ndarray:
    """The kick band's envelope of ``x``: band-passed mono, RMS per 1/ENVELOPE_HZ bin."""
    from scipy.signal import butter, sosfilt

    band = sosfilt(butter(4, KICK_BAND_HZ, "bandpass", fs=sr, output="sos"), x.mean(axis=1))
    n = sr // ENVELOPE_HZ
    return np.sqrt(np.mean(np.square(band[:len(band) // n * n]).reshape(-1, n), axis=1))


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / scale) if scale > 0 else None


def bar_lag(env: np.ndarray) -> int:
    """The lag (envelope bins) within BAR_S where ``env`` best repeats: the autocorrelation's peak, via FFT."""
    e = env - env.mean()
    spectrum = np.fft.rfft(e, 2 * len(e))
    auto = np.fft.irfft(spectrum * np.conj(spectrum))[:len(e)]
    lo, hi = (int(s * ENVELOPE_HZ) for s in BAR_S)
    return lo + int(np.argmax(auto[lo:hi]))


def kick_figures(beat: np.ndarray, mix: np.ndarray) -> dict:
    """Periodicity at the beat's bar of the beat alone's and the mix's kick-band envelopes, and their correlation."""
    n = min(len(beat), len(mix))
    beat, mix = beat[:n], mix[:n]
    if n <= int(BAR_S[1] * ENVELOPE_HZ) * 2:
        return {}
    lag = bar_lag(beat)
    alone, mixed = pearson(beat[:-lag], beat[lag:]), pearson(mix[:-lag], mix[lag:])
    return {"bar_s": round(lag / ENVELOPE_HZ, 3), "kick_periodicity_beat": _r(alone, 3),
            "kick_periodicity_mix": _r(mixed, 3),
            "kick_periodicity_ratio": _r(mixed / alone, 3) if alone and mixed is not None else None,
            "kick_correlation": _r(pearson(beat, mix), 3)}


# -- figures ------------------------------------------------------------------------------------

def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def track_figures(mix: np.ndarray, sr: int, spans: list[dict], beat_env: np.ndarray, mix_env: np.ndarray) -> list[dict]:
    """Each track of the mix: its loudness, true peak and kick figures."""
    out = []
    for span in spans:
        x = piece(mix, sr, span["start_s"], span["end_s"])
        lo, hi = int(span["start_s"] * ENVELOPE_HZ), int(span["end_s"] * ENVELOPE_HZ)
        out.append({**span, "lufs": _r(integrated_lufs(x, sr)), "true_peak_dbtp": _r(true_peak_dbtp(x)),
                    **kick_figures(beat_env[lo:hi], mix_env[lo:hi])})
    return out


def steps(tracks: list[dict], target: float) -> dict:
    """The largest step between consecutive tracks and the largest distance from ``target``, LU."""
    levels = [t["lufs"] for t in tracks if t["lufs"] is not None]
    return {"largest_step_lu": _r(max((abs(b - a) for a, b in zip(levels, levels[1:])), default=None)),
            "max_off_target_lu": _r(max((abs(v - target) for v in levels), default=None))}


def transition_lufs(mix: np.ndarray, sr: int, gaps: Sequence[tuple[float, float]]) -> float | None:
    """Loudness of the mix in the transitions (rain and crackle alone), their middles joined."""
    inner = [piece(mix, sr, a + EDGE_S, b - EDGE_S) for a, b in gaps if b - a > 2 * EDGE_S]
    return _r(integrated_lufs(np.concatenate(inner), sr)) if inner else None


def measure_mix(wavs: dict[str, Path]) -> dict:
    """The default mix as a whole, its tracks (found in the "tracks" render) and the kick in it."""
    x, sr = read_wav(wavs["tracks"])
    gaps, length = transitions(x, sr), len(x) / sr
    del x
    beat, _ = read_wav(wavs["beat"])
    beat_env = low_envelope(beat, sr)
    del beat
    mix, _ = read_wav(wavs["mix"])
    tracks = track_figures(mix, sr, track_spans(gaps, length), beat_env, low_envelope(mix, sr))
    whole = [t for t in tracks if not t["partial"]] or tracks
    kick = {key: summary([t[key] for t in whole if t.get(key) is not None], 3)
            for key in ("kick_periodicity_beat", "kick_periodicity_mix", "kick_periodicity_ratio", "kick_correlation")}
    return {"seconds": round(length, 1), "lufs": _r(integrated_lufs(mix, sr)), "true_peak_dbtp": _r(true_peak_dbtp(mix)),
            "transitions_s": [[round(a, 2), round(b, 2)] for a, b in gaps], "transition_lufs": transition_lufs(mix, sr, gaps),
            "tracks": tracks, "track_lufs": summary([t["lufs"] for t in tracks if t["lufs"] is not None], 2),
            **steps(tracks, TARGET_LUFS), "kick": kick}


def measure_layers(wavs: dict[str, Path]) -> dict:
    """Each layer's integrated loudness with the loudness stage off, and the rain's distance below the music."""
    layers = {}
    for name in LAYERS:
        x, sr = read_wav(wavs[name])
        layers[name] = _r(integrated_lufs(x, sr))
    music, rain = layers["music"], layers["rain"]
    return {"lufs": layers, "rain_below_music_lu": _r(music - rain) if music is not None and rain is not None else None}


def run(minutes: float = MINUTES, seed: int = SEED) -> dict:
    """Render everything (``minutes`` each) and measure: the figures for `make bench`."""
    with tempfile.TemporaryDirectory(prefix="lofid-loudness-") as folder:
        wavs = render_all(Path(folder), minutes * 60, seed)
        return {"minutes": minutes, "seed": seed, "target_lufs": TARGET_LUFS,
                "renders": {name: list(settings) for name, settings in RENDERS.items()},
                "mix": measure_mix(wavs), "layers_loudness_off": measure_layers(wavs)}


def main() -> int:
    from bench import report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=MINUTES, help=f"length of each render (default {MINUTES:g})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the composition (default {SEED})")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args()
    results = run(args.minutes, args.seed)
    if args.json:
        print(json.dumps(results, indent=1))
    print(report.text_table(report.rows({"loudness": results})))
    for t in results["mix"]["tracks"]:
        print(f"  track {t['start_s']:7.1f}-{t['end_s']:7.1f} s: {t['lufs']} LUFS, {t['true_peak_dbtp']} dBTP, "
              f"bar {t.get('bar_s')} s, kick periodicity {t.get('kick_periodicity_beat')} alone / "
              f"{t.get('kick_periodicity_mix')} mix, correlation {t.get('kick_correlation')}"
              + (" (partial)" if t["partial"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
