"""The ``lofid eval`` command: the figures of ``lofid.evaluation.metrics`` for a MIDI file or freshly
generated notes, next to the targets of issue 6, as aligned text or JSON. A file that marks a radio
run of tracks (``lofid.evaluation.tracks``) is judged track by track, each in its own key and tempo,
one line each with the figures that miss, then as a whole run (JSON: "tracks" and "whole").
``--balance FILE.wav`` measures a mix instead (``lofid.evaluation.balance``): its octave shares
beside the lo-fi records' middle half, its stereo width and how mono its bass is.

Exit status: 0 when measured (a MISS is a finding, not a failure), 2 for bad input.
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
from pathlib import Path

from lofid.config import Config, resolve_seed
from lofid.errors import LofidError
from lofid.evaluation.drums import TRACK_DRUMS
from lofid.evaluation.metrics import METRICS, measure, piece_from_midi
from lofid.evaluation.tracks import GAP, WHOLE, has_tracks, misses, read_marks, tracks_of, whole
from lofid.music.keys import key_shift, note_name, parse_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE.mid", help="the MIDI file to measure")
    source.add_argument("--generate", type=int, metavar="N",
                        help="measure N notes freshly generated with the current settings instead")
    source.add_argument("--balance", metavar="FILE.wav",
                        help="measure a mix's tonal balance (octave shares, stereo width, mono bass) beside lo-fi records'")
    parser.add_argument("--corpus", metavar="DIR",
                        help="folder of MIDI (e.g. POP909) to measure the copy rate against; indexed once, then cached")
    parser.add_argument("--key", help="the key to judge 'in key' by, e.g. C, F#, Bb:maj, A:min or Am "
                                      "(default: music.key for --generate; else key_audio.txt or an estimate)")
    parser.add_argument("--seed", type=int, help="random seed for --generate (default generation.seed, else random)")
    parser.add_argument("--plot", metavar="ROLL.png", help="also draw a piano roll with the chords to this PNG")
    parser.add_argument("--json", action="store_true", help="print one JSON object for scripts")


def read_key(text: str) -> int:
    """A key name -> the shift that moves it to C major / A minor."""
    name = text.strip()
    if name.endswith("m") and ":" not in name:
        name = name[:-1] + ":min"
    key = parse_key(name)
    if key is None:
        raise LofidError(f"--key {text!r}: expected a key such as C, F#, Bb:maj, A:min or Am")
    return key_shift(*key)


def _load(file: str):
    """The MIDI file to measure (pretty_midi) and its markers and key signatures."""
    from lofid.music.midi import load_midi

    path = Path(file)
    if not path.is_file():
        raise LofidError(f"{path}: no such MIDI file")
    midi = load_midi(path)
    return midi, read_marks(path, midi)


def _generated(args: argparse.Namespace, cfg: Config):
    """--generate N: the notes the daemon would play, written as ``lofid generate`` writes them and
    read back the same road as a file; with what made them (seed and settings)."""
    if args.generate < 1:
        raise LofidError(f"--generate must be at least 1 note, got {args.generate}")
    from lofid.compose.score import compose, write_score

    seed = resolve_seed(cfg, args.seed)
    score = compose(cfg, seed, notes=args.generate)
    with tempfile.TemporaryDirectory(prefix="lofid-eval-") as folder:
        path = Path(folder) / "generated.mid"
        write_score(cfg, score, path)
        midi, marks = _load(str(path))
    made = {"seed": seed, "model": str(cfg["model.path"]), "temperature": cfg["generation.temperature"],
            "harmony": cfg["generation.harmony"], "key": cfg["music.key"], "bpm": cfg["music.bpm"]}
    return midi, marks, made


def _show(metric, value) -> str:
    if value is None:
        return "n/a"
    if metric.unit == "%":
        return f"{value * 100:.1f}%"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}{' ' + metric.unit if metric.unit else ''}"


def _why_missing(name: str, corpus: str | None) -> str:
    return {"copy_rate": "needs 15 notes or more" if corpus else "needs --corpus DIR",
            "repetition": "needs more than 10 notes",
            "strong_beat_chord_tones": "no melody note on beat 1 or 3 under a chord",
            "theme_return": "needs a melody of 70 notes or more",
            "chord_onsets_off_beat": "no chord struck on the keys", "rich_chords": "no chord struck on the keys",
            **dict.fromkeys(("keys_pitch", "keys_pitch_classes", "keys_three_or_four", "keys_strikes_per_bar",
                             "keys_hold_beats"), "no chord struck on the keys")}.get(name, "")


def _copy_rate(corpus: str | None):
    if not corpus:
        return None
    from lofid.evaluation.copyindex import copy_rate, corpus_index

    return functools.partial(copy_rate, index=corpus_index(corpus))


def main(args: argparse.Namespace) -> int:
    cfg: Config = args.cfg
    if args.balance is not None:
        return _main_balance(args.balance, args.json)
    if args.generate is None:
        (midi, marks), name, made = _load(args.file), str(args.file), {}
    else:
        (midi, marks, made), name = _generated(args, cfg), "generated"
    if has_tracks(marks):
        return _main_tracks(args, midi, marks, name, made)
    shift = read_key(args.key) if args.key else None
    folder = Path(args.file).parent if args.generate is None else None
    piece = piece_from_midi(midi, folder, shift, "--key", name)
    rate = _copy_rate(args.corpus)
    values = measure(piece, rate)
    if args.plot:
        from lofid.evaluation.pianoroll import plot

        plot(piece, args.plot, name)
    seconds = max(n.end for n in piece.notes) - min(n.start for n in piece.notes)
    if args.json:
        print(json.dumps({
            "piece": name, "notes": len(piece.notes), "seconds": round(seconds, 3), "key": piece.key,
            "sources": piece.sources, **({"generated": made} if made else {}),
            **({"corpus": args.corpus} if args.corpus else {}), **({"plot": args.plot} if args.plot else {}),
            "metrics": {m.name: {"value": values[m.name], "target": m.target() or None, "ok": m.ok(values[m.name])}
                        for m in METRICS},
        }, indent=2))
        return 0
    print(f"{name}: {len(piece.notes)} notes, {seconds:.1f} s")
    print(f"  key {piece.key} ({piece.sources['key']}); chords {piece.sources['chords']}; "
          f"melody: {piece.sources['melody']}")
    if made:
        print("  " + ", ".join(f"{k} {v}" for k, v in made.items()))
    for m in METRICS:
        value = values[m.name]
        verdict = {True: "ok", False: "MISS", None: ""}[m.ok(value)]
        note = _why_missing(m.name, args.corpus) if value is None else ""
        target = f"target {m.target()}" if m.target() else ""
        print(f"  {m.label:<36}{_show(m, value):>10}   {target:<18}{verdict or note}".rstrip())
    if args.plot:
        print(f"  piano roll: {args.plot}")
    return 0


def _verdicts(metrics, values: dict) -> dict:
    return {m.name: {"value": values[m.name], "target": m.target() or None, "ok": m.ok(values[m.name])}
            for m in metrics}


def _keys(values: dict) -> str:
    """A track's keys figures in a few columns: mean strike pitch (and its note), pitch classes per
    strike, strikes per bar, hold in beats, the share of chord onsets off the beat."""
    pitch = values["keys_pitch"]
    if pitch is None:
        return f"{'keys: no chords':<45}"
    off = values["chord_onsets_off_beat"]
    return (f"keys {pitch:4.1f} {note_name(round(pitch)):<3} {values['keys_pitch_classes']:.1f} pc "
            f"{values['keys_strikes_per_bar'] or 0:.2f}/bar {values['keys_hold_beats']:.1f} beats "
            f"{'-' if off is None else f'{off * 100:.0f}%'} off")


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _drums(track) -> str:
    """A track's drum figures for its line: distance from the grid, soft hits, fills before breaks."""
    offset, soft = (track.values[m.name] for m in TRACK_DRUMS)
    if offset is None:
        return "no drums"
    fills = f", {track.beat.filled}/{track.beat.breaks} breaks filled" if track.beat.breaks else ""
    return f"drums {offset:4.1f} ms off the grid, {soft * 100:2.0f}% soft{fills}"


