"""The engine on real FluidSynth renders, fed hand-written notes (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from lofid.audio.grid import CONTROL_FRAMES
from lofid.audio.limiter import CEILING
from lofid.errors import LofidError
from lofid.music.notes import Note
from tests.support.engine import DRY, QUIET


def busy_notes(count: int = 400) -> list[Note]:
    """Loud, dense chords: enough to push any mix towards clipping."""
    rng = np.random.default_rng(3)
    notes = []
    for i in range(count):
        part = ("keys", "melody", "bass")[i % 3]
        notes.append(Note(int(rng.integers(40, 90)), int(rng.choice([0, 0, 1, 2])), int(rng.integers(1, 6)), 127, part))
    return notes


@pytest.mark.parametrize("rate", [44100, 22050])
def test_output_is_stereo_at_the_configured_rate_and_length_not_silent_never_clipped(make_engine, play, rate):
    engine, _ = make_engine(busy_notes(), {"output.sample_rate": rate, "layers.music.volume": 1.0,
                                           "layers.beat.volume": 1.0, "layers.rain.volume": 1.0, "fx.crackle": 1.0})
    out = play(engine, 8 * rate + 123)  # an odd length: blocks need not be whole
    assert out.shape == (8 * rate + 123, 2) and out.dtype == np.float32
    assert engine.sample_time == 8 * rate + 123
    assert np.sqrt(np.mean(out ** 2)) > 0.02  # clearly audible
    assert np.abs(out).max() <= CEILING  # below -1 dBFS, even with everything at full volume
    assert not np.allclose(out[:, 0], out[:, 1])  # really stereo, not one channel twice


SILENCE = 1e-5  # -100 dBFS; FluidSynth's reverb keeps a ~1e-8 anti-denormal offset, never zero


def first_sound(out: np.ndarray) -> int:
    return int(np.argmax(np.abs(out).max(axis=1) > SILENCE))


def test_note_onsets_land_on_their_exact_sample(make_engine, play):
    """The same note, scheduled at two grid positions, sounds from exactly the recorded samples.

    Nothing is heard before the recorded sample, and the two renders are the same sound shifted
    by exactly the difference of the recorded samples: not a sample early, late or smeared.
    """
    settings = {**QUIET, **DRY, "music.bpm": 97.0, "music.swing": 0.21, "fx.lowpass_hz": 20000.0}
    renders = []
    for step in (3, 6):  # an off-beat (swung) and an on-beat 16th
        engine, _ = make_engine([Note(64, step, 2, 100)], settings)
        out = play(engine, 3 * 44100, block=1000)  # blocks that cut across events
        (sample, note), = engine.played
        sixteenth = 44100 * 60 / 97.0 / 4
        on_grid = step * sixteenth + (0.21 * sixteenth if step % 2 else 0)
        heard = on_grid + engine.chain.latency  # the chain's delay lines (tape, limiter) make the output later
        assert abs(sample - heard) <= CONTROL_FRAMES / 2  # the grid position, to FluidSynth's control rate
        assert np.abs(out[:sample]).max() < SILENCE  # silence up to the very sample
        assert first_sound(out) - sample < 16  # and the instrument's attack starts right there
        renders.append((sample, out))
    (a, out_a), (b, out_b) = renders
    assert b != a
    attack = 2048  # later, FluidSynth's reverb (which runs on the absolute clock) colours the tails differently
    np.testing.assert_allclose(out_b[b:b + attack], out_a[a:a + attack], atol=1e-5)
    shifted = np.abs(out_b[b + 1:b + 1 + attack] - out_a[a:a + attack]).max()
    assert shifted > 100 * 1e-5  # one sample off would be far outside that tolerance


def test_notes_are_taken_just_in_time_holding_at_most_one(make_engine, play):
    """Notes not yet due stay in the queue, where the daemon can still regenerate them."""
    notes = [Note(60 + i, 4, 2, 90) for i in range(20)]  # one a beat
    engine, queue = make_engine(notes, QUIET)
    beat = 44100 * 60 / engine.bpm
    play(engine, int(2.5 * beat))
    assert len(engine.played) == 2  # beats 1 and 2 fell inside the rendered time
    assert len(queue) == 20 - 2 - 1  # the third is held, the rest were never touched
    play(engine, int(2 * beat))
    assert [n.note.pitch for n in engine.played] == [60, 61, 62, 63]


def test_the_held_note_is_handed_back_and_the_next_one_taken_plays_in_its_place(make_engine, play):
    """A regeneration takes back the note held ahead of its onset: what plays next is what the
    queue then holds, on the held note's own 16th (its step counts from the last note played)."""
    notes = [Note(60 + i, 4, 2, 90) for i in range(20)]  # one a beat
    engine, queue = make_engine(notes, QUIET)
    beat = 44100 * 60 / engine.bpm
    play(engine, int(2.5 * beat))
    with engine.taking_back() as held:
        assert held == 1
        queue.clear()
        queue.extend(Note(72 + i, 4, 2, 90) for i in range(20))  # written again, an octave up
    with engine.taking_back() as held:
        assert held == 0  # nothing is held twice
    play(engine, int(2 * beat))
    assert [n.note.pitch for n in engine.played] == [60, 61, 72, 73]  # 62, held, never sounded
    assert engine.notes_started == 4  # nor is it counted as played
    third, second = engine.played[2].sample, engine.played[1].sample
    assert abs(third - second - beat) <= CONTROL_FRAMES  # and the music kept its time


