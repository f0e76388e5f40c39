"""Tonal balance: the default mix's octave shares, per palette and overall, beside lo-fi records'; its stereo and loudness.

    .venv/bin/python -m bench.balance [--minutes 4] [--seeds 1,2,3] [--set KEY=VALUE ...] [--png bench/balance.png]

The reference is issue 24's measurement of 20 commercial lo-fi hip-hop releases (Chillhop Music,
Lofi Records and others; mastered MP3s): for each octave from 31.5 Hz to 16 kHz, the share of the
mono sum's power (dB of the total, 150 s from 10 s in), their 25th percentile, median and 75th
percentile (lofid.evaluation.balance.RECORDS; the same method measures every render here).

Renders (`lofid render`, a private config folder, default settings plus any ``--set``): for each
seed, bench.loudness's set of renders (the default mix, its tracks marked in it by the render; each
layer alone with the loudness stage off); and for each palette of lofid.music.tracks.PALETTES,
the default mix with ``sound.palette`` pinned to it, for each seed. Figures:

- Octave shares of the default mix, each seed's and their median; each palette's median over the
  seeds. An octave outside the records' middle half (25th-75th percentile) is marked with how far
  outside it lies; per palette, the largest such distance over 31.5 Hz-8 kHz (target: the default
  mix inside everywhere, each palette within PALETTE_SLACK_DB).
- Stereo: side/mid RMS (target 0.2-0.35; the records' median 0.26) and side/mid below 150 Hz
  (mono bass: at most 0.1, the side 20 dB under the mid).
- Loudness, as bench.loudness measures it (its functions, not a copy): each track's integrated
  loudness (target -16 LUFS within 1 LU) and true peak (<= -1 dBTP), and the rain's distance under
  the music with the loudness stage off (>= 10 LU); each palette render's loudness and true peak.
- A picture for the README (``--png``): the spectrogram of the first seed's default mix over the
  measured stretch, beside its octave shares and the records' middle half.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench import loudness
from lofid.evaluation.balance import (
    BASS_SIDE_MID_MAX,
    JUDGED_HZ,
    OCTAVES_HZ,
    RECORDS,
    SIDE_MID_RANGE,
    Balance,
    distance,
    measure,
    stretch,
)
from lofid.music.tracks import PALETTES
from tests.support.meter import integrated_lufs, read_wav, true_peak_dbtp

SEEDS = (1, 2, 3)
MINUTES = 4.0
PALETTE_SLACK_DB = 3.0  # a palette's octaves may lie this far outside the records' middle half
PNG = Path(__file__).resolve().parent / "balance.png"


def _median(balances: Sequence[Balance]) -> dict:
    """The median over seeds of each octave share, side/mid and bass side/mid, with the distances outside."""
    octaves = [round(float(v), 2) for v in np.median([b.octaves_db for b in balances], axis=0)]
    outside = [round(distance(v, lo, hi), 2) for v, lo, hi in zip(octaves, RECORDS.low, RECORDS.high)]
    return {"octaves_db": octaves, "outside_db": outside, "worst_outside_db": max(outside[:len(JUDGED_HZ)]),
            "side_mid": round(float(np.median([b.side_mid for b in balances])), 3),
            "bass_side_mid": round(float(np.median([b.bass_side_mid for b in balances])), 3),
            "seeds": [{"octaves_db": list(b.octaves_db), "side_mid": b.side_mid, "bass_side_mid": b.bass_side_mid}
                      for b in balances]}


def _palette_render(folder: Path, name: str, seed: int, seconds: float, settings: Sequence[str]) -> dict:
    path = folder / f"palette-{PALETTES.index(next(p for p in PALETTES if p.name == name))}-seed{seed}.wav"
    loudness.render(path, seconds, seed, (*settings, f"sound.palette={name}"))
    x, sr = read_wav(path)
    path.unlink()
    return {"balance": measure(x, sr), "lufs": integrated_lufs(x, sr), "true_peak_dbtp": true_peak_dbtp(x)}


def run(minutes: float = MINUTES, seeds: Sequence[int] = SEEDS, settings: Sequence[str] = (),
        png: Path | None = PNG) -> dict:
    """Render and measure everything: the figures for `make bench`."""
    seconds = minutes * 60
    mixes, per_seed = [], []
    with tempfile.TemporaryDirectory(prefix="lofid-balance-") as tmp:
        folder = Path(tmp)
        for seed in seeds:
            (folder / f"seed{seed}").mkdir()
            wavs = loudness.render_all(folder / f"seed{seed}", seconds, seed, settings)
            x, sr = read_wav(wavs["mix"])
            mixes.append(measure(x, sr))
            if png is not None and seed == seeds[0]:
                picture(x, sr, mixes[0], png)
            del x
            mix, layers = loudness.measure_mix(wavs), loudness.measure_layers(wavs)
            per_seed.append({"seed": seed, "lufs": mix["lufs"], "true_peak_dbtp": mix["true_peak_dbtp"],
                             "tracks": [{k: t[k] for k in ("start_s", "end_s", "partial", "lufs", "true_peak_dbtp")}
                                        for t in mix["tracks"]],
                             "rain_below_music_lu": layers["rain_below_music_lu"]})
            for wav in wavs.values():
                wav.unlink()
        jobs = {}
        with ThreadPoolExecutor(loudness.PARALLEL) as pool:
            for palette in PALETTES:
                for seed in seeds:
                    jobs[palette.name, seed] = pool.submit(_palette_render, folder, palette.name, seed, seconds, settings)
        palettes = {}
        for palette in PALETTES:
            done = [jobs[palette.name, seed].result() for seed in seeds]
            palettes[palette.name] = {**_median([d["balance"] for d in done]),
                                      "lufs": [round(d["lufs"], 2) for d in done],
                                      "true_peak_dbtp": [round(d["true_peak_dbtp"], 2) for d in done]}
    default = _median(mixes)
    tracks = [t for s in per_seed for t in s["tracks"]]
    return {"minutes": minutes, "seeds": list(seeds), "settings": list(settings),
            "records": {"source": RECORDS.source, "octaves_hz": list(OCTAVES_HZ), "p25": list(RECORDS.low),
                        "median": list(RECORDS.median), "p75": list(RECORDS.high), "side_mid": RECORDS.side_mid},
            "default": default, "palettes": palettes,
            "worst_palette_outside_db": max(p["worst_outside_db"] for p in palettes.values()),
            "loudness": {"per_seed": per_seed,
                         "track_lufs": [t["lufs"] for t in tracks],
                         "max_off_target_lu": round(max(abs(t["lufs"] - loudness.TARGET_LUFS) for t in tracks), 2),
                         "max_true_peak_dbtp": max(t["true_peak_dbtp"] for t in tracks),
                         "min_rain_below_music_lu": min(s["rain_below_music_lu"] for s in per_seed)},
            **({"png": str(png)} if png is not None else {})}


def picture(x: np.ndarray, sr: int, balance: Balance, path: Path) -> None:
    """The spectrogram of the measured stretch of ``x`` (log frequency), beside its octave shares and the records'."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first, last = stretch(len(x), sr)
    mono = x[first:last].mean(axis=1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [2.2, 1]})
    left.specgram(mono, NFFT=4096, Fs=sr, noverlap=2048, cmap="magma", vmin=-140, vmax=-40, rasterized=True)
    left.set_yscale("log")
    left.set_ylim(25, 16000)
    left.set_xlabel(f"seconds from {first / sr:g} s in")
    left.set_ylabel("Hz")
    left.set_title("lofid's default mix (seed 1)", fontsize=10)
    centres = np.arange(len(OCTAVES_HZ))
    right.fill_between(centres, RECORDS.low, RECORDS.high, color="#9ab", alpha=0.6, label="records, middle half")
    right.plot(centres, RECORDS.median, color="#567", lw=1, ls="--", label="records, median")
    right.plot(centres, balance.octaves_db, color="#c53", marker="o", ms=3, label="lofid")
    right.set_xticks(centres, [f"{hz / 1000:g}k" if hz >= 1000 else f"{hz:g}" for hz in OCTAVES_HZ], fontsize=7)
    right.set_ylabel("dB of the total")
    right.set_title("share of power per octave", fontsize=10)
    right.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _hz(hz: float) -> str:
    return f"{hz / 1000:g}k" if hz >= 1000 else f"{hz:g}"


