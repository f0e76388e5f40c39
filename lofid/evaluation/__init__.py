"""What lofid eval measures: metrics (the music targets), copyindex (copy rate against a corpus),
pianoroll (the plot),
balance (a mix's tonal balance beside lo-fi records').
"""
