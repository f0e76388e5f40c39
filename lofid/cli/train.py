"""``lofid train``: a folder of MIDI -> a trained, exported, documented note model (lofid.training)."""

from __future__ import annotations

import argparse
import logging
import shlex
from pathlib import Path

from lofid.errors import LofidError

log = logging.getLogger("lofid")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR",
                        help="folder of .mid/.midi files (searched recursively); needed except with --refreeze")
    parser.add_argument("--out", required=True, metavar="PATH", help="model path without extension, e.g. models/lofid")
    parser.add_argument("--epochs", type=int, default=20, help="most epochs to train (default 20)")
    parser.add_argument("--units", type=int, default=256, help="LSTM width (default 256)")
    parser.add_argument("--layers", type=int, default=2, help="LSTM layers (default 2)")
    parser.add_argument("--dropout", type=float, default=0.2, help="dropout after each LSTM (default 0.2)")
    parser.add_argument("--batch-size", type=int, default=128, help="sequences per batch (default 128)")
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="Adam learning rate (default 0.001)")
    parser.add_argument("--patience", type=int, default=3,
                        help="stop after this many epochs without a better validation loss; 0 = never (default 3)")
    parser.add_argument("--tracks", metavar="NAMES",
                        help="comma-separated track names to learn from, e.g. MELODY,BRIDGE,PIANO (default: all)")
    parser.add_argument("--val-fraction", type=float, default=0.1, help="share of songs kept for validation")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N songs (for quick trials)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the song split, shuffling and initial weights")
    parser.add_argument("--restart", action="store_true", help="discard a checkpoint left by an earlier run")
    parser.add_argument("--no-xla", dest="xla", action="store_false",
                        help="do not compile training steps with XLA (it pays off only for real model sizes)")
    parser.add_argument("--quiet", action="store_true", help="one line per epoch instead of the progress bar")
    parser.add_argument("--progressions", metavar="CSV",
                        help="mood-tagged chord progressions (free-midi-chords' progressions.csv: mode,progression,moods) "
                             "to add to the learnt loop table")
    parser.add_argument("--harmony-only", action="store_true",
                        help="only relearn the accompaniment's tables (chord loops, comping) from --data into "
                             "the existing model --out")
    parser.add_argument("--grooves", action="store_true",
                        help="only learn the drum grooves and fills from the Groove MIDI Dataset at --data "
                             "into the JSON file --out (e.g. models/grooves.json)")
    parser.add_argument("--refreeze", action="store_true",
                        help="only write the numpy backend's weights (--out's .npz) again from its trained .keras")


def main(args: argparse.Namespace) -> int:
    if args.refreeze:
        from lofid.training.quiet import load_tensorflow

        load_tensorflow(verbose=args.verbose)
        from lofid.training.export import refreeze

        for path in refreeze(Path(args.out)):
            log.info("wrote %s", path)
        return 0
    if not args.data:
        raise LofidError("lofid train: --data DIR is needed (the folder to learn from)")
    if args.grooves:
        from lofid.training.grooves import write_vocabulary

        figures = write_vocabulary(args.data, args.out)
        log.info("%s: learnt %s", args.out, figures["all"])
        return 0
    if args.harmony_only:
        from lofid.training.accompaniment import relearn

        tables = relearn(args.data, args.out, args.progressions)
        log.info("%s.json: learnt %s from %s", args.out, " and ".join(tables) or "nothing", args.data)
        return 0
    from lofid.training.quiet import load_tensorflow

    load_tensorflow(verbose=args.verbose)  # before the trainer imports it: TensorFlow's own logs only with -v
    from lofid.training.trainer import TrainOptions, train_model

    tracks = tuple(t.strip() for t in args.tracks.split(",") if t.strip()) if args.tracks else None
    options = TrainOptions(
        data=args.data, epochs=args.epochs, units=args.units, layers=args.layers, dropout=args.dropout,
        batch_size=args.batch_size, learning_rate=args.learning_rate, patience=args.patience, tracks=tracks,
        val_fraction=args.val_fraction, limit=args.limit, seed=args.seed, xla=args.xla,
        verbose=2 if args.quiet else 1, command=_command(args), callbacks=tuple(getattr(args, "callbacks", None) or ()),
        progressions=args.progressions)
    files, figures = train_model(options, Path(args.out), args.cfg["generation.window"], args.restart)
    for path in files:
        log.info("wrote %s", path)
    log.info("best epoch %d: %s", figures.pop("best_epoch"), figures)
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run, with every training option spelt out."""
    words = ["lofid", "train", "--data", args.data, "--out", args.out]
    for name in ("epochs", "units", "layers", "dropout", "batch_size", "learning_rate", "patience", "tracks",
                 "val_fraction", "limit", "seed", "progressions"):
        value = getattr(args, name)
        if value is not None:
            words += ["--" + name.replace("_", "-"), str(value)]
    return shlex.join(words + ([] if args.xla else ["--no-xla"]))
