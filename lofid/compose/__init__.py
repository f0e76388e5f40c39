"""The producer side: tracks (the radio's plan) with titles, loops and comping, harmony (chords,
voicing, bass, cues), melody (where it sounds, motifs), sampling, guardrails, generator
(NoteGenerator), score (a whole piece as played), queue (the bounded note queue and its Producer).
"""
