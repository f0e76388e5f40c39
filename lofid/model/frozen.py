"""The note network's frozen weights, and its forward pass in numpy: the ``numpy`` backend.

The trained network (lofid.training.network) is stored for playing as plain arrays in
``<model>.npz``: one table per input column, the embedding already projected through the first
LSTM's input kernel (its bias folded into the first table), each LSTM's recurrent kernel (and
for the layers above the first, its input kernel and bias), gates in i, f, o, g order, and the
heads concatenated in ``HEADS`` order. Running the last window through it takes about half a
millisecond a note (LiteRT: about half that), without LiteRT's 13 MB runtime in the daemon.
"""

from __future__ import annotations

import functools
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofid.errors import LofidError
from lofid.model.encoding import COLUMNS, INPUT_VOCAB, VOCAB


@dataclass(frozen=True)
class FrozenNetwork:
    """Every weight the last position's logits need, float32, gates in i, f, o, g order.

    tables: per column (vocabulary, 4 * units), the first layer's input projection plus bias;
    recurrent: per layer (units, 4 * units); kernels and biases: per layer above the first,
    (units, 4 * units) and (4 * units,); heads (units, classes) and heads_bias (classes,).
    """

    tables: tuple[np.ndarray, ...]
    recurrent: tuple[np.ndarray, ...]
    kernels: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    heads: np.ndarray
    heads_bias: np.ndarray

    @property
    def units(self) -> int:
        return int(self.recurrent[0].shape[0])

    @functools.cached_property
    def _stacked(self) -> tuple[np.ndarray, ...]:
        """Per layer above the first, its input kernel over its recurrent kernel: one product a step."""
        return tuple(np.concatenate([k, r]) for k, r in zip(self.kernels, self.recurrent[1:], strict=True))

    def last_logits(self, rows: np.ndarray) -> np.ndarray:
        """rows: (window, 6) int class rows, or a batch of one (1, window, 6) -> the last position's
        logits, heads concatenated.

        Every call starts the LSTMs from zero state, as the network was trained on each window. Only
        vector-matrix products: numpy's OpenBLAS runs a matrix-matrix product of the window on a
        second thread, which then spins for a while after each note (half a core, measured).
        """
        units = self.units
        rows = rows.reshape(-1, len(COLUMNS))
        inputs = self.tables[0][rows[:, 0]]
        for column, table in enumerate(self.tables[1:], start=1):
            inputs += table[rows[:, column]]
        for layer in range(len(self.recurrent)):
            h = np.zeros(units, np.float32)
            c = np.zeros(units, np.float32)
            outputs = np.empty((len(rows), units), np.float32)
            for t in range(len(rows)):
                if layer:
                    z = np.concatenate((inputs[t], h)) @ self._stacked[layer - 1] + self.biases[layer - 1]
                else:
                    z = inputs[t] + h @ self.recurrent[0]
                ifo = 0.5 * np.tanh(0.5 * z[:3 * units]) + 0.5  # the logistic sigmoid, without overflow
                c = ifo[units:2 * units] * c + ifo[:units] * np.tanh(z[3 * units:])
                h = ifo[2 * units:] * np.tanh(c)
                outputs[t] = h
            inputs = outputs
        return h @ self.heads + self.heads_bias

    def to_bytes(self) -> bytes:
        """The weights as an .npz archive (no pickles)."""
        arrays = {f"table_{c}": t for c, t in zip(COLUMNS, self.tables, strict=True)}
        arrays |= {f"recurrent_{i}": w for i, w in enumerate(self.recurrent)}
        arrays |= {f"kernel_{i + 1}": w for i, w in enumerate(self.kernels)}
        arrays |= {f"bias_{i + 1}": b for i, b in enumerate(self.biases)}
        arrays |= {"heads": self.heads, "heads_bias": self.heads_bias}
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()


def read_frozen(path: Path) -> FrozenNetwork:
    """The weights in ``path`` (an .npz), checked against this lofid's vocabularies; one-line errors."""
    if not path.is_file():
        raise LofidError(f"{path}: no such model file (train one with `lofid train`, or set model.path)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: np.asarray(npz[name], np.float32) for name in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise LofidError(f"{path}: not a usable model weights file ({e.__class__.__name__})") from None
    layers = sum(name.startswith("recurrent_") for name in arrays)
    try:
        network = FrozenNetwork(
            tables=tuple(arrays[f"table_{c}"] for c in COLUMNS),
            recurrent=tuple(arrays[f"recurrent_{i}"] for i in range(layers)),
            kernels=tuple(arrays[f"kernel_{i}"] for i in range(1, layers)),
            biases=tuple(arrays[f"bias_{i}"] for i in range(1, layers)),
            heads=arrays["heads"], heads_bias=arrays["heads_bias"])
    except KeyError as e:
        raise LofidError(f"{path}: not a lofid model weights file (no {e.args[0]})") from None
    if not layers or not _shapes_agree(network):
        raise LofidError(f"{path}: its weights do not fit this lofid version's vocabularies; retrain it")
    return network


def _shapes_agree(net: FrozenNetwork) -> bool:
    gates = 4 * net.units
    return (all(t.shape == (INPUT_VOCAB[c], gates) for c, t in zip(COLUMNS, net.tables, strict=True))
            and all(w.shape == (net.units, gates) for w in (*net.recurrent, *net.kernels))
            and all(b.shape == (gates,) for b in net.biases)
            and net.heads.shape == (net.units, sum(VOCAB.values())) and net.heads_bias.shape == (sum(VOCAB.values()),))
