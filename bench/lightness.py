"""Lightness: `lofid run` beside a player decoding an MP3 of the same music, and beside the fluidsynth CLI.

    .venv/bin/python -m bench.lightness [--rounds 2] [--windows 4] [--window-seconds 10] [--no-streams]
                                        [--baseline OTHER_CHECKOUT]

What a user would otherwise run instead of lofid is a player decoding a lo-fi mix, so that is the
yardstick (issue 29): `ffplay -nodisp` playing a 128-kbps MP3 of lofid's own render (`lofid render`,
the same seed and soundfont, encoded by ffmpeg's LAME) and the `fluidsynth` command-line player with
the same instruments on the MIDI of the same composition (bench.chain_cost's command). All three play
into one private PulseAudio null sink, in turn, ROUNDS times, each from the start of its music: a
warm-up, a short recording of the sink's monitor that must not be silent (the sound really arrived),
then WINDOWS windows of WINDOW_S over which the process's CPU time (user + system, all threads,
/proc/PID/stat) is read, and its RSS once a second. The figures: the median share of one core with
the quietest and busiest window as spread, lofid's ratio to each reference (targets <= 1.5x ffplay,
<= 1.0x fluidsynth), the RSS medians (target <= 100 MB for lofid). With --baseline, the lofid of
another checkout (the main branch before a change, say) takes a turn too, in the same rounds. Beside
them, unless --no-streams: what the stream outputs add (bench.streams' pair of daemons into the null sink, one encoding 128-kbps
MP3 to one listener, one with no stream output).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from bench import chain_cost, streams
from bench.chain_cost import ROUNDS, SEED, WINDOW_S, WINDOWS, heard_rms, sample_windows
from bench.player import WARMUP_S, lofid_command
from lofid import paths
from tests.support.pulse import PulseServer, end_process, pulse_available

FFPLAY = "ffplay"
MP3_KBPS = 128
# Longer than a turn (WARMUP_S + the recording + WINDOWS x WINDOW_S) at the defaults.
RENDER_SECONDS = 90.0


def render_mp3(folder: Path, model: Path, font: Path, seconds: float = RENDER_SECONDS, seed: int = SEED) -> Path:
    """`lofid render` of the composition `lofid run --seed` plays, encoded to a MP3_KBPS MP3 by ffmpeg."""
    wav, mp3 = folder / "piece.wav", folder / "piece.mp3"
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config")}
    cmd = [*lofid_command(), "render", "--seconds", f"{seconds:g}", "--seed", str(seed), "--output", str(wav),
           "--set", f"model.path={model}", "--set", f"sound.soundfont={font}"]
    done = subprocess.run(cmd, env=env, cwd=paths.ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"lofid render failed: {done.stderr.strip()[-300:]}")
    done = subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-codec:a", "libmp3lame",
                           "-b:a", f"{MP3_KBPS}k", str(mp3)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg could not encode the MP3: {done.stderr.strip()[-300:]}")
    wav.unlink()
    return mp3


def ffplay_command(mp3: Path) -> list[str]:
    """The reference player: no window, no statistics line, its audio through SDL's PulseAudio driver."""
    return [FFPLAY, "-nodisp", "-autoexit", "-loglevel", "error", "-nostats", str(mp3)]


