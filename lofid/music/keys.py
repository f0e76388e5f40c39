"""Keys: pitch names, the major scale, and the shifts between a key and lofid's model key.

The note model thinks in C major / A minor; songs are moved there to be learnt (``key_shift``)
and the music is moved from there to ``music.key`` to be played (``offset_from_c``). Keys named
nowhere are estimated from the notes (Krumhansl-Schmuckler).
"""

from __future__ import annotations

from collections.abc import Sequence

# Pitch class of every spelling a key or chord root may use (Harte labels, POP909's key names).
TONICS = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "E#": 5, "F": 5, "F#": 6, "Gb": 6,
          "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11, "Cb": 11, "B#": 0}
# The names ``music.key`` accepts: every tonic a key signature is commonly written in.
KEY_NAMES = ("C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#", "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B")
MINOR_KEY_NAMES = tuple(f"{name}m" for name in KEY_NAMES)  # "Cm": C minor
MAJOR_SCALE = frozenset({0, 2, 4, 5, 7, 9, 11})  # pitch classes of C major (= A minor): the model's key
RELATIVE_MINOR = 9  # semitones from a major tonic up to its relative minor's (C -> A)
_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# Krumhansl-Kessler key profiles, for music that does not say its key.
_MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)


def pitch_name(pc: int) -> str:
    """``10`` -> ``"Bb"``: the usual spelling of a pitch class."""
    return _NAMES[pc % 12]


def note_name(pitch: int) -> str:
    """A MIDI pitch as a note name with its octave: 60 -> ``"C4"``."""
    return f"{pitch_name(pitch)}{pitch // 12 - 1}"


def model_tonic(minor: bool) -> int:
    """A key's tonic in the model's key: C for major, its relative minor A for minor."""
    return RELATIVE_MINOR if minor else 0


def key_shift(tonic: int, minor: bool) -> int:
    """Semitones (-5..+6) that move a key to C major, or A minor for a minor key."""
    return (model_tonic(minor) - tonic + 5) % 12 - 5


def offset_from_c(key: str) -> int:
    """Semitones (-5..+6) from C to the tonic ``key`` names, so the music moves as little as possible."""
    pc = TONICS[key]
    return pc - 12 if pc > 6 else pc


def key_setting(name: str) -> tuple[int, bool]:
    """A ``music.key`` value (``"Eb"``, ``"C#m"``) -> (tonic pitch class, minor)."""
    minor = name.endswith("m")
    return TONICS[name[:-1] if minor else name], minor


def parse_key(name: str) -> tuple[int, bool] | None:
    """``"Gb:maj"`` -> (6, False); None if it is not a key name."""
    tonic, _, mode = name.strip().partition(":")
    if tonic not in TONICS or mode not in ("maj", "min", ""):
        return None
    return TONICS[tonic], mode == "min"


def scale_name(shift: int) -> str:
    """The key a normalising shift undoes, named as its major and relative minor."""
    return f"{pitch_name(-shift)} major / {pitch_name(9 - shift)} minor"


def estimate_shift(pitches: Sequence[int], weights: Sequence[float]) -> int:
    """Key-normalising shift of notes with no key annotation (Krumhansl-Schmuckler estimate)."""
    import numpy as np  # here, not at the top: the key names are read by `lofid ctl`, which must start fast

    hist = np.bincount(np.asarray(pitches) % 12, weights=np.asarray(weights, dtype=np.float64), minlength=12)
    if not hist.any():
        return 0
    best = max(((np.corrcoef(hist, np.roll(profile, tonic))[0, 1], tonic, minor)
                for tonic in range(12) for minor, profile in ((False, _MAJOR_PROFILE), (True, _MINOR_PROFILE))),
               key=lambda t: t[0])
    return key_shift(best[1], best[2])
