"""The consumer: pulls notes just in time, schedules them to the sample, renders blocks.

Time is counted in samples. ``music_time`` is the synth's clock: it stops while paused.
``sample_time`` counts every frame handed out. Notes sit on the 16th grid (lofid.music.notes); the
``Grid`` turns a 16th index into a music-time sample at the current bpm and swing, and the drum
patterns use the same grid, so beat and notes can never drift apart.

FluidSynth applies events only between its 64-frame control blocks, so every event is placed on
that lattice (1.5 ms at 44.1 kHz, far below what an ear can tell) and rendering is split there:
each note starts on exactly the sample recorded for it in ``played``.

A note is taken from the source only once its onset falls inside the block being rendered (at
most one is held), so notes not yet due stay in the daemon's queue, where a setting change can
still regenerate them.
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from lofid import paths
from lofid.audio.fx import RAMP_SECONDS, Gain, Master
from lofid.audio.layers import WavLayer, load_layers, read_wav
from lofid.audio.synth import CONTROL_FRAMES, DRUM_CHANNEL, PART_CHANNELS, Synth
from lofid.config import Config, part_programs, setting_for
from lofid.errors import LofidError
from lofid.music.drums import DrumPlan, load_patterns
from lofid.music.notes import STEPS_PER_BEAT, Note, swing_offset

log = logging.getLogger(__name__)

FADE_SECONDS = 0.08  # pause/resume fade
DRUM_HIT_STEPS = 1  # drums are one-shots; their note-off follows a 16th later


class PlayedNote(NamedTuple):
    sample: int  # output sample (engine.sample_time clock) where the note starts sounding
    note: Note


class Grid:
    """16th-note index <-> music-time sample position, for the current bpm and swing.

    A tempo change re-anchors the grid at "now", so positions already passed never move and the
    beat carries on from where it is.
    """

    def __init__(self, bpm: float, swing: float, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.anchor_index = 0.0
        self.anchor_sample = 0.0
        self.bpm, self.swing = bpm, swing
        self.step_frames = sample_rate * 60 / bpm / STEPS_PER_BEAT

    def position(self, index: int) -> float:
        """Music-time sample of 16th ``index``; off-beat 16ths are late by ``swing`` of a 16th."""
        base = self.anchor_sample + (index - self.anchor_index) * self.step_frames
        return base + swing_offset(index, self.swing) * self.step_frames

    def phase(self, sample: float) -> float:
        """How many (straight) 16ths have passed at music-time ``sample``."""
        return self.anchor_index + (sample - self.anchor_sample) / self.step_frames

    def retime(self, bpm: float, swing: float, now: int) -> None:
        self.anchor_index, self.anchor_sample = self.phase(now), float(now)
        self.bpm, self.swing = bpm, swing
        self.step_frames = self.sample_rate * 60 / bpm / STEPS_PER_BEAT


def layer_value(cfg: Config, name: str, field: str):
    """``layers.<name>.<field>`` from cfg, or its default for a layer the config never mentions."""
    key = f"layers.{name}.{field}"
    return cfg[key] if key in cfg else setting_for(key).default


def _lattice(sample: float) -> int:
    return int(round(sample / CONTROL_FRAMES)) * CONTROL_FRAMES


class Engine:
    """Notes from ``source`` + drum patterns + WAV layers -> master chain -> float32 stereo blocks.

    ``render`` runs on the render thread; ``update``, ``pause`` and ``resume`` may come from any
    other thread and wait at most one block for it (a lock the audio callback never touches).
    ``played`` may be copied from anywhere with ``list(engine.played)``.
    """

    def __init__(self, cfg: Config, source: Callable[[], Note | None], effects_dir: Path | None = None,
                 history: int = 50_000) -> None:
        self.sample_rate = sr = cfg["output.sample_rate"]
        effects = paths.EFFECTS if effects_dir is None else Path(effects_dir)
        choice = paths.find_soundfont(cfg["sound.soundfont"])
        if choice.path is None:
            raise LofidError("no soundfont found: put a .sf2 in soundfonts/ or set sound.soundfont")
        self.soundfont: Path = choice.path
        self.synth = Synth(choice.path, sr, part_programs(cfg))
        self.source = source
        self.layers: dict[str, WavLayer] = {layer.name: layer for layer in load_layers(effects, sr)}
        self.drums = DrumPlan(load_patterns(effects / paths.BEATS.name))
        self.master = Master(cfg["fx.lowpass_hz"], cfg["fx.crackle"], _crackle(effects / "vinyl" / "crackle.wav", sr), sr)
        ramp = RAMP_SECONDS * sr
        self.gains = {name: Gain(0.0, ramp) for name in ("music", "beat", *self.layers)}
        self._fade = Gain(1.0, FADE_SECONDS * sr)
        self._volume = Gain(0.0, ramp)  # output.volume, after the limiter: it never changes the sound's character
        self._pausing = self.paused = False
        self.music_time = 0
        self.sample_time = 0
        self.played: deque[PlayedNote] = deque(maxlen=history)
        self._events: list[tuple[int, int, int, tuple]] = []  # (sample, 0=off/1=on, seq, (chan, pitch, vel, token))
        self._seq = 0
        self._held: dict[tuple[int, int], int] = {}  # (chan, pitch) -> token of the note holding it
        self._pending: Note | None = None
        self._note_index = 0
        self._drum_index = 0
        self.cfg = cfg
        self.grid = Grid(self._tempo(cfg), cfg["music.swing"], sr)
        self._lock = threading.Lock()
        self._apply(cfg, ramp=False)

    # -- settings ---------------------------------------------------------------------------

    def update(self, cfg: Config) -> None:
        """Apply live settings: tempo and swing from now on; volumes and on/off glide over 10 ms."""
        with self._lock:
            self._apply(cfg, ramp=True)

    def _apply(self, cfg: Config, ramp: bool) -> None:
        self.cfg = cfg
        self.synth.set_programs(part_programs(cfg))
        bpm, swing = self._tempo(cfg), cfg["music.swing"]
        if (bpm, swing) != (self.grid.bpm, self.grid.swing):
            self.grid.retime(bpm, swing, self.music_time)
        for name, gain in self.gains.items():
            target = layer_value(cfg, name, "volume") if layer_value(cfg, name, "enabled") else 0.0
            if not ramp:
                gain.jump(target)
            elif target != gain.target:
                gain.set(target)
        self.master.update(cfg["fx.lowpass_hz"], cfg["fx.crackle"])
        volume = master_gain(cfg["output.volume"])
        if not ramp:
            self._volume.jump(volume)
        elif volume != self._volume.target:
            self._volume.set(volume)

    def _tempo(self, cfg: Config) -> float:
        """The bpm: a beat loop that is on sets it (its tempo governs), else music.bpm."""
        for layer in self.layers.values():
            if layer.bpm is not None and layer_value(cfg, layer.name, "enabled"):
                return layer.bpm
        return cfg["music.bpm"]

    @property
    def bpm(self) -> float:
        return self.grid.bpm

    @property
    def layer_names(self) -> list[str]:
        return list(self.gains)

    # -- pause ------------------------------------------------------------------------------

    def pause(self) -> None:
        """Fade out, then silence; the note clock stops, so nothing is skipped while paused."""
        with self._lock:
            if not self.paused:
                self._pausing = True
                self._fade.set(0.0)

    def resume(self) -> None:
        with self._lock:
            self.paused = self._pausing = False
            self._fade.set(1.0)

    # -- rendering --------------------------------------------------------------------------

    def render(self, frames: int) -> np.ndarray:
        """The next ``frames`` of output, float32 (frames, 2)."""
        with self._lock:
            return self._render(frames)

    def _render(self, frames: int) -> np.ndarray:
        if self.paused:
            self.sample_time += frames
            return np.zeros((frames, 2), np.float32)
        offset = self.sample_time - self.music_time  # output sample = music sample + offset
        mix = self._mix(frames, offset)
        self._fade.apply(mix)
        if self._pausing and self._fade.silent:
            self.paused, self._pausing = True, False
        self.sample_time += frames
        out = self.master.process(mix)
        self._volume.apply(out)
        return out

    def _mix(self, frames: int, offset: int) -> np.ndarray:
        start, end = self.music_time, self.music_time + frames
        self._schedule_notes(end, offset)
        self._schedule_drums(end)
        music = np.empty((frames, 2), np.float32)
        drums = np.empty((frames, 2), np.float32)
        pos = start
        while pos < end:  # split the synth's rendering at each event so it lands on its sample
            while self._events and self._events[0][0] <= pos:
                self._fire(heapq.heappop(self._events))
            stop = min(self._events[0][0], end) if self._events else end
            self.synth.render(stop - pos, music[pos - start:stop - start], drums[pos - start:stop - start])
            pos = stop
        self.music_time = end
        mix = music.astype(np.float64)
        self.gains["music"].apply(mix)
        beat = drums.astype(np.float64)
        self.gains["beat"].apply(beat)
        mix += beat
        for name, layer in self.layers.items():
            gain = self.gains[name]
            if gain.silent:
                continue
            pinned = None if layer.bpm is None else int(self.grid.phase(start) * self.grid.step_frames)
            block = layer.read(frames, pinned).astype(np.float64)
            gain.apply(block)
            mix += block
        return mix

    def _not_before_now(self, sample: float) -> int:
        """The lattice point for ``sample``, or the first one not yet rendered if it is already past."""
        now = -(-self.music_time // CONTROL_FRAMES) * CONTROL_FRAMES
        return max(_lattice(sample), now)

    def _schedule_notes(self, end: int, offset: int) -> None:
        """Take notes from the source while their onset falls before ``end``; hold at most one."""
        while True:
            if self._pending is None:
                self._pending = self.source()
                if self._pending is None:
                    return  # nothing ready: the next note starts when it arrives
            note = self._pending
            index = self._note_index + note.step
            if self.grid.position(index) < self.music_time - CONTROL_FRAMES:
                # The source ran dry and this note is late: start it on the next 16th instead.
                index = math.ceil(self.grid.phase(self.music_time))
            onset = self._not_before_now(self.grid.position(index))
            if onset >= end:
                return
            self._pending = None
            self._note_index = index
            release = max(_lattice(self.grid.position(index + max(1, note.duration))), onset + CONTROL_FRAMES)
            self._add_note(PART_CHANNELS.get(note.part, 0), note.pitch, note.velocity, onset, release)
            self.played.append(PlayedNote(onset + offset, note))

    def _schedule_drums(self, end: int) -> None:
        while True:
            at = self.grid.position(self._drum_index)
            if _lattice(at) >= end:
                return
            if not self.gains["beat"].silent and at >= self.music_time - CONTROL_FRAMES:
                onset = self._not_before_now(at)
                release = max(_lattice(self.grid.position(self._drum_index + DRUM_HIT_STEPS)), onset + CONTROL_FRAMES)
                for hit in self.drums.hits_at(self._drum_index):
                    self._add_note(DRUM_CHANNEL, hit.pitch, hit.velocity, onset, release)
            self._drum_index += 1

    def _add_note(self, channel: int, pitch: int, velocity: int, onset: int, release: int) -> None:
        self._seq += 1
        args = (channel, min(127, max(0, pitch)), min(127, max(1, velocity)), self._seq)
        heapq.heappush(self._events, (onset, 1, self._seq, args))
        heapq.heappush(self._events, (release, 0, self._seq, args))

    def _fire(self, event: tuple[int, int, int, tuple]) -> None:
        _, on, _, (channel, pitch, velocity, token) = event
        key = (channel, pitch)
        if on:
            if key in self._held:  # the same key struck again: end the old note first
                self.synth.note_off(channel, pitch)
            self._held[key] = token
            self.synth.note_on(channel, pitch, velocity)
        elif self._held.get(key) == token:  # a newer strike of this key keeps sounding
            del self._held[key]
            self.synth.note_off(channel, pitch)

    def close(self) -> None:
        self.synth.close()


def master_gain(percent: int) -> float:
    """``output.volume`` as a gain: squared, like a mixer's fader taper (50% is -12 dB)."""
    return (percent / 100) ** 2


def _crackle(path: Path, sample_rate: int) -> np.ndarray | None:
    """The vinyl crackle loop for the master chain; without it crackle is simply off."""
    if not path.is_file():
        return None
    try:
        return read_wav(path, sample_rate)
    except LofidError as e:
        log.warning("%s; vinyl crackle is off", e)
        return None
