"""``lofid run``: play music until stopped, steerable with ``lofid ctl`` (what the service runs)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="random seed (default: generation.seed, else a new one)")
    parser.add_argument("--mood", metavar="WORDS", help="what to hear, in plain words: \"slow rainy night, no drums\" "
                                                        "(music.mood; kept like lofid ctl mood)")
    parser.epilog = ("Plays until SIGTERM/SIGINT (fades out, exit 0); SIGHUP reloads the config. "
                     "Steer it with `lofid ctl`.")


def main(args: argparse.Namespace) -> int:
    from lofid.daemon.player import Daemon

    if args.mood is not None:
        args.cfg.replace({"music.mood": args.mood})  # unknown words: one line, before anything starts
    daemon = Daemon(args.cfg, args.config, tuple(args.overrides), args.seed)
    if args.mood is not None:  # as if said with ctl mood before the first note: kept for the next start
        daemon.mood(args.mood, keep=True)
    return daemon.start().run()
