"""Loudness: the finished mix against its target (-16 LUFS, true peaks at or under -1 dBTP), track by track, and each layer alone.

    .venv/bin/python -m bench.loudness [--minutes 12] [--seed 7] [--json]

Everything is measured on `lofid render` WAVs (the installed command, default settings, a private
config folder so no user's settings leak in), with one seed, so every render plays the same
composition on the same timeline: the default mix, and each layer alone with the loudness stage off
(``fx.loudness=off``). Meter: tests.support.meter (pyloudnorm's BS.1770-4 integrated loudness; true
peak 4x oversampled, Annex 2).

- Default mix: integrated loudness and true peak of the whole render, and per track; the largest
  step between consecutive tracks and the largest distance of a track from the target. A track
  cut off by the end of the render counts when it is at least MIN_TRACK_S long (marked partial).
- Where the tracks are: the render marks each track's start in the WAV itself, from the engine
  (lofid.audio.wavmarks; the first note after its transition). A track is measured from its mark to
  the start of the next one's transition (lofid.compose.tracks.TRANSITION_S: rain, crackle and the
  last chord's tail), which is measured apart.
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
from lofid.audio.wavmarks import read_markers
from lofid.compose.tracks import TRANSITION_S
from tests.support.meter import integrated_lufs, read_wav, true_peak_dbtp

SEED = 7
MINUTES = 12.0  # default render length
TARGET_LUFS = -16.0  # fx.loudness's default, DESIGN "Sound"
TOLERANCE_LU = 1.0  # "near -16": EBU R128's tolerance where exact normalisation cannot be had
TRUE_PEAK_MAX_DBTP = -1.0
RAIN_BELOW_MUSIC_LU = 10.0  # at least; DESIGN says 10-20 dB down
MIN_TRACK_S = 60.0  # a track cut by the render's end counts from this long

EDGE_S = 0.1  # seconds trimmed off each side of a transition when its level is measured

KICK_BAND_HZ = (30.0, 120.0)
ENVELOPE_HZ = 200  # envelope bins per second (5 ms)
BAR_S = (2.4, 3.8)  # one 4/4 bar at 65-95 bpm (lofid.compose.tracks.LOFI_BPM): 2.53-3.69 s, with slack

OFF = "fx.loudness=off"
RENDERS: dict[str, tuple[str, ...]] = {
    "mix": (),  # the default mix, as a listener hears it
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

def track_spans(marks: Sequence[float], length_s: float) -> list[dict]:
    """The tracks from each mark (seconds) to the next one's transition: {"start_s", "end_s",
    "partial"}; the last, cut off by the render's end, only if MIN_TRACK_S long."""
    ends = [max(a, b - TRANSITION_S) for a, b in zip(marks, marks[1:])]
    spans = [{"start_s": round(a, 2), "end_s": round(b, 2), "partial": False} for a, b in zip(marks, ends)]
    if marks and length_s - marks[-1] >= MIN_TRACK_S:
        spans.append({"start_s": round(marks[-1], 2), "end_s": round(length_s, 2), "partial": True})
    return spans


def track_marks(wav: Path, sr: int) -> list[float]:
    """Where each track starts in a `lofid render` WAV, in seconds: the marks it carries."""
    return [m.frame / sr for m in read_markers(wav)]


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


def transition_lufs(mix: np.ndarray, sr: int, marks: Sequence[float]) -> float | None:
    """Loudness of the mix in the transitions before each track but the first, their middles joined."""
    inner = [piece(mix, sr, b - TRANSITION_S + EDGE_S, b - EDGE_S) for b in marks[1:] if b >= TRANSITION_S]
    return _r(integrated_lufs(np.concatenate(inner), sr)) if inner else None


def measure_mix(wavs: dict[str, Path]) -> dict:
    """The default mix as a whole, its tracks (where the render marked them) and the kick in it."""
    beat, sr = read_wav(wavs["beat"])
    beat_env = low_envelope(beat, sr)
    del beat
    mix, _ = read_wav(wavs["mix"])
    marks, length = track_marks(wavs["mix"], sr), len(mix) / sr
    tracks = track_figures(mix, sr, track_spans(marks, length), beat_env, low_envelope(mix, sr))
    whole = [t for t in tracks if not t["partial"]] or tracks
    kick = {key: summary([t[key] for t in whole if t.get(key) is not None], 3)
            for key in ("kick_periodicity_beat", "kick_periodicity_mix", "kick_periodicity_ratio", "kick_correlation")}
    return {"seconds": round(length, 1), "lufs": _r(integrated_lufs(mix, sr)), "true_peak_dbtp": _r(true_peak_dbtp(mix)),
            "track_marks_s": [round(t, 2) for t in marks], "transition_lufs": transition_lufs(mix, sr, marks),
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
