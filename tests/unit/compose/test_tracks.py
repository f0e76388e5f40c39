"""The radio's plan: tracks that differ, forms that tile, titles that do not repeat, a melody that breathes
and returns to its theme, and ctl next / hold changing the course at the next bar."""

from __future__ import annotations

import numpy as np

from lofid.compose.generator import NoteGenerator
from lofid.compose.titles import MEMORY, TitleMaker
from lofid.compose.tracks import GROOVE_BPM, LOFI_BPM, TrackPlanner, form
from lofid.config import defaults
from lofid.evaluation.texture import theme_return
from lofid.music.drums import load_vocabulary
from lofid.music.notes import BAR, Note
from lofid.music.tracks import PALETTES, Cue
from lofid.paths import GROOVES

VOCABULARY = load_vocabulary(GROOVES)


def planned(n: int, **settings) -> list:
    planner = TrackPlanner(defaults().replace(settings), None, VOCABULARY.grooves, np.random.default_rng(4))
    tracks, start = [], 0
    for number in range(1, n + 1):
        tracks.append(planner.plan(number, start).track)
        start = tracks[-1].end
    return tracks


def test_every_track_draws_its_own_key_tempo_swing_palette_groove_and_length():
    tracks = planned(24)
    assert len({(t.tonic, t.minor) for t in tracks}) >= 10 and {t.minor for t in tracks} == {True, False}
    assert all(LOFI_BPM[0] <= t.bpm <= LOFI_BPM[1] for t in tracks)
    assert all(abs(a.bpm - b.bpm) >= 3 and (a.tonic, a.minor) != (b.tonic, b.minor) for a, b in zip(tracks, tracks[1:]))
    assert all(a.palette.name != b.palette.name and a.groove != b.groove for a, b in zip(tracks, tracks[1:]))
    assert len({t.palette.name for t in tracks}) == len(PALETTES) and len({t.swing for t in tracks}) > 5
    assert all(110 <= t.seconds <= 250 for t in tracks)  # 2-4 minutes, to whole bars
    assert len({t.title for t in tracks}) == 24
    grooves = [VOCABULARY.groove(t.groove) for t in tracks]
    assert len({g.name for g in grooves}) >= 16  # none again within a few tracks
    assert all(abs(g.bpm - t.bpm) <= GROOVE_BPM for g, t in zip(grooves, tracks))  # played near the track's tempo
    assert all(t.swing == g.swing for g, t in zip(grooves, tracks))  # the groove's own feel is the swing
    assert all(b.start % BAR == 0 and b.start == a.end for a, b in zip(tracks, tracks[1:]))  # on bar lines
    assert tracks[0].transition == 0 and all(0 < t.transition <= 2 for t in tracks[1:])


def test_pinned_settings_hold_for_every_track():
    tracks = planned(8, **{"music.key": "Ebm", "music.bpm": 70, "music.swing": 0.1, "music.track_minutes": "3",
                          "sound.program_keys": 11})
    assert {(t.tonic, t.minor, t.bpm, t.swing) for t in tracks} == {(3, True, 70.0, 0.1)}
    assert {t.palette.programs["keys"] for t in tracks} == {11}
    assert all(abs(t.seconds - 180) <= 4 * 60 / 70 for t in tracks)


def test_a_pinned_palette_plays_every_track_and_auto_draws_again():
    last = PALETTES[-1]
    tracks = planned(6, **{"sound.palette": last.name})
    assert {(t.palette.name, t.palette.kit) for t in tracks} == {(last.name, last.kit)}
    assert {t.palette.programs["bass"] for t in tracks} == {last.programs["bass"]}
    assert len({t.palette.name for t in planned(6, **{"sound.palette": "auto"})}) > 1


def test_a_form_is_intro_loops_one_break_and_an_ending_tiling_the_track():
    for seed in range(10):
        sections = form(64, 60, 4, np.random.default_rng(seed))
        assert sections[0].name == "intro" and sections[0].beat == "light"
        assert sections[-1].name == "ending" and sections[-1].beat == "off"
        breaks = [s for s in sections if s.name == "break"]
        assert len(breaks) == 1 and 2 <= breaks[0].bars <= 4 and breaks[0].beat == "off"
        assert {s.name for s in sections} == {"intro", "A", "B", "break", "ending"}
        assert sections[0].start == 64 and all(a.end == b.start for a, b in zip(sections, sections[1:]))
        assert sum(s.bars for s in sections) == 60
        assert all(s.beat == "full" for s in sections if s.name in ("A", "B"))


def test_titles_do_not_repeat_within_a_day():
    maker = TitleMaker(np.random.default_rng(0))
    titles = [maker.next() for _ in range(MEMORY)]
    assert len(set(titles)) == MEMORY and all(0 < len(t) <= 40 for t in titles)


