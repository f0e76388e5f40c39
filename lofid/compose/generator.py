"""The note generator: harmony + melody model + guardrails -> one stream of Notes.

``NoteGenerator`` is what the daemon's producer thread runs and what ``lofid generate`` writes to
a MIDI file (lofid.compose.score). Its parts:
- ``lofid.compose.harmony`` plans chords ahead on a 16th-note timeline and voices them as keys and bass;
- the note model writes the melody over them from a sliding window of the last 30 melody notes,
  each told the chord under it and its place in the bar, sampled with the ``generation.harmony``
  bias (strict: only key notes, chord tones on beats 1 and 3; loose: a nudge; free: none);
- ``lofid.compose.guardrails`` watches the melody for a stuck loop or chaos and steers it back;
- the three are merged in time order into Notes, each ``step`` 16ths after the one before.

The model thinks in C major / A minor; notes are transposed to ``music.key`` only on the way out,
so a key change takes effect on the next note without confusing the model's context. The melody
is one voice: each melody note ends where the next begins, at the latest, which with four keys
voices and the bass keeps the music within six voices.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading

import numpy as np

from lofid.compose.guardrails import EVENTS, WARM_TOP_P, Steer, penalty, steer
from lofid.compose.harmony import ChordSpan, Harmony, swell
from lofid.compose.sampling import Sampler, harmony_bias
from lofid.config import MAX_QUEUE_NOTES, Config
from lofid.errors import LofidError
from lofid.model.encoding import primer_rows
from lofid.model.runtime import NoteModel, load_model
from lofid.music.keys import offset_from_c, pitch_name
from lofid.music.notes import BAR, MAX_STEP, Note, bin_velocity, fold_pitch

log = logging.getLogger("lofid")

MAX_REWIND = MAX_QUEUE_NOTES  # the largest note queue the settings allow: the daemon never discards more


@dataclasses.dataclass(frozen=True)
class _State:
    """Everything a rewind must restore; replaced whole after every note (so a snapshot is a reference)."""

    window: tuple[tuple[int, ...], ...]  # the melody model's last rows
    melody: tuple[tuple[int, int, int, int], ...]  # sampled melody notes not yet out: (onset, pitch, dur, vel)
    cursor: int  # index of the next accompaniment event (counting every event ever planned)
    last_onset: int  # onset of the last note out, 16ths on the timeline
    start: int  # where this phrase began: no melody note before it
    melody_onset: int  # onset of the last sampled melody note
    steer: Steer  # what the guardrails are doing


class NoteGenerator:
    """Writes the music one Note at a time: keys and bass from the harmony, melody from the model.

    Thread-safe: the producer thread calls ``next_note`` while the control thread may call
    ``update``, ``reset`` or ``rewind``; each call sees the others whole.
    """

    def __init__(self, cfg: Config, seed: int | None = None, primer: np.ndarray | None = None,
                 keep_chords: bool = False) -> None:
        self._lock = threading.Lock()
        self._cfg = cfg
        self._model: NoteModel = load_model(cfg["model.path"], cfg["model.backend"], cfg["generation.window"])
        self._sampler = Sampler(cfg["generation.temperature"], cfg["generation.top_p"], seed)
        self._offset = offset_from_c(cfg["music.key"])
        self._mode = cfg["generation.harmony"]
        self._harmony = Harmony(self._model.info.meta.get("harmony"), self._sampler.rng)
        self._keep_chords = keep_chords  # lofid generate writes every chord; the daemon forgets old ones
        self._dropped = 0  # accompaniment events forgotten from the front of the harmony's list
        self._undo: collections.deque[_State] = collections.deque(maxlen=MAX_REWIND)
        # Every event counted from 0: the control thread copies this while the producer counts.
        self.recoveries: collections.Counter[str] = collections.Counter(dict.fromkeys(EVENTS, 0))
        self._primer = primer
        self._state = self._fresh_state(0, primer, cursor=0, last_onset=0)

    @property
    def window(self) -> int:
        return self._model.window

    def _fresh_state(self, at: int, primer: np.ndarray | None, cursor: int, last_onset: int) -> _State:
        """A new phrase from bar ``at``: the primer as the model's context, the harmony's opening.

        The accompaniment already planned before ``at`` still plays (``cursor`` is unchanged).
        """
        rows = np.asarray(primer if primer is not None else primer_rows(self.window), dtype=np.int32)
        if len(rows) == 0:
            raise LofidError("the primer has no notes")
        rows = np.concatenate([rows] * -(-self.window // len(rows)))[-self.window:]
        self._harmony.restart(at)
        return _State(tuple(tuple(int(v) for v in r) for r in rows), (), cursor, last_onset, at,
                      at - BAR + int(rows[-1][5]), Steer())

    def reset(self, primer: np.ndarray | None = None) -> None:
        """Start a fresh phrase at the next bar: ``primer`` rows (model space) or the built-in opening."""
        with self._lock:
            s = self._state
            at = 0 if not self._undo else (s.last_onset // BAR + 1) * BAR
            self._state = self._fresh_state(at, primer if primer is not None else self._primer, s.cursor,
                                            s.last_onset)
            self._undo.clear()

    def next_note(self) -> Note:
        """The next note in time order, transposed to ``music.key``."""
        with self._lock:
            s = before = self._state
            while len(s.melody) < 2:  # one melody note of look-ahead: each note ends by the next
                s = self._sample_melody(s)
            first = s.melody[0]
            self._harmony.plan_until(first[0])
            index = s.cursor - self._dropped
            event = self._harmony.events[index] if index < len(self._harmony.events) else None
            if event is not None and (event[0], event[1]) <= (first[0], first[1]):
                onset, pitch, duration, velocity, part = event
                s = dataclasses.replace(s, cursor=s.cursor + 1)
            else:
                onset, pitch, duration, velocity = first
                duration, part = min(duration, s.melody[1][0] - onset), "melody"
                velocity = gentle(velocity, onset)
                s = dataclasses.replace(s, melody=s.melody[1:])
            step = onset - s.last_onset
            self._state = dataclasses.replace(s, last_onset=onset)
            self._undo.append(before)  # only now: a step that failed half-way leaves nothing to undo
            self._forget()
            offset = self._offset
        return Note(fold_pitch(pitch + offset), min(step, MAX_STEP), max(1, duration), velocity, part)

    def _sample_melody(self, s: _State) -> _State:
        """One melody note from the model, biased toward the chord and the key as ``harmony`` says."""
        heads = self._model.heads(self._model.logits(np.asarray(s.window, dtype=np.int32)))
        step = self._sampler.draw("step", heads["step"], forbidden=(0,))  # one voice: never two at once
        onset = max(s.start, s.melody_onset + step)
        chord = self._harmony.chord_at(onset)
        position = onset % BAR
        bias = harmony_bias(self._mode, chord.pitch_classes, strong=position % (BAR // 2) == 0, floor=chord.top + 1)
        if s.steer.warming:  # stuck: other pitches than the last few, from a wider choice
            bias = penalty(s.window, len(heads["pitch"])) + (0.0 if bias is None else bias)
        pitch = self._sampler.draw("pitch", heads["pitch"], bias=bias, heat=s.steer.heat,
                                   min_top_p=WARM_TOP_P if s.steer.warming else 0.0)
        duration = self._sampler.draw("duration", heads["duration"], forbidden=(0,))
        vbin = self._sampler.draw("velocity", heads["velocity"])
        row = (pitch, min(MAX_STEP, onset - s.melody_onset), duration, vbin, chord.token, position)
        window = s.window[1:] + (row,)
        advice = steer(window, s.steer)
        if advice.event:
            self.recoveries[advice.event] += 1
            if advice.event == "reprime":
                window = tuple(tuple(int(v) for v in r) for r in primer_rows(self.window))
        return dataclasses.replace(s, window=window, melody=s.melody + ((onset, pitch, duration, bin_velocity(vbin)),),
                                   melody_onset=onset, steer=advice)

    def _forget(self) -> None:
        """Drop accompaniment and chords no rewind can reach any more (the daemon plays for days)."""
        if self._keep_chords:
            return
        oldest = self._undo[0] if self._undo else self._state
        spare = oldest.cursor - self._dropped
        if spare > 1024:
            del self._harmony.events[:spare]
            self._dropped += spare
            self._harmony.forget_before(min(oldest.last_onset, oldest.melody_onset))

    def notes(self, n: int) -> list[Note]:
        return [self.next_note() for _ in range(n)]

    def chords(self) -> list[tuple[int, str]]:
        """(onset 16th, label in ``music.key``) of every chord planned so far (keep_chords=True)."""
        with self._lock:
            return [(c.start, chord_label(c, self._offset)) for c in self._harmony.chords]

    def rewind(self, n: int) -> None:
        """Forget the last ``n`` notes (never the primer), so they are written again."""
        with self._lock:
            n = max(0, min(n, len(self._undo)))
            if n:
                self._state = self._undo[-n]
                for _ in range(n):
                    self._undo.pop()

    def update(self, cfg: Config) -> None:
        """Apply live settings (temperature, top_p, key, harmony; a new model path or backend reloads it)."""
        reload = any(cfg[k] != self._cfg[k] for k in ("model.path", "model.backend", "generation.window"))
        model = load_model(cfg["model.path"], cfg["model.backend"], cfg["generation.window"]) if reload else None
        with self._lock:
            if model is not None:
                if model.window != self._model.window:
                    raise LofidError(f"the new model's window ({model.window}) differs from the playing one")
                self._model = model
            self._sampler.configure(cfg["generation.temperature"], cfg["generation.top_p"])
            self._offset = offset_from_c(cfg["music.key"])
            self._mode = cfg["generation.harmony"]
            self._cfg = cfg


def gentle(velocity: int, onset: int) -> int:
    """The melody's loudness as played: POP909's sung lines are loud, lo-fi's are soft, and breathe
    with the harmony's swell."""
    return max(1, min(127, 50 + velocity // 4 + swell(onset)))


def chord_label(chord: ChordSpan, offset: int) -> str:
    """A chord's Harte label moved to the key ``offset`` semitones from C."""
    quality = chord.label.split(":", 1)[1]
    return f"{pitch_name(chord.root + offset)}:{quality}"
