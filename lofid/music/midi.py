"""MIDI files in and out: pretty_midi objects <-> Notes on the 16th grid, and folders of MIDI files.

Reading keeps a file's own beats (or POP909's annotated ones) so rubato songs stay on the grid.
Writing (through mido, which carries markers and tempo changes) places every note where the
engine would play it, swing included, so a saved file and what was heard agree, and marks each
track (its title, key signature and tempo) and section, so any MIDI tool shows the tracks.
Every failure is a LofidError naming the file.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from lofid.errors import LofidError
from lofid.music.annotations import read_beat_file, song_beats
from lofid.music.beats import BeatGrid
from lofid.music.keys import pitch_name
from lofid.music.notes import STEPS_PER_BEAT, Note, Stretch, bin_velocity, notes_from_onsets, step_seconds, velocity_bin
from lofid.music.tracks import Cue, Event, Track

MIDI_SUFFIXES = (".mid", ".midi")
PART_TRACKS = {"melody": "melody", "bass": "bass"}  # track name -> Note part; other tracks are keys
CHORD_MARK = "chord "  # the text event that names a chord change in the MIDI files lofid writes
PART_CHANNELS_IN_FILES = {"keys": 0, "bass": 1, "melody": 2, "pad": 3}  # MIDI channels of the parts in written files
DRUM_CHANNEL_IN_FILES = 9  # General MIDI channel 10


def quiet_pretty_midi():
    """The pretty_midi module. Importing it imports pyfluidsynth, which prints where it found
    libfluidsynth to stdout when $CI is set; that line must not end up in lofid's own output."""
    with contextlib.redirect_stdout(io.StringIO()):
        import pretty_midi
    return pretty_midi


def load_midi(path: str | os.PathLike):
    """pretty_midi.PrettyMIDI of ``path``; any failure is a LofidError naming the file."""
    pretty_midi = quiet_pretty_midi()

    try:
        return pretty_midi.PrettyMIDI(str(path))
    except FileNotFoundError:
        raise LofidError(f"{path}: no such MIDI file") from None
    except Exception as e:  # mido/pretty_midi raise many types for a damaged file
        raise LofidError(f"{path}: not a readable MIDI file ({e.__class__.__name__}: {e})") from None


