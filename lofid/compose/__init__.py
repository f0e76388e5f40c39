"""The producer side: harmony (chords, voicing, bass), sampling, guardrails, generator (NoteGenerator),
score (a whole piece as played), queue (the bounded note queue and its Producer).
"""
