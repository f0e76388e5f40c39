"""A small SoundFont 2.04 writer: mono 16-bit samples, instruments of zones, presets over them.

No Python library writes SF2, and lofid needs only a plain subset of it, so the RIFF structure is
written here by hand (the SoundFont 2.04 specification, sections 4-8): an ``INFO`` list, the
``sdta`` list holding every sample's 16-bit points (each followed by the 46 zero points the
specification asks for), and the ``pdta`` list of nine record arrays, each closed by a terminal
record. Each preset here holds one instrument, in one zone; an instrument holds a global zone
(generators every zone shares) and its sample zones. FluidSynth loading and playing the file is
what tests it (tests/unit/audio/test_instruments.py).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Generator numbers (SoundFont 2.04, section 8.1.2), those lofid's instruments use.
INITIAL_FILTER_FC = 8  # absolute cents (8.176 Hz * 2^(c/1200)); 13500 = open
INITIAL_FILTER_Q = 9  # centibels of resonance above DC gain
MOD_ENV_TO_FILTER_FC = 11  # cents at the modulation envelope's peak
MOD_LFO_TO_FILTER_FC = 10  # cents at the LFO's full swing
MOD_LFO_TO_VOLUME = 13  # centibels at the LFO's full swing: tremolo
CHORUS_SEND = 15  # tenths of a percent
REVERB_SEND = 16  # tenths of a percent
PAN = 17  # tenths of a percent, -500 left .. +500 right
DELAY_MOD_LFO = 21  # timecents
FREQ_MOD_LFO = 22  # absolute cents
DELAY_VIB_LFO = 23  # timecents
FREQ_VIB_LFO = 24  # absolute cents
DECAY_MOD_ENV = 28  # timecents
SUSTAIN_MOD_ENV = 29  # tenths of a percent below full
RELEASE_MOD_ENV = 30  # timecents
VIB_LFO_TO_PITCH = 6  # cents
ATTACK_VOL_ENV = 34  # timecents (seconds = 2^(tc/1200))
DECAY_VOL_ENV = 36
SUSTAIN_VOL_ENV = 37  # centibels of attenuation once decayed (1440 = silent)
RELEASE_VOL_ENV = 38
KEYNUM_TO_VOL_ENV_DECAY = 40  # timecents per key above 60: higher notes die sooner when negative
INSTRUMENT = 41
KEY_RANGE = 43
VEL_RANGE = 44
INITIAL_ATTENUATION = 48  # centibels
SAMPLE_ID = 53
SAMPLE_MODES = 54  # 0 one-shot, 1 loop for as long as the note sounds
EXCLUSIVE_CLASS = 57  # a new note of the class stops the others (open hat choked by a closed one)
OVERRIDING_ROOT_KEY = 58

_RANGES = (KEY_RANGE, VEL_RANGE)
ZERO_POINTS_AFTER = 46  # zero sample points after each sample (section 6.1)
MONO = 1  # sfSampleType: a mono sample


@dataclass
class Sample:
    name: str
    data: np.ndarray  # int16 points
    rate: int  # Hz
    root: int  # MIDI key at which it plays at its recorded pitch
    correction: int = 0  # cents to add on playback (-99..99)
    loop: tuple[int, int] | None = None  # (first point of the loop, first point after it), in points


@dataclass
class Zone:
    sample: int  # index into the font's samples
    keys: tuple[int, int] = (0, 127)
    vels: tuple[int, int] = (0, 127)
    gens: dict[int, int] = field(default_factory=dict)


@dataclass
class Instrument:
    name: str
    zones: list[Zone]
    gens: dict[int, int] = field(default_factory=dict)  # the global zone: every zone's defaults


@dataclass
class Preset:
    name: str
    bank: int
    program: int
    instrument: int  # index into the font's instruments
    gens: dict[int, int] = field(default_factory=dict)  # offsets added to the instrument's values


def _chunk(tag: bytes, body: bytes) -> bytes:
    """A RIFF chunk, padded to an even length."""
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _list(kind: bytes, chunks: list[bytes]) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _name(text: str) -> bytes:
    return text.encode("ascii", "replace")[:19].ljust(20, b"\0")


def _zstr(text: str) -> bytes:
    """A zero-terminated string of even length (INFO sub-chunks)."""
    raw = text.encode("ascii", "replace") + b"\0"
    return raw + (b"\0" if len(raw) % 2 else b"")


def _gen(oper: int, amount: int | tuple[int, int]) -> bytes:
    if oper in _RANGES:
        lo, hi = amount
        return struct.pack("<HBB", oper, lo, hi)
    if oper in (INSTRUMENT, SAMPLE_ID, SAMPLE_MODES, EXCLUSIVE_CLASS, OVERRIDING_ROOT_KEY):
        return struct.pack("<HH", oper, amount)
    return struct.pack("<Hh", oper, int(amount))


def _ordered(gens: dict[int, int | tuple[int, int]]) -> list[tuple[int, int | tuple[int, int]]]:
    """Generators in the order the specification asks: key range first, velocity range second."""
    return sorted(gens.items(), key=lambda kv: (kv[0] != KEY_RANGE, kv[0] != VEL_RANGE, kv[0]))


def write_sf2(path: Path, name: str, samples: list[Sample], instruments: list[Instrument],
              presets: list[Preset], comment: str = "") -> int:
    """Write the font to ``path``; returns its size in bytes."""
    # sdta: every sample's points, then 46 zeros; shdr records where each one sits.
    points, shdr, at = [], [], 0
    for s in samples:
        data = np.asarray(s.data, dtype="<i2")
        start, end = at, at + len(data)
        lo, hi = s.loop if s.loop else (0, len(data) - 1)
        shdr.append(_name(s.name) + struct.pack("<IIIIIBbHH", start, end, start + lo, start + hi, s.rate,
                                                 s.root, s.correction, 0, MONO))
        points += [data.tobytes(), bytes(2 * ZERO_POINTS_AFTER)]
        at = end + ZERO_POINTS_AFTER
    shdr.append(_name("EOS") + bytes(26))

    igen, ibag, inst = [], [], []
    for instrument in instruments:
        inst.append(_name(instrument.name) + struct.pack("<H", len(ibag)))
        zones = ([dict(instrument.gens)] if instrument.gens else []) + [
            {KEY_RANGE: z.keys, VEL_RANGE: z.vels, **z.gens} for z in instrument.zones]
        for i, gens in enumerate(zones):
            ibag.append(struct.pack("<HH", len(igen), 0))
            igen += [_gen(op, v) for op, v in _ordered(gens)]
            if i >= len(zones) - len(instrument.zones):  # a sample zone: its sample last
                igen.append(_gen(SAMPLE_ID, instrument.zones[i - (len(zones) - len(instrument.zones))].sample))
    inst.append(_name("EOI") + struct.pack("<H", len(ibag)))
    ibag.append(struct.pack("<HH", len(igen), 0))
    igen.append(bytes(4))

    pgen, pbag, phdr = [], [], []
    for p in sorted(presets, key=lambda p: (p.bank, p.program)):
        phdr.append(_name(p.name) + struct.pack("<HHHIII", p.program, p.bank, len(pbag), 0, 0, 0))
        pbag.append(struct.pack("<HH", len(pgen), 0))
        pgen += [_gen(op, v) for op, v in _ordered(p.gens)] + [_gen(INSTRUMENT, p.instrument)]
    phdr.append(_name("EOP") + struct.pack("<HHHIII", 0, 0, len(pbag), 0, 0, 0))
    pbag.append(struct.pack("<HH", len(pgen), 0))
    pgen.append(bytes(4))

    info = [_chunk(b"ifil", struct.pack("<HH", 2, 4)), _chunk(b"isng", _zstr("EMU8000")),
            _chunk(b"INAM", _zstr(name)), _chunk(b"ISFT", _zstr("lofid scripts/sf2.py"))]
    if comment:
        info.append(_chunk(b"ICMT", _zstr(comment)))
    pdta = [_chunk(b"phdr", b"".join(phdr)), _chunk(b"pbag", b"".join(pbag)), _chunk(b"pmod", bytes(10)),
            _chunk(b"pgen", b"".join(pgen)), _chunk(b"inst", b"".join(inst)), _chunk(b"ibag", b"".join(ibag)),
            _chunk(b"imod", bytes(10)), _chunk(b"igen", b"".join(igen)), _chunk(b"shdr", b"".join(shdr))]
    body = b"sfbk" + _list(b"INFO", info) + _list(b"sdta", [_chunk(b"smpl", b"".join(points))]) + _list(b"pdta", pdta)
    blob = _chunk(b"RIFF", body)
    Path(path).write_bytes(blob)
    return len(blob)
