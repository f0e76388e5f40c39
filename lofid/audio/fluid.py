"""The one adapter to pyfluidsynth's private parts: its loaded library and a synth's C handle.

pyfluidsynth wraps only part of FluidSynth's C API; lofid also needs ``fluid_synth_process``
(rendering several stereo groups into its own buffers), ``fluid_set_log_function`` (keeping
FluidSynth's messages off stderr) and the custom per-voice filter (``fluid_synth_set_custom_filter``
with the ``GEN_CUSTOM_FILTER*`` generators set per channel: each part's own low-pass). All are
reached through pyfluidsynth's private ``_fl`` (the ctypes library) and ``Synth.synth`` (the C
pointer), here and nowhere else; the version pin in pyproject.toml covers what was tested.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import math
from collections.abc import Callable
from typing import Any

from lofid.errors import LofidError

FLUID_LOG_LEVELS = 5  # FLUID_PANIC .. FLUID_DBG
FLUID_IIR_LOWPASS = 1  # fluid_iir_filter_type
FLUID_IIR_NO_GAIN_AMP = 4  # fluid_iir_filter_flags: no SoundFont gain cut for the Q (unity below the cutoff)
GEN_REVERBSEND = 16  # fluid_gen_type: a voice's reverb send, in tenths of a percent
GEN_CUSTOM_FILTERFC = 61  # fluid_gen_type: the custom filter's cutoff, in absolute cents...
GEN_CUSTOM_FILTERQ = 62  # ...and its Q, in centibels over a Butterworth's (the SoundFont's initialFilterQ)
MIDI_ZERO_HZ = 8.176  # the frequency of MIDI note 0, which SoundFont cents count from


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


def generator_setter(synth: Any) -> Callable[[int, int, float], None]:
    """``set(channel, generator, value)``: ``fluid_synth_set_gen``, a SoundFont generator's offset on a
    channel (NRPN-like: added to each preset's own value), live for the voices sounding too."""
    lib = load_library()._fl
    lib.fluid_synth_set_gen.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_float]
    c_synth = handle(synth)
    return lambda channel, generator, value: lib.fluid_synth_set_gen(c_synth, channel, generator, value)


def custom_lowpass(synth: Any) -> Callable[[int, float, float], None]:
    """Turn on FluidSynth's custom per-voice low-pass; returns ``set(channel, cutoff_hz, q)``, live.

    ``q`` is the biquad's plain Q (0.7071: Butterworth, flat to the cutoff; less cannot be had). It is
    handed over in the SoundFont's convention, centibels of resonance over a Butterworth's, which
    every FluidSynth from 2.1 reads alike. Not FLUID_IIR_Q_LINEAR: before 2.4.1 FluidSynth adds 1 to
    a linear Q (0.7071 became 1.7071, a 5 dB hump under the cutoff), from 2.4.1 it does not. And
    FLUID_IIR_NO_GAIN_AMP, so the passband is at unity whatever the Q, not cut by half its peak.
    """
    lib = load_library()._fl
    lib.fluid_synth_set_custom_filter.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    if lib.fluid_synth_set_custom_filter(handle(synth), FLUID_IIR_LOWPASS, FLUID_IIR_NO_GAIN_AMP) != 0:
        raise LofidError("this FluidSynth has no custom filter (FluidSynth 2.1 or newer is needed)")
    set_gen = generator_setter(synth)

    def set_lowpass(channel: int, cutoff_hz: float, q: float) -> None:
        set_gen(channel, GEN_CUSTOM_FILTERFC, 1200 * math.log2(cutoff_hz / MIDI_ZERO_HZ))  # cents above MIDI note 0
        set_gen(channel, GEN_CUSTOM_FILTERQ, max(0.0, 200 * math.log10(q * math.sqrt(2))))  # cB over 1/sqrt(2)

    return set_lowpass


def handle(synth: Any) -> Any:
    """The C ``fluid_synth_t*`` of a pyfluidsynth ``Synth``."""
    return synth.synth
