"""What lofid eval measures: metrics (the music targets), copyindex (copy rate against a corpus),
drums (the beat as played), pianoroll (the plot).
"""
