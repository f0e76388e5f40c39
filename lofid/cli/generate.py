"""``lofid generate``: write generated music to a MIDI file, as the daemon would play it."""

from __future__ import annotations

import argparse
import logging

from lofid.cli.render import add_mood_argument, with_mood_argument
from lofid.config import resolve_seed
from lofid.errors import LofidError

log = logging.getLogger("lofid")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--notes", type=int, help="how many notes to write (default 256)")
    length.add_argument("--minutes", type=float, help="how many minutes of music to write (tracks, as the radio plays them)")
    parser.add_argument("--output", required=True, metavar="FILE.mid", help="the MIDI file to write")
    parser.add_argument("--temperature", type=float, help="sampling temperature (default generation.temperature)")
    add_mood_argument(parser)
    parser.add_argument("--seed", type=int, help="random seed: the same seed writes the same file")
    parser.add_argument("--primer", metavar="FILE.mid", help="start from this MIDI file's notes (key-normalised)")


def main(args: argparse.Namespace) -> int:
    notes = args.notes if args.notes is not None or args.minutes is not None else 256
    if notes is not None and notes < 1:
        raise LofidError(f"--notes must be at least 1, got {notes}")
    cfg = with_mood_argument(args)
    if args.temperature is not None:
        cfg = cfg.replace({"generation.temperature": args.temperature})
    seed = resolve_seed(cfg, args.seed)
    from lofid.compose.score import compose, read_primer, write_score

    primer = read_primer(args.primer) if args.primer else None
    score = compose(cfg, seed, notes=notes, minutes=args.minutes, primer=primer)
    write_score(cfg, score, args.output)
    tracks = sum(getattr(e, "new", False) for e in score.events)
    log.info("wrote %d notes in %d track%s to %s (seed %d, temperature %g, harmony %s)", score.notes, tracks,
             "s" * (tracks != 1), args.output, seed, cfg["generation.temperature"], cfg["generation.harmony"])
    return 0
