"""The consumer: pulls notes just in time, schedules them to the sample, renders blocks.

Time is counted in samples. ``music_time`` is the synth's clock: it stops while paused.
``sample_time`` counts every frame handed out. Notes sit on the 16th grid (lofid.music.notes); the
``Grid`` turns a 16th index into a music-time sample at the current bpm and swing, and the drum
hits use the same grid (each at its own offset from its straight 16th), so beat and notes can
never drift apart.

FluidSynth applies events only between its 64-frame control blocks, so every event is placed on
that lattice (1.5 ms at 44.1 kHz, far below what an ear can tell) and rendering is split there:
each note starts on exactly the sample recorded for it in ``played``.

A note is taken from the source only once its onset falls inside the block being rendered (at
most one is held, and a regeneration takes that one back too: ``taking_back``), so notes not yet
due stay in the daemon's queue, where a setting change can still regenerate them.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from lofid import paths
from lofid.audio.chain import Chain, voice_cutoffs
from lofid.audio.fx import RAMP_SECONDS, Gain
from lofid.audio.grid import CONTROL_FRAMES, Grid, lattice
from lofid.audio.layers import RESERVED, WavLayer, darken, load_layers, read_wav, to_pcm16
from lofid.audio.synth import DRUM_CHANNEL, PART_CHANNELS, STEMS, Synth
from lofid.config import Config, part_programs, setting_for, untracked_tempo
from lofid.errors import LofidError
from lofid.mood_levels import with_mood
from lofid.music.drums import KICKS, Drummer, load_vocabulary
from lofid.music.notes import Note
from lofid.music.tracks import Cue, Section, Track, palette_presets

log = logging.getLogger(__name__)

FADE_SECONDS = 0.08  # pause/resume fade
DRUM_HIT_STEPS = 1  # drums are one-shots; their note-off follows a 16th later
EARLIEST = 0.5  # 16ths: a drum hit lies at most this far from its 16th, so a 16th's hits are scheduled this early
# Frames the chain works on at once: a bigger render is made in pieces, so the chain's scratch
# arrays stay small (8192 frames whole held 2 MB more of the heap, for the same CPU: BENCHMARKS.md).
CHUNK_FRAMES = 4096


class PlayedNote(NamedTuple):
    sample: int  # output sample (engine.sample_time clock) where the event starts sounding
    note: Note | Cue


def layer_value(cfg: Config, name: str, field: str):
    """``layers.<name>.<field>`` from cfg, or its default for a layer the config never mentions."""
    key = f"layers.{name}.{field}"
    return cfg[key] if key in cfg else setting_for(key).default


class Engine:
    """Notes from ``source`` + drum patterns + WAV layers -> the lo-fi chain (lofid.audio.chain) -> float32 stereo blocks.

    ``render`` runs on the render thread; ``update``, ``pause`` and ``resume`` may come from any
    other thread and wait at most one block for it (a lock the audio callback never touches).
    ``played`` may be copied from anywhere with ``list(engine.played)``.
    """

    def __init__(self, cfg: Config, source: Callable[[], Note | Cue | None], effects_dir: Path | None = None,
                 history: int = 50_000) -> None:
        cfg = with_mood(cfg)  # the levels music.mood moves (brightness, rain, crackle)
        self.sample_rate = sr = cfg["output.sample_rate"]
        effects = paths.EFFECTS if effects_dir is None else Path(effects_dir)
        choice = paths.find_soundfont(cfg["sound.soundfont"])
        if choice.path is None:
            raise LofidError("no soundfont found: put a .sf2 in soundfonts/ or set sound.soundfont")
        self.soundfont: Path = choice.path
        self.track: Track | None = None  # the track playing, from its cue
        self.section: Section | None = None
        self.track_started = 0  # output sample where it began
        self.track_log: deque[tuple[int, Note | Cue]] = deque(maxlen=history)  # (16th, event) of this track
        programs = part_programs(cfg)
        self.synth = Synth(choice.path, sr, programs, park=palette_presets(extra=tuple(programs.values())))
        self.source = source
        self.layers: dict[str, WavLayer] = {layer.name: layer for layer in load_layers(effects, sr)}
        self.grooves = load_vocabulary(paths.GROOVES)
        first = self.grooves.default
        self.drums = Drummer(first, self.grooves.fills, 0, 0) if first else None  # until a track brings its own
        self._track_origin = 0  # 16th where the track playing began
        self._beat = "full"  # how much of the groove the section plays (lofid.music.tracks.BEATS)
        self._drum_changes: deque[tuple[int, str, Drummer | None]] = deque()  # (16th, beat, new drummer) to come
        self.crackle = _crackle(effects / "vinyl" / "crackle.wav", sr)
        self.chain = Chain(cfg, sr)
        ramp = RAMP_SECONDS * sr
        self.gains = {name: Gain(0.0, ramp) for name in (*RESERVED, *self.layers)}
        self._crackle_gain = Gain(0.0, ramp)  # fx.crackle
        self._toned_hz: float | None = None  # the warm low-pass the loops were last darkened for
        self._tone_loops(self._darkened(cfg))
        self._fade = Gain(1.0, FADE_SECONDS * sr)
        self._volume = Gain(0.0, ramp)  # output.volume, after the limiter: it never changes the sound's character
        self._pausing = self.paused = False
        self._overlay: np.ndarray | None = None  # a one-shot sound over the ambience, and how far it has played
        self._overlay_at = 0
        self.music_time = 0
        self.sample_time = 0
        self.played: deque[PlayedNote] = deque(maxlen=history)
        self.notes_started = 0  # notes scheduled to sound (cues not counted), since the start
        self.melody_started = 0  # of those, the melody's: what the note model writes, where a new temperature is heard
        self._events: list[tuple[int, int, int, tuple]] = []  # (sample, 0=off/1=on, seq, (chan, pitch, vel, token))
        self._seq = 0
        self._held: dict[tuple[int, int], int] = {}  # (chan, pitch) -> token of the note holding it
        self._pending: Note | Cue | None = None
        self._note_index = 0
        self._drum_index = 0
        self.cfg = cfg
        self.grid = Grid(self._tempo(cfg), self._swing(cfg), sr)
        self._lock = threading.Lock()
        self._apply(cfg, ramp=False)

    # -- settings ---------------------------------------------------------------------------

    def update(self, cfg: Config) -> None:
        """Apply live settings: tempo and swing from now on; volumes and on/off glide over 10 ms."""
        cfg = with_mood(cfg)
        darkened = self._darkened(cfg)  # filtering the loops takes a few ms: not while holding the render lock
        with self._lock:
            self._tone_loops(darkened)
            self._apply(cfg, ramp=True)

    def _loops(self) -> list[WavLayer]:
        return [*self.layers.values(), *([self.crackle] if self.crackle else [])]

    def _darkened(self, cfg: Config) -> list[np.ndarray | None] | None:
        """Every ambience loop (``_loops``, in order) through the warm low-pass as 16-bit PCM (``_darken``),
        or None if the low-pass has not moved."""
        if cfg["fx.lowpass_hz"] == self._toned_hz:
            return None
        self._toned_hz = cfg["fx.lowpass_hz"]
        return [self._darken(loop, self._toned_hz) for loop in self._loops()]

    def _darken(self, loop: WavLayer, cutoff_hz: float) -> np.ndarray | None:
        """``loop`` through the warm low-pass as 16-bit PCM; None (it plays on as it is) if its file
        cannot be read again."""
        try:
            return to_pcm16(darken(loop.unfiltered(), cutoff_hz, self.sample_rate))
        except LofidError as e:
            log.warning("%s; the %s layer keeps its tone", e, loop.name)
            return None

    def _tone_loops(self, darkened: list[np.ndarray | None] | None) -> None:
        for loop, toned in zip(self._loops(), darkened or (), strict=False):
            if toned is not None:
                loop.tone(toned)

    def _apply(self, cfg: Config, ramp: bool) -> None:
        self.cfg = cfg
        self.synth.set_programs(part_programs(cfg, self.track.palette.programs if self.track else None))
        bpm, swing = self._tempo(cfg), self._swing(cfg)
        if (bpm, swing) != (self.grid.bpm, self.grid.swing):
            self.grid.retime(bpm, swing, self.music_time)
        for name, gain in self.gains.items():
            _glide(gain, layer_value(cfg, name, "volume") if layer_value(cfg, name, "enabled") else 0.0, ramp)
        _glide(self._crackle_gain, cfg["fx.crackle"], ramp)
        _glide(self._volume, master_gain(cfg["output.volume"]), ramp)
        self.chain.update(cfg)
        self.synth.set_reverb(cfg["fx.reverb"])
        self.synth.set_cutoffs(voice_cutoffs(cfg))

    def _tempo(self, cfg: Config) -> float:
        """The bpm: a beat loop that is on sets it (its tempo governs), else music.bpm, else the track's."""
        for layer in self.layers.values():
            if layer.bpm is not None and layer_value(cfg, layer.name, "enabled"):
                return layer.bpm
        return self.track.bpm if self.track and cfg["music.bpm"] == "auto" else untracked_tempo(cfg)[0]

    def _swing(self, cfg: Config) -> float:
        return self.track.swing if self.track and cfg["music.swing"] == "auto" else untracked_tempo(cfg)[1]

    def _cue(self, cue: Cue, index: int, sample: int) -> None:
        """A track or section starts at 16th ``index``: its tempo, instruments and beat from there."""
        self.section = cue.section
        if cue.new or self.track is None:
            delay = cue.track.transition * self.sample_rate if self.track is not None else 0.0
            self.track_started = sample + int(delay)
            self.track_log = deque(maxlen=self.track_log.maxlen)
            self.track = cue.track
            self.grid.retime_at(index, self._tempo(self.cfg), self._swing(self.cfg), delay)
            self.synth.set_programs(part_programs(self.cfg, cue.track.palette.programs))
            self.synth.set_kit(cue.track.palette.kit)
            self._track_origin = index
        else:
            self.track = cue.track  # the same track, planned anew (held, or ending early)
        drummer = Drummer.for_track(cue.track, self.grooves, self._track_origin)  # its fills follow the new plan
        self._drum_changes.append((index, cue.section.beat, drummer))

    @property
    def bpm(self) -> float:
        return self.grid.bpm

    @property
    def layer_names(self) -> list[str]:
        return list(self.gains)

    # -- pause ------------------------------------------------------------------------------

    def pause(self, fade_seconds: float = FADE_SECONDS) -> None:
        """Fade out over ``fade_seconds``, then silence; the note clock stops, so nothing is skipped while paused."""
        with self._lock:
            if not self.paused:
                self._pausing = True
                self._fade.set(0.0, fade_seconds * self.sample_rate)

    def resume(self) -> None:
        with self._lock:
            self.paused = self._pausing = False
            self._fade.set(1.0, FADE_SECONDS * self.sample_rate)

    def overlay(self, sound: np.ndarray) -> None:
        """Play ``sound`` (float32 stereo) once over the ambience, from the next block (a timer's chime)."""
        with self._lock:
            self._overlay, self._overlay_at = sound, 0

    @contextlib.contextmanager
    def taking_back(self) -> Iterator[int]:
        """Hold rendering and hand back the note held ahead of its onset: yields 1 if one was held
        (it will not play), else 0, for the queue's regeneration to write it again, so that a
        change is heard a note sooner. The render thread waits meanwhile: keep it short."""
        with self._lock:
            held = int(self._pending is not None)
            self._pending = None
            yield held

    # -- rendering --------------------------------------------------------------------------

    def render(self, frames: int) -> np.ndarray:
        """The next ``frames`` of output, float32 (frames, 2)."""
        with self._lock:
            if frames <= CHUNK_FRAMES:
                return self._render(frames)
            out = np.empty((frames, 2), np.float32)
            for at in range(0, frames, CHUNK_FRAMES):
                out[at:at + CHUNK_FRAMES] = self._render(min(CHUNK_FRAMES, frames - at))
            return out

    def _render(self, frames: int) -> np.ndarray:
        if self.paused:
            self.sample_time += frames
            return np.zeros((frames, 2), np.float32)
        # output sample = music sample + offset; the chain's delay lines make what is heard later still
        offset = self.sample_time - self.music_time + self.chain.latency
        out = self._mix(frames, offset)
        self._fade.apply(out)
        if self._pausing and self._fade.silent:
            self.paused, self._pausing = True, False
        self.sample_time += frames
        self._volume.apply(out)
        return out

    def _mix(self, frames: int, offset: int) -> np.ndarray:
        start, end = self.music_time, self.music_time + frames
        self._schedule_notes(end, offset)
        self._schedule_drums(end)
        planes = np.empty((2 * len(STEMS), frames), np.float32)
        pos = start
        while pos < end:  # split the synth's rendering at each event so it lands on its sample
            while self._events and self._events[0][0] <= pos:
                self._fire(heapq.heappop(self._events))
            stop = min(self._events[0][0], end) if self._events else end
            self.synth.render(stop - pos, planes[:, pos - start:stop - start])
            pos = stop
        self.music_time = end
        ambience = np.zeros((frames, 2))
        for name, layer in self.layers.items():
            gain = self.gains[name]
            if gain.silent:
                continue
            pinned = None if layer.bpm is None else int(self.grid.phase(start) * self.grid.step_frames)
            layer.add_to(ambience, gain.values(frames), pinned)
        if self.crackle is not None:
            if self._crackle_gain.silent:
                self.crackle.advance(frames)  # the crackle runs free, heard or not
            else:
                self.crackle.add_to(ambience, self._crackle_gain.values(frames))
        if self._overlay is not None:
            part = self._overlay[self._overlay_at:self._overlay_at + frames]
            ambience[:len(part)] += part
            self._overlay_at += len(part)
            if self._overlay_at >= len(self._overlay):
                self._overlay = None
        return self.chain.process(planes, self.gains["music"], self.gains["beat"], ambience, start)

    def _not_before_now(self, sample: float) -> int:
        """The lattice point for ``sample``, or the first one not yet rendered if it is already past."""
        now = -(-self.music_time // CONTROL_FRAMES) * CONTROL_FRAMES
        return max(lattice(sample), now)

    def _schedule_notes(self, end: int, offset: int) -> None:
        """Take notes from the source while their onset falls before ``end``; hold at most one."""
        while True:
            if self._pending is None:
                self._pending = self.source()
                if self._pending is None:
                    return  # nothing ready: the next note starts when it arrives
            note = self._pending
            index = self._note_index + note.step
            if isinstance(note, Cue):
                onset = self._not_before_now(self.grid.position(index))
                if onset >= end:
                    return
                self._pending = None
                self._note_index = index
                self._cue(note, index, onset + offset)
                self.played.append(PlayedNote(onset + offset, note))
                self.track_log.append((index, note))
                continue
            if self.grid.position(index) < self.music_time - CONTROL_FRAMES:
                # The source ran dry and this note is late: start it on the next 16th instead.
                index = math.ceil(self.grid.phase(self.music_time))
            if self._not_before_now(self.grid.position(index)) >= end:
                return
            # Taken by its 16th, sounding at its nudge (a rolled or laid-back strike, which may fall in a
            # later block): so the block boundaries never decide which notes are late.
            onset = self._not_before_now(self.grid.position(index) + note.nudge * self.sample_rate)
            self._pending = None
            self._note_index = index
            release = max(lattice(self.grid.position(index + max(1, note.duration))), onset + CONTROL_FRAMES)
            self._add_note(PART_CHANNELS.get(note.part, 0), note.pitch, note.velocity, onset, release)
            self.notes_started += 1
            self.melody_started += note.part == "melody"
            self.played.append(PlayedNote(onset + offset, note))
            self.track_log.append((index, note))

    def _schedule_drums(self, end: int) -> None:
        """The drummer's hits 16th by 16th, each on its own sample (its straight 16th and its offset,
        the drummer's feel); a 16th is taken EARLIEST before its grid point, so an early hit lands
        on time, but not before a cue due by then is taken (its groove and beat apply from there)."""
        while True:
            if lattice(self.grid.played(self._drum_index, -EARLIEST)) >= end:
                return
            if isinstance(self._pending, Cue) and self._note_index + self._pending.step <= self._drum_index:
                return
            while self._drum_changes and self._drum_changes[0][0] <= self._drum_index:
                _, self._beat, drummer = self._drum_changes.popleft()
                self.drums = drummer or self.drums
            if self.drums is not None and self._beat != "off" and not self.gains["beat"].silent:
                for hit in self.drums.hits_at(self._drum_index, self._beat)[0]:
                    at = self.grid.played(self._drum_index, hit.offset)
                    if at < self.music_time - CONTROL_FRAMES:
                        continue  # long past: the source ran dry
                    onset = self._not_before_now(at)
                    release = max(lattice(self.grid.played(self._drum_index + DRUM_HIT_STEPS, hit.offset)),
                                  onset + CONTROL_FRAMES)
                    self._add_note(DRUM_CHANNEL, hit.pitch, hit.velocity, onset, release)
                    if hit.pitch in KICKS:
                        self.chain.ducker.kick(onset)
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


def _glide(gain: Gain, target: float, ramp: bool) -> None:
    """Move ``gain`` to ``target``: along its ramp while playing, at once before anything is heard."""
    if ramp:
        gain.set(target)
    else:
        gain.jump(target)


def master_gain(percent: int) -> float:
    """``output.volume`` as a gain: squared, like a mixer's fader taper (50% is -12 dB)."""
    return (percent / 100) ** 2


def _crackle(path: Path, sample_rate: int) -> WavLayer | None:
    """The vinyl crackle loop (fx.crackle sets its level); without it crackle is simply off."""
    if not path.is_file():
        return None
    try:
        return WavLayer("crackle", read_wav(path, sample_rate), lambda: read_wav(path, sample_rate))
    except LofidError as e:
        log.warning("%s; vinyl crackle is off", e)
        return None
