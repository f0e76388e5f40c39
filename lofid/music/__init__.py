"""Music as symbols (no threads, no settings): notes (Note and the 16th grid), keys, chords, tracks
(Track, Section, Cue), midi (files in and out), annotations (POP909's beat/chord/key files),
primer, drums (the beat's grooves and fills, and the drummer who plays a track's).
"""

# its modules (each is imported where it is used)
__all__ = ["annotations", "beats", "chords", "drums", "keys", "midi", "mood", "notes", "primer", "tracks"]
