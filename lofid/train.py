"""``lofid train``: a folder of MIDI -> a trained, exported, documented note model.

It reads the corpus, trains with a checkpoint per epoch (an interrupted run resumes where it
stopped when started again with the same command), keeps the best epoch by validation loss,
and writes <out>.keras, <out>.tflite, <out>.json and <out>_loss.png. The .json also carries the
chord progression table lofid.harmony learns from the folder's ``chord_midi.txt`` annotations.
"""

from __future__ import annotations

import argparse
import logging
import platform
import shlex
import time
from pathlib import Path

from lofid.errors import LofidError

log = logging.getLogger("lofid")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="DIR",
                        help="folder of .mid/.midi files (searched recursively)")
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


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise LofidError(f"--{name} must be above 0, got {value:g}")


def main(args: argparse.Namespace) -> int:
    for name in ("epochs", "units", "layers", "batch_size", "learning_rate"):
        _positive(name.replace("_", "-"), getattr(args, name))
    if not 0 <= args.dropout < 1 or not 0 <= args.val_fraction < 1:
        raise LofidError("--dropout and --val-fraction must be from 0 to below 1")
    window = args.cfg["generation.window"]
    tracks = [t.strip() for t in args.tracks.split(",") if t.strip()] if args.tracks else None
    started = time.time()

    from lofid.corpus import dataset, load_corpus, sequences

    corpus = load_corpus(args.data, window, tracks, args.val_fraction, args.seed)
    if args.limit:
        corpus.train = corpus.train[:args.limit]
        corpus.val = corpus.val[:max(1, args.limit // 10)] if corpus.val else []
    train_seqs, val_seqs = sequences(corpus.train, window), sequences(corpus.val, window)
    if len(train_seqs) == 0:
        raise LofidError(f"{args.data}: no training sequences of {window + 1} notes")
    log.info("corpus: %s; %d training and %d validation sequences of %d notes", corpus.summary(), len(train_seqs),
             len(val_seqs), window + 1)

    import keras

    from lofid import model as lm

    keras.utils.set_random_seed(args.seed)
    out = Path(args.out)
    folder = out.with_name(out.name + ".checkpoints")
    if args.restart:
        lm.discard_checkpoints(folder)
    settings = {"data": str(Path(args.data).resolve()), "window": window, "units": args.units,
                "layers": args.layers, "dropout": args.dropout, "batch_size": args.batch_size,
                "learning_rate": args.learning_rate, "tracks": tracks, "val_fraction": args.val_fraction,
                "limit": args.limit, "seed": args.seed}
    train_ds = dataset(train_seqs, args.batch_size, shuffle=True, seed=args.seed)
    val_ds = dataset(val_seqs, args.batch_size, shuffle=False) if len(val_seqs) else None
    def fresh_model():
        return lm.build_model(args.units, args.layers, args.dropout, args.learning_rate, args.xla)

    # args.callbacks: extra Keras callbacks, which is how the tests interrupt a run like Ctrl-C does.
    model, state = lm.train(fresh_model, train_ds, val_ds, args.epochs, folder, settings, args.patience,
                            verbose=2 if args.quiet else 1, callbacks=getattr(args, "callbacks", None))
    figures = _figures(model, state, val_ds)
    from lofid.harmony import learn

    try:
        progressions = learn(args.data)
    except ValueError:  # a folder without chord annotations: the harmony walks the key evenly
        progressions = None
    metadata = {
        "model": {"units": args.units, "layers": args.layers, "dropout": args.dropout,
                  "parameters": int(model.count_params())},
        "training": {"command": _command(args),
                     **settings, "corpus": corpus.summary(), "train_sequences": int(len(train_seqs)),
                     "val_sequences": int(len(val_seqs)), "epochs_run": state["epoch"],
                     "best_epoch": state["best_epoch"], "seconds": round(time.time() - started),
                     "history": {k: [round(v, 4) for v in state["history"][k]] for k in ("loss", "val_loss")
                                 if k in state["history"]},
                     "tensorflow": __import__("tensorflow").__version__, "machine": platform.machine(),
                     **figures},
        **({"harmony": progressions} if progressions else {})}
    files = lm.export(model, out, window, metadata)
    lm.plot_losses(state["history"], out.with_name(out.name + "_loss.png"),
                   f"{out.name}: {args.layers}x{args.units} LSTM, best epoch {state['best_epoch']}")
    lm.discard_checkpoints(folder)
    for path in files:
        log.info("wrote %s", path)
    log.info("best epoch %d: %s", state["best_epoch"], figures)
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run, with every training option spelt out."""
    words = ["lofid", "train", "--data", args.data, "--out", args.out]
    for name in ("epochs", "units", "layers", "dropout", "batch_size", "learning_rate", "patience", "tracks",
                 "val_fraction", "limit", "seed"):
        value = getattr(args, name)
        if value is not None:
            words += ["--" + name.replace("_", "-"), str(value)]
    return shlex.join(words + ([] if args.xla else ["--no-xla"]))


def _figures(model, state: dict, val_ds) -> dict:
    """Loss and top-1/top-5 accuracy per head: training (at the best epoch) and validation (re-measured)."""
    history, best = state["history"], max(0, state["best_epoch"] - 1)
    from lofid.notes import HEADS

    def pick(source: dict) -> dict:
        figures = {"loss": round(source["loss"], 4)}
        for head in HEADS:
            for metric in ("top1", "top5"):
                figures[f"{head}_{metric}"] = round(source[f"{head}_{metric}"], 4)
        return figures

    result = {"train": pick({k: v[best] for k, v in history.items()})}
    if val_ds is not None:
        result["validation"] = pick(model.evaluate(val_ds, verbose=0, return_dict=True))
    return result
