"""TensorFlow's own log lines stay out of `lofid train`'s output unless -v; a failure still shows them."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from lofid.training import quiet
from tests.support.songs import write_folder

# TensorFlow's C++ log lines (glog style: I0000 00:00:... file.cc:12]) and its notices written without that prefix
NATIVE = re.compile(r"^[IWEF]\d{4} |cpu_feature_guard|oneDNN|XNNPACK|absl::InitializeLog", re.MULTILINE)
TIMEOUT = 300  # seconds for one tiny training run (importing TensorFlow alone takes about 5)


def test_native_stderr_drops_what_c_code_writes_unless_the_block_fails(capfd, monkeypatch):
    monkeypatch.setattr(quiet, "_shown", False)
    with quiet.native_stderr():
        os.write(2, b"I0000 noise from C++\n")
    with pytest.raises(RuntimeError), quiet.native_stderr():
        os.write(2, b"E0000 why the conversion failed\n")
        raise RuntimeError("conversion failed")
    assert capfd.readouterr().err == "E0000 why the conversion failed\n"

    monkeypatch.setattr(quiet, "_shown", True)  # -v: passed through as it comes
    with quiet.native_stderr():
        os.write(2, b"I0000 detail\n")
    assert capfd.readouterr().err == "I0000 detail\n"


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
@pytest.mark.slow(2)
def test_lofid_train_prints_only_its_own_lines_unless_verbose(tmp_path, verbose):
    data = write_folder(tmp_path / "songs", songs=4, bars=16)
    out = tmp_path / "models" / "tiny"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"} | {
        "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    argv = [sys.executable, "-m", "lofid.cli", "train", *(["-v"] if verbose else []), "--data", str(data),
            "--out", str(out), "--epochs", "1", "--units", "8", "--batch-size", "8", "--no-xla"]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    for ext in (".keras", ".tflite", ".json"):
        assert f"lofid: wrote {out}{ext}\n" in r.stderr
    if verbose:  # the converter's lines come on every machine (oneDNN's only where it is built in)
        assert re.search(r"^[IW]\d{4} .*reader\.cc", r.stderr, re.MULTILINE), r.stderr
    else:
        assert not NATIVE.search(r.stdout + r.stderr), r.stderr
        assert all(line.startswith("lofid: ") for line in r.stderr.splitlines()), r.stderr  # no warnings either
