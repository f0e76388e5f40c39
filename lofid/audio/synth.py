"""One FluidSynth instance that renders two stereo stems: music and drums.

Why stems: the beat is a layer with its own volume ramp, and the music has its own too, so the
synth must hand them back separately. FluidSynth's audio groups do exactly that: MIDI channel c
goes to group c % 2, so the music parts sit on even channels and the drum kit on channel 10
(index 9, odd). Its reverb and chorus are routed per effects group into the same stem.

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

from lofid.audio.fluid import handle, load_library, process_function, silence_logs
from lofid.errors import LofidError

log = logging.getLogger(__name__)

DRUM_CHANNEL = 9  # General MIDI channel 10
DRUM_BANK = 128  # where General MIDI fonts keep their drum kits
PART_CHANNELS = {"keys": 0, "bass": 2, "melody": 4}  # even channels -> music stem
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

    def __init__(self, soundfont: Path, sample_rate: int, programs: dict[str, int]) -> None:
        fs = load_library()
        silence_logs()
        self._process = process_function()
        self.soundfont = Path(soundfont)
        _check_soundfont(self.soundfont)
        self._fs = fs.Synth(gain=1.0, samplerate=float(sample_rate), **{
            "synth.audio-groups": 2, "synth.audio-channels": 2, "synth.effects-groups": 2,
            "synth.chorus.active": 0, "synth.reverb.active": 1, "synth.polyphony": 128,
            "synth.cpu-cores": 1})
        self._fs.set_reverb(roomsize=0.5, damping=0.5, width=0.8, level=0.35)
        self._handle = handle(self._fs)
        self._sfid = self._fs.sfload(str(self.soundfont))
        if self._sfid == _FLUID_FAILED:
            raise LofidError(f"{self.soundfont}: not a readable SoundFont (.sf2/.sf3); replace it or set sound.soundfont")
        self.kit: int | None = None
        if self._fs.program_select(DRUM_CHANNEL, self._sfid, DRUM_BANK, 0) == _FLUID_FAILED:
            log.warning("%s has no drum kit (bank 128); the beat will be silent", self.soundfont.name)
        else:
            self.kit = 0
        self.programs: dict[str, int] = {}
        self.set_programs(programs)
        self._bufs = None  # 4 float32 planes: music L/R, drums L/R
        self._ptrs = self._fx = None

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

        ``_ptrs`` are the dry outputs, one stereo pair per audio group (music, drums). ``_fx`` are
        the effects outputs, FluidSynth's four per effects group (reverb L/R, chorus L/R), each
        pointing back at its own group's pair: FluidSynth adds into its buffers, so a group's
        reverb lands in that group's stem, and the beat's reverb fades out with the beat.
        """
        self._bufs = np.zeros((4, max_frames), np.float32)
        self._ptrs = (ctypes.c_void_p * 4)(*(self._bufs[i].ctypes.data for i in range(4)))
        self._fx = (ctypes.c_void_p * 8)(*(self._bufs[2 * group + side].ctypes.data
                                          for group in range(2) for _effect in ("reverb", "chorus") for side in (0, 1)))

    def render(self, frames: int, music: np.ndarray, drums: np.ndarray) -> None:
        """Render ``frames`` into ``music`` and ``drums`` (each (frames, 2) views), overwriting them."""
        if self._bufs is None or frames > self._bufs.shape[1]:
            self.allocate(max(frames, 4096))
        bufs = self._bufs
        bufs[:, :frames] = 0.0  # fluid_synth_process mixes into its buffers
        if self._process(self._handle, frames, 8, self._fx, 4, self._ptrs) != 0:
            raise LofidError("FluidSynth failed to render a block")
        music[:, 0] = bufs[0, :frames]
        music[:, 1] = bufs[1, :frames]
        drums[:, 0] = bufs[2, :frames]
        drums[:, 1] = bufs[3, :frames]

    def close(self) -> None:
        if self._fs is not None:
            self._fs.delete()
            self._fs = None
