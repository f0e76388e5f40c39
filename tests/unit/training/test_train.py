"""`lofid train` on songs the test writes: trains, checkpoints, is interrupted, resumes, exports."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from lofid.cli import build_parser, train
from lofid.config import load
from lofid.errors import LofidError
from tests.support.songs import write_folder


def ctrl_c():
    """A Keras callback that interrupts training the way Ctrl-C does (KeyboardInterrupt), in the middle
    of epoch 2. Keras is imported here, not at the top: collecting the suite (each xdist worker does)
    would otherwise load TensorFlow, seconds of it, for tests that never train."""
    import keras

    class CtrlC(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if self.epoch == 1 and batch == 1:
                raise KeyboardInterrupt

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    return CtrlC()


def run(argv: list[str], callbacks: list | None = None) -> int:
    args = build_parser().parse_args(["train", *argv])
    args.cfg = load()
    args.callbacks = callbacks
    return train.main(args)


@pytest.mark.slow(3)
def test_train_checkpoints_resumes_after_an_interruption_and_exports(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    data = write_folder(tmp_path / "songs", songs=6, bars=16)
    out = tmp_path / "models" / "tiny"
    argv = ["--data", str(data), "--out", str(out), "--epochs", "2", "--units", "16", "--batch-size", "8",
            "--patience", "0", "--no-xla", "--quiet"]

    with pytest.raises(KeyboardInterrupt):
        run(argv, [ctrl_c()])
    checkpoints = out.with_name("tiny.checkpoints")
    state = json.loads((checkpoints / "state.json").read_text())
    assert state["epoch"] == 1 and (checkpoints / "last.keras").is_file()
    assert not out.with_name("tiny.tflite").exists()  # nothing exported from an unfinished run

    with pytest.raises(LofidError, match="--restart"):  # other settings must not silently reuse it
        run([*argv, "--units", "8"])

    with caplog.at_level(logging.INFO, logger="lofid"):
        assert run(argv) == 0
    assert "resuming from the checkpoint after epoch 1" in caplog.text
    for ext in (".keras", ".tflite", ".npz", ".json"):
        assert out.with_name("tiny" + ext).stat().st_size > 0
    assert out.with_name("tiny_loss.png").read_bytes()[:4] == b"\x89PNG"
    assert not checkpoints.exists()

    meta = json.loads(out.with_name("tiny.json").read_text())
    training = meta["training"]
    assert training["epochs_run"] == 2
    assert training["history"]["loss"][0] == round(state["history"]["loss"][0], 4)  # epoch 1 kept, not redone
    assert len(training["history"]["val_loss"]) == 2
    for split in ("train", "validation"):
        figures = training[split]
        for head in ("pitch", "step", "duration", "velocity"):
            assert 0 <= figures[f"{head}_top1"] <= figures[f"{head}_top5"] <= 1
    assert training["corpus"]["train_songs"] + training["corpus"]["val_songs"] == 6
    assert "lofid train --data" in training["command"] and meta["window"] == 30
    assert meta["tflite"]["max_difference_from_keras"] <= 1e-5
    assert meta["npz"]["max_difference_from_keras"] <= 1e-5

    # The numpy backend's weights written again from the .keras alone: the same weights, the same notes.
    with np.load(out.with_name("tiny.npz")) as npz:
        weights = dict(npz)
    out.with_name("tiny.npz").unlink()
    assert run(["--refreeze", "--out", str(out)]) == 0
    with np.load(out.with_name("tiny.npz")) as npz:
        assert npz.files == list(weights)
        for name, array in weights.items():
            np.testing.assert_array_equal(npz[name], array)


def test_bad_training_options_are_one_line_errors(tmp_path):
    with pytest.raises(LofidError, match="--data DIR is needed"):
        run(["--out", str(tmp_path / "m")])
    with pytest.raises(LofidError, match="--units must be above 0"):
        run(["--data", str(tmp_path), "--out", str(tmp_path / "m"), "--units", "0"])
    with pytest.raises(LofidError, match="no such folder"):
        run(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "m")])