def table(results: dict) -> list[str]:
    """The octave table as Markdown lines: the records' percentiles, the default mix, each palette."""
    rec = results["records"]

    def mark(v: float, d: float, high: float) -> str:
        return f"{v:.1f}" if d == 0 else f"**{v:.1f}** ({'+' if v > high else '-'}{d:.1f})"

    lines = ["| octave centre (Hz) | " + " | ".join(_hz(h) for h in OCTAVES_HZ)
             + " | worst outside, 31.5 Hz-8 kHz | side/mid | side/mid < 150 Hz |",
             "|---|" + "---|" * (len(OCTAVES_HZ) + 3)]
    for label, key in (("records, 25th percentile", "p25"), ("records, median", "median"), ("records, 75th percentile", "p75")):
        side = f"{rec['side_mid']:g}" if key == "median" else ""
        lines.append(f"| {label} | " + " | ".join(f"{v:.1f}" for v in rec[key]) + f" | | {side} | |")
    rows = [(f"lofid default mix (median of seeds {', '.join(map(str, results['seeds']))})", results["default"]),
            *((f"palette: {name}", p) for name, p in results["palettes"].items())]
    for label, r in rows:
        cells = [mark(v, d, hi) for v, d, hi in zip(r["octaves_db"], r["outside_db"], rec["p75"])]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {r['worst_outside_db']:.1f} dB | {r['side_mid']:.3f} | "
                     f"{r['bass_side_mid']:.3f} |")
    return lines


