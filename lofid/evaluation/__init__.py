"""What lofid eval measures: metrics (the music targets), copyindex (copy rate against a corpus),
pianoroll (the plot).
"""
