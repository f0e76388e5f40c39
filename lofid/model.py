"""The Keras note model: build, train with checkpoints and resume, export .keras/.tflite/.json.

One embedding per column (the note's four fields, the chord under it and its 16th in the bar)
feeds a stack of LSTMs that return every position (sequence to sequence), and one softmax head
per note field predicts the next note's class. The heads output
logits; the softmax lives in the loss and in sampling, where temperature is applied.

The .tflite file is made for playing: a fixed [1, window, 6] input and only the last position's
logits (one vector, heads concatenated in ``HEADS`` order). The export rebuilds the network
from the trained weights as plain TensorFlow ops over the fixed window, frozen as constants:
the embeddings folded into the first layer's input kernel (a gather per column), the LSTMs
unrolled as a wavefront (every layer steps in each iteration, see ``_lstm_ops``), the heads in
one product. On LiteRT's built-in kernels the matrix products cost per multiply-add and the
other ops about half a microsecond each, so the unroll multiplies no zero blocks and keeps the
op count low: a 2x128 model went from 2.2 to 1.4 ms a note on this machine with training running
alongside, 1.2 to 0.8 ms quieter (not so for 2x256, see ``_lstm_ops``). We tried marking the
LSTMs for TFLite's fused UNIDIRECTIONAL_SEQUENCE_LSTM kernel: it was no faster on this machine
and drifted up to 8e-5 from Keras on real music (cell states reach 20), so plain ops it is.
The export checks the result against Keras to 1e-5, on a real phrase and random windows.
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
from lofid.generate import primer_rows  # imported now: a long training run must not see later edits
from lofid.notes import COLUMNS, HEADS, INPUT_VOCAB, VOCAB

log = logging.getLogger("lofid")

EMBED_DIMS = {"pitch": 48, "step": 16, "duration": 16, "velocity": 8, "chord": 16, "position": 8}
LOSS_WEIGHTS = {"pitch": 1.0, "step": 0.8, "duration": 0.6, "velocity": 0.3}
TOLERANCE = 1e-5  # how far the .tflite logits may be from Keras'


def build_model(units: int = 256, layers: int = 2, dropout: float = 0.2, learning_rate: float = 1e-3,
                xla: bool = True) -> keras.Model:
    """The compiled model: (batch, time, 6) int class rows -> {head: (batch, time, classes) logits}."""
    rows = keras.Input((None, len(COLUMNS)), dtype="int32", name="notes")
    fields = [keras.layers.Embedding(INPUT_VOCAB[c], EMBED_DIMS[c], name=f"embed_{c}")(rows[:, :, i])
              for i, c in enumerate(COLUMNS)]
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

    @tf.function(input_signature=[tf.TensorSpec([1, window, len(COLUMNS)], tf.int32)])
    def last_logits(rows):
        out = model(rows, training=False)
        return tf.concat([out[h][:, -1] for h in HEADS], axis=-1)

    return last_logits


def _gates_ifog(a: np.ndarray) -> np.ndarray:
    """Keras' gate blocks i, f, g, o reordered to i, f, o, g: one sigmoid then covers three quarters."""
    i, f, g, o = np.split(a, 4, axis=-1)
    return np.concatenate([i, f, o, g], axis=-1)


