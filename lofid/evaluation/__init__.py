"""What lofid eval measures: metrics (the music targets), copyindex (copy rate against a corpus),
drums (the beat as played), pianoroll (the plot),
balance (a mix's tonal balance beside lo-fi records').
"""

# its modules (each is imported where it is used)
__all__ = [
    "balance", "copyindex", "drums", "keys", "metrics", "pianoroll", "texture", "tracks",
]