def _main_tracks(args: argparse.Namespace, midi, marks, name: str, made: dict) -> int:
    """A file of marked tracks: one line per track, each judged in its own key and tempo, then the run."""
    shift = read_key(args.key) if args.key else None
    tracks = tracks_of(midi, marks, shift, "--key", name, _copy_rate(args.corpus))
    values = whole(tracks)
    notes = sum(len(t.piece.notes) for t in tracks)
    seconds = max(t.end for t in tracks) - min(t.start for t in tracks)
    if args.plot:
        from lofid.evaluation.pianoroll import plot

        plot(piece_from_midi(midi, None, 0, "", name), args.plot, name)  # the whole run; the key draws nothing
    if args.json:
        print(json.dumps({
            "piece": name, "notes": notes, "seconds": round(seconds, 3), **({"generated": made} if made else {}),
            **({"corpus": args.corpus} if args.corpus else {}), **({"plot": args.plot} if args.plot else {}),
            "tracks": [{"number": t.number, "title": t.title, "key": t.key, "bpm": round(t.bpm, 2),
                        "start": round(t.start, 3), "seconds": round(t.end - t.start, 3), "notes": len(t.piece.notes),
                        "sources": t.piece.sources,
                        "progression": None if t.progression is None else [f"{r}:{q}" for r, q in t.progression],
                        "groove": t.groove, "metrics": _verdicts((*METRICS, *TRACK_DRUMS, GAP), t.values)}
                       for t in tracks],
            "whole": _verdicts(WHOLE, values),
        }, indent=2))
        return 0
    judged = f"; in key judged by --key {args.key}" if args.key else ""
    print(f"{name}: {len(tracks)} tracks, {notes} notes, {seconds / 60:.1f} min{judged}")
    if made:
        print("  " + ", ".join(f"{k} {v}" for k, v in made.items()))
    titles = max(len(t.title) for t in tracks)
    keys = max(len(t.key) for t in tracks)
    for t in tracks:
        missed = misses(t)
        verdict = "MISS " + ", ".join(f"{m.label.split(' (')[0]} {_show(m, v)}" for m, v in missed) if missed else "ok"
        print(f"  {t.number:>3}  {t.title:<{titles}}  {t.key:<{keys}}  {round(t.bpm, 1):>4g} bpm  {_clock(t.end - t.start):>5}  "
              f"{_keys(t.values)}  {_drums(t)}  {verdict}")
    print("  the whole run:")
    for m in WHOLE:
        value = values[m.name]
        verdict = {True: "ok", False: "MISS", None: ""}[m.ok(value)]
        note = ("needs two tracks" if m.name == "longest_gap" else _why_missing(m.name, args.corpus)) \
            if value is None else ""
        target = f"target {m.target()}" if m.target() else ""
        print(f"  {m.label:<36}{_show(m, value):>10}   {target:<18}{verdict or note}".rstrip())
    if args.plot:
        print(f"  piano roll: {args.plot}")
    return 0


