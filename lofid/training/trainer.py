"""One training run: corpus -> trained network -> exported, documented model files.

It reads the corpus, trains with a checkpoint per epoch (an interrupted run resumes where it
stopped when started again with the same options), keeps the best epoch by validation loss,
and writes <out>.keras, <out>.tflite, <out>.json and <out>_loss.png. The .json also carries the
accompaniment's tables (chord loops and comping, lofid.training.accompaniment).
"""

from __future__ import annotations

import dataclasses
import logging
import platform
import time
from pathlib import Path

import keras
import tensorflow as tf

from lofid.errors import LofidError
from lofid.model.encoding import HEADS
from lofid.training import network
from lofid.training.accompaniment import learn
from lofid.training.dataset import dataset, load_corpus, sequences
from lofid.training.export import export

log = logging.getLogger("lofid")


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """How to train; every field is part of the checkpoint's identity except the last five."""

    data: str
    epochs: int = 20
    units: int = 256
    layers: int = 2
    dropout: float = 0.2
    batch_size: int = 128
    learning_rate: float = 1e-3
    patience: int = 3  # epochs without a better validation loss before stopping; 0 = never
    tracks: tuple[str, ...] | None = None
    val_fraction: float = 0.1
    limit: int | None = None  # only the first N songs (quick trials)
    seed: int = 0
    xla: bool = True
    verbose: int = 1  # Keras: 1 = progress bar, 2 = one line per epoch
    command: str = ""  # the command line that reproduces the run, for the model card
    callbacks: tuple = ()  # extra Keras callbacks (how the tests interrupt a run like Ctrl-C does)
    progressions: str | None = None  # a CSV of mood-tagged progressions to add to the loop table

    def check(self) -> None:
        """Refuse impossible values with one line naming the option."""
        for name in ("epochs", "units", "layers", "batch_size", "learning_rate"):
            if getattr(self, name) <= 0:
                raise LofidError(f"--{name.replace('_', '-')} must be above 0, got {getattr(self, name):g}")
        if not 0 <= self.dropout < 1 or not 0 <= self.val_fraction < 1:
            raise LofidError("--dropout and --val-fraction must be from 0 to below 1")


def train_model(options: TrainOptions, out: Path, window: int, restart: bool = False) -> tuple[list[Path], dict]:
    """Train and export to ``out`` (a path without extension); returns the files written and the figures."""
    options.check()
    started = time.time()
    tracks = list(options.tracks) if options.tracks else None
    corpus = load_corpus(options.data, window, tracks, options.val_fraction, options.seed)
    if options.limit:
        corpus.train = corpus.train[:options.limit]
        corpus.val = corpus.val[:max(1, options.limit // 10)] if corpus.val else []
    train_seqs, val_seqs = sequences(corpus.train, window), sequences(corpus.val, window)
    if len(train_seqs) == 0:
        raise LofidError(f"{options.data}: no training sequences of {window + 1} notes")
    log.info("corpus: %s; %d training and %d validation sequences of %d notes", corpus.summary(), len(train_seqs),
             len(val_seqs), window + 1)

    keras.utils.set_random_seed(options.seed)
    folder = out.with_name(out.name + ".checkpoints")
    if restart:
        network.discard_checkpoints(folder)
    settings = {"data": str(Path(options.data).resolve()), "window": window, "units": options.units,
                "layers": options.layers, "dropout": options.dropout, "batch_size": options.batch_size,
                "learning_rate": options.learning_rate, "tracks": tracks, "val_fraction": options.val_fraction,
                "limit": options.limit, "seed": options.seed}
    train_ds = dataset(train_seqs, options.batch_size, shuffle=True, seed=options.seed)
    val_ds = dataset(val_seqs, options.batch_size, shuffle=False) if len(val_seqs) else None

    def fresh_model():
        return network.build_model(options.units, options.layers, options.dropout, options.learning_rate, options.xla)

    model, state = network.train(fresh_model, train_ds, val_ds, options.epochs, folder, settings, options.patience,
                                 verbose=options.verbose, callbacks=list(options.callbacks))
    figures = _figures(model, state, val_ds)
    tables = learn(options.data, options.progressions)
    metadata = {
        "model": {"units": options.units, "layers": options.layers, "dropout": options.dropout,
                  "parameters": int(model.count_params())},
        "training": {"command": options.command,
                     **settings, "corpus": corpus.summary(), "train_sequences": int(len(train_seqs)),
                     "val_sequences": int(len(val_seqs)), "epochs_run": state["epoch"],
                     "best_epoch": state["best_epoch"], "seconds": round(time.time() - started),
                     "history": {k: [round(v, 4) for v in state["history"][k]] for k in ("loss", "val_loss")
                                 if k in state["history"]},
                     "tensorflow": tf.__version__, "machine": platform.machine(),
                     **figures},
        **tables}
    files = export(model, out, window, metadata)
    network.plot_losses(state["history"], out.with_name(out.name + "_loss.png"),
                        f"{out.name}: {options.layers}x{options.units} LSTM, best epoch {state['best_epoch']}")
    network.discard_checkpoints(folder)
    return files, {"best_epoch": state["best_epoch"], **figures}


def _figures(model, state: dict, val_ds) -> dict:
    """Loss and top-1/top-5 accuracy per head: training (at the best epoch) and validation (re-measured)."""
    history, best = state["history"], max(0, state["best_epoch"] - 1)

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
