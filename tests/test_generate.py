"""`lofid generate` and the NoteGenerator the daemon runs: valid, reproducible, steerable music."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pretty_midi

from lofid.config import defaults
from lofid.generate import PRIMER, NoteGenerator, key_offset
from lofid.notes import Note
from lofid.sampling import Sampler, sample_class
from songs import write_song

GREEDY = {"generation.top_p": 0.05}  # keeps only the likeliest class: the output no longer depends on chance


def generate(tmp_path, name: str, *extra: str) -> bytes:
    path = tmp_path / name
    out = subprocess.run([sys.executable, "-m", "lofid.cli", "generate", "--output", str(path), *extra],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return path.read_bytes()


def test_generate_500_notes_is_valid_midi_and_the_same_seed_gives_the_same_file(tmp_path):
    first = generate(tmp_path, "a.mid", "--notes", "500", "--seed", "7")
    assert generate(tmp_path, "b.mid", "--notes", "500", "--seed", "7") == first
    assert generate(tmp_path, "c.mid", "--notes", "500", "--seed", "8") != first
    midi = pretty_midi.PrettyMIDI(str(tmp_path / "a.mid"))
    notes = [n for inst in midi.instruments for n in inst.notes]
    assert len(notes) == 500
    assert all(0 <= n.pitch <= 127 and n.end > n.start and 1 <= n.velocity <= 127 for n in notes)
    assert len({n.pitch for n in notes}) > 5  # music, not one repeated note


def test_generate_from_a_primer_file_and_a_temperature(tmp_path):
    primer = write_song(tmp_path / "primer.mid", tonic=2, bars=4)
    generate(tmp_path, "p.mid", "--notes", "40", "--seed", "3", "--primer", str(primer), "--temperature", "0.5")
    assert len(pretty_midi.PrettyMIDI(str(tmp_path / "p.mid")).instruments[0].notes) == 40


def test_bad_generate_options_are_one_line_errors(tmp_path):
    for extra, expected in ((["--temperature", "9"], "generation.temperature = 9.0 is not allowed"),
                            (["--notes", "0"], "--notes must be at least 1"),
                            (["--primer", str(tmp_path / "none.mid")], "none.mid: no such MIDI file")):
        out = subprocess.run([sys.executable, "-m", "lofid.cli", "generate", "--output", str(tmp_path / "x.mid"),
                              *extra], capture_output=True, text=True, timeout=120)
        assert out.returncode == 2 and expected in out.stderr and "Traceback" not in out.stderr


def test_the_key_setting_transposes_the_output():
    in_c = NoteGenerator(defaults(), seed=5).notes(40)
    in_d = NoteGenerator(defaults().replace({"music.key": "D"}), seed=5).notes(40)
    assert [(n.step, n.duration) for n in in_c] == [(n.step, n.duration) for n in in_d]
    assert {(d.pitch - c.pitch) % 12 for c, d in zip(in_c, in_d)} == {2}


def test_update_takes_effect_on_the_next_note():
    cfg = defaults().replace(GREEDY)
    generator = NoteGenerator(cfg, seed=1)
    generator.notes(5)
    generator.update(cfg.replace({"music.key": "G"}))  # G is a fourth below C: -5
    moved = generator.next_note()
    reference = NoteGenerator(cfg, seed=1)
    reference.notes(5)
    assert moved.pitch == reference.next_note().pitch - 5


def test_rewind_regenerates_the_discarded_notes_from_the_same_context():
    cfg = defaults()
    generator = NoteGenerator(cfg, seed=11)
    kept = generator.notes(10)[:6]
    generator.rewind(4)
    generator.update(cfg.replace(GREEDY))
    again = generator.notes(4)
    reference = NoteGenerator(cfg, seed=11)
    assert reference.notes(6) == kept
    reference.update(cfg.replace(GREEDY))
    assert reference.notes(4) == again


def test_rewind_never_forgets_the_primer_and_reset_starts_afresh():
    cfg = defaults().replace(GREEDY)
    fresh = NoteGenerator(cfg, seed=2).notes(8)
    generator = NoteGenerator(cfg, seed=99)
    generator.notes(12)
    generator.rewind(1000)
    assert generator.notes(8) == fresh
    generator.reset()
    assert generator.notes(8) == fresh



def test_a_different_primer_leads_somewhere_else():
    cfg = defaults()
    usual = NoteGenerator(cfg, seed=4).notes(30)
    generator = NoteGenerator(cfg, seed=4)
    generator.reset([Note(57, 0, 4, 72), Note(60, 4, 4, 72)])  # two notes, repeated to fill the window
    assert generator.notes(30) != usual  # same random draws, other context


def test_builtin_primer_is_a_full_window_in_c():
    assert len(PRIMER) >= 30
    assert {n.pitch % 12 for n in PRIMER} <= {0, 2, 4, 5, 7, 9, 11}
    assert key_offset("C") == 0 and key_offset("F#") == 6 and key_offset("G") == -5


def test_sampling_is_seeded_and_top_p_and_temperature_shape_it():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))

    def draw(seed: int, temperature: float, top_p: float) -> list[int]:
        rng = np.random.default_rng(seed)
        return [sample_class(logits, temperature, top_p, rng) for _ in range(2000)]

    assert draw(3, 1.0, 1.0) == draw(3, 1.0, 1.0)
    assert set(draw(3, 1.0, 0.05)) == {0}
    assert set(draw(3, 1.0, 0.7)) == {0, 1}  # 0.5 + 0.3 covers 0.7
    cool, hot = np.bincount(draw(4, 0.5, 1.0), minlength=4), np.bincount(draw(4, 1.5, 1.0), minlength=4)
    assert cool[0] > hot[0] and cool[3] < hot[3]
    heads = {"pitch": np.zeros(128), "step": np.zeros(33), "duration": np.r_[50.0, np.zeros(32)],
             "velocity": np.zeros(8)}
    assert Sampler(seed=0).sample(heads)[2] >= 1  # a zero-length note is never drawn, however likely
