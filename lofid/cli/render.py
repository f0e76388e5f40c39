"""``lofid render``: the note model played through the engine offline into a WAV file."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from lofid.config import Config, resolve_seed

log = logging.getLogger("lofid")


def add_mood_argument(parser: argparse.ArgumentParser) -> None:
    """``--mood WORDS``, as every command that writes music takes it (``with_mood_argument`` applies it)."""
    parser.add_argument("--mood", metavar="WORDS", help="what to hear, in plain words: \"slow rainy night, no drums\" "
                                                        "(music.mood)")


def with_mood_argument(args: argparse.Namespace) -> Config:
    """The settings with ``--mood`` applied, if given."""
    cfg: Config = args.cfg
    return cfg if args.mood is None else cfg.replace({"music.mood": args.mood})


def add_seed_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="random seed (default generation.seed); the same seed writes the same file")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, help="length of the render (default 60)")
    length.add_argument("--minutes", type=float, help="length of the render in minutes")
    parser.add_argument("--output", required=True, metavar="FILE.wav",
                        help="the WAV file to write; each track's start is marked in it, with its title")
    add_mood_argument(parser)
    add_seed_argument(parser)


def main(args: argparse.Namespace) -> int:
    from lofid.daemon.offline import render_file

    cfg = with_mood_argument(args)
    seconds = args.minutes * 60 if args.minutes is not None else args.seconds if args.seconds is not None else 60.0
    took = render_file(cfg, seconds, Path(args.output), resolve_seed(cfg, args.seed))
    log.info("wrote %s: %.1f s of audio in %.1f s (%.0fx real time)", args.output, seconds, took,
             seconds / max(took, 1e-9))
    return 0
