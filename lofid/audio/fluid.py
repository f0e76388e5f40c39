"""The one adapter to pyfluidsynth's private parts: its loaded library and a synth's C handle.

pyfluidsynth wraps only part of FluidSynth's C API; lofid also needs ``fluid_synth_process``
(rendering several stereo groups into its own buffers) and ``fluid_set_log_function`` (keeping
FluidSynth's messages off stderr). Both are reached through pyfluidsynth's private ``_fl``
(the ctypes library) and ``Synth.synth`` (the C pointer), here and nowhere else; the version
pin in pyproject.toml covers what was tested.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
from typing import Any

from lofid.errors import LofidError

FLUID_LOG_LEVELS = 5  # FLUID_PANIC .. FLUID_DBG


def load_library() -> Any:
    """pyfluidsynth's module, with libfluidsynth loaded; LofidError if the library is missing.

    pyfluidsynth prints where it found the library to stdout when $CI is set; that line must not
    end up in lofid's own output (a script reading `lofid eval --json`, say), so it is swallowed.
    """
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import fluidsynth
    except (ImportError, OSError) as e:
        raise LofidError(f"FluidSynth is not available ({e}); install libfluidsynth3 (scripts/sysdeps.sh)") from None
    return fluidsynth


def silence_logs() -> None:
    """Stop FluidSynth printing to stderr; lofid's own errors name the file in one line instead."""
    lib = load_library()._fl
    lib.fluid_set_log_function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    for level in range(FLUID_LOG_LEVELS):
        lib.fluid_set_log_function(level, None, None)


def process_function() -> Any:
    """``fluid_synth_process(synth, frames, n_fx, fx, n_out, out)`` with its C signature declared."""
    process = load_library()._fl.fluid_synth_process
    process.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    process.restype = ctypes.c_int
    return process


def handle(synth: Any) -> Any:
    """The C ``fluid_synth_t*`` of a pyfluidsynth ``Synth``."""
    return synth.synth
