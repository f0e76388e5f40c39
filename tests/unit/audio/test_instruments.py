"""lofid's own instruments (instruments/lofid.sf2), played by the real FluidSynth through lofid's Synth.

Each preset a palette names is in the font and sounds: non-silent, its fundamental at the key's pitch
across its range (by FFT), and no click where its sample loops (no step between two samples far
above the note's own steepest). Every drum the shipped beats play sounds in every kit, and the kits
differ. The font is what `sound.soundfont: auto` plays, and a damaged copy of it is one line.
scripts/make_instruments.py remakes it (seeded: the same bytes on the same numpy, scipy and FluidSynth).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from lofid import paths
from lofid.audio.synth import DRUM_CHANNEL, PART_CHANNELS, STEMS, Synth
from lofid.errors import LofidError
from lofid.music.drums import CYMBALS, load_vocabulary
from lofid.music.tracks import DRUM_BANK, PALETTES

RATE = 44100
FONT = paths.SHIPPED_SOUNDFONT
# Each melodic preset, the part it plays as, and the keys it is heard on (its range in lofid's music).
PRESETS = {
    0: ("keys", (36, 48, 60, 72, 84)),  # felt piano
    1: ("keys", (36, 48, 60, 72, 84)),  # upright piano
    4: ("keys", (36, 48, 60, 72, 84)),  # tine electric piano
    5: ("keys", (36, 48, 60, 72, 84)),  # reed electric piano
    11: ("melody", (55, 62, 67, 74, 79, 86)),  # vibes
    28: ("melody", (48, 55, 62, 67, 74, 79)),  # muted guitar
    73: ("melody", (60, 67, 72, 79, 84, 91)),  # soft flute
    32: ("bass", (28, 33, 36, 40, 43, 47, 52)),  # upright bass
    33: ("bass", (28, 33, 36, 40, 43, 47, 52)),  # finger bass
    38: ("bass", (28, 33, 36, 40, 43, 47, 52)),  # sub bass
    89: ("pad", (43, 48, 55, 60, 67, 72, 79)),  # warm pad
}
KITS = (0, 8, 32, 40)
PLUCKED = 28  # the muted guitar: a one-shot pluck, dying within a second, never looped
PAD = 89


def hz(key: int) -> float:
    return 440.0 * 2 ** ((key - 69) / 12)


def beat_notes() -> set[int]:
    """Every drum the learnt grooves and fills (models/grooves.json) play."""
    vocabulary = load_vocabulary(paths.GROOVES)
    bars = [*(bar for groove in vocabulary.grooves for bar in groove.bars), *(fill.hits for fill in vocabulary.fills)]
    return {hit.pitch for bar in bars for hit in bar}


def play(program: int, part: str, key: int, velocity: int = 100, seconds: float = 1.0) -> np.ndarray:
    """``seconds`` of one held note of ``program`` on ``part``'s channel: the mono sum of every stem."""
    synth = Synth(FONT, RATE, {part: program})
    planes = np.zeros((2 * len(STEMS), round(seconds * RATE)), np.float32)
    try:
        synth.note_on(PART_CHANNELS[part], key, velocity)
        synth.render(planes.shape[1], planes)
    finally:
        synth.close()
    return planes.sum(axis=0) / 2


def hit(kit: int, key: int, velocity: int = 100, seconds: float = 0.5, cutoff: float | None = None) -> np.ndarray:
    """One drum hit, the mono sum of every stem; ``cutoff``: the drums' low-pass, in Hz (else open)."""
    synth = Synth(FONT, RATE, {})
    planes = np.zeros((2 * len(STEMS), round(seconds * RATE)), np.float32)
    try:
        synth.set_kit(kit)
        if cutoff is not None:
            synth.set_cutoffs({"drums": cutoff})
        synth.note_on(DRUM_CHANNEL, key, velocity)
        synth.render(planes.shape[1], planes)
    finally:
        synth.close()
    return planes.sum(axis=0) / 2