def _cell(z, c):
    """One LSTM step for n layers at once: z (n, 4 * units) in i, f, o, g order; c (n, units), None if zero."""
    ifo, g = tf.split(z, [z.shape[-1] // 4 * 3, z.shape[-1] // 4], axis=-1)
    i, f, o = tf.split(tf.sigmoid(ifo), 3, axis=-1)
    c = i * tf.tanh(g) if c is None else f * c + i * tf.tanh(g)
    return o * tf.tanh(c), c


def _lstm_ops(xz, lstms):
    """The stacked LSTMs over a fixed sequence from zero state, as a wavefront: the top layer's last output.

    xz: (time, 4 * units), the first layer's input projection plus bias; lstms: (kernel, recurrent
    kernel, bias) per layer, gates in i, f, o, g order. Layer l's step t needs only layer l-1's step t
    and its own step t-1, so at iteration k every started layer l computes its step k - l: all
    layers advance together, and one set of element-wise ops serves them all (LiteRT's built-in
    kernels cost about half a microsecond an op, more for slices). Each layer's gates come from one
    product over its slice [h_l-1, h_l] of the state, so no zero blocks are multiplied: the products
    dominate, and they cost per multiply-add. While the wave fills and drains, only the layers with a
    step to take are in the state. Caveat: this pays while one iteration's weights fit in a core's L2
    cache (2 MB here; 0.75 MB at 2x128). At 2x256 (3 MB) it measured 1.4x slower than layer by layer.
    """
    time, depth, units = xz.shape[0], len(lstms), lstms[0][1].shape[0]
    inputs = tf.split(xz, time)

    def part(state, held, wanted, axis):  # the wanted layers of a state holding the `held` ones
        if wanted == held:
            return state
        sizes = [n for n in (wanted.start - held.start, len(wanted), held.stop - wanted.stop) if n]
        return tf.split(state, [n * (units if axis else 1) for n in sizes], axis=axis)[int(wanted.start > held.start)]

    h = c = None  # h (1, layers * units), c (layers, units) for the `held` layers
    held = range(0)
    for k in range(time + depth - 1):
        stepping = range(max(0, k - time + 1), min(k, depth - 1) + 1)
        z = []
        for layer in stepping:
            kernel, recurrent, bias = lstms[layer]
            wanted = range(max(layer - 1, held.start), min(layer + 1, held.stop))  # [h_l-1,] [h_l]
            weights = ([kernel] if layer and layer - 1 in wanted else []) + ([recurrent] if layer in wanted else [])
            product = tf.matmul(part(h, held, wanted, -1), np.concatenate(weights)) if weights else None
            extra = inputs[k] if layer == 0 else bias
            z.append(extra if product is None else product + extra)
        z = tf.concat(z, axis=0) if len(z) > 1 else z[0]
        carried = range(max(stepping.start, held.start), min(stepping.stop, held.stop))
        c = part(c, held, carried, 0) if len(carried) else None
        if c is not None and carried.stop < stepping.stop:  # a layer starts: zero cell state
            c = tf.concat([c, tf.zeros([stepping.stop - carried.stop, units])], axis=0)
        h, c = _cell(z, c)
        h, held = tf.reshape(h, [1, -1]), stepping
    return h


def _playing_function(model: keras.Model, window: int) -> Callable[[Any], Any]:
    """The network rebuilt from frozen weights for conversion: [1, window] rows -> last logits.

    The embeddings are folded into the first layer's input kernel (one table of projected rows
    per column, summed), and the heads into one product.
    """
    lstms = [tuple(_gates_ifog(w.numpy()) for w in (layer.cell.kernel, layer.cell.recurrent_kernel, layer.cell.bias))
             for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    kernel, _, bias = lstms[0]
    tables, start = [], 0
    for c in COLUMNS:
        embeddings = model.get_layer(f"embed_{c}").embeddings.numpy().astype(np.float64)
        table = embeddings @ kernel[start:start + embeddings.shape[1]] + (bias if not tables else 0)
        tables.append(table.astype(np.float32))
        start += embeddings.shape[1]
    heads = np.concatenate([model.get_layer(h).kernel.numpy() for h in HEADS], axis=1)
    heads_bias = np.concatenate([model.get_layer(h).bias.numpy() for h in HEADS])

    @tf.function(input_signature=[tf.TensorSpec([1, window, len(COLUMNS)], tf.int32)])
    def last_logits(rows):
        xz = tf.add_n([tf.gather(table, rows[0, :, i]) for i, table in enumerate(tables)])
        return tf.matmul(_lstm_ops(xz, lstms), heads) + heads_bias

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
    rng, worst = np.random.default_rng(0), 0.0
    phrase = primer_rows(window)  # real music drives the cells harder than noise
    randoms = [np.stack([rng.integers(0, INPUT_VOCAB[c], window) for c in COLUMNS], axis=-1) for _ in range(trials)]
    for rows in [phrase, *randoms]:
        rows = rows.reshape(1, window, len(COLUMNS)).astype(np.int32)
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

    meta = {"format": "lofid-note-model/2", "window": window, "heads": list(HEADS), "inputs": list(COLUMNS),
            "vocab": {h: VOCAB[h] for h in HEADS}, "input_vocab": {c: INPUT_VOCAB[c] for c in COLUMNS},
            "steps_per_beat": STEPS_PER_BEAT, "max_step": MAX_STEP,
            "max_duration": MAX_DURATION, "velocity_bins": VELOCITY_BINS,
            "key": "C major / A minor (the player transposes to music.key)",
            "chord": "0 = none, else 1 + root * 6 + class (maj, min, dom, dim, sus, aug), root 0 = C",
            "tflite": {"input": [1, window, len(COLUMNS)], "output": "last position logits, heads concatenated",
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
