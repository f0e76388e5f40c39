"""The one adapter to sounddevice's private parts: restarting PortAudio to see devices afresh.

PortAudio lists devices once, when it starts; a sound server restarted under a playing lofid
(or a headset plugged in) is only seen after PortAudio is terminated and initialised again.
sounddevice does that only through its private ``_terminate``/``_initialize``, called here and
nowhere else; the version pin in pyproject.toml covers what was tested.
"""

from __future__ import annotations


def rescan_devices() -> None:
    """Make PortAudio list devices afresh. Only call it with no stream open."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()
