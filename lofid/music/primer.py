"""The built-in opening: four bars of chords with a lazy line over them, in C major.

Every fresh melody phrase is primed with it: the note model's first context.
"""

from __future__ import annotations

# Per bar: the chord (Harte label) and the melody's (16th in the bar, MIDI pitch, 16ths held).
PRIMER_BARS = (("D:min9", ((4, 69, 2), (6, 72, 4), (12, 74, 3))), ("G:9", ((2, 71, 2), (4, 67, 6), (14, 65, 2))),
               ("C:maj9", ((0, 64, 6), (8, 67, 2), (10, 71, 5))), ("A:min9", ((3, 72, 3), (6, 69, 4), (12, 67, 4))))
PRIMER_VELOCITY = 72  # MIDI velocity of the primer's melody notes
