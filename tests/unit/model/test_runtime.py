"""The shipped model on every backend: same logits, numpy and LiteRT without TensorFlow, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from lofid.errors import LofidError
from lofid.model.encoding import COLUMNS, INPUT_VOCAB, VOCAB, primer_rows
from lofid.model.runtime import load_model
from lofid.paths import MODELS

SHIPPED = MODELS / "lofid"


def windows(n: int, window: int = 30) -> list[np.ndarray]:
    """The built-in primer's window and random ones over every class."""
    rng = np.random.default_rng(1)
    random = [np.stack([rng.integers(0, INPUT_VOCAB[c], window) for c in COLUMNS], axis=-1) for _ in range(n)]
    return [primer_rows(window), *random]


@pytest.mark.parametrize("backend", ["numpy", "litert"])
def test_shipped_weights_give_the_logits_keras_gives(backend):
    model, reference = load_model(SHIPPED, backend), load_model(SHIPPED, "tensorflow")
    assert model.window == reference.window == 30
    for rows in windows(5):
        a, b = model.logits(rows), reference.logits(rows)
        assert a.shape == (sum(VOCAB.values()),)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


@pytest.mark.parametrize("backend", ["numpy", "litert"])
def test_calls_do_not_leak_state_into_each_other(backend):
    # Every call starts the LSTMs from zero state: the same window gives the same logits
    # whatever was asked before it (TFLite's fused LSTM kernel, which we do not use, would not).
    model = load_model(SHIPPED, backend)
    first, other = windows(1)
    before = model.logits(first)
    model.logits(other)
    np.testing.assert_array_equal(model.logits(first), before)


def test_generating_by_default_imports_neither_tensorflow_nor_litert():
    code = ("import sys, lofid, lofid.cli, lofid.compose.generator\n"
            "from lofid.config import defaults\n"
            "g = lofid.compose.generator.NoteGenerator(defaults(), seed=1)\n"
            "notes = g.notes(20)\n"
            "print(len(notes), *(m in sys.modules for m in ('tensorflow', 'keras', 'ai_edge_litert')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["20", "False", "False", "False"]


@pytest.fixture
def model_copy(tmp_path):
    for ext in (".json", ".npz", ".tflite", ".keras"):
        shutil.copy(SHIPPED.with_name("lofid" + ext), tmp_path / ("m" + ext))
    return tmp_path / "m"


@pytest.mark.parametrize("ext, backend, damage", [
    (".json", "numpy", None), (".npz", "numpy", None), (".tflite", "litert", None), (".keras", "tensorflow", None),
    (".json", "litert", b"{not json"), (".npz", "numpy", b"PK\x03\x04 not an archive"),
    (".tflite", "litert", b"TFL3 but not a model"),
    (".keras", "tensorflow", b"PK\x03\x04 not a zip either"),
])
def test_missing_or_damaged_model_is_one_line_naming_the_file(model_copy, ext, backend, damage):
    path = model_copy.with_name("m" + ext)
    if damage is None:
        path.unlink()
    else:
        path.write_bytes(damage)
    with pytest.raises(LofidError) as err:
        load_model(model_copy, backend)
    message = str(err.value)
    assert str(path) in message and "\n" not in message


def test_weights_from_another_vocabulary_are_refused_in_one_line(model_copy):
    path = model_copy.with_name("m.npz")
    with np.load(path) as npz:
        arrays = dict(npz)
    arrays["table_chord"] = arrays["table_chord"][:50]  # a chord vocabulary of another version
    np.savez(path, **arrays)
    with pytest.raises(LofidError, match=r"m\.npz: its weights do not fit this lofid version's vocabularies"):
        load_model(model_copy, "numpy")
    del arrays["heads"]
    np.savez(path, **arrays)
    with pytest.raises(LofidError, match=r"m\.npz: not a lofid model weights file \(no heads\)"):
        load_model(model_copy, "numpy")


def test_window_setting_must_match_the_model(model_copy):
    with pytest.raises(LofidError, match="trained with a 30-note window but generation.window is 16"):
        load_model(model_copy, "litert", window=16)
    meta = json.loads(model_copy.with_name("m.json").read_text())
    meta["window"] = 16  # a description that disagrees with its .tflite
    model_copy.with_name("m.json").write_text(json.dumps(meta))
    with pytest.raises(LofidError, match="does not match the 16-note window"):
        load_model(model_copy, "litert")


def test_cli_reports_a_missing_model_in_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lofid.cli", "generate", "--notes", "4", "--output",
                          str(tmp_path / "x.mid"), "--set", f"model.path={tmp_path / 'absent'}"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.startswith("lofid:")]
    assert len(lines) == 1 and "absent.json: no such model file" in lines[0]
    assert "Traceback" not in out.stderr
