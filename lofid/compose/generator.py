"""The note generator: tracks, harmony, melody model and guardrails -> one stream of notes and cues.

``NoteGenerator`` is what the daemon's producer thread runs and what ``lofid generate`` writes to
a MIDI file (lofid.compose.score). Its parts:
- ``lofid.compose.harmony`` plans the radio ahead on a 16th-note timeline: tracks with their
  sections, chords comped on the keys, the bass, and a cue where each track and section starts;
- the note model writes the melody over them from a sliding window of the last 30 melody notes,
  each told the chord under it and its place in the bar, sampled with the ``generation.harmony``
  bias (strict: only key notes, chord tones on beats 1 and 3; loose: a nudge; free: none), placed
  by ``lofid.compose.melody`` (entries, phrase rests, motifs stated again);
- ``lofid.compose.guardrails`` watches the melody for a stuck loop or chaos and steers it back;
- the streams are merged in time order, each event ``step`` 16ths after the one before.

The model thinks in C major / A minor; every event is transposed to its track's key (or a pinned
``music.key``) only on the way out, so a key change takes effect on the next note without
confusing the model's context. The melody is one voice: each melody note ends where the next
begins, at the latest, which with four keys voices and the bass keeps the music within six voices.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
from typing import NamedTuple

import numpy as np

from lofid.compose import melody
from lofid.compose.guardrails import EVENTS, WARM_TOP_P, Steer, penalty, steer
from lofid.compose.harmony import ChordSpan, Harmony, swell
from lofid.compose.register import MELODY, in_model, transposition
from lofid.compose.sampling import Sampler, harmony_bias
from lofid.compose.tracks import PlannedTrack, TrackPlanner
from lofid.config import MAX_QUEUE_NOTES, Config
from lofid.errors import LofidError
from lofid.model.encoding import primer_rows
from lofid.model.runtime import NoteModel, load_model
from lofid.mood_levels import with_mood
from lofid.music.drums import load_vocabulary
from lofid.music.keys import MAJOR_SCALE, key_setting, pitch_name
from lofid.music.notes import BAR, MAX_STEP, Note, bin_velocity, fold_pitch
from lofid.music.tracks import Cue, Event, Track
from lofid.paths import GROOVES

log = logging.getLogger("lofid")

MAX_REWIND = MAX_QUEUE_NOTES + 1  # the largest note queue the settings allow and the engine's held note


class MelodyNote(NamedTuple):
    """A melody note in model space."""

    onset: int  # 16th on the timeline (in a Motif: counted from the motif's origin)
    pitch: int
    duration: int  # 16ths
    velocity: int  # its bin (lofid.music.notes.velocity_bin) as sampled; the MIDI velocity once in _State.melody


class Motif(NamedTuple):
    """A figure the melody states again: what it played over the start of a progression's first pass in a track."""

    track: int  # the track's number
    variant: str  # the progression: the loop ("A") or its variation ("B")
    origin: int  # 16th where the pass it was written over began
    notes: tuple[MelodyNote, ...]


@dataclasses.dataclass(frozen=True)
class _State:
    """Everything a rewind must restore; replaced whole after every note (so a snapshot is a reference)."""

    window: tuple[tuple[int, ...], ...]  # the melody model's last rows
    melody: tuple[MelodyNote, ...]  # sampled melody notes not yet out
    cursor: int  # index of the next accompaniment event (counting every event ever planned)
    cue_cursor: int  # index of the next cue (counting every cue ever planned)
    last_onset: int  # onset of the last event out, 16ths on the timeline
    start: int  # where this phrase began: no melody note before it
    melody_onset: int  # onset of the last sampled melody note
    steer: Steer  # what the guardrails are doing
    motifs: tuple[Motif, ...] = ()  # the latest few written
    recording: Motif | None = None  # a motif being written
    restating: tuple[MelodyNote, ...] = ()  # motif notes still to state again


