"""The drummer: a learnt groove played bar by bar, varied, with fills before breaks, the kicks where the
bass answers them; and the hits written into MIDI at their own offsets, which scale with the tempo."""

from __future__ import annotations

import io

import mido
import pretty_midi
import pytest

from lofid.music.drums import CYMBALS, KICKS, Drummer, PlacedHit, load_vocabulary
from lofid.music.midi import FILL_MARK, GROOVE_MARK, score_file
from lofid.music.notes import BAR, Note
from lofid.music.tracks import Cue, Palette, Section, Track
from lofid.paths import GROOVES

VOCABULARY = load_vocabulary(GROOVES)


def a_track(groove: str, bpm: float = 80.0) -> Track:
    sections = (Section("A", 0, 8, "full"), Section("break", 8 * BAR, 2, "off"), Section("B", 10 * BAR, 4, "full"),
                Section("ending", 14 * BAR, 4, "off"))
    return Track(1, "test", 0, False, bpm, 0.0, Palette("test", {"keys": 4, "bass": 33, "melody": 4}, 0), groove, 1.0,
                 0, sections)


def played(drummer: Drummer, bar: int, beat: str = "full") -> list[tuple[int, int, int, float]]:
    return [(h.step, h.pitch, h.velocity, h.offset)
            for i in range(bar * BAR, (bar + 1) * BAR) for h in drummer.hits_at(i, beat)[0]]


def test_the_shipped_vocabulary_is_grooves_and_fills_as_drummers_played_them():
    assert len(VOCABULARY.grooves) >= 100 and len(VOCABULARY.fills) >= 100
    for groove in VOCABULARY.grooves:
        assert 60 <= groove.bpm <= 100 and 2 <= len(groove.bars) <= 8
        for bar in groove.bars:
            assert tuple(sorted(h.step for h in bar if h.pitch in KICKS)) == groove.kicks  # the bass can answer them
            assert all(0 <= h.step < BAR and 1 <= h.velocity <= 127 and -0.5 <= h.offset <= 0.5 for h in bar)
    hits = [h for g in VOCABULARY.grooves for bar in g.bars for h in bar]
    assert sum(h.velocity < 50 for h in hits) / len(hits) > 0.3  # ghost notes and soft hats
    assert sum(h.offset != 0 for h in hits) / len(hits) > 0.9  # played, not quantised


def test_a_tracks_drummer_varies_the_bars_keeps_the_kicks_and_fills_before_the_break_and_the_ending():
    groove = max(VOCABULARY.grooves, key=lambda g: sum(h.velocity < 50 for bar in g.bars for h in bar))
    track = a_track(groove.name)
    drummer = Drummer.for_track(track, VOCABULARY, 0)
    bars = [played(drummer, b, track.section_at(b * BAR).beat) for b in range(14)]
    fills = {tuple((h.step, h.pitch, h.velocity, h.offset) for h in f.hits) for f in VOCABULARY.fills}
    assert tuple(bars[7]) in fills and tuple(bars[13]) in fills  # the bar before the break, and before the ending
    assert drummer.hits_at(7 * BAR, "full")[1] and not drummer.hits_at(6 * BAR, "full")[1]
    assert bars[8] == bars[9] == []  # the break: no drums
    grooving = [bars[b] for b in range(14) if b not in (7, 8, 9, 13)]
    assert all({s for s, p, _, _ in bar if p in KICKS} == set(groove.kicks) for bar in grooving)
    assert len({tuple(bar) for bar in grooving}) >= 6  # no two bars alike: a drummer, not a loop
    as_learnt = [tuple((h.step, h.pitch, h.velocity, h.offset) for h in groove.bars[b % len(groove.bars)])
                 for b in range(14) if b not in (7, 8, 9, 13)]
    assert sum(tuple(bar) != learnt for bar, learnt in zip(grooving, as_learnt)) >= 3  # ghosts moved or dropped
    again = Drummer.for_track(a_track(groove.name), VOCABULARY, 0)
    # the engine and the MIDI writer play the same
    assert [played(again, b, track.section_at(b * BAR).beat) for b in range(14)] == bars
    light = played(drummer, 0, "light")
    assert light and all(p in CYMBALS for _, p, _, _ in light)
    assert sum(v for *_, v, _ in light) < sum(v for _, p, v, _ in bars[0] if p in CYMBALS)


def test_open_hats_end_phrases_now_and_then():
    opened = 0
    for groove in VOCABULARY.grooves[:40]:
        drummer = Drummer(groove, VOCABULARY.fills, 7, 0)
        for bar in (3, 7, 11, 15):
            learnt = groove.bars[bar % len(groove.bars)]
            opened += any(p == 46 for _, p, _, _ in played(drummer, bar)) and not any(h.pitch == 46 for h in learnt)
    assert opened >= 10


@pytest.mark.parametrize("bpm", [60.0, 120.0])
def test_midi_writes_each_hit_at_its_offset_which_scales_with_the_tempo(bpm):
    track = a_track(VOCABULARY.grooves[0].name, bpm)
    events = [Cue(0, track.sections[0], track, True), Note(60, 0, 4, 80)]
    drums = [PlacedHit(4, 38, 40, 0.25, False), PlacedHit(8, 36, 100, -0.2, False), PlacedHit(7 * BAR + 2, 45, 90, 0.0, True)]
    buffer = io.BytesIO()
    score_file(events, bpm, drums=drums).save(file=buffer)
    buffer.seek(0)
    midi = pretty_midi.PrettyMIDI(buffer)
    kit = next(inst for inst in midi.instruments if inst.is_drum)
    sixteenth = 60 / bpm / 4
    starts = {n.pitch: n.start for n in kit.notes}
    assert starts[38] == pytest.approx(4.25 * sixteenth, abs=0.002)  # a quarter of a 16th late: 62 ms at 60 bpm, 31 at 120
    assert starts[36] == pytest.approx(7.8 * sixteenth, abs=0.002)
    assert next(n.velocity for n in kit.notes if n.pitch == 38) == 40
    buffer.seek(0)
    marks = [(m.text, t) for m, t in _timed(mido.MidiFile(file=buffer).tracks[0]) if m.type == "marker"]
    assert (f"{GROOVE_MARK}{track.groove}", 0) in marks
    assert (FILL_MARK, 7 * 4 * 480) in marks  # at the start of the fill's bar


def _timed(track):
    tick = 0
    for message in track:
        tick += message.time
        yield message, tick