def test_the_melody_notes_started_are_counted_apart_from_the_other_parts(make_engine, play):
    """The status's melody count: what the note model wrote, where a new temperature is heard."""
    parts = ["melody", "keys", "bass", "melody", "keys", "melody"]
    engine, _ = make_engine([Note(60 + i, 4, 2, 90, part) for i, part in enumerate(parts)], QUIET)
    play(engine, int(6.5 * 44100 * 60 / engine.bpm))
    assert engine.notes_started == 6 and engine.melody_started == 3


def test_a_late_note_starts_on_the_next_sixteenth_instead_of_being_skipped(make_engine, play):
    engine, queue = make_engine([], QUIET)
    play(engine, 44100)  # a second with nothing to play
    queue.append(Note(67, 0, 2, 100))
    play(engine, 44100)
    (sample, _), = engine.played
    assert 44100 <= sample < 44100 + 44100 * 60 / engine.bpm / 4 + CONTROL_FRAMES


def test_tempo_change_respaces_the_notes(make_engine, play):
    notes = [Note(60, 4, 1, 90) for _ in range(40)]
    engine, _ = make_engine(notes, {**QUIET, "music.bpm": 60.0})
    play(engine, 4 * 44100)
    engine.update(engine.cfg.replace({"music.bpm": 120.0}))
    play(engine, 4 * 44100)
    onsets = np.array([p.sample for p in engine.played])
    gaps = np.diff(onsets)
    assert np.all(np.abs(gaps[:3] - 44100) <= CONTROL_FRAMES)  # a beat a second at 60 bpm
    assert np.all(np.abs(gaps[-5:] - 22050) <= CONTROL_FRAMES)  # two a second at 120


