"""``lofid likes``: the tracks liked with ``lofid ctl like``, numbered, as ``lofid export --likes`` renders them."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")


def main(args: argparse.Namespace) -> int:
    from lofid import paths
    from lofid.daemon.likes import listing

    shown = [{k: like.get(k) for k in ("title", "key", "bpm", "when", "whole")} for like in listing()]
    if args.json:
        print(json.dumps({"likes": shown, "file": str(paths.likes_path())}))
    elif not shown:
        print("no liked tracks yet: lofid ctl like keeps the track playing")
    for number, like in enumerate([] if args.json else shown, 1):
        part = "" if like["whole"] else " · as far as it had played"
        print(f"{number:>3}. {like['title']} · {like['key']} · {like['bpm']:g} bpm · {like['when']}{part}")
    return 0
