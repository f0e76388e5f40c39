"""lofid: an endless lo-fi study-music daemon.

The packages follow the music's one-way flow: music (symbols) -> model -> compose (producer) ->
audio (consumer) -> sinks, with control as a side door, daemon wiring them, training and
evaluation offline, and cli on top; errors, config and paths are shared by all.
"""

__version__ = "0.1.0"

# the version, then the shared modules and the packages, by name
__all__ = [
    "__version__", "addresses", "audio", "cli", "compose", "config", "control", "daemon", "errors", "evaluation",
    "model", "mood_levels", "music", "paths", "setting", "training",
]
