"""What lofid eval measures: metrics (the music targets), copyindex (copy rate against a corpus),
pianoroll (the plot).
"""

# its modules (each is imported where it is used)
__all__ = ["copyindex", "metrics", "pianoroll", "texture", "tracks"]
