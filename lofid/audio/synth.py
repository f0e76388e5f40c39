"""One FluidSynth instance that renders four stereo stems: keys (with the pad), drums, bass and melody.

Why stems: each part has its own tone and level in the chain, and the beat and the music are
layers with their own volume, so the synth must hand the parts back separately. FluidSynth's
audio groups do exactly that: MIDI channel c goes to group c % 4, so keys sit on channel 0,
bass on 2, melody on 3, the pad on 4 (group 0: it sounds in the keys' stem, the harmony's) and the
drum kit on channel 10 (index 9, group 1). One reverb, the room
around the keys and melody (``fx.reverb``), is routed into the keys' stem; the bass and the kit
are kept dry (their presets' own reverb sends cancelled), so nothing of the beat stays in the
music when the beat is turned off. One reverb unit, not one per stem: each costs as much as a
tenth of the synth.

Why dynamic sample loading: a good General MIDI font holds hundreds of MB of samples, and a
track plays a handful of presets. FluidSynth then loads a preset's samples when a channel
selects it and frees them when none does. Loading takes time (MuseScore General's grand piano
1.4 s), too long for the render thread, so every preset a palette can choose is parked at start
on a channel of its own that never plays: it stays loaded, and a track's switch is instant.

Why a 64-frame lattice: FluidSynth applies note-on/off only between its internal 64-frame
blocks (FLUID_BUFSIZE; verified here and documented by its developers), so the engine puts every
event exactly on that lattice and splits rendering there: each note then starts on the sample
the scheduler gave it.
"""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

import numpy as np

from lofid.audio.filters import OPEN_HZ
from lofid.audio.fluid import (
    GEN_REVERBSEND,
    custom_lowpass,
    generator_setter,
    handle,
    load_library,
    process_function,
    silence_logs,
)
from lofid.errors import LofidError
from lofid.music.tracks import DRUM_BANK

log = logging.getLogger(__name__)

DRUM_CHANNEL = 9  # General MIDI channel 10
PART_CHANNELS = {"keys": 0, "bass": 2, "melody": 3, "pad": 4}
STEMS = ("keys", "drums", "bass", "melody")  # audio group g = channel % 4 renders STEMS[g]
FOLLOWS = {"pad": "keys"}  # a part whose low-pass follows another's where the cutoffs give it none of its own
FIRST_PARKING_CHANNEL = 16  # channels from here hold parked presets
CHANNELS = 64  # FluidSynth's MIDI channels: 16 to play on, the rest to park presets on
REVERB_SEND = 91  # MIDI CC 91, a channel's reverb send
PERMILLE = 1000  # a generator's full scale in tenths of a percent: -1000 cancels any preset's send
REVERB = {"roomsize": 0.7, "damping": 0.55, "width": 0.9, "level": 1.0}  # a dark, mid-sized room
BUTTERWORTH_Q = 0.7071  # the parts' low-pass: flat up to the cutoff, -3 dB there, 12 dB per octave
_FLUID_FAILED = -1