def cents_off(x: np.ndarray, key: int) -> tuple[float, float]:
    """How far the strongest partial near the key's pitch lies from it (cents), and how far that partial
    is under the spectrum's strongest (dB): the note is at its pitch and its fundamental is heard."""
    n = len(x)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(n), 8 * n))
    freqs = np.fft.rfftfreq(8 * n, 1 / RATE)
    near = (freqs > hz(key) * 0.94) & (freqs < hz(key) * 1.06)
    k = np.flatnonzero(near)[np.argmax(spectrum[near])]
    a, b, c = np.log(spectrum[k - 1:k + 2] + 1e-20)
    peak = freqs[k] + (a - c) / (2 * (a - 2 * b + c)) * (freqs[1] - freqs[0])  # parabolic interpolation
    return 1200 * np.log2(peak / hz(key)), 20 * np.log10(spectrum.max() / spectrum[k])


def test_the_font_holds_every_preset_the_palettes_name():
    import fluidsynth

    fs = fluidsynth.Synth()
    try:
        sfid = fs.sfload(str(FONT))
        assert sfid != -1
        wanted = {(0, p) for palette in PALETTES for p in palette.programs.values()} | {(0, p) for p in PRESETS}
        wanted |= {(DRUM_BANK, palette.kit) for palette in PALETTES} | {(DRUM_BANK, k) for k in KITS}
        missing = [bp for bp in sorted(wanted) if not fs.sfpreset_name(sfid, *bp)]
        assert not missing, missing
    finally:
        fs.delete()
    assert FONT.stat().st_size < 10_000_000  # small enough to ship


@pytest.mark.parametrize("program", sorted(PRESETS))
def test_each_preset_sounds_at_the_pitch_of_its_key_across_its_range(program, caplog):
    part, keys = PRESETS[program]
    caplog.set_level(logging.WARNING)
    pluck = program == PLUCKED
    # a pluck's short, dying tone reads less sharply; the pad's three saws are spread 8 cents apart
    tolerance = 12 if program in (PLUCKED, PAD) else 8
    for key in keys:
        x = play(program, part, key, seconds=2.5 if part == "pad" else 1.5)
        # past the strike (and most of the pad's swell); a pluck's first half second, while it rings
        x = x[int(0.02 * RATE):int(0.5 * RATE)] if pluck else x[int(0.3 * RATE):]
        rms = np.sqrt(np.mean(x ** 2))
        assert rms > 10 ** (-50 / 20), (program, key, rms)  # clearly heard, not FluidSynth's denormal floor
        off, under = cents_off(x, key)
        assert abs(off) < tolerance, (program, key, off)  # in tune: within a twelfth of a semitone or so
        assert under < 20, (program, key, under)  # and the fundamental is there, not a stray partial alone
    assert "has no program" not in caplog.text  # the font has it: no fall-back to the piano


