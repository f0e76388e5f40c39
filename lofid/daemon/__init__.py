"""The only package that wires compose, audio and control: player (the Daemon), timers (sleep
and focus, and what a break silences), saving (a played track as MIDI), takes (a track's notes and
settings, played again by a fresh engine), album (takes as tagged files: ctl save, lofid export),
likes (the liked tracks' file), keeper (the daemon's thread that renders and writes them) and kept
(what save and like hand it), streams (the stream outputs), state, signals, sdnotify, service (unit
and agent files), offline (render to WAV), mpris (MPRIS2 and desktop notifications) on dbus_bus
(the session D-Bus and its thread), covers (each track's picture, painted on its own thread into
the cache).
"""

# its modules (each is imported where it is used)
__all__ = [
    "album", "covers", "dbus_bus", "keeper", "kept", "likes", "mpris", "offline", "player", "saving", "sdnotify",
    "service", "signals", "state", "streams", "takes", "timers",
]
