"""Chain cost: CPU of `lofid run` beside the bare `fluidsynth` player on the same MIDI, soundfont and sink.

    .venv/bin/python -m bench.chain_cost [--rounds 2] [--windows 4] [--window-seconds 10]

What lofid's chain (the note model, the scheduler, four stems, the lo-fi effects, rain and
crackle, the loudness stage) costs over what playing the notes costs at all. The baseline is the
`fluidsynth` command-line player (Debian package fluidsynth) playing the MIDI file `lofid generate`
writes for the same seed (the same composition, beat included) with the soundfont lofid plays
(``sound.soundfont: auto``, passed to both explicitly), with lofid's FluidSynth settings that
change the synthesis work (FLUID_OPTIONS: reverb on, chorus off, 128 voices, one core, samples
loaded on demand), at lofid's sample rate, with its period (``-z``) the frames lofid renders at a
wake-up (8192: the player's own lightest fair match, not the card's smaller block), through its
PulseAudio driver into the same private null sink lofid plays into (``tests.support.pulse.PulseServer``).

The two take turns in one run, ROUNDS times: `lofid run` (every layer on, started as
bench.player starts it, left alone after its socket answers) then fluidsynth, each from the start
of the music, so each round's windows hear the same minute of the composition from both. Each
program gets a warm-up (WARMUP_S), then a short recording of the sink's monitor that must not be
silent (its sound really reached the sink), then WINDOWS windows of WINDOW_S over which its
process's CPU time (all threads, /proc) is read. The figures: the median share of one core over
all windows with the quietest and busiest window as spread, their ratio (target <= 1.5x), and
`lofid run`'s resident memory sampled once a second (median, min-max).
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

from bench.player import ALL_LAYERS, WARMUP_S, Player, lofid_command
from bench.procfs import cpu_seconds, memory_mb
from bench.stats import summary
from lofid import paths
from lofid.audio.sinks import render_frames
from lofid.config import defaults
from tests.support.player import SILENT_RMS, rms
from tests.support.pulse import PulseServer, end_process, pulse_available, read_recording

SEED = 7  # both play this composition
MIDI_MINUTES = 1.0  # `lofid generate --minutes`: whole tracks, so 2 minutes or more, longer than a round's turn
ROUNDS = 2
WINDOWS = 4  # per program and round
WINDOW_S = 10.0
LISTEN_S = 1.0  # the recording that proves a program is heard
RECORD_SKIP_S = 0.3  # the start of a parec recording may hold older audio
FLUID_GAIN = 1.0  # lofid's Synth plays at gain 1.0
# lofid.audio.synth.Synth's settings that change how much synthesis work a note is.
FLUID_OPTIONS = ("synth.reverb.active=1", "synth.chorus.active=0", "synth.polyphony=128", "synth.cpu-cores=1",
                 "synth.dynamic-sample-loading=1")
FLUIDSYNTH = "fluidsynth"


def fluidsynth_command(font: Path, midi: Path) -> list[str]:
    """The player: PulseAudio driver, no shell, no MIDI input, lofid's rate, render size and synth settings."""
    cfg = defaults()
    options = [a for o in FLUID_OPTIONS for a in ("-o", o)]
    return [FLUIDSYNTH, "-a", "pulseaudio", "-i", "-n", "-q", "-r", str(cfg["output.sample_rate"]),
            "-z", str(render_frames(cfg["output.block_size"])), "-g", f"{FLUID_GAIN:g}", *options, str(font), str(midi)]


