"""The producer side: tracks (the radio's plan) with titles, loops and comping, harmony (chords,
voicing, bass, cues), melody (where it sounds, motifs), sampling, guardrails, generator
(NoteGenerator), score (a whole piece as played), queue (the bounded note queue and its Producer),
cover (a track's picture, painted from its facts).
"""

# its modules (each is imported where it is used)
__all__ = [
    "bassline", "comping", "cover", "generator", "guardrails", "harmony", "loops", "melody", "pad", "queue", "register",
    "sampling", "score", "titles", "tracks", "voicing",
]
