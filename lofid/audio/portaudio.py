"""The one adapter to sounddevice's private parts: restarting PortAudio to see devices afresh,
and an output stream whose callback is C.

PortAudio lists devices once, when it starts; a sound server restarted under a playing lofid
(or a headset plugged in) is only seen after PortAudio is terminated and initialised again.
sounddevice does that only through its private ``_terminate``/``_initialize``. Its streams call a
Python callback, which must take the GIL every block; sounddevice's ``_StreamBase`` (documented
for libraries that bring their own C callback, as python-rtmixer does) takes a C function pointer
and user data instead, as pointers made by sounddevice's own cffi module (``_ffi``). All are used
here and nowhere else; the version pin in pyproject.toml covers what was tested.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lofid.audio.compiled import dsp


def rescan_devices() -> None:
    """Make PortAudio list devices afresh. Only call it with no stream open."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


def open_output(sample_rate: int, device: int | str | None, block_size: int, ring_state: np.ndarray) -> tuple[Any, str]:
    """A stopped stereo float32 output stream pulling ``block_size`` frames at a time from the ring
    whose state is ``ring_state`` (lofid.audio.sinks.RingBuffer), through the C callback; and the
    device's name. Raises what PortAudio raises for a missing device. The caller keeps the ring
    alive until the stream is closed."""
    import sounddevice as sd

    pointer = sd._ffi.cast  # sounddevice's compiled cffi module: a fresh cffi.FFI() would import its C parser (30-50 ms)
    stream = sd._StreamBase(kind="output", samplerate=sample_rate, blocksize=block_size, device=device, channels=2,
                            dtype="float32", callback=pointer("void *", dsp.card_callback()),
                            userdata=pointer("void *", ring_state.ctypes.data))
    return stream, sd.query_devices(stream.device)["name"]
