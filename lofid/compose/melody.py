"""Where the melody may sound inside a track, and the motifs it states again.

The LSTM writes every melody note; this module only says where: the melody enters two bars into
a track's intro and leaves two bars into its ending, breathes at the end of every two-bar phrase
(a rest of about a beat, longer in a sparse track), and when a loop comes round in an A or B
section it states again the motif it wrote over the start of that progression's first
pass (three bars of each four), from where the model carries on.
That is how a song keeps its theme while the rest of each pass stays new.
"""

from __future__ import annotations

from typing import NamedTuple

from lofid.compose.tracks import PlannedTrack
from lofid.music.notes import BAR
from lofid.music.tracks import Section

ENTRY_BARS = 2  # bars into the intro before the melody enters
EXIT_BARS = 2  # bars into the ending after which the melody is silent
PHRASE_BARS = 2  # a phrase, ending in a rest
REST_STEPS = 4  # 16ths of rest ending each phrase at density 1 (a beat); sparser tracks rest longer
MOTIF_SECTIONS = ("A", "B", "break")  # a break plays the loop without drums: the theme is heard there too
MOTIF_SHARE = 0.75  # of a pass that the motif fills: three bars of four
PASS_BARS = 4  # bars of a pass: a four-bar loop, or each half of an eight-bar one


class MotifPass(NamedTuple):
    """A pass of a section's progression, and the motif that goes over its start."""

    variant: str  # the section's progression: the loop ("A") or its variation ("B")
    start: int  # first 16th of the pass
    length: int  # 16ths of the motif


def window(planned: PlannedTrack) -> tuple[int, int]:
    """16ths [from, to) of the track where the melody may sound."""
    track = planned.track
    last = track.sections[-1]
    end = min(last.end, last.start + EXIT_BARS * BAR) if last.name == "ending" else last.end
    return track.start + ENTRY_BARS * BAR, end


def rest_steps(density: float) -> int:
    """16ths of rest at the end of a phrase for a track of this melody density."""
    return max(2, min(8, round(REST_STEPS / max(density, 0.1))))


def phrase_rest(planned: PlannedTrack, onset: int) -> tuple[int, int]:
    """(rest start, phrase end) of the phrase holding ``onset``, counted from its section's start."""
    section = planned.track.section_at(onset)
    length = PHRASE_BARS * BAR
    start = section.start + (onset - section.start) // length * length
    end = min(start + length, section.end)
    return end - rest_steps(planned.track.density), end


def place(planned: PlannedTrack, onset: int) -> int | None:
    """Where a note the model wants at ``onset`` sounds: moved past a phrase's rest or up to the
    melody's entry; None when the track has no room left for it (the next track's entry takes it)."""
    first, last = window(planned)
    onset = max(onset, first)
    rest, end = phrase_rest(planned, onset)
    if rest <= onset < end:
        onset = end
    return onset if onset < last else None


def motif_pass(planned: PlannedTrack, onset: int) -> MotifPass | None:
    """The pass holding ``onset``, in a section that states motifs. A pass is a loop of up to PASS_BARS
    bars: an eight-bar loop is two passes, and its motif comes back in the second half over the
    other chords (fitted to them), so a theme returns within a few phrases, as a song's does."""
    section: Section = planned.track.section_at(onset)
    if section.name not in MOTIF_SECTIONS:
        return None
    loop = max(c.start + c.length for c in planned.loops[section.variant])
    length = min(loop, PASS_BARS * BAR)
    start = section.start + (onset - section.start) // length * length
    return MotifPass(section.variant, start, round(length * MOTIF_SHARE) // BAR * BAR)
