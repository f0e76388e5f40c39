"""Covers: how long a track's cover takes to paint and how large its PNG is, and the README's example sheet.

    .venv/bin/python -m bench.covers [--covers 60] [--size 600] [--seed 3] [--sheet bench/covers.jpg] [--json]

Draws COVERS tracks' facts as the daemon would (titles from lofid.compose.titles, keys, tempi,
palettes, a few moods, every hour of the day), paints each with lofid.compose.cover.cover_png
and prints the median, 90th percentile and largest time (ms, wall clock, this process alone on
one core) and the median PNG size (KiB). The daemon paints on its own thread, so the figure is
what a new track's cover waits, never what the music waits. With ``--sheet``, the first eight
covers side by side, at half size, as one picture (a JPEG for a .jpg: the grain makes a PNG of it
1 MB; the README shows it).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lofid.compose.cover import CoverFacts, cover_png  # noqa: E402
from lofid.compose.titles import TitleMaker  # noqa: E402
from lofid.music.keys import pitch_name  # noqa: E402
from lofid.music.tracks import PALETTES  # noqa: E402

COVERS = 60
MOODS = ("auto", "auto", "auto", "slow rainy night", "sunny sunday morning, upbeat", "snowy", "foggy dusk")
SHEET_COLUMNS, SHEET_ROWS = 4, 2
JPEG_QUALITY = 85  # of a .jpg sheet


def facts(count: int, seed: int) -> list[CoverFacts]:
    """``count`` tracks' facts, drawn from ``seed`` as the radio draws its tracks."""
    rng = np.random.default_rng(seed)
    titles = TitleMaker(rng)
    return [CoverFacts(title=titles.next(), key=f"{pitch_name(int(rng.integers(12)))} {('major', 'minor')[i % 2]}",
                       bpm=float(rng.integers(65, 96)), palette=PALETTES[i % len(PALETTES)].name,
                       mood=MOODS[i % len(MOODS)], hour=(i * 5) % 24, seed=seed)
            for i in range(count)]


def sheet(pngs: list[bytes], path: Path) -> None:
    """The first covers side by side at half size."""
    pictures = [Image.open(io.BytesIO(png)) for png in pngs[:SHEET_COLUMNS * SHEET_ROWS]]
    side = pictures[0].size[0] // 2
    out = Image.new("RGB", (side * SHEET_COLUMNS, side * SHEET_ROWS))
    for i, picture in enumerate(pictures):
        where = ((i % SHEET_COLUMNS) * side, (i // SHEET_COLUMNS) * side)
        out.paste(picture.resize((side, side), Image.Resampling.LANCZOS), where)
    out.save(path, quality=JPEG_QUALITY) if path.suffix.lower() in (".jpg", ".jpeg") else out.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--covers", type=int, default=COVERS)
    parser.add_argument("--size", type=int, default=600)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--sheet", type=Path, help="write the first eight covers as one picture here (.jpg or .png)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cover_png(facts(1, args.seed)[0], args.size)  # the font and the vignette loaded once, as in the daemon
    times, pngs = [], []
    for one in facts(args.covers, args.seed):
        started = time.perf_counter()
        pngs.append(cover_png(one, args.size))
        times.append(1000 * (time.perf_counter() - started))
    result = {"covers": args.covers, "size_px": args.size, "median_ms": round(statistics.median(times), 1),
              "p90_ms": round(float(np.percentile(times, 90)), 1), "max_ms": round(max(times), 1),
              "median_kib": round(statistics.median(len(p) for p in pngs) / 1024, 1)}
    if args.sheet:
        sheet(pngs, args.sheet)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['covers']} covers at {result['size_px']} px: median {result['median_ms']} ms, 90th percentile "
              f"{result['p90_ms']} ms, largest {result['max_ms']} ms; median PNG {result['median_kib']} KiB")


if __name__ == "__main__":
    main()
