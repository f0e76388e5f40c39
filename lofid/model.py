"""The Keras note model: build, train with checkpoints and resume, export .keras/.tflite/.json.

One embedding per field feeds a stack of LSTMs that return every position (sequence to
sequence), and one softmax head per field predicts the next note's class. The heads output
logits; the softmax lives in the loss and in sampling, where temperature is applied.

The .tflite file is made for playing: a fixed [1, window] input and only the last position's
logits (one vector, heads concatenated in ``HEADS`` order). The export rebuilds the network
from the trained weights as plain TensorFlow ops over the fixed window (each layer's input
projection in one matrix product, then the recurrence), frozen as constants. We tried marking
the LSTMs for TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM kernel: it was no faster on this
machine and drifted up to 8e-5 from Keras on real music (cell states reach 20), so plain ops it
is. The export checks the result against Keras to 1e-5, on a real phrase and random windows.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import numpy as np
import tensorflow as tf
import keras

from lofid.errors import LofidError
from lofid.notes import HEADS, VOCAB

log = logging.getLogger("lofid")

EMBED_DIMS = {"pitch": 48, "step": 16, "duration": 16, "velocity": 8}
LOSS_WEIGHTS = {"pitch": 1.0, "step": 0.8, "duration": 0.6, "velocity": 0.3}
TOLERANCE = 1e-5  # how far the .tflite logits may be from Keras'


def build_model(units: int = 256, layers: int = 2, dropout: float = 0.2, learning_rate: float = 1e-3,
                xla: bool = True) -> keras.Model:
    """The compiled model: (batch, time, 4) int class rows -> {head: (batch, time, classes) logits}."""
    rows = keras.Input((None, 4), dtype="int32", name="notes")
    fields = [keras.layers.Embedding(VOCAB[h], EMBED_DIMS[h], name=f"embed_{h}")(rows[:, :, i])
              for i, h in enumerate(HEADS)]
    x = keras.layers.Concatenate(name="fields")(fields)
    for i in range(layers):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{i + 1}")(x)
        x = keras.layers.Dropout(dropout, name=f"dropout_{i + 1}")(x)
    outputs = {h: keras.layers.Dense(VOCAB[h], name=h)(x) for h in HEADS}
    model = keras.Model(rows, outputs, name="lofid")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss={h: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for h in HEADS},
        loss_weights=LOSS_WEIGHTS,
        metrics={h: [keras.metrics.SparseCategoricalAccuracy(name="top1"),
                     keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5")] for h in HEADS},
        jit_compile=xla)  # XLA: measured about 1.5x faster per sequence on CPU for 2x256 at batch 128
    return model


def load_keras(path: Path) -> keras.Model:
    """A saved .keras model; a missing or damaged file is a one-line LofidError naming it."""
    if not path.is_file():
        raise LofidError(f"{path}: no such model file (train one with `lofid train`)")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as e:  # zip, h5 and deserialisation errors all mean "not a usable model"
        raise LofidError(f"{path}: not a usable Keras model ({e.__class__.__name__})") from None


def reference_function(model: keras.Model, window: int) -> Callable[[Any], Any]:
    """The compiled Keras call the daemon's ``tensorflow`` backend uses: last position's logits."""

    @tf.function(input_signature=[tf.TensorSpec([1, window, 4], tf.int32)])
    def last_logits(rows):
        out = model(rows, training=False)
        return tf.concat([out[h][:, -1] for h in HEADS], axis=-1)

    return last_logits


def _lstm_ops(inputs, kernel, recurrent_kernel, bias):
    """Keras' LSTM maths over a fixed-length sequence from zero state: (1, time, d) -> (1, time, units)."""
    xz = tf.einsum("btd,dk->btk", inputs, kernel) + bias
    h = c = tf.zeros([1, recurrent_kernel.shape[0]])
    outputs = []
    for t in range(inputs.shape[1]):
        i, f, g, o = tf.split(xz[:, t] + tf.matmul(h, recurrent_kernel), 4, axis=-1)  # Keras gate order
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        outputs.append(h)
    return tf.stack(outputs, axis=1)


def _playing_function(model: keras.Model, window: int) -> Callable[[Any], Any]:
    """The network rebuilt from frozen weights for conversion: [1, window] rows -> last logits."""
    embeddings = [model.get_layer(f"embed_{h}").embeddings.numpy() for h in HEADS]
    lstms = [(layer.cell.kernel.numpy(), layer.cell.recurrent_kernel.numpy(), layer.cell.bias.numpy())
             for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    heads = [(model.get_layer(h).kernel.numpy(), model.get_layer(h).bias.numpy()) for h in HEADS]

    @tf.function(input_signature=[tf.TensorSpec([1, window, 4], tf.int32)])
    def last_logits(rows):
        x = tf.concat([tf.gather(table, rows[:, :, i]) for i, table in enumerate(embeddings)], axis=-1)
        for kernel, recurrent, bias in lstms:
            x = _lstm_ops(x, tf.constant(kernel), tf.constant(recurrent), tf.constant(bias))
        last = x[:, -1]
        return tf.concat([tf.matmul(last, k) + b for k, b in heads], axis=-1)

    return last_logits


def to_tflite(model: keras.Model, window: int) -> bytes:
    fn = _playing_function(model, window)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], tf.Module())
    return converter.convert()