def start_ffplay(pulse: PulseServer, mp3: Path, log: IO | int = subprocess.DEVNULL) -> subprocess.Popen:
    """ffplay playing ``mp3`` into ``pulse`` (SDL's PulseAudio driver), its messages to ``log``."""
    return subprocess.Popen(ffplay_command(mp3), env={**pulse.env, "SDL_AUDIODRIVER": "pulseaudio"},
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def turn_ffplay(pulse: PulseServer, mp3: Path, folder: Path, windows: int, window_s: float) -> dict:
    """One turn of ffplay on the MP3: warm-up, proof it is heard, the windows."""
    with (folder / "ffplay.log").open("w") as log:
        proc = start_ffplay(pulse, mp3, log)
    try:
        time.sleep(WARMUP_S)
        if proc.poll() is not None:
            raise RuntimeError(f"ffplay exited ({proc.returncode}): {(folder / 'ffplay.log').read_text()[-300:]}")
        level = heard_rms(pulse, folder, "ffplay")
        shares, rss = sample_windows(proc.pid, windows, window_s)
        if proc.poll() is not None:
            raise RuntimeError("ffplay ended during the windows: the MP3 is too short")
    finally:
        end_process(proc)
    return {"cpu": shares, "rss": rss, "heard_rms": level}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def run(pulse: PulseServer, model: Path, rounds: int = ROUNDS, windows: int = WINDOWS, window_s: float = WINDOW_S,
        with_streams: bool = True, baseline: Path | None = None) -> dict:
    """lofid, ffplay and fluidsynth in turn, ``rounds`` times: the figures for `make bench`."""
    for program in (FFPLAY, chain_cost.FLUIDSYNTH, "ffmpeg"):
        if shutil.which(program) is None:
            raise RuntimeError(f"{program} is not installed (scripts/sysdeps.sh test)")
    choice = paths.find_soundfont("auto")
    if choice.path is None:
        raise RuntimeError("no soundfont found for sound.soundfont: auto")
    turns: dict[str, list[dict]] = {"lofid": [], "ffplay": [], "fluidsynth": [], **({"baseline": []} if baseline else {})}
    with tempfile.TemporaryDirectory(prefix="lofid-light-") as tmp:
        folder = Path(tmp)
        midi = chain_cost.generate_midi(folder / "piece.mid", model, choice.path)
        mp3 = render_mp3(folder, model, choice.path)
        for _ in range(rounds):
            turns["lofid"].append(chain_cost.turn_lofid(pulse, model, choice.path, folder, windows, window_s))
            if baseline is not None:
                turns["baseline"].append(chain_cost.turn_lofid(pulse, model, choice.path, folder, windows, window_s,
                                                               baseline))
            turns["ffplay"].append(turn_ffplay(pulse, mp3, folder, windows, window_s))
            turns["fluidsynth"].append(chain_cost.turn_fluidsynth(pulse, choice.path, midi, folder, windows, window_s))
    out: dict = {"soundfont": str(choice.path), "baseline_source": str(baseline) if baseline else None,
                 "rounds": rounds, "windows": windows, "window_s": window_s,
                 "mp3_kbps": MP3_KBPS, **{name: chain_cost.figures(t) for name, t in turns.items()}}
    cpu = {name: out[name]["cpu_pct_of_core"]["median"] for name in turns}
    out["ratio_to_ffplay"] = _ratio(cpu["lofid"], cpu["ffplay"])
    out["ratio_to_fluidsynth"] = _ratio(cpu["lofid"], cpu["fluidsynth"])
    if with_streams:
        out["streams"] = streams.encoding_cpu(model, window_s * windows, rounds)
    return out


def print_table(results: dict) -> None:
    """The side-by-side table: each program's CPU and RSS (median, min-max), lofid's ratios."""
    print(f"lightness: {results['rounds']} rounds x {results['windows']} windows of {results['window_s']:g} s, "
          f"in turn into one null sink")
    print(f"  {'program':<12} {'CPU % of a core':>16} {'(min-max)':>13} {'RSS MB':>8} {'(min-max)':>13}")
    for name in ("lofid", "baseline", "ffplay", "fluidsynth"):
        if name not in results:
            continue
        c, m = results[name]["cpu_pct_of_core"], results[name]["rss_mb"]
        print(f"  {name:<12} {c['median']:>16.2f} {c['min']:>6.2f}-{c['max']:<6.2f} {m['median']:>8.0f} "
              f"{m['min']:>6.0f}-{m['max']:<6.0f}")
    if "baseline" in results:
        print(f"  baseline: lofid from {results['baseline_source']}")
    print(f"  lofid / ffplay (MP3 {results['mp3_kbps']} kbps): {results['ratio_to_ffplay']}x (target <= 1.5x); "
          f"lofid / fluidsynth: {results['ratio_to_fluidsynth']}x (target <= 1.0x); "
          f"lofid RSS target <= 100 MB")
    enc = results.get("streams")
    if enc:
        print(f"  stream outputs (MP3 {enc.get('bitrate_kbps')} kbps, one listener) add "
              f"{enc['added_pp']['median']} points of a core "
              f"({enc['added_pp']['min']}-{enc['added_pp']['max']}; no-stream daemon "
              f"{enc['plain_cpu_pct_of_core']['median']} %)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(paths.ROOT / "models" / "lofid"), help="model path without extension")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"turns of each program (default {ROUNDS})")
    parser.add_argument("--windows", type=int, default=WINDOWS, help=f"windows per turn (default {WINDOWS})")
    parser.add_argument("--window-seconds", type=float, default=WINDOW_S, help=f"window length (default {WINDOW_S:g})")
    parser.add_argument("--no-streams", action="store_true", help="leave out the stream outputs' extra CPU")
    parser.add_argument("--baseline", type=Path, help="a lofid checkout (its folder) to play in the same rounds, to compare")
    args = parser.parse_args()
    if not pulse_available():
        raise SystemExit("lightness: PulseAudio is not installed (scripts/sysdeps.sh test)")
    with PulseServer() as pulse:
        results = run(pulse, Path(args.model).resolve(), args.rounds, args.windows, args.window_seconds,
                      not args.no_streams, args.baseline.resolve() if args.baseline else None)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
