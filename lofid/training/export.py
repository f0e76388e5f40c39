"""Export for playing: the trained network's frozen weights (.npz), and rebuilt as plain ops over a fixed window (.tflite).

The .tflite file is made for playing: a fixed [1, window, 6] input and only the last position's
logits (one vector, heads concatenated in ``HEADS`` order). The export rebuilds the network
from the trained weights as plain TensorFlow ops over the fixed window, frozen as constants:
the embeddings folded into the first layer's input kernel (a gather per column), the LSTMs
unrolled as a wavefront (every layer steps in each iteration, see ``_lstm_ops``), the heads in
one product: on LiteRT's built-in kernels that is the cheapest graph for this size (figures in
models/MODEL_CARD.md). The export checks the result against Keras to 1e-5, on a real phrase and
random windows, and writes each file atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from lofid.errors import LofidError
from lofid.model.encoding import COLUMNS, HEADS, INPUT_VOCAB, VOCAB, primer_rows
from lofid.model.frozen import FrozenNetwork
from lofid.model.reference import reference_function
from lofid.model.runtime import read_info, write_info
from lofid.music.notes import MAX_DURATION, MAX_STEP, STEPS_PER_BEAT, VELOCITY_BINS
from lofid.paths import write_atomically
from lofid.training.quiet import native_stderr

TOLERANCE = 1e-5  # how far the .tflite logits may be from Keras'


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
    step to take are in the state. It pays while one iteration's weights fit in a core's L2 cache
    (models/MODEL_CARD.md has the figures).
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


def frozen_network(model: keras.Model) -> FrozenNetwork:
    """The trained weights for playing: embeddings folded into the first layer's input kernel (one
    table of projected rows per column, its bias in the first), gates reordered, heads in one product."""
    lstms = [tuple(_gates_ifog(w.numpy()) for w in (layer.cell.kernel, layer.cell.recurrent_kernel, layer.cell.bias))
             for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    kernel, _, bias = lstms[0]
    tables: list[np.ndarray] = []
    start = 0
    for c in COLUMNS:
        embeddings = model.get_layer(f"embed_{c}").embeddings.numpy().astype(np.float64)
        table = embeddings @ kernel[start:start + embeddings.shape[1]] + (bias if not tables else 0)
        tables.append(table.astype(np.float32))
        start += embeddings.shape[1]
    return FrozenNetwork(
        tables=tuple(tables), recurrent=tuple(r for _, r, _ in lstms),
        kernels=tuple(k for k, _, _ in lstms[1:]), biases=tuple(b for _, _, b in lstms[1:]),
        heads=np.concatenate([model.get_layer(h).kernel.numpy() for h in HEADS], axis=1),
        heads_bias=np.concatenate([model.get_layer(h).bias.numpy() for h in HEADS]))


def _playing_function(net: FrozenNetwork, window: int) -> tf.types.experimental.GenericFunction:
    """The frozen network as plain TensorFlow ops for conversion: [1, window] rows -> last logits."""
    lstms = [(None, net.recurrent[0], None), *zip(net.kernels, net.recurrent[1:], net.biases, strict=True)]

    @tf.function(input_signature=[tf.TensorSpec([1, window, len(COLUMNS)], tf.int32)])
    def last_logits(rows):
        xz = tf.add_n([tf.gather(table, rows[0, :, i]) for i, table in enumerate(net.tables)])
        return tf.matmul(_lstm_ops(xz, lstms), net.heads) + net.heads_bias

    return last_logits


def to_tflite(net: FrozenNetwork, window: int) -> bytes:
    fn = _playing_function(net, window)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], tf.Module())
    with native_stderr():  # the converter's C++ log lines (SavedModel reader and loader, MLIR passes)
        return converter.convert()


def _tflite_function(flatbuffer: bytes) -> Callable[[np.ndarray], np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    with native_stderr():  # LiteRT announces its XNNPACK delegate
        interpreter = Interpreter(model_content=flatbuffer)
        interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def run(rows: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(inp, rows)
        interpreter.invoke()
        return interpreter.get_tensor(out)[0]

    return run


def check_against_keras(model: keras.Model, run: Callable[[np.ndarray], np.ndarray], window: int, what: str,
                        trials: int = 3) -> float:
    """Largest logit difference between ``run`` ([1, window, 6] rows -> logits) and Keras on a real
    phrase and random windows; raises past 1e-5, naming ``what`` differs."""
    reference = reference_function(model, window)
    rng, worst = np.random.default_rng(0), 0.0
    phrase = primer_rows(window)  # real music drives the cells harder than noise
    randoms = [np.stack([rng.integers(0, INPUT_VOCAB[c], window) for c in COLUMNS], axis=-1) for _ in range(trials)]
    for rows in [phrase, *randoms]:
        rows = rows.reshape(1, window, len(COLUMNS)).astype(np.int32)
        worst = max(worst, float(np.abs(run(rows) - reference(rows).numpy()[0]).max()))
    if worst > TOLERANCE:
        raise LofidError(f"the {what} differs from Keras by {worst:.2e} (limit {TOLERANCE:g})")
    return worst


def export(model: keras.Model, out: Path, window: int, metadata: dict) -> list[Path]:
    """Write <out>.keras, <out>.tflite, <out>.npz and <out>.json (metadata plus window, grid and vocabularies)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    keras_path, tflite_path, npz_path, json_path = (out.with_name(out.name + ext)
                                                    for ext in (".keras", ".tflite", ".npz", ".json"))
    net = frozen_network(model)
    flatbuffer = to_tflite(net, window)
    difference = check_against_keras(model, _tflite_function(flatbuffer), window, "converted model")
    numpy_difference = check_against_keras(model, net.last_logits, window, "numpy network")
    playing = keras.Model.from_config(model.get_config())  # uncompiled: no optimizer state, a third of the size
    playing.set_weights(model.get_weights())
    playing.save(keras_path)
    write_atomically(tflite_path, flatbuffer)
    write_atomically(npz_path, net.to_bytes())

    meta = {"format": "lofid-note-model/2", "window": window, "heads": list(HEADS), "inputs": list(COLUMNS),
            "vocab": {h: VOCAB[h] for h in HEADS}, "input_vocab": {c: INPUT_VOCAB[c] for c in COLUMNS},
            "steps_per_beat": STEPS_PER_BEAT, "max_step": MAX_STEP,
            "max_duration": MAX_DURATION, "velocity_bins": VELOCITY_BINS,
            "key": "C major / A minor (the player transposes to music.key)",
            "chord": "0 = none, else 1 + root * 6 + class (maj, min, dom, dim, sus, aug), root 0 = C",
            "tflite": {"input": [1, window, len(COLUMNS)], "output": "last position logits, heads concatenated",
                       "max_difference_from_keras": difference},
            "npz": {"max_difference_from_keras": numpy_difference}, **metadata}
    write_info(json_path, meta)
    return [keras_path, tflite_path, npz_path, json_path]


def refreeze(out: Path) -> list[Path]:
    """Write <out>.npz again from the trained <out>.keras (checked against it), and note it in <out>.json."""
    from lofid.model.reference import load_keras

    info = read_info(out)
    model = load_keras(info.file(".keras"))
    net = frozen_network(model)
    difference = check_against_keras(model, net.last_logits, info.window, "numpy network")
    write_atomically(info.file(".npz"), net.to_bytes())
    write_info(info.file(".json"), {**info.meta, "npz": {"max_difference_from_keras": difference}})
    return [info.file(".npz"), info.file(".json")]
