"""Where each part sits on the keyboard as heard, whatever the track's key.

The music is written in model space (C major / A minor) and moved to the track's key on the way
out, by up to six semitones either way (``transposition``). A register is meant as heard: lo-fi
keys sit in the middle of the keyboard in every key, so their range in model space is the heard
range moved back by the track's transposition (``in_model``).
"""

from __future__ import annotations

from typing import NamedTuple

from lofid.music.keys import model_tonic
from lofid.music.tracks import Track


class Register(NamedTuple):
    low: int  # MIDI pitch: the lowest note
    high: int  # MIDI pitch: the highest
    centre: int  # MIDI pitch: where the part's chords centre


# Heard registers (MIDI pitches). The keys: voiced around F4, F3 to E5 (wide enough for every shape of
# lofid.compose.voicing in every key), so a strike's mean pitch lies between C4 and C5 (lo-fi keys;
# lower, thick chords make the mix boxy around 250-500 Hz), and the melody has an octave and more above them.
KEYS = Register(53, 76, 65)
PAD = Register(50, 72, 61)  # the pad: D3-C5, under the keys' top, a little lower than they centre
MELODY = Register(60, 91, 76)  # the melody: C4-G6, and always above the keys' top where harmony asks it
BASS = Register(28, 48, 38)  # the bass: E1-C3, round and low


def transposition(tonic: int, minor: bool) -> int:
    """Semitones from model space to a key (-5..+6): the nearer way from C major / A minor."""
    shift = (tonic - model_tonic(minor)) % 12
    return shift - 12 if shift > 6 else shift


def in_model(register: Register, track: Track) -> Register:
    """A heard register as model-space pitches for ``track``: moved back by its transposition."""
    shift = transposition(track.tonic, track.minor)
    return Register(register.low - shift, register.high - shift, register.centre - shift)