def verdicts(results: dict) -> list[tuple[str, str, str, bool]]:
    """(figure, measured, target, met) for each target of issue 24 this benchmark measures."""
    d, ld = results["default"], results["loudness"]
    low, high = SIDE_MID_RANGE
    return [
        ("default mix: octaves 31.5 Hz-8 kHz outside the records' middle half, worst dB", f"{d['worst_outside_db']:.1f}",
         "0", d["worst_outside_db"] == 0),
        ("palettes: worst distance outside the middle half, dB", f"{results['worst_palette_outside_db']:.1f}",
         f"≤ {PALETTE_SLACK_DB:g}", results["worst_palette_outside_db"] <= PALETTE_SLACK_DB),
        ("default mix: stereo side/mid RMS", f"{d['side_mid']:.3f}", f"{low:g}-{high:g}", low <= d["side_mid"] <= high),
        ("default mix: side/mid below 150 Hz", f"{d['bass_side_mid']:.3f}", f"≤ {BASS_SIDE_MID_MAX:g}",
         d["bass_side_mid"] <= BASS_SIDE_MID_MAX),
        ("tracks: largest distance from -16 LUFS, LU", f"{ld['max_off_target_lu']:.2f}", "≤ 1", ld["max_off_target_lu"] <= 1),
        ("tracks: highest true peak, dBTP", f"{ld['max_true_peak_dbtp']:.2f}", "≤ -1", ld["max_true_peak_dbtp"] <= -1),
        ("rain below the music, least over the seeds, LU", f"{ld['min_rain_below_music_lu']:.1f}", "≥ 10",
         ld["min_rain_below_music_lu"] >= 10),
    ]


def report(results: dict) -> str:
    lines = [f"Octave shares, dB of the total ({results['minutes']:g}-minute renders; bold: outside the records' "
             "middle half, by how much in brackets)", "", *table(results), ""]
    for figure, value, target, met in verdicts(results):
        lines.append(f"- {figure}: {value} (target {target}) {'yes' if met else 'NO'}")
    for s in results["loudness"]["per_seed"]:
        tracks = ", ".join(f"{t['lufs']} LUFS / {t['true_peak_dbtp']} dBTP" + (" (partial)" if t["partial"] else "")
                           for t in s["tracks"])
        lines.append(f"- seed {s['seed']}: tracks {tracks}; rain {s['rain_below_music_lu']} LU under the music")
    for name, p in results["palettes"].items():
        lines.append(f"- palette {name}: {', '.join(f'{v:g}' for v in p['lufs'])} LUFS, "
                     f"true peak {max(p['true_peak_dbtp']):g} dBTP at most")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=MINUTES, help=f"length of each render (default {MINUTES:g})")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)), help="the compositions (default 1,2,3)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting for every render")
    parser.add_argument("--png", default=str(PNG), help=f"the spectrogram picture (default {PNG}); none: no picture")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    results = run(args.minutes, seeds, args.set, None if args.png == "none" else Path(args.png))
    if args.json:
        print(json.dumps(results, indent=1))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