def timeline(events) -> list[tuple[int, object]]:
    at, out = 0, []
    for e in events:
        at += e.step
        out.append((at, e))
    return out


def test_the_stream_carries_a_cue_at_every_track_and_section_and_the_melody_breathes():
    generator = NoteGenerator(defaults().replace({"music.track_minutes": "1"}), seed=3)
    events = timeline(generator.events(2500))
    cues = [(at, e) for at, e in events if isinstance(e, Cue)]
    news = [(at, e.track) for at, e in cues if e.new]
    assert len(news) >= 2 and all(at == t.start for at, t in news)
    for at, cue in cues:
        assert at == cue.section.start
    first = news[0][1]
    melody = [at for at, e in events if isinstance(e, Note) and e.part == "melody" and at < first.end]
    assert min(melody) >= first.start + 2 * BAR  # the keys open the intro alone
    ending = first.sections[-1]
    assert all(at < ending.start + 2 * BAR for at in melody)  # and close the ending alone
    notes = [(at, e) for at, e in events if isinstance(e, Note) and e.part == "melody" and at < first.end]
    rests = sum(at + e.duration < following for (at, e), (following, _) in zip(notes, notes[1:]))
    assert rests >= len(notes) // 16  # phrases (two bars, about eight notes) end in rests


def test_the_melody_states_its_theme_again_when_the_loop_comes_round():
    events = NoteGenerator(defaults(), seed=5).events(6000)
    melody = [e.pitch for e in events if isinstance(e, Note) and e.part == "melody"]
    assert theme_return(melody) > 0.25  # POP909's melodies: 0.43; the model alone: 0.06


def test_next_starts_a_new_track_at_the_next_bar_and_hold_keeps_one_going():
    generator = NoteGenerator(defaults(), seed=2)
    played = timeline(generator.events(300))
    now = played[-1][0]
    generator.redirect("next")
    after = timeline(generator.events(400))
    news = [(now + at, e.track) for at, e in after if isinstance(e, Cue) and e.new]
    bar_line = (now // BAR + 1) * BAR
    assert news and news[0][0] == bar_line and news[0][1].number == 2

    held = NoteGenerator(defaults().replace({"music.track_minutes": "1"}), seed=2)
    held.events(50)
    held.redirect("hold")
    events = timeline(held.events(4000))
    assert not any(isinstance(e, Cue) and e.new and e.track.number > 1 for _, e in events)  # still track 1
    held.redirect("release")
    later = timeline(held.events(3000))
    assert any(isinstance(e, Cue) and e.new and e.track.number == 2 for _, e in later)  # it ended, then the next


def test_a_mood_shapes_every_track_it_draws_and_pinned_settings_win():
    slow, upbeat = planned(12, **{"music.mood": "slow"}), planned(12, **{"music.mood": "upbeat"})
    assert all(58 <= t.bpm <= 68 for t in slow) and all(88 <= t.bpm <= 100 for t in upbeat)
    sad, happy = planned(24, **{"music.mood": "sad"}), planned(24, **{"music.mood": "happy"})
    assert sum(t.minor for t in sad) > sum(t.minor for t in happy)
    sparse, busy = planned(12, **{"music.mood": "sparse"}), planned(12, **{"music.mood": "busy"})
    assert max(t.density for t in sparse) < min(t.density for t in busy)
    quiet = planned(6, **{"music.mood": "no drums"})
    assert {s.beat for t in quiet for s in t.sections} == {"off"}
    light = planned(6, **{"music.mood": "library"})
    assert {s.beat for t in light for s in t.sections} == {"light", "off"}
    guitar = planned(6, **{"music.mood": "guitar"})
    assert all(set(range(24, 32)) & set(t.palette.programs.values()) for t in guitar)
    assert {(t.tonic, t.minor) for t in planned(4, **{"music.mood": "in D minor, upbeat"})} == {(2, True)}
    pinned = planned(4, **{"music.mood": "slow, in D minor", "music.key": "Eb", "music.bpm": 90})
    assert {(t.tonic, t.minor, t.bpm) for t in pinned} == {(3, False, 90.0)}


def test_a_moods_groove_words_pick_the_drummers_grooves_of_that_style():
    planner = TrackPlanner(defaults().replace({"music.mood": "jazz"}), None, VOCABULARY.grooves, np.random.default_rng(2))
    styles = {VOCABULARY.groove(planner.plan(n, 0).track.groove).style for n in range(1, 9)}
    assert styles and all("jazz" in s for s in styles), styles
    planner.update(defaults().replace({"music.mood": "no jazz"}))
    assert not any("jazz" in VOCABULARY.groove(planner.plan(n, 0).track.groove).style for n in range(9, 20))
