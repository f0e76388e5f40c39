"""The beat grid: a song's seconds <-> 16th positions, following its annotated beat times.

Apart from ``lofid.music.notes`` because it needs numpy and only the corpus side (MIDI files,
POP909's beat annotations) uses it; the Note and its grid constants stay cheap to import.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lofid.music.notes import STEPS_PER_BEAT


class BeatGrid:
    """Seconds <-> 16th positions, following a list of beat times (so rubato songs stay on the grid).

    Between beats time is interpolated; before the first and after the last beat the nearest
    beat interval is extended, so every note gets a position.
    """

    def __init__(self, beat_times: ArrayLike) -> None:
        beats = np.unique(np.asarray(beat_times, dtype=np.float64))
        if len(beats) < 2:
            raise ValueError("a beat grid needs at least two beats")
        self.beats = beats

    def position(self, seconds: ArrayLike) -> np.ndarray:
        """16th index (rounded) of each time."""
        t = np.asarray(seconds, dtype=np.float64)
        b = self.beats
        idx = np.interp(t, b, np.arange(len(b), dtype=np.float64))
        first, last = b[1] - b[0], b[-1] - b[-2]
        idx = np.where(t < b[0], (t - b[0]) / first, idx)
        idx = np.where(t > b[-1], len(b) - 1 + (t - b[-1]) / last, idx)
        return np.rint(idx * STEPS_PER_BEAT).astype(np.int64)