def _main_balance(file: str, as_json: bool) -> int:
    """--balance FILE.wav: the mix's octave shares, one line per octave beside the records', then its stereo."""
    from lofid.evaluation.balance import BASS_HZ, BASS_SIDE_MID_MAX, OCTAVES_HZ, RECORDS, SIDE_MID_RANGE, measure_file

    b = measure_file(Path(file))
    outside = b.outside()
    if as_json:
        print(json.dumps({
            "file": file, "seconds": b.seconds, "records": RECORDS.source,
            "octaves": [{"centre_hz": hz, "share_db": v, "records": [lo, mid, hi], "outside_db": round(d, 2)}
                        for hz, v, lo, mid, hi, d in zip(OCTAVES_HZ, b.octaves_db, RECORDS.low, RECORDS.median,
                                                         RECORDS.high, outside)],
            "side_mid": b.side_mid, "side_mid_target": list(SIDE_MID_RANGE), "records_side_mid": RECORDS.side_mid,
            "bass_side_mid": b.bass_side_mid, "bass_side_mid_max": BASS_SIDE_MID_MAX, "bass_hz": BASS_HZ,
        }, indent=2))
        return 0
    print(f"{file}: tonal balance over {b.seconds:g} s (share of the mono sum's power per octave, dB of the total)")
    print(f"  records: {RECORDS.source}")
    print(f"  {'octave':>8}  {'this':>7}   {'records 25%':>11} {'median':>7} {'75%':>7}")
    for hz, v, lo, mid, hi, d in zip(OCTAVES_HZ, b.octaves_db, RECORDS.low, RECORDS.median, RECORDS.high, outside):
        where = "" if d == 0 else f"{d:.1f} dB {'under' if v < lo else 'over'}"
        print(f"  {_hz(hz):>8}  {v:7.1f}   {lo:11.1f} {mid:7.1f} {hi:7.1f}   {where}".rstrip())
    low, high = SIDE_MID_RANGE
    width = "ok" if low <= b.side_mid <= high else "MISS"
    print(f"  stereo side/mid RMS {b.side_mid:.3f}   target {low:g}-{high:g} (records' median {RECORDS.side_mid:g})   {width}")
    mono = "ok" if b.bass_side_mid <= BASS_SIDE_MID_MAX else "MISS"
    print(f"  side/mid below {BASS_HZ:g} Hz {b.bass_side_mid:.3f}   target <= {BASS_SIDE_MID_MAX:g} (mono bass)   {mono}")
    return 0


def _hz(hz: float) -> str:
    return f"{hz / 1000:g}k" if hz >= 1000 else f"{hz:g}"
