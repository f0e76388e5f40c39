"""Offline, the only place TensorFlow is imported at module level: dataset, network, export (.tflite),
loops and comping (the accompaniment's tables, learnt together by accompaniment), grooves (the
beat's vocabulary, from the Groove MIDI Dataset), trainer (one run),
quiet (loads TensorFlow with its own log lines hidden unless -v).
"""

# its modules (each is imported where it is used)
__all__ = [
    "accompaniment", "comping", "dataset", "export", "grooves", "loops", "network", "progressions", "quiet",
    "trainer",
]