def test_pause_fades_to_silence_and_stops_the_note_clock(make_engine, play):
    notes = [Note(60 + i % 5, 2, 2, 100) for i in range(200)]
    engine, queue = make_engine(notes, QUIET)
    play(engine, 44100, block=512)
    engine.pause()
    fade = play(engine, 44100 // 5, block=512)  # the fade is 80 ms
    taken, clock = len(queue), engine.music_time
    silent = play(engine, 44100, block=512)
    assert np.abs(fade[:256]).max() > 0.01 and not silent.any()
    assert np.abs(np.diff(fade, axis=0)).max() < 0.1  # a fade, not a cut
    assert engine.music_time == clock and len(queue) == taken  # nothing skipped while paused
    engine.resume()
    back = play(engine, 44100, block=512)
    assert np.sqrt(np.mean(back ** 2)) > 0.005 and len(queue) < taken


def test_parts_play_their_own_programs(make_engine, play):
    # The keys and the melody share the room; their own low-passes and levels made alike, only the program differs.
    settings = {**QUIET, **DRY, "sound.program_keys": 4, "sound.program_melody": 33,
                "parts.keys.lowpass_hz": 20000.0, "parts.melody.lowpass_hz": 20000.0,
                "parts.keys.level_db": 0.0, "parts.melody.level_db": 0.0}
    renders = {}
    for part in ("keys", "melody"):
        engine, _ = make_engine([Note(48, 0, 4, 100, part)], settings)
        renders[part] = play(engine, 44100)
    assert not np.allclose(renders["keys"], renders["melody"], atol=1e-3)  # an electric piano is not a bass
    engine, _ = make_engine([Note(48, 0, 4, 100, "melody")], {**settings, "sound.program_melody": 4})
    np.testing.assert_allclose(play(engine, 44100), renders["keys"], atol=1e-6)  # same program, same sound


def test_program_change_applies_live(make_engine, play):
    engine, _ = make_engine([Note(55, 4, 2, 100) for _ in range(8)], {**QUIET, "sound.program_keys": 0})
    play(engine, 44100)
    engine.update(engine.cfg.replace({"sound.program_keys": 40}))
    assert engine.synth.programs["keys"] == 40


@pytest.mark.parametrize("content", [b"", b"RIFF\x00\x00\x00\x00sfbk-truncated", b"not a soundfont at all"])
def test_a_broken_soundfont_is_one_error_naming_the_file(make_engine, tmp_path, content):
    bad = tmp_path / "broken.sf2"
    bad.write_bytes(content)
    with pytest.raises(LofidError, match="broken.sf2") as err:
        make_engine([], {"sound.soundfont": str(bad)})
    assert "\n" not in str(err.value)


def test_a_missing_soundfont_is_one_error_naming_the_file(make_engine, tmp_path):
    with pytest.raises(LofidError, match="nowhere.sf2"):
        make_engine([], {"sound.soundfont": str(tmp_path / "nowhere.sf2")})


def test_settings_changed_from_another_thread_while_rendering_are_safe(make_engine, play):
    """The control thread steers while the render thread plays, as in the daemon."""
    import threading

    engine, _ = make_engine(busy_notes(2000), {"music.bpm": 80.0})
    stop = threading.Event()

    def steer():
        flips = 0
        while not stop.is_set():
            flips += 1
            engine.update(engine.cfg.replace({"music.bpm": 80.0 + flips % 40, "layers.rain.enabled": flips % 2 == 0,
                                              "fx.lowpass_hz": 2000.0 + 100 * (flips % 30)}))
            (engine.pause if flips % 7 == 0 else engine.resume)()

    steering = threading.Thread(target=steer)
    steering.start()
    try:
        out = play(engine, 4 * 44100, block=512)
    finally:
        stop.set()
        steering.join()
    assert np.isfinite(out).all() and np.abs(out).max() <= CEILING
    assert len(engine.played) > 0


def test_master_volume_scales_the_whole_output_like_a_fader(make_engine, play):
    outs = {}
    for percent in (100, 50, 0):
        engine, _ = make_engine(busy_notes(100), {"output.volume": percent})
        outs[percent] = play(engine, 2 * 44100)
    np.testing.assert_allclose(outs[50], outs[100] * 0.25, atol=1e-6)  # 50% is -12 dB
    assert not outs[0].any()


@pytest.mark.soak
def test_an_hour_of_music_keeps_to_the_grid_in_bounded_memory(make_engine, play):
    """No drift between the note clock and the grid, and nothing grows without bound."""
    import itertools

    beats = itertools.count()
    engine, queue = make_engine([], {"music.bpm": 83.0})
    engine.source = lambda: Note(60 + next(beats) % 12, 4, 2, 90)  # one note a beat, forever
    for _ in range(60):
        play(engine, 60 * 44100, block=8192)
        assert len(engine._events) < 64  # noqa: SLF001 (its bound shows only as memory: read it here)
    beat = 44100 * 60 / 83.0
    first, last = engine.played[0].sample, engine.played[-1].sample
    count = round((last - first) / beat)
    assert count > 4900 and abs(last - first - count * beat) <= CONTROL_FRAMES


def test_each_part_sounds_in_its_own_stem_and_only_the_keys_and_melody_in_the_room():
    """Each part's dry sound is in its own stem and nowhere else (the pad's is the keys'); the one
    reverb (the room around the keys, pad and melody) lands in the keys' stem, and the bass and the
    kit stay dry, so turning the beat off leaves no tail of it in the music (the kit's reverb once
    leaked in at about -32 dBFS). Below -120 dBFS is FluidSynth's own denormal guard, which it adds
    to every effects output."""
    from lofid import paths
    from lofid.audio.synth import DRUM_CHANNEL, PART_CHANNELS, STEMS, Synth

    font = paths.find_soundfont("auto").path
    parts = ((STEMS[PART_CHANNELS[part] % len(STEMS)], PART_CHANNELS[part], 60) for part in PART_CHANNELS)
    for stem, channel, pitch in (("drums", DRUM_CHANNEL, 38), *parts):
        synth = Synth(font, 44100, {"keys": 4, "bass": 33, "melody": 4, "pad": 89})
        planes = np.zeros((2 * len(STEMS), 44100), np.float32)
        try:
            synth.set_reverb(1.0)
            synth.note_on(channel, pitch, 110)  # a snare or a part's note, and its reverb tail
            synth.render(44100, planes)
        finally:
            synth.close()
        peaks = {name: np.abs(planes[2 * i:2 * i + 2]).max() for i, name in enumerate(STEMS)}
        assert peaks.pop(stem) > 0.01, stem
        room = peaks.pop("keys") if stem == "melody" else None
        assert max(peaks.values()) < 1e-6, (stem, peaks)
        assert room is None or room > 0.01  # the melody's reverb, in the keys' stem