class NoteGenerator:
    """Writes the music one event at a time: keys and bass from the harmony, melody from the model.

    Thread-safe: the producer thread calls ``next_note`` while the control thread may call
    ``update``, ``reset``, ``redirect`` or ``rewind``; each call sees the others whole.
    """

    def __init__(self, cfg: Config, seed: int | None = None, primer: np.ndarray | None = None,
                 keep_chords: bool = False) -> None:
        cfg = with_mood(cfg)  # the temperature music.mood asks for
        self._lock = threading.Lock()
        self._cfg = cfg
        self._model: NoteModel = load_model(cfg["model.path"], cfg["model.backend"], cfg["generation.window"])
        self._sampler = Sampler(cfg["generation.temperature"], cfg["generation.top_p"], seed)
        self._mode = cfg["generation.harmony"]
        meta = self._model.info.meta
        grooves = load_vocabulary(GROOVES).grooves
        self._planner = TrackPlanner(cfg, meta.get("loops"), grooves, self._sampler.rng)
        self._harmony = Harmony(self._planner, meta.get("comping"), {g.name: g for g in grooves}, self._sampler.rng)
        self._keep_chords = keep_chords  # lofid generate writes every chord; the daemon forgets old ones
        self._undo: collections.deque[_State] = collections.deque(maxlen=MAX_REWIND)
        # Every event counted from 0: the control thread copies this while the producer counts.
        self.recoveries: collections.Counter[str] = collections.Counter(dict.fromkeys(EVENTS, 0))
        self._primer = primer
        self._state = self._fresh_state(0, primer, _State((), (), 0, 0, 0, 0, 0, Steer()))

    @property
    def window(self) -> int:
        return self._model.window

    def _fresh_state(self, at: int, primer: np.ndarray | None, s: _State) -> _State:
        """A fresh melody phrase from bar ``at``: the primer as the model's context. What is
        planned of the accompaniment plays on (the cursors are kept)."""
        rows = np.asarray(primer if primer is not None else primer_rows(self.window), dtype=np.int32)
        if len(rows) == 0:
            raise LofidError("the primer has no notes")
        rows = np.concatenate([rows] * -(-self.window // len(rows)))[-self.window:]
        return dataclasses.replace(s, window=tuple(tuple(int(v) for v in r) for r in rows), melody=(), start=at,
                                   melody_onset=at - BAR + int(rows[-1][5]), steer=Steer(), recording=None,
                                   restating=())

    def _next_bar(self) -> int:
        """The bar line after the last event out, or 0 before the first: where a reset or redirect
        begins. (Not "0 when nothing can be undone": right after a redirect nothing can, and a
        second redirect at once must still land ahead of what was heard.)"""
        s = self._state
        return 0 if s.cursor == s.cue_cursor == 0 else (s.last_onset // BAR + 1) * BAR

    def reset(self, primer: np.ndarray | None = None) -> None:
        """Start a fresh melody phrase at the next bar: ``primer`` rows (model space) or the built-in opening."""
        with self._lock:
            self._state = self._fresh_state(self._next_bar(), primer if primer is not None else self._primer,
                                            self._state)
            self._undo.clear()

    def redirect(self, how: str) -> None:
        """From the next bar: ``next`` (a new track, after its transition), ``hold`` (this track goes
        on) or ``release`` (a held track ends). The melody starts a fresh phrase there."""
        with self._lock:
            at = self._next_bar()
            self._harmony.redirect(at, how)
            self._state = self._fresh_state(at, self._primer, self._state)
            self._undo.clear()

    # -- the stream --
    def next_note(self) -> Event:
        """The next note or cue in time order, transposed to its track's key."""
        with self._lock:
            s = before = self._state
            while len(s.melody) < 2:  # one melody note of look-ahead: each note ends by the next
                s = self._sample_melody(s)
            first = s.melody[0]
            self._harmony.plan_until(first.onset)
            cue = self._harmony.cue(s.cue_cursor)
            event = self._harmony.event(s.cursor)
            if cue is not None and cue.onset <= first.onset and (event is None or cue.onset <= event.onset):
                s = dataclasses.replace(s, cue_cursor=s.cue_cursor + 1, last_onset=cue.onset)
                out: Event = Cue(cue.onset - before.last_onset, cue.section, cue.track, cue.new)
            else:
                nudge = 0.0
                if event is not None and (event.onset, event.pitch) <= (first.onset, first.pitch):
                    onset, pitch, duration, velocity, part, nudge = event
                    s = dataclasses.replace(s, cursor=s.cursor + 1)
                else:
                    onset, pitch, duration, velocity = first
                    rest, _ = melody.phrase_rest(self._harmony.track_at(onset), onset)
                    ends = [s.melody[1].onset - onset] + ([rest - onset] if onset < rest else [])
                    duration, part = max(1, min(duration, *ends)), "melody"
                    velocity = gentle(velocity, onset)
                    s = dataclasses.replace(s, melody=s.melody[1:])
                track = self._harmony.track_at(onset).track
                s = dataclasses.replace(s, last_onset=onset)
                out = Note(fold_pitch(pitch + self._offset(track)), onset - before.last_onset, max(1, duration), velocity, part,
                           nudge)
            self._state = s
            self._undo.append(before)  # only now: a step that failed half-way leaves nothing to undo
            self._forget()
        return out

    def _offset(self, track: Track) -> int:
        """Semitones from model space to where the track sounds: its key, or a pinned music.key's tonic."""
        pinned = self._cfg["music.key"]
        return transposition(key_setting(pinned)[0] if pinned != "auto" else track.tonic, track.minor)

    def _sample_melody(self, s: _State) -> _State:
        """One melody note: the motif stated again, or the model's next note, biased toward the
        chord and the key as ``generation.harmony`` says and placed where the track lets it sound."""
        if s.restating:
            return self._emit(s, s.restating[0], s.restating[1:])
        heads = self._model.heads(self._model.logits(np.asarray(s.window, dtype=np.int32)))
        planned = self._harmony.track_at(max(s.start, s.melody_onset))
        forbidden = (0, 1) if planned.track.density < 0.9 else (0,)  # a sparse track: no 16th runs
        step = self._sampler.draw("step", heads["step"], forbidden=forbidden)
        onset = self._placed(max(s.start, s.melody_onset + step))
        planned = self._harmony.track_at(onset)
        theme = () if s.steer.warming else self._restatement(s, planned, onset)  # a stuck melody is not restated
        if theme:
            return self._emit(s, theme[0], theme[1:])
        chord = self._harmony.chord_at(onset)
        position = onset % BAR
        heard = in_model(MELODY, planned.track)  # the melody's register, above the keys' top
        bias = harmony_bias(self._mode, chord.pitch_classes, strong=position % (BAR // 2) == 0,
                            floor=max(heard.low, chord.top + 1), ceiling=heard.high)
        if s.steer.warming:  # stuck: other pitches than the last few, from a wider choice
            bias = penalty(s.window, len(heads["pitch"])) + (0.0 if bias is None else bias)
        pitch = self._sampler.draw("pitch", heads["pitch"], bias=bias, heat=s.steer.heat,
                                   min_top_p=WARM_TOP_P if s.steer.warming else 0.0)
        duration = self._sampler.draw("duration", heads["duration"], forbidden=(0,))
        vbin = self._sampler.draw("velocity", heads["velocity"])
        return self._emit(s, MelodyNote(onset, pitch, duration, vbin), ())

    def _placed(self, onset: int) -> int:
        """``onset`` moved to where the melody may sound, in this track or the next one's entry."""
        while True:
            planned = self._harmony.track_at(onset)
            placed = melody.place(planned, onset)
            if placed is not None:
                return placed
            onset = planned.track.end  # the next track's start: its entry comes after

    def _restatement(self, s: _State, planned: PlannedTrack, onset: int) -> tuple[MelodyNote, ...]:
        """The motif to state again from the loop pass ``onset`` begins, if the melody just crossed
        into a new pass of a progression whose motif is written."""
        at = melody.motif_pass(planned, onset)
        if at is None or at.start <= s.melody_onset:
            return ()
        end = planned.track.section_at(onset).end  # a short section (a break) takes what fits
        for motif in s.motifs:
            if (motif.track, motif.variant) == (planned.track.number, at.variant) and motif.origin != at.start:
                return tuple(n._replace(onset=at.start + n.onset, pitch=self._fitted(at.start + n.onset, n.pitch))
                             for n in motif.notes if at.start + n.onset < end)
        return ()

    def _fitted(self, onset: int, pitch: int) -> int:
        """A restated pitch fitted to the chord it now sounds over, as ``generation.harmony`` asks
        of every note (not in free): on beats 1 and 3 the nearest chord tone, and above the keys."""
        if self._mode == "free":
            return pitch
        chord = self._harmony.chord_at(onset)
        tones = chord.pitch_classes & MAJOR_SCALE if self._mode == "strict" else chord.pitch_classes
        if onset % (BAR // 2) == 0 and tones and pitch % 12 not in tones:
            pitch = min((p for p in range(pitch - 6, pitch + 7) if p % 12 in tones), key=lambda p: (abs(p - pitch), p))
        return pitch + 12 if pitch <= chord.top and pitch + 12 <= 127 else pitch

    def _emit(self, s: _State, note: MelodyNote, restating: tuple[MelodyNote, ...]) -> _State:
        """``note`` into the melody and the model's window; the guardrails look; motifs are written."""
        onset, pitch, duration, vbin = note
        chord = self._harmony.chord_at(onset)
        row = (pitch, min(MAX_STEP, onset - s.melody_onset), duration, vbin, chord.token, onset % BAR)
        window = s.window[1:] + (row,)
        advice = steer(window, s.steer)
        if advice.event:
            self.recoveries[advice.event] += 1
            if advice.event == "reprime":
                window = tuple(tuple(int(v) for v in r) for r in primer_rows(self.window))
        motifs, recording = self._record(s, onset, note)
        return dataclasses.replace(s, window=window, melody=s.melody + (MelodyNote(onset, pitch, duration, bin_velocity(vbin)),),
                                   melody_onset=onset, steer=advice, motifs=motifs, recording=recording,
                                   restating=restating)

    def _record(self, s: _State, onset: int, note: MelodyNote) -> tuple[tuple[Motif, ...], Motif | None]:
        """Motifs: the notes over the start of a progression's first pass in a track (melody.MOTIF_SHARE
        of it), kept once written; returns the motifs and the one being written."""
        motifs, recording = s.motifs, s.recording
        planned = self._harmony.track_at(onset)
        at = melody.motif_pass(planned, onset)
        if recording is not None and (at is None or at.start != recording.origin or onset >= recording.origin + at.length):
            motifs = tuple(m for m in motifs if m.track >= planned.track.number - 1)[-4:] + (recording,)
            recording = None
        if at is None or onset >= at.start + at.length:
            return motifs, recording
        if any((m.track, m.variant) == (planned.track.number, at.variant) for m in motifs):
            return motifs, recording
        relative = note._replace(onset=onset - at.start)
        if recording is None:
            return motifs, Motif(planned.track.number, at.variant, at.start, (relative,))
        return motifs, recording._replace(notes=recording.notes + (relative,))

    def _forget(self) -> None:
        """Drop accompaniment, cues and chords no rewind can reach any more (the daemon plays for days)."""
        if not self._keep_chords:
            oldest = self._undo[0] if self._undo else self._state
            self._harmony.forget(oldest.cursor, oldest.cue_cursor, min(oldest.last_onset, oldest.melody_onset))

    def events(self, n: int) -> list[Event]:
        """The next ``n`` events, cues included."""
        return [self.next_note() for _ in range(n)]

    def notes(self, n: int) -> list[Note]:
        """The next ``n`` notes, the cues between them passed over."""
        notes: list[Note] = []
        while len(notes) < n:
            event = self.next_note()
            if isinstance(event, Note):
                notes.append(event)
        return notes

    def chords(self) -> list[tuple[int, str]]:
        """(onset 16th, label in its track's key) of every chord planned so far (keep_chords=True)."""
        with self._lock:
            return [(c.start, chord_label(c, self._offset(self._harmony.track_at(c.start).track)))
                    for c in self._harmony.chords]

    def track_after(self, number: int) -> Track | None:
        """The track planned to follow track ``number``: known once the plan reaches it, seconds
        before it starts (a ``next`` plans it at once); None until then."""
        with self._lock:
            return next((p.track for p in self._harmony.tracks if p.track.number == number + 1), None)

    def rewind(self, n: int) -> None:
        """Forget the last ``n`` events (never the primer), so they are written again."""
        with self._lock:
            n = max(0, min(n, len(self._undo)))
            if n:
                self._state = self._undo[-n]
                for _ in range(n):
                    self._undo.pop()

    def update(self, cfg: Config) -> None:
        """Apply live settings (temperature, top_p, key, harmony, what the next tracks draw; a new
        model path or backend reloads it). ``generation.window`` is read at start: a new model must
        have the playing window."""
        cfg = with_mood(cfg)
        reload = any(cfg[k] != self._cfg[k] for k in ("model.path", "model.backend"))
        model = load_model(cfg["model.path"], cfg["model.backend"]) if reload else None
        with self._lock:
            if model is not None:
                if model.window != self._model.window:
                    raise LofidError(f"{model.info.file('.json')}: the model was trained with a {model.window}-note "
                                     f"window, the playing one with {self._model.window}: set generation.window: "
                                     f"{model.window} and restart lofid")
                self._model = model
            self._sampler.configure(cfg["generation.temperature"], cfg["generation.top_p"])
            self._mode = cfg["generation.harmony"]
            self._planner.update(cfg)
            self._cfg = cfg


def gentle(velocity: int, onset: int) -> int:
    """The melody's loudness as played: POP909's sung lines are loud, lo-fi's are soft, and breathe
    with the harmony's swell."""
    return max(1, min(127, 50 + velocity // 4 + swell(onset)))


def chord_label(chord: ChordSpan, offset: int) -> str:
    """A chord's Harte label moved ``offset`` semitones from model space."""
    return f"{pitch_name(chord.root + offset)}:{chord.quality}"