def test_the_electric_pianos_bark_when_struck_hard():
    """The tine and reed pianos' hard layer: more of the upper harmonics (the bark) than a soft strike."""
    for program in (4, 5):
        shares = []
        for velocity in (70, 120):
            x = play(program, "keys", 48, velocity, 1.0)[: RATE // 2]
            spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
            freqs = np.fft.rfftfreq(len(x), 1 / RATE)
            shares.append(spectrum[(freqs > 2.5 * hz(48)) & (freqs < 8 * hz(48))].sum() / spectrum.sum())
        assert shares[1] > 2 * shares[0], (program, shares)


@pytest.mark.parametrize("program", sorted(PRESETS))
def test_a_held_note_loops_without_a_click(program):
    """Held well past the loop's start (every sample loops by 1.1 s), each zone's note never steps
    from one sample to the next by far more than its own steepest slope in the steady part."""
    part, keys = PRESETS[program]
    if program == PLUCKED:
        pytest.skip("the muted guitar is a one-shot pluck: it does not loop")
    for key in range(keys[0], keys[-1] + 1, 4):  # a zone every 6-7 semitones: each one is played
        x = play(program, part, key, seconds=4.0)
        steady = np.abs(np.diff(x[int(1.5 * RATE):]))
        typical = np.percentile(steady, 99.5)
        assert steady.max() < 2.0 * typical, (program, key, steady.max() / typical)


def test_every_drum_the_beats_play_sounds_in_every_kit():
    notes = sorted(beat_notes() | CYMBALS | {35, 36, 37, 38, 40, 70, 82})
    assert {36, 38, 42} <= set(notes)  # the beats were read
    for kit in KITS:
        for key in notes:
            x = hit(kit, key)
            assert np.sqrt(np.mean(x ** 2)) > 10 ** (-60 / 20), (kit, key)


def test_the_kits_have_their_own_kicks_and_the_kick_owns_the_low_end():
    kicks = {kit: hit(kit, 36, seconds=0.6) for kit in KITS}
    for kit, x in kicks.items():
        spectrum = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(len(x), 1 / RATE)
        assert spectrum[(freqs > 35) & (freqs < 100)].sum() > 0.6 * spectrum.sum(), kit  # boom, not click
    assert all(not np.allclose(kicks[a], kicks[b], atol=1e-3) for a in KITS for b in KITS if a < b)


def test_a_parts_low_pass_is_flat_up_to_its_cutoff_and_3_db_down_there():
    """The parts' low-pass (FluidSynth's per-voice filter) is a Butterworth: what lies under the
    cutoff passes as it was, with no resonant hump lifting the octave below it (a brighter 2 kHz
    with the drums at 3 kHz), -3 dB at the cutoff, falling away past it. A crash (modes from 340 Hz,
    noise at 2-6 kHz) through an open and a 4 kHz low-pass: the gain in each band is their ratio."""
    crash = 49
    open_, cut = hit(0, crash, seconds=1.0, cutoff=20000.0), hit(0, crash, seconds=1.0, cutoff=4000.0)
    freqs = np.fft.rfftfreq(len(cut), 1 / RATE)
    powers = np.abs(np.fft.rfft(open_)) ** 2, np.abs(np.fft.rfft(cut)) ** 2

    def gain_db(low: float, high: float) -> float:
        band = (freqs >= low) & (freqs < high)
        return 10 * np.log10(powers[1][band].sum() / powers[0][band].sum())

    assert abs(gain_db(100, 1000)) < 0.3  # the passband at unity
    assert -2.0 < gain_db(1000, 3800) < 0.0  # the knee: dipping, never lifted
    assert gain_db(3800, 4200) == pytest.approx(-3.0, abs=0.7)
    assert gain_db(6000, 8000) < -8.0


def test_auto_plays_lofids_own_instruments():
    assert paths.find_soundfont("auto").path == FONT or any(paths.SOUNDFONTS.glob("*.sf[23]"))
    assert paths.find_soundfont("auto", paths.SOUNDFONTS.parent / "no-such-folder").origin == "shipped"


@pytest.mark.parametrize("cut", [100, 5000])
def test_a_damaged_copy_of_the_font_is_one_line_naming_it(tmp_path, cut, capfd):
    damaged = tmp_path / "lofid.sf2"
    damaged.write_bytes(FONT.read_bytes()[:cut])
    with pytest.raises(LofidError) as raised:
        Synth(damaged, RATE, {"keys": 4})
    assert str(raised.value).startswith(f"{damaged}: a damaged SoundFont")
    assert "\n" not in str(raised.value) and not capfd.readouterr().err



def test_pad_notes_play_the_pad_program_on_their_own_channel(make_engine, play):
    """A Note for the pad sounds with ``sound.program_pad`` (the warm pad by default), beside the keys:
    the same pitch on the keys alone, or with the pad pinned to the piano, sounds different."""
    from lofid.music.notes import Note
    from tests.support.engine import DRY, QUIET

    def render(part: str, settings: dict) -> np.ndarray:
        engine, _ = make_engine([Note(60, 0, 16, 100, part)], {**QUIET, **DRY, **settings})
        out = play(engine, 2 * RATE)
        assert engine.synth.programs["pad"] == settings.get("sound.program_pad", 89)
        return out

    pad = render("pad", {})
    assert np.sqrt(np.mean(pad[RATE:] ** 2)) > 10 ** (-50 / 20)  # the pad swells in and holds
    assert np.abs(pad[: RATE // 20]).max() < np.abs(pad[RATE:]).max() / 4  # a slow swell, not a strike
    keys = render("keys", {"sound.program_keys": 0})
    pinned = render("pad", {"sound.program_pad": 0})
    np.testing.assert_allclose(pinned, keys, atol=1e-6)  # the pad's channel plays the program pinned for it
    assert not np.allclose(pad, keys, atol=1e-3)
