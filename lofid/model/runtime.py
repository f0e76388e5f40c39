"""Running the note model: one interface, three backends.

``numpy`` (the default) runs the frozen weights in the .npz (lofid.model.frozen): under a
millisecond a note, and nothing in the daemon beyond numpy. ``litert`` runs the .tflite through
ai-edge-litert, a little quicker per note for 13 MB more memory. Neither imports TensorFlow
(seconds and hundreds of MB). ``tensorflow`` runs the .keras through a compiled tf.function: the
reference the others are checked against. Each takes the last ``window`` notes as class rows
(lofid.model.encoding.COLUMNS) and returns the next note's logits, heads concatenated in ``HEADS`` order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lofid.config import MODEL_BACKENDS
from lofid.errors import LofidError
from lofid.model.encoding import COLUMNS, HEADS, INPUT_VOCAB, VOCAB
from lofid.paths import resolve, write_atomically


@dataclass(frozen=True)
class ModelInfo:
    """What the model's .json says: the window it was trained with, and how it was trained."""

    base: Path  # the model path without extension
    window: int
    meta: dict

    def file(self, ext: str) -> Path:
        return self.base.with_name(self.base.name + ext)


def read_info(base: str | Path) -> ModelInfo:
    """Read and check ``<base>.json``; every problem is one line naming the file."""
    base = resolve(base)
    path = base.with_name(base.name + ".json")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LofidError(f"{path}: no such model file (train one with `lofid train`, or set model.path)") from None
    except (OSError, ValueError) as e:  # ValueError: undecodable text, bad JSON, a NUL in the name
        raise LofidError(f"{path}: not a readable model description ({e.__class__.__name__}: {e})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("window"), int):
        raise LofidError(f"{path}: not a lofid model description (no window)")
    if (meta.get("heads") != list(HEADS) or meta.get("vocab") != {h: VOCAB[h] for h in HEADS}
            or meta.get("input_vocab") != {c: INPUT_VOCAB[c] for c in COLUMNS}):
        raise LofidError(f"{path}: the model's outputs do not match this lofid version; retrain it")
    return ModelInfo(base, meta["window"], meta)


def write_info(path: Path, meta: dict) -> None:
    """Write a model's description ``meta`` to ``path`` (its .json), atomically: the one writer of the
    format ``read_info`` reads, for the export and for what training adds to it later."""
    write_atomically(path, json.dumps(meta, indent=1) + "\n")


class NoteModel:
    """The next note's logits from the last ``window`` notes, whichever runtime computes them."""

    def __init__(self, info: ModelInfo, backend: str, run: Callable[[np.ndarray], np.ndarray]) -> None:
        self.info, self.backend, self._run = info, backend, run
        self.window = info.window
        edges = np.cumsum([0] + [VOCAB[h] for h in HEADS])
        self._slices = {h: slice(int(edges[i]), int(edges[i + 1])) for i, h in enumerate(HEADS)}

    def logits(self, rows: np.ndarray) -> np.ndarray:
        """rows: (window, 6) int class rows (note, chord, position) -> flat float32 logits of the next note."""
        return self._run(np.ascontiguousarray(rows, dtype=np.int32).reshape(1, self.window, len(COLUMNS)))

    def heads(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Split flat logits into one array per head (views, no copy)."""
        return {h: flat[s] for h, s in self._slices.items()}


def load_model(base: str | Path, backend: str = MODEL_BACKENDS[0], window: int | None = None) -> NoteModel:
    """The model at ``base`` (no extension) on ``backend``; ``window`` must match the trained one."""
    loader = BACKENDS.get(backend)
    if loader is None:
        raise LofidError(f"unknown model backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    info = read_info(base)
    if window is not None and window != info.window:
        raise LofidError(f"{info.file('.json')}: the model was trained with a {info.window}-note window but "
                         f"generation.window is {window}; set generation.window: {info.window}")
    return NoteModel(info, backend, loader(info))


def _numpy(info: ModelInfo) -> Callable[[np.ndarray], np.ndarray]:
    from lofid.model.frozen import read_frozen

    return read_frozen(info.file(".npz")).last_logits


def _litert(info: ModelInfo) -> Callable[[np.ndarray], np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    path = info.file(".tflite")
    if not path.is_file():
        raise LofidError(f"{path}: no such model file (train one with `lofid train`, or set model.path)")
    try:
        # Plain built-in kernels: on this graph of small products they beat the XNNPACK delegate (bench/).
        interpreter = Interpreter(model_path=str(path), num_threads=1,
                                  experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        interpreter.allocate_tensors()
    except Exception as e:  # LiteRT reports a damaged flatbuffer as ValueError or RuntimeError
        raise LofidError(f"{path}: not a usable TFLite model ({str(e).splitlines()[0][:120]})") from None
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    if list(inp["shape"]) != [1, info.window, len(COLUMNS)] or int(out["shape"][-1]) != sum(VOCAB.values()):
        raise LofidError(f"{path}: its input {list(inp['shape'])} does not match the {info.window}-note window "
                         f"in {info.file('.json').name}")
    inp_index, out_index = inp["index"], out["index"]

    def run(rows: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(inp_index, rows)
        interpreter.invoke()
        return interpreter.get_tensor(out_index)[0]

    return run


def _tensorflow(info: ModelInfo) -> Callable[[np.ndarray], np.ndarray]:
    from lofid.model.reference import load_keras, reference_function

    fn = reference_function(load_keras(info.file(".keras")), info.window)

    def run(rows: np.ndarray) -> np.ndarray:
        return fn(rows).numpy()[0]

    return run


# backend name -> loader (the model's files -> the function that runs one window), in MODEL_BACKENDS' order
BACKENDS: dict[str, Callable[[ModelInfo], Callable[[np.ndarray], np.ndarray]]] = dict(
    zip(MODEL_BACKENDS, (_numpy, _litert, _tensorflow), strict=True))