def generate_midi(path: Path, model: Path, font: Path, seed: int = SEED, minutes: float = MIDI_MINUTES) -> Path:
    """`lofid generate`'s MIDI of the composition `lofid run --seed` plays (a private config folder, lofid's defaults)."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(path.parent / "config")}
    cmd = [*lofid_command(), "generate", "--minutes", f"{minutes:g}", "--seed", str(seed), "--output", str(path),
           "--set", f"model.path={model}", "--set", f"sound.soundfont={font}"]
    done = subprocess.run(cmd, env=env, cwd=paths.ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"lofid generate failed: {done.stderr.strip()[-300:]}")
    return path


def heard_rms(pulse: PulseServer, folder: Path, name: str, seconds: float = LISTEN_S) -> float:
    """RMS of what the null sink played over ``seconds``; raises if it was silence."""
    path = folder / f"{name}.wav"
    with pulse.record(path):
        time.sleep(seconds + RECORD_SKIP_S)
    audio, rate = read_recording(path)
    path.unlink(missing_ok=True)
    level = rms(audio[int(RECORD_SKIP_S * rate):])
    if level <= 10 * SILENT_RMS:
        raise RuntimeError(f"{name}: nothing reached the null sink (RMS {level:.1e})")
    return level


def sample_windows(pid: int, windows: int, window_s: float) -> tuple[list[float], list[float]]:
    """CPU share of one core (%) of process ``pid`` in each of ``windows`` windows, and its RSS (MB) once a second."""
    shares, rss = [], []
    for _ in range(windows):
        t0, c0 = time.monotonic(), cpu_seconds(pid)
        while time.monotonic() - t0 < window_s:
            time.sleep(min(1.0, max(0.0, window_s - (time.monotonic() - t0))))
            rss.append(memory_mb(pid)["rss"])
        shares.append(100 * (cpu_seconds(pid) - c0) / (time.monotonic() - t0))
    return shares, rss


def turn_lofid(pulse: PulseServer, model: Path, font: Path, folder: Path, windows: int, window_s: float,
               source: Path | None = None) -> dict:
    """One turn of `lofid run` with every layer on: warm-up, proof it is heard, the windows.
    ``source``: run the lofid of that checkout instead (an earlier commit, to compare)."""
    with Player(pulse, model, *ALL_LAYERS, f"sound.soundfont={font}", seed=SEED) as player:
        if source is not None:
            player.env = {**player.env, "PYTHONPATH": str(source)}
            player.command = [sys.executable, "-P", "-m", "lofid.cli", "run"]  # -P: not this checkout, the cwd
        player.start()
        player.wait_ready()
        time.sleep(WARMUP_S)
        level = heard_rms(pulse, folder, "lofid")
        shares, rss = sample_windows(player.pid, windows, window_s)
        status = player.status()
    return {"cpu": shares, "rss": rss, "heard_rms": level, "underruns": status.get("underruns")}


def turn_fluidsynth(pulse: PulseServer, font: Path, midi: Path, folder: Path, windows: int, window_s: float) -> dict:
    """One turn of the fluidsynth player on the MIDI file: warm-up, proof it is heard, the windows."""
    with (folder / "fluidsynth.log").open("w") as log:
        proc = subprocess.Popen(fluidsynth_command(font, midi), env=pulse.env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(WARMUP_S)
        if proc.poll() is not None:
            raise RuntimeError(f"fluidsynth exited ({proc.returncode}): {(folder / 'fluidsynth.log').read_text()[-300:]}")
        level = heard_rms(pulse, folder, "fluidsynth")
        shares, rss = sample_windows(proc.pid, windows, window_s)
        if proc.poll() is not None:
            raise RuntimeError("fluidsynth ended during the windows: the MIDI file is too short")
    finally:
        end_process(proc)
    return {"cpu": shares, "rss": rss, "heard_rms": level}


def figures(turns: list[dict]) -> dict:
    """Every turn's windows and samples pooled: CPU share and RSS summaries, how loud the sink was."""
    return {"cpu_pct_of_core": summary([s for t in turns for s in t["cpu"]], 2),
            "rss_mb": summary([m for t in turns for m in t["rss"]], 1),
            "heard_rms": [round(t["heard_rms"], 4) for t in turns],
            **({"underruns": [t["underruns"] for t in turns]} if "underruns" in turns[0] else {})}


def run(pulse: PulseServer, model: Path, rounds: int = ROUNDS, windows: int = WINDOWS, window_s: float = WINDOW_S) -> dict:
    """`lofid run` and fluidsynth in turn, ``rounds`` times: the figures for `make bench`."""
    if shutil.which(FLUIDSYNTH) is None:
        raise RuntimeError(f"{FLUIDSYNTH} is not installed (Debian package fluidsynth: scripts/sysdeps.sh test)")
    choice = paths.find_soundfont("auto")
    if choice.path is None:
        raise RuntimeError("no soundfont found for sound.soundfont: auto")
    with tempfile.TemporaryDirectory(prefix="lofid-chain-") as tmp:
        folder = Path(tmp)
        midi = generate_midi(folder / "piece.mid", model, choice.path)
        lofid, fluid = [], []
        for _ in range(rounds):
            lofid.append(turn_lofid(pulse, model, choice.path, folder, windows, window_s))
            fluid.append(turn_fluidsynth(pulse, choice.path, midi, folder, windows, window_s))
    out = {"soundfont": str(choice.path), "soundfont_origin": choice.origin, "rounds": rounds, "windows": windows,
           "window_s": window_s, "fluidsynth_command": fluidsynth_command(choice.path, Path("piece.mid")),
           "lofid": figures(lofid), "fluidsynth": figures(fluid)}
    a, b = out["lofid"]["cpu_pct_of_core"]["median"], out["fluidsynth"]["cpu_pct_of_core"]["median"]
    out["ratio"] = round(a / b, 2) if a is not None and b else None
    return out


def main() -> int:
    from bench import report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(paths.ROOT / "models" / "lofid"), help="model path without extension")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"turns of each program (default {ROUNDS})")
    parser.add_argument("--windows", type=int, default=WINDOWS, help=f"windows per turn (default {WINDOWS})")
    parser.add_argument("--window-seconds", type=float, default=WINDOW_S, help=f"window length (default {WINDOW_S:g})")
    args = parser.parse_args()
    if not pulse_available():
        raise SystemExit("chain_cost: PulseAudio is not installed (scripts/sysdeps.sh test)")
    with PulseServer() as pulse:
        results = run(pulse, Path(args.model).resolve(), args.rounds, args.windows, args.window_seconds)
    print(report.text_table(report.rows({"chain_cost": results})))
    for name in ("lofid", "fluidsynth"):
        f = results[name]
        print(f"  {name}: CPU per window {f['cpu_pct_of_core']['values']} %, RSS max {f['rss_mb']['max']} MB, "
              f"heard RMS {f['heard_rms']}")
    print("  fluidsynth ran as: " + " ".join(results["fluidsynth_command"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