def check_tflite(model: keras.Model, flatbuffer: bytes, window: int, trials: int = 3) -> float:
    """Largest logit difference between the .tflite and Keras on random windows; raises past 1e-5."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    reference = reference_function(model, window)
    from lofid.generate import PRIMER
    from lofid.notes import to_rows

    rng, worst = np.random.default_rng(0), 0.0
    phrase = np.resize(to_rows(PRIMER), (window, 4))  # real music drives the cells harder than noise
    randoms = [np.stack([rng.integers(0, VOCAB[h], window) for h in HEADS], axis=-1) for _ in range(trials)]
    for rows in [phrase, *randoms]:
        rows = rows.reshape(1, window, 4).astype(np.int32)
        interpreter.set_tensor(inp, rows)
        interpreter.invoke()
        worst = max(worst, float(np.abs(interpreter.get_tensor(out) - reference(rows).numpy()).max()))
    if worst > TOLERANCE:
        raise LofidError(f"the converted model differs from Keras by {worst:.2e} (limit {TOLERANCE:g})")
    return worst


def export(model: keras.Model, out: Path, window: int, metadata: dict) -> list[Path]:
    """Write <out>.keras, <out>.tflite and <out>.json (metadata plus window, grid and vocabularies)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    keras_path, tflite_path, json_path = (out.with_name(out.name + ext) for ext in (".keras", ".tflite", ".json"))
    flatbuffer = to_tflite(model, window)
    difference = check_tflite(model, flatbuffer, window)
    playing = keras.Model.from_config(model.get_config())  # uncompiled: no optimizer state, a third of the size
    playing.set_weights(model.get_weights())
    playing.save(keras_path)
    _atomic_write(tflite_path, flatbuffer)
    from lofid.notes import MAX_DURATION, MAX_STEP, STEPS_PER_BEAT, VELOCITY_BINS

    meta = {"format": "lofid-note-model/1", "window": window, "heads": list(HEADS),
            "vocab": {h: VOCAB[h] for h in HEADS}, "steps_per_beat": STEPS_PER_BEAT, "max_step": MAX_STEP,
            "max_duration": MAX_DURATION, "velocity_bins": VELOCITY_BINS,
            "key": "C major / A minor (the player transposes to music.key)",
            "tflite": {"input": [1, window, 4], "output": "last position logits, heads concatenated",
                       "max_difference_from_keras": difference}, **metadata}
    _atomic_write(json_path, (json.dumps(meta, indent=2) + "\n").encode())
    return [keras_path, tflite_path, json_path]


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Checkpointer(keras.callbacks.Callback):
    """Saves the model and the training state every epoch, keeps the best weights, stops early.

    Early stopping lives here rather than in Keras' EarlyStopping so that its counters survive
    an interruption: a resumed run stops exactly where an uninterrupted one would have.
    """

    def __init__(self, folder: Path, state: dict, patience: int) -> None:
        super().__init__()
        self.folder, self.state, self.patience = folder, state, patience

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {k: float(v) for k, v in (logs or {}).items()}
        state = self.state
        for key, value in logs.items():
            state["history"].setdefault(key, []).append(value)
        monitored = logs.get("val_loss", logs.get("loss", float("inf")))
        if monitored < state["best"]:
            state.update(best=monitored, best_epoch=epoch + 1, wait=0)
            self.model.save_weights(self.folder / "best.weights.h5")
        else:
            state["wait"] += 1
        state["epoch"] = epoch + 1
        self.model.save(self.folder / "last.keras.tmp.keras")
        os.replace(self.folder / "last.keras.tmp.keras", self.folder / "last.keras")
        _atomic_write(self.folder / "state.json", json.dumps(state).encode())
        if self.patience and state["wait"] >= self.patience:
            log.info("validation loss has not improved for %d epochs: stopping early", self.patience)
            self.model.stop_training = True


def train(model_factory: Callable[[], keras.Model], train_ds, val_ds, epochs: int, folder: Path, settings: dict,
          patience: int = 3, verbose: int | str = 1, callbacks: list | None = None) -> tuple[keras.Model, dict]:
    """Fit with a checkpoint per epoch, resuming from ``folder`` if a run with the same settings stopped there.

    Returns the model with its best weights and the training state (history, best epoch).
    """
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / "state.json"
    state = {"settings": settings, "epoch": 0, "history": {}, "best": float("inf"), "best_epoch": 0, "wait": 0}
    if state_file.is_file():
        saved = json.loads(state_file.read_text())
        if saved.get("settings") != settings:
            raise LofidError(f"{folder}: a checkpoint from a run with other settings is there; "
                             "pass --restart to discard it")
        state = saved
        model = keras.models.load_model(folder / "last.keras")
        log.info("resuming from the checkpoint after epoch %d", state["epoch"])
    else:
        model = model_factory()
    stopped_early = bool(patience) and state["wait"] >= patience
    if state["epoch"] < epochs and not stopped_early:
        model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=state["epoch"], verbose=verbose,
                  callbacks=[Checkpointer(folder, state, patience), *(callbacks or [])])
    if (folder / "best.weights.h5").is_file():
        model.load_weights(folder / "best.weights.h5")
    return model, state


def discard_checkpoints(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def plot_losses(history: dict, path: Path, title: str) -> None:
    """Training and validation loss per epoch, saved as a PNG next to the model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        if history.get(key):
            ax.plot(range(1, len(history[key]) + 1), history[key], marker="o", label=label)
    ax.set(xlabel="epoch", ylabel="weighted loss (sum of heads)", title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
