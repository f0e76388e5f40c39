"""The Note type and the time grid every part of lofid shares.

A Note is one event of the stream the model writes and the engine plays. Time is counted on a
16th-note grid: ``step`` is how many 16ths after the previous note's onset this note starts
(0 = together with it, so a chord is a run of notes with step 0), ``duration`` how many 16ths
it sounds. Seconds only appear when the engine applies the current bpm.
"""

from __future__ import annotations

from dataclasses import dataclass

STEPS_PER_BEAT = 4  # the 16th-note grid


@dataclass(frozen=True, slots=True)
class Note:
    pitch: int  # MIDI note number 0-127
    step: int  # 16ths after the previous note's onset; 0 = together with it
    duration: int  # 16ths it sounds, >= 1
    velocity: int  # MIDI velocity 1-127
    part: str = "keys"  # the instrument that plays it: keys, bass or melody