def _check_soundfont(path: Path) -> None:
    """Reject a missing or non-SoundFont file before FluidSynth (and its loaders) complain on stderr."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
            size = os.fstat(f.fileno()).st_size
    except OSError as e:
        raise LofidError(f"{path}: cannot read the soundfont ({e.strerror or e}); set sound.soundfont, or auto") from None
    if len(head) < 16 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise LofidError(f"{path}: not a SoundFont (.sf2/.sf3 RIFF sfbk file); replace it or set sound.soundfont")
    # A cut-off file, or one with no chunks, makes libinstpatch print GLib criticals to stderr.
    if head[12:16] != b"LIST" or int.from_bytes(head[4:8], "little") + 8 > size:
        raise LofidError(f"{path}: a damaged SoundFont (cut short or without its chunks); replace it or set sound.soundfont")


class Synth:
    """FluidSynth with a soundfont loaded, rendering float32 music and drum stems into given buffers."""

    def __init__(self, soundfont: Path, sample_rate: int, programs: dict[str, int],
                 park: tuple[tuple[int, int], ...] = ()) -> None:
        """``park``: (bank, program) presets to keep loaded, so switching to them never waits on the disk."""
        fs = load_library()
        silence_logs()
        self._process = process_function()
        self.soundfont = Path(soundfont)
        _check_soundfont(self.soundfont)
        self._fs = fs.Synth(gain=1.0, samplerate=float(sample_rate), **{
            "synth.audio-groups": len(STEMS), "synth.audio-channels": len(STEMS), "synth.effects-groups": 1,
            "synth.chorus.active": 0, "synth.reverb.active": 1, "synth.polyphony": 128,
            "synth.cpu-cores": 1, "synth.dynamic-sample-loading": 1, "synth.midi-channels": CHANNELS})
        if self._fs.get_setting("synth.dynamic-sample-loading") != 1:  # pyfluidsynth ignores a misspelt name
            log.warning("this FluidSynth cannot load samples on demand: the whole soundfont is in memory")
        self._fs.set_reverb(**REVERB)
        self._handle = handle(self._fs)
        self._set_lowpass = custom_lowpass(self._fs)
        self._set_gen = generator_setter(self._fs)
        self.cutoffs: dict[str, float] = {}
        self.set_cutoffs(dict.fromkeys((*PART_CHANNELS, "drums"), OPEN_HZ))  # unset, the filter shuts at 8 Hz
        self._sfid = self._fs.sfload(str(self.soundfont))
        if self._sfid == _FLUID_FAILED:
            raise LofidError(f"{self.soundfont}: not a readable SoundFont (.sf2/.sf3); replace it or set sound.soundfont")
        self._park(park)
        self.kit: int | None = None
        if self._fs.program_select(DRUM_CHANNEL, self._sfid, DRUM_BANK, 0) == _FLUID_FAILED:
            log.warning("%s has no drum kit (bank 128); the beat will be silent", self.soundfont.name)
        else:
            self.kit = 0
        self.programs: dict[str, int] = {}
        self.set_programs(programs)
        self._dry(DRUM_CHANNEL)
        self._dry(PART_CHANNELS["bass"])
        self.set_reverb(0.0)
        self._bufs = None  # float32 planes, L and R of each stem
        self._ptrs = self._fx = None

    def _park(self, presets: tuple[tuple[int, int], ...]) -> None:
        """Select each preset on a parking channel of its own; presets the font lacks are skipped."""
        room = CHANNELS - FIRST_PARKING_CHANNEL
        if len(presets) > room:
            log.warning("%d presets to keep loaded, room for %d; the rest load when first played", len(presets), room)
        for channel, (bank, program) in enumerate(presets[:room], FIRST_PARKING_CHANNEL):
            self._fs.program_select(channel, self._sfid, bank, program)

    def set_cutoffs(self, cutoffs: dict[str, float]) -> None:
        """Each part's low-pass (keys, bass, melody, drums), in Hz: FluidSynth's per-voice filter, live.

        It runs inside FluidSynth's own voice loop, so a part's tone costs no Python at all, and it
        darkens what the part sends to the reverb too.
        """
        cutoffs = {**{part: cutoffs[leader] for part, leader in FOLLOWS.items() if leader in cutoffs}, **cutoffs}
        for part, hz in cutoffs.items():
            if self.cutoffs.get(part) != hz:
                self._set_lowpass(DRUM_CHANNEL if part == "drums" else PART_CHANNELS[part], hz, BUTTERWORTH_Q)
                self.cutoffs[part] = hz

    def _dry(self, channel: int) -> None:
        """No reverb from ``channel`` at all: CC 91 at 0 and its presets' own send taken away."""
        self._fs.cc(channel, REVERB_SEND, 0)
        self._set_gen(channel, GEN_REVERBSEND, -PERMILLE)

    def set_reverb(self, send: float) -> None:
        """The keys', pad's and melody's reverb send, 0-1 (the bass and the kit stay dry)."""
        for part in ("keys", "melody", "pad"):
            self._fs.cc(PART_CHANNELS[part], REVERB_SEND, round(127 * send))

    def set_programs(self, programs: dict[str, int]) -> None:
        """General MIDI program per part; unknown programs in a small font fall back to piano."""
        for part, program in programs.items():
            if self.programs.get(part) == program:
                continue
            chan = PART_CHANNELS[part]
            if self._fs.program_select(chan, self._sfid, 0, program) == _FLUID_FAILED:
                log.warning("%s has no program %d for %s; using piano", self.soundfont.name, program, part)
                self._fs.program_select(chan, self._sfid, 0, 0)
            self.programs[part] = program

    def set_kit(self, program: int) -> None:
        """The drum kit: ``program`` in bank 128 (room, jazz, brush ...), the standard kit where the font lacks it."""
        if self.kit is None or self.kit == program:
            return
        if self._fs.program_select(DRUM_CHANNEL, self._sfid, DRUM_BANK, program) == _FLUID_FAILED:
            self._fs.program_select(DRUM_CHANNEL, self._sfid, DRUM_BANK, 0)
        self.kit = program

    def note_on(self, channel: int, pitch: int, velocity: int) -> None:
        self._fs.noteon(channel, pitch, velocity)

    def note_off(self, channel: int, pitch: int) -> None:
        self._fs.noteoff(channel, pitch)

    def all_notes_off(self) -> None:
        for chan in (*PART_CHANNELS.values(), DRUM_CHANNEL):
            self._fs.all_notes_off(chan)

    def allocate(self, max_frames: int) -> None:
        """Preallocate the stem planes so rendering a block allocates nothing.

        ``_ptrs`` are the dry outputs, one stereo pair per audio group (STEMS). ``_fx`` are the one
        effects group's four outputs (reverb L/R, chorus L/R), pointing at the keys' pair:
        FluidSynth adds into its buffers, so the room lands in the keys' stem.
        """
        planes = 2 * len(STEMS)
        self._bufs = np.zeros((planes, max_frames), np.float32)
        self._ptrs = (ctypes.c_void_p * planes)(*(self._bufs[i].ctypes.data for i in range(planes)))
        keys = 2 * STEMS.index("keys")
        self._fx = (ctypes.c_void_p * 4)(*(self._bufs[keys + side].ctypes.data for _effect in ("reverb", "chorus")
                                           for side in (0, 1)))

    def render(self, frames: int, out: np.ndarray) -> None:
        """Render ``frames`` into ``out``, a (2 * len(STEMS), frames) view: L and R of each stem in turn."""
        if self._bufs is None or frames > self._bufs.shape[1]:
            self.allocate(max(frames, 4096))
        bufs = self._bufs
        bufs[:, :frames] = 0.0  # fluid_synth_process mixes into its buffers
        if self._process(self._handle, frames, 4, self._fx, len(bufs), self._ptrs) != 0:
            raise LofidError("FluidSynth failed to render a block")
        out[:] = bufs[:, :frames]

    def close(self) -> None:
        if self._fs is not None:
            self._fs.delete()
            self._fs = None