def midi_files(folder: Path) -> list[Path]:
    """Every .mid/.midi under ``folder`` (recursively), in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())


def midi_to_events(midi, tracks: Sequence[str] | None, grid: BeatGrid,
                   part_names: Mapping[str, str] | None = None) -> list[tuple[int, int, int, int, str]]:
    """(onset 16th, pitch, duration, velocity, part) of the wanted tracks' notes, sorted as the
    notes are (onset, then pitch). Drum tracks are skipped; ``tracks`` keeps only instruments with
    these names (case-insensitive); ``part_names`` maps a track name to a Note part."""
    wanted = {t.lower() for t in tracks} if tracks else None
    parts = {k.lower(): v for k, v in (part_names or {}).items()}
    events: list[tuple[int, int, int, int, str]] = []
    for inst in midi.instruments:
        name = (inst.name or "").strip().lower()
        if inst.is_drum or (wanted is not None and name not in wanted) or not inst.notes:
            continue
        part = parts.get(name, "keys")
        starts = grid.position([n.start for n in inst.notes])
        ends = grid.position([n.end for n in inst.notes])
        for n, s, e in zip(inst.notes, starts, ends):
            events.append((int(s), n.pitch, max(1, int(e - s)), bin_velocity(velocity_bin(n.velocity)), part))
    return sorted(events, key=lambda ev: (ev[0], ev[1]))


def midi_to_notes(midi, tracks: Sequence[str] | None = None, beat_times: Sequence[float] | None = None,
                  part_names: Mapping[str, str] | None = None) -> list[Note]:
    """The notes of a pretty_midi object on the 16th grid, in time order (chords low to high).

    ``beat_times`` (POP909's annotated beats) beats the file's tempo map when given; tracks and
    parts as ``midi_to_events``.
    """
    beats = song_beats(midi, beat_times)
    if len(beats) < 2:
        return []
    return notes_from_onsets(midi_to_events(midi, tracks, BeatGrid(beats), part_names))


def read_notes(path: str | os.PathLike, tracks: Sequence[str] | None = None) -> list[Note]:
    """Notes of a MIDI file, using a POP909 ``beat_midi.txt`` beside it when there is one."""
    beats = read_beat_file(Path(path).parent / "beat_midi.txt")
    return midi_to_notes(load_midi(path), tracks, beats, PART_TRACKS)


TICKS_PER_BEAT = 480  # MIDI resolution of the files lofid writes
_TICKS_PER_STEP = TICKS_PER_BEAT // STEPS_PER_BEAT
_MINOR_KEYS = {1: "C#m", 3: "Ebm", 6: "F#m", 8: "G#m", 10: "Bbm"}  # spellings MIDI key signatures have


def key_signature(track: Track) -> str:
    """The track's key as a MIDI key signature name: ``"Eb"``, ``"C#m"``."""
    if track.minor:
        return _MINOR_KEYS.get(track.tonic, f"{pitch_name(track.tonic)}m")
    return pitch_name(track.tonic)


def score_file(events: Iterable[Event], bpm: float, programs: Mapping[str, int] | None = None,
               chords: Sequence[tuple[int, str]] = (), drums: Sequence[tuple[int, int, int]] = (),
               swing: float = 0.0):
    """A mido MidiFile playing ``events`` (Notes and Cues in stream order): one track per part.

    Each new track's cue writes, on the conductor track, a marker ``track N: TITLE``, its key
    signature and its tempo, and switches the parts to its palette; every section's cue writes a
    marker ``section NAME``. ``bpm``, ``programs`` and ``swing`` hold until the first track cue.
    ``chords`` are (16th, Harte label) chord changes, written as "chord LABEL" text events so
    ``lofid eval`` can read them back; ``drums`` are (16th, GM drum key, velocity) hits. Off-beat
    16ths are late by the swing in force, as the engine plays them.
    """
    import mido

    stretches = [Stretch(0, 0, _TICKS_PER_STEP, swing)]  # one per track: a 16th is always _TICKS_PER_STEP ticks

    def tick(index: int, within: int | None = None) -> int:
        """The tick of 16th ``index``, in the track holding 16th ``within`` (default: ``index``'s)."""
        holding = index if within is None else within
        return round(next(s for s in reversed(stretches) if s.index <= holding).position(index))

    def ticks(seconds: float) -> int:
        """``seconds`` at the tempo in force, in ticks."""
        return round(seconds / step_seconds(tempo) * _TICKS_PER_STEP)

    tempo = bpm

    conductor = [(0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))]
    parts: dict[str, list] = {}
    sounding: dict[str, dict[int, int]] = {}  # part -> pitch -> index of its note-off in parts[part]
    part_programs = dict(programs or {})
    changes: list[tuple[int, dict[str, int], int]] = []  # (tick, programs, kit) at each track
    onset = 0
    for event in events:
        onset += event.step
        if isinstance(event, Cue):
            at = tick(onset)
            if event.new:
                track = event.track
                stretches.append(stretches[-1].next_track(onset, _TICKS_PER_STEP, track.swing, ticks(track.transition)))
                tempo = track.bpm
                at = tick(onset)
                conductor += [(at, mido.MetaMessage("marker", text=f"track {track.number}: {track.title}")),
                              (at, mido.MetaMessage("key_signature", key=key_signature(track))),
                              (at, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(track.bpm)))]
                changes.append((at, dict(track.palette.programs), track.palette.kit))
            conductor.append((at, mido.MetaMessage("marker", text=f"section {event.section.name}")))
            continue
        nudge = ticks(event.nudge)  # a hand's lateness
        start, end = tick(onset) + nudge, tick(onset + max(1, event.duration), within=onset)  # released as the engine does
        end = max(end, start + 1)
        channel = PART_CHANNELS_IN_FILES.get(event.part, 0)
        notes = parts.setdefault(event.part, [])
        velocity = min(127, max(1, event.velocity))
        pitch = min(127, max(0, event.pitch))
        held = sounding.setdefault(event.part, {})
        if pitch in held and notes[held[pitch]][0] > start:  # struck again while it sounds: it ends here
            notes[held[pitch]] = (start, notes[held[pitch]][1])
        notes.append((start, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        held[pitch] = len(notes)
        notes.append((end, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    conductor += [(tick(index), mido.MetaMessage("text", text=f"{CHORD_MARK}{label}")) for index, label in chords]
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_track("conductor", conductor))
    for part, notes in parts.items():
        channel = PART_CHANNELS_IN_FILES.get(part, 0)
        programs_at = [(0, part_programs.get(part, 0))] + [(at, p.get(part, 0)) for at, p, _ in changes]
        notes += [(at, mido.Message("program_change", channel=channel, program=program)) for at, program in programs_at]
        midi.tracks.append(_track(part, notes))
    if drums:
        hits = []
        for index, key, velocity in drums:
            hits += [(tick(index), mido.Message("note_on", channel=DRUM_CHANNEL_IN_FILES, note=key, velocity=velocity)),
                     (tick(index + 1), mido.Message("note_off", channel=DRUM_CHANNEL_IN_FILES, note=key, velocity=0))]
        hits += [(at, mido.Message("program_change", channel=DRUM_CHANNEL_IN_FILES, program=kit)) for at, _, kit in changes]
        midi.tracks.append(_track("drums", hits))
    return midi


def _track(name: str, timed: list) -> object:
    """A mido track from (tick, message) pairs: sorted (program changes and note-offs first at a tick)."""
    import mido

    order = {"program_change": 0, "note_off": 1, "note_on": 2}
    timed = sorted(timed, key=lambda tm: (tm[0], order.get(tm[1].type, 0)))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    now = 0
    for at, message in timed:
        track.append(message.copy(time=at - now))
        now = at
    return track


def notes_to_midi(events: Iterable[Event], bpm: float, programs: Mapping[str, int] | None = None,
                  chords: Sequence[tuple[int, str]] = (), drums: Sequence[tuple[int, int, int]] = (),
                  swing: float = 0.0):
    """The pretty_midi object of ``score_file``: what ``lofid eval`` measures of generated music."""
    pretty_midi = quiet_pretty_midi()

    buffer = io.BytesIO()
    score_file(events, bpm, programs, chords, drums, swing).save(file=buffer)
    buffer.seek(0)
    return pretty_midi.PrettyMIDI(buffer)


def midi_bytes(events: Iterable[Event], bpm: float, programs: Mapping[str, int] | None = None,
               chords: Sequence[tuple[int, str]] = (), drums: Sequence[tuple[int, int, int]] = (),
               swing: float = 0.0) -> bytes:
    """``events`` as the bytes of a MIDI file (see ``score_file``), to be written with ``paths.write_file``."""
    buffer = io.BytesIO()
    score_file(events, bpm, programs, chords, drums, swing).save(file=buffer)
    return buffer.getvalue()
