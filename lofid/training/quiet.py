"""TensorFlow's own log lines kept out of lofid's output; ``-v`` shows them all, as they come.

TensorFlow logs from C++ as it starts (oneDNN, CPU instructions) and while converting to .tflite
(reader, loader, MLIR lines), and LiteRT announces its XNNPACK delegate. Some of it obeys
TF_CPP_MIN_LOG_LEVEL, read once when TensorFlow loads; the rest goes straight to file descriptor 2,
so ``native_stderr`` captures that descriptor around the calls that write it. This module imports
TensorFlow only inside ``load_tensorflow``, so it can run before anything else loads it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator

QUIET_CPP_LEVEL = "2"  # TF_CPP_MIN_LOG_LEVEL: 0 shows all, 1 hides INFO, 2 also WARNING, 3 also ERROR

_shown = True  # TensorFlow's log lines pass through until load_tensorflow(verbose=False) says otherwise


def load_tensorflow(verbose: bool) -> None:
    """Import TensorFlow, quietly unless ``verbose``; later ``native_stderr`` blocks follow the same choice.

    Call it before anything imports TensorFlow or Keras: the log level is read once, at load.
    An explicit TF_CPP_MIN_LOG_LEVEL in the environment is kept.
    """
    global _shown
    _shown = verbose
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_CPP_LEVEL)
        logging.getLogger("tensorflow").setLevel(logging.WARNING)  # e.g. "Assets written to" while exporting
    with native_stderr():
        import tensorflow  # noqa: F401  (its start-up notices are written here)


@contextlib.contextmanager
def native_stderr() -> Iterator[None]:
    """File descriptor 2 captured for the block, where C++ code writes whatever the log level says.

    When quiet the capture is dropped, unless the block raises: then it is written out first, so a
    failure never loses its explanation. When verbose (or before ``load_tensorflow``) it passes through.
    Python's writes to stderr in the block are captured with it: keep the blocks to the native calls.
    """
    if _shown:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        failed = False
        try:
            yield
        except Exception:
            failed = True
            raise
        finally:
            sys.stderr.flush()  # what Python wrote in the block belongs to the capture
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                captured.seek(0)
                sys.stderr.write(captured.read().decode(errors="replace"))
                sys.stderr.flush()
