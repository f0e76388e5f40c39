"""The TensorFlow reference: the trained .keras model and its compiled last-position call.

It is what the ``tensorflow`` backend plays and what the .tflite export is checked against.
TensorFlow is imported inside the functions, so importing this module stays cheap; only a
process that asks for the reference pays for TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lofid.errors import LofidError
from lofid.model.encoding import COLUMNS, HEADS


def load_keras(path: Path) -> Any:
    """A saved .keras model; a missing or damaged file is a one-line LofidError naming it."""
    if not path.is_file():
        raise LofidError(f"{path}: no such model file (train one with `lofid train`)")
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as e:  # zip, h5 and deserialisation errors all mean "not a usable model"
        raise LofidError(f"{path}: not a usable Keras model ({e.__class__.__name__})") from None


def reference_function(model: Any, window: int) -> Callable[[Any], Any]:
    """The compiled Keras call of ``model`` (a keras.Model): [1, window] rows -> last position's logits."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, window, len(COLUMNS)], tf.int32)])
    def last_logits(rows):
        out = model(rows, training=False)
        return tf.concat([out[h][:, -1] for h in HEADS], axis=-1)

    return last_logits
