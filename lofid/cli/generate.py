"""``lofid generate``: write generated notes to a MIDI file, as the daemon would play them."""

from __future__ import annotations

import argparse
import logging

from lofid.config import Config, part_programs, resolve_seed
from lofid.errors import LofidError

log = logging.getLogger("lofid")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notes", type=int, default=256, help="how many notes to write (default 256)")
    parser.add_argument("--output", required=True, metavar="FILE.mid", help="the MIDI file to write")
    parser.add_argument("--temperature", type=float, help="sampling temperature (default generation.temperature)")
    parser.add_argument("--seed", type=int, help="random seed: the same seed writes the same file")
    parser.add_argument("--primer", metavar="FILE.mid", help="start from this MIDI file's notes (key-normalised)")


def main(args: argparse.Namespace) -> int:
    if args.notes < 1:
        raise LofidError(f"--notes must be at least 1, got {args.notes}")
    cfg: Config = args.cfg
    if args.temperature is not None:
        cfg = cfg.replace({"generation.temperature": args.temperature})
    seed = resolve_seed(cfg, args.seed)
    from lofid.compose.score import compose, drum_hits, read_primer
    from lofid.music.midi import write_midi

    primer = read_primer(args.primer) if args.primer else None
    notes, chords = compose(cfg, args.notes, seed, primer)
    length = sum(n.step for n in notes) + max(n.duration for n in notes)
    drums = drum_hits(length) if cfg["layers.beat.enabled"] else []
    write_midi(notes, args.output, cfg["music.bpm"], part_programs(cfg), chords, drums, cfg["music.swing"])
    log.info("wrote %d notes to %s (seed %d, temperature %g, key %s, harmony %s)", len(notes), args.output, seed,
             cfg["generation.temperature"], cfg["music.key"], cfg["generation.harmony"])
    return 0
