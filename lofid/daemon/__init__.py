"""The only package that wires compose, audio and control: player (the Daemon), timers (sleep
and focus, and what a break silences), saving (a played track as MIDI), streams (the stream
outputs), state, signals, sdnotify, service (unit and agent files), offline (render to WAV),
mpris (MPRIS2 and desktop notifications) on dbus_bus (the session D-Bus and its thread), covers
(each track's picture, painted on its own thread into the cache).
"""

# its modules (each is imported where it is used)
__all__ = [
    "covers", "dbus_bus", "mpris", "offline", "player", "saving", "sdnotify", "service", "signals", "state", "streams",
    "timers",
]
