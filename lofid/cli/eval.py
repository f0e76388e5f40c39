"""The ``lofid eval`` command: the figures of ``lofid.evaluation.metrics`` for a MIDI file or freshly
generated notes, next to the targets of issue 6, as aligned text or JSON.

Exit status: 0 when measured (a MISS is a finding, not a failure), 2 for bad input.
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

from lofid.config import Config, resolve_seed
from lofid.errors import LofidError
from lofid.evaluation.metrics import METRICS, Piece, measure, piece_from_midi, piece_from_notes
from lofid.music.keys import key_shift, parse_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", metavar="FILE.mid", help="the MIDI file to measure")
    source.add_argument("--generate", type=int, metavar="N",
                        help="measure N notes freshly generated with the current settings instead")
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


def _piece(args: argparse.Namespace, cfg: Config) -> tuple[Piece, str, dict]:
    """The piece to measure, its name, and what made it (for --generate: seed and settings)."""
    shift = read_key(args.key) if args.key else None
    if args.generate is None:
        from lofid.music.midi import load_midi

        path = Path(args.file)
        if not path.is_file():
            raise LofidError(f"{path}: no such MIDI file")
        return piece_from_midi(load_midi(path), path.parent, shift, "--key", str(path)), str(path), {}
    if args.generate < 1:
        raise LofidError(f"--generate must be at least 1 note, got {args.generate}")
    from lofid.compose.score import compose

    seed = resolve_seed(cfg, args.seed)
    notes, chords = compose(cfg, args.generate, seed)
    key_name = "--key" if shift is not None else f"music.key = {cfg['music.key']}"
    if shift is None:
        shift = read_key(cfg["music.key"])
    made = {"seed": seed, "model": str(cfg["model.path"]), "temperature": cfg["generation.temperature"],
            "harmony": cfg["generation.harmony"], "bpm": cfg["music.bpm"], "swing": cfg["music.swing"]}
    return piece_from_notes(notes, cfg["music.bpm"], shift, key_name, chords, cfg["music.swing"]), "generated", made


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
            "chord_onsets_off_beat": "no chord struck on the keys", "rich_chords": "no chord struck on the keys"}.get(name, "")


def main(args: argparse.Namespace) -> int:
    cfg: Config = args.cfg
    piece, name, made = _piece(args, cfg)
    rate = None
    if args.corpus:
        from lofid.evaluation.copyindex import copy_rate, corpus_index

        index = corpus_index(args.corpus)
        rate = functools.partial(copy_rate, index=index)
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
