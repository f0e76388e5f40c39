"""The focus timer's cue: a soft two-note bell, made in numpy when it is needed (no file to ship).

Falling (A5 to E5) as a break begins, rising back as study resumes. Each note is three inharmonic
partials with their own exponential decay, as a small bell or a singing bowl has, so it reads as a
gentle signal over rain and music rather than an alarm.
"""

from __future__ import annotations

import numpy as np

NOTES_HZ = (880.0, 659.26)  # A5, E5: the break's order; study plays them the other way round
GAP_S = 0.35  # between the two strikes
LENGTH_S = 2.5  # of the whole cue
PEAK = 0.25  # linear peak at timers.cue_volume 1, before the chain's loudness stage
ATTACK_S = 0.004  # a soft strike, no click
PARTIALS = ((1.0, 1.0, 1.1), (2.76, 0.3, 0.45), (5.4, 0.1, 0.2))  # (ratio to the note, level, decay time in s)


def chime(sample_rate: int, rising: bool, volume: float) -> np.ndarray:
    """The cue as float32 stereo (frames, 2) at ``volume`` (0-1)."""
    t = np.arange(int(LENGTH_S * sample_rate)) / sample_rate
    out = np.zeros_like(t)
    notes = NOTES_HZ[::-1] if rising else NOTES_HZ
    for i, hz in enumerate(notes):
        local = t - i * GAP_S
        on = local >= 0
        tt = local[on]
        strike = np.minimum(1.0, tt / ATTACK_S)
        out[on] += strike * sum(level * np.exp(-tt / decay) * np.sin(2 * np.pi * hz * ratio * tt)
                                for ratio, level, decay in PARTIALS)
    peak = float(np.abs(out).max()) or 1.0
    mono = (out * (PEAK * volume / peak)).astype(np.float32)
    return np.repeat(mono[:, None], 2, axis=1)
