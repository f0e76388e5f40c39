"""The machine a run happened on, and the one table every output shows (terminal, BENCHMARKS.md).

A row is (benchmark, figure, median, spread, target, met?). ``rows()`` turns the results the
benchmark modules return into rows and judges each target from the measured figure; a figure
that was not measured (a benchmark failed or was skipped) says so instead of a number.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.metadata
import os
import platform
import re
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lofid.config import MODEL_BACKENDS

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "ai-edge-litert", "numpy", "pyfluidsynth", "sounddevice",
             "pretty_midi")

Row = tuple[str, str, str, str, str, str]
SECTIONS = {"1 per note": "per_note", "2 footprint": "footprint", "3 first sound": "first_sound",
            "4 control": "control", "5 steadiness": "steadiness", "6 render": "render", "7 loudness": "loudness",
            "8 chain cost": "chain_cost", "9 streams": "streams", "10 balance": "balance", "11 chain stages": "chain_stages",
            "12 lightness": "lightness", "13 threads": "threads"}
RENDER_NAMES = {"engine": "engine alone (fixed notes)", "render": "lofid render (models/lofid)"}


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and the versions of everything that does the work."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    os_name = platform.platform()
    if Path("/etc/os-release").is_file():
        fields = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
        os_name = f"{fields.get('PRETTY_NAME', '').strip(chr(34))}, kernel {platform.release()}"
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    versions["libfluidsynth"] = _fluidsynth_version()
    import sounddevice

    versions["portaudio"] = sounddevice.get_portaudio_version()[1]
    versions["pulseaudio"] = _output(["pulseaudio", "--version"])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 ** 2, 1), "os": os_name,
            "python": platform.python_version(), "versions": versions,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "commit": _output(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])}


def _fluidsynth_version() -> str:
    lib = ctypes.util.find_library("fluidsynth")
    if lib is None:
        return "not found"
    parts = [ctypes.c_int() for _ in range(3)]
    ctypes.CDLL(lib).fluid_version(*(ctypes.byref(p) for p in parts))
    return ".".join(str(p.value) for p in parts)


def _output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return "not found"


def _fmt(x: float | None, digits: int) -> str:
    if x is None:
        return "—"
    return "never" if x == float("inf") else f"{x:.{digits}f}"


def _row(bench: str, figure: str, s: dict | None, digits: int, target: str = "—",
         meets: Callable[[float], bool] | None = None, spread: str = "min–max") -> Row:
    """One row from a summary() dict (median, min, max)."""
    if not s or s.get("median") is None:
        return (bench, figure, "not measured", "", target, "—" if meets is None else "NO")
    median = s["median"]
    shown = f"{_fmt(s['min'], digits)}–{_fmt(s['max'], digits)} ({spread}, n={s['n']})"
    verdict = "—" if meets is None else ("yes" if meets(median) else "NO")
    return (bench, figure, _fmt(median, digits), shown, target, verdict)


def rows(results: dict) -> list[Row]:
    """Every figure of the run, with its target where the issue sets one."""
    out: list[Row] = []
    per_note = results.get("per_note", {})
    notes = per_note.get("per_note_ms", {})
    for name, digits in (("numpy", 3), ("litert", 3), ("tensorflow", 3), ("keras predict", 2), ("litert+xnnpack", 3)):
        f = notes.get(name)
        s = f and {"median": f["median"], "min": f["p10"], "max": f["p90"], "n": f["notes"]}
        target, meets = ("≤ 1.5 ms", lambda m: m <= 1.5) if name == MODEL_BACKENDS[0] else ("—", None)
        out.append(_row("1 per note", f"{name}, ms a note", s, digits, target, meets, "p10–p90"))
    ratios = per_note.get("ratio_to_litert", {})
    for name, target, meets in (("keras predict", "≥ 30x", lambda r: r >= 30), ("tensorflow", "—", None)):
        r = ratios.get(name)
        out.append(("1 per note", f"{name} / litert", "not measured" if r is None else f"{r:.1f}x",
                    "ratio of medians", target, "—" if meets is None else ("yes" if r and meets(r) else "NO")))
    measured = results.get("footprint", {})
    for backend in MODEL_BACKENDS:
        f = measured.get(backend, {})  # empty when the benchmark failed: every row says "not measured"
        default = backend == MODEL_BACKENDS[0]
        out.append(_row("2 footprint", f"{backend}: CPU, % of one core", f.get("cpu_pct_of_core"), 1,
                        "≤ 5 %" if default else "—", (lambda m: m <= 5) if default else None,
                        f"{f.get('seconds', 0):.0f} s in 5-s windows"))
        out.append(_row("2 footprint", f"{backend}: RSS, MB", f.get("rss_mb"), 0,
                        "≤ 150 MB" if default else "—", (lambda m: m <= 150) if default else None, "min–max, 1 s samples"))
        for kind in ("pss", "uss"):
            out.append(_row("2 footprint", f"{backend}: {kind.upper()}, MB", f.get(f"{kind}_mb"), 0))
    for prefix, server in (("", "PulseAudio"), ("pipewire_", "PipeWire")):
        out.append(_row("3 first sound", f"launch to first sound, {server}, s",
                        results.get("first_sound", {}).get(f"{prefix}first_sound_s"), 2, "≤ 1 s", lambda m: m <= 1.0))
        out.append(_row("3 first sound", f"ffplay of an MP3 launched the same way, {server}, s",
                        results.get("first_sound", {}).get(f"{prefix}ffplay_first_sound_s"), 2))
        out.append(_row("3 first sound", f"what the {server} sink had rendered ahead at launch, s",
                        results.get("first_sound", {}).get(f"{prefix}queued_s"), 2))
    out.append(_row("3 first sound", "launch to control socket served, s",
                    results.get("first_sound", {}).get("served_s"), 2))
    control = results.get("control", {})
    trip = control.get("round_trip_ms")
    for p, target, meets in (("p50", "—", None), ("p99", "< 50 ms", lambda v: v < 50)):
        value = trip and trip[p]
        out.append(("4 control", f"ctl round trip {p}, ms", _fmt(value, 2),
                    f"{trip['n']} calls, max {trip['max']:.2f}" if trip else "", target,
                    "—" if meets is None else ("yes" if value is not None and meets(value) else "NO")))
    held = control.get("held_open", {})
    trip = held.get("round_trip_ms")
    out.append(("4 control", f"ctl round trip p99 with {held.get('held', '?')} half-sent connections held, ms",
                _fmt(trip and trip["p99"], 2), f"{trip['n']} calls, p50 {trip['p50']:.2f}" if trip else "", "≤ 50 ms",
                "yes" if trip and trip["p99"] <= 50 else "NO"))
    rss = held.get("rss_mb")
    out.append(("4 control", "daemon RSS before / holding them / after, MB",
                f"{rss['before']} / {rss['held']} / {rss['after']}" if rss else "not measured", "growth", "≤ 30 MB",
                "yes" if rss and rss["after"] - rss["before"] <= 30 else "NO"))
    ctl = control.get("ctl_process", {})
    out.append(_row("4 control", "`lofid ctl status` process, s", ctl.get("ctl_s"), 3))
    out.append(_row("4 control", "bare `python -c pass`, s", ctl.get("python_s"), 3))
    ratio = ctl.get("ratio")
    out.append(("4 control", "`lofid ctl status` / bare python", "not measured" if ratio is None else f"{ratio:.2f}x",
                "ratio of medians, run in turns", "≤ 2x", "yes" if ratio is not None and ratio <= 2 else "NO"))
    out.append(_row("4 control", "pause → silent at the sink, s", control.get("pause_heard_s"), 3, "< 1 s",
                    lambda m: m < 1.0))
    out.append(_row("4 control", "resume → sound (audio path), s", control.get("resume_heard_s"), 3))
    out.append(_row("4 control", "temperature → first new note written, s", control.get("temperature_note_written_s"), 3))
    out.append(_row("4 control", "temperature → new melody note heard, s", control.get("temperature_heard_s"), 3,
                    "< 1 s", lambda m: m < 1.0))
    steady = results.get("steadiness", {})
    if "underruns" in steady:
        out.append(("5 steadiness", f"underruns in {steady['seconds']:.0f} s, {steady['busy_processes']} busy "
                    f"processes", str(steady["underruns"]),
                    f"per minute {_fmt(steady['underruns_per_minute']['min'], 0)}–"
                    f"{_fmt(steady['underruns_per_minute']['max'], 0)}", "0", "yes" if steady["underruns"] == 0 else "NO"))
    else:
        out.append(("5 steadiness", "underruns with busy cores", "not measured", "", "0", "NO"))
    for name, f in results.get("render", {}).items():
        if isinstance(f, dict) and "speed_x" in f:
            out.append(("6 render", f"{RENDER_NAMES.get(name, name)}: audio s per compute s", f"{f['speed_x']:.1f}x",
                        f"best of {results.get('render_repeat', '?')}, {f['audio_s']:.0f} s rendered", "≥ 20x",
                        "yes" if f["speed_x"] >= 20 else "NO"))
    out += _loudness_rows(results.get("loudness", {}))
    out += _chain_cost_rows(results.get("chain_cost", {}))
    out += _streams_rows(results.get("streams", {}))
    out += _balance_rows(results.get("balance", {}))
    out += _lightness_rows(results.get("lightness", {}), results.get("streams", {}).get("encoding_cpu", {}))
    stages = results.get("chain_stages", {})
    for name, pct in sorted(stages.get("pct_of_core", {}).items(), key=lambda kv: -kv[1]):
        out.append(_single("11 chain stages", f"{name}, % of one core", pct, 3,
                           f"{stages['block_frames']}-frame blocks{', paced' if stages.get('paced') else ''}, "
                           f"median of {stages['repeats']}"))
    spent = results.get("threads", {})
    for name, pct in sorted(spent.get("pct_of_core", {}).items(), key=lambda kv: -kv[1]):
        out.append(_single("13 threads", f"{'the whole process' if name == 'all' else name}, % of one core", pct, 2,
                           f"a playing lofid run, {spent['seconds']:g} s"))
    return [r for r in out if SECTIONS[r[0]] in results]  # benchmarks left out with --only have no rows


def _single(bench: str, figure: str, value: float | None, digits: int, detail: str = "", target: str = "—",
            meets: Callable[[float], bool] | None = None) -> Row:
    """One row of a single measured figure (no spread of its own)."""
    verdict = "—" if meets is None else ("NO" if value is None else "yes" if meets(value) else "NO")
    return (bench, figure, "not measured" if value is None else _fmt(value, digits), detail, target, verdict)


def _loudness_rows(f: dict) -> list[Row]:
    """bench.loudness: the default mix and its tracks against the target, the layers alone, the kick."""
    mix, layers = f.get("mix", {}), f.get("layers_loudness_off", {})
    target, tolerance = f.get("target_lufs", -16.0), 1.0
    length = f"{mix.get('seconds', 0) / 60:.0f} min render, seed {f.get('seed')}"
    b = "7 loudness"
    out = [_single(b, "default mix: integrated, LUFS", mix.get("lufs"), 1, length, f"{target:g} ± {tolerance:g}",
                   lambda v: abs(v - target) <= tolerance),
           _single(b, "default mix: true peak, dBTP", mix.get("true_peak_dbtp"), 2, length + ", 4x oversampled", "≤ -1.0",
                   lambda v: v <= -1.0),
           _row(b, "default mix: per track, LUFS", mix.get("track_lufs"), 1, spread="min–max of the tracks"),
           _single(b, "tracks: largest step between consecutive, LU", mix.get("largest_step_lu"), 1),
           _single(b, "tracks: largest distance from the target, LU", mix.get("max_off_target_lu"), 1, "",
                   f"≤ {tolerance:g}", lambda v: v <= tolerance),
           _single(b, "transitions (rain, crackle, the last chord's tail), LUFS", mix.get("transition_lufs"), 1,
                   "the mix between tracks")]
    for name, value in layers.get("lufs", {}).items():
        out.append(_single(b, f"{name} alone, loudness stage off, LUFS" if name != "full" else
                           "full mix, loudness stage off, LUFS", value, 1))
    out.append(_single(b, "rain below music, LU", layers.get("rain_below_music_lu"), 1, "loudness stage off",
                       "≥ 10", lambda v: v >= 10))
    kick = mix.get("kick", {})
    for key, figure in (("kick_periodicity_beat", "kick periodicity at the bar, beat alone"),
                        ("kick_periodicity_mix", "kick periodicity at the bar, default mix"),
                        ("kick_periodicity_ratio", "kick periodicity, mix / beat alone"),
                        ("kick_correlation", "kick band: mix follows the beat (correlation)")):
        out.append(_row(b, figure, kick.get(key), 2, spread="min–max of the tracks"))
    return out


def _chain_cost_rows(f: dict) -> list[Row]:
    """bench.chain_cost: `lofid run` against the bare fluidsynth player on the same MIDI, font and sink."""
    b, window = "8 chain cost", f"{f.get('window_s', 0):g}-s windows"
    out = [_row(b, f"{name}: CPU, % of one core", f.get(key, {}).get("cpu_pct_of_core"), 1, spread=f"min–max, {window}")
           for name, key in (("lofid run", "lofid"), ("fluidsynth", "fluidsynth"))]
    ratio = f.get("ratio")
    out.append((b, "lofid run / fluidsynth, CPU", "not measured" if ratio is None else f"{ratio:.2f}x", "ratio of medians",
                "≤ 1.5x", "NO" if ratio is None or ratio > 1.5 else "yes"))
    out.append(_row(b, "lofid run: RSS while playing, MB", f.get("lofid", {}).get("rss_mb"), 0,
                    spread="min–max, 1 s samples"))
    if f.get("soundfont"):
        out.append((b, "soundfont both played", Path(f["soundfont"]).name, f.get("soundfont_origin", ""), "—", "—"))
    return out


def _lightness_rows(f: dict, encoding: dict) -> list[Row]:
    """bench.lightness: `lofid run` beside ffplay on an MP3 of its render and the fluidsynth CLI; the
    stream outputs' extra CPU (bench.streams) beside it."""
    b, window = "12 lightness", f"min–max, {f.get('window_s', 0):g}-s windows"
    out = [_row(b, f"{name}: CPU, % of one core", f.get(key, {}).get("cpu_pct_of_core"), 2, spread=window)
           for name, key in (("lofid run", "lofid"), (f"ffplay, MP3 {f.get('mp3_kbps', 128)} kbps", "ffplay"),
                             ("fluidsynth CLI", "fluidsynth"))]
    for key, figure, limit in (("ratio_to_ffplay", "lofid run / ffplay, CPU", 1.5),
                               ("ratio_to_fluidsynth", "lofid run / fluidsynth CLI, CPU", 1.0)):
        ratio = f.get(key)
        out.append((b, figure, "not measured" if ratio is None else f"{ratio:.2f}x", "ratio of medians",
                    f"≤ {limit:g}x", "NO" if ratio is None or ratio > limit else "yes"))
    out.append(_row(b, "lofid run: RSS while playing, MB", f.get("lofid", {}).get("rss_mb"), 0, "≤ 100 MB",
                    lambda m: m <= 100, "min–max, 1 s samples"))
    for name, key in (("ffplay", "ffplay"), ("fluidsynth CLI", "fluidsynth")):
        out.append(_row(b, f"{name}: RSS while playing, MB", f.get(key, {}).get("rss_mb"), 0, spread="min–max, 1 s samples"))
    out.append(_row(b, "stream outputs (MP3, one listener) add, points of one core", encoding.get("added_pp"), 2,
                    spread="min–max of bench.streams' rounds"))
    return out


def _streams_rows(f: dict) -> list[Row]:
    """bench.streams: the MP3 encoder's CPU beside a daemon without it, pause at a listener, fifty listeners."""
    b, cpu = "9 streams", f.get("encoding_cpu", {})
    rate = cpu.get("bitrate_kbps", 128)
    window = f"min–max, 5-s windows of {len(cpu.get('rounds', []))} rounds"
    out = [_row(b, f"streaming {rate} kbps to one listener: CPU, % of one core", cpu.get("streaming_cpu_pct_of_core"), 1,
                spread=window),
           _row(b, "no stream output, beside it: CPU, % of one core", cpu.get("plain_cpu_pct_of_core"), 1, spread=window),
           _row(b, f"MP3 encoding at {rate} kbps adds, points of one core", cpu.get("added_pp"), 2, "≤ +2",
                lambda m: m <= 2, "min–max of the rounds' whole windows")]
    pause = f.get("pause", {})
    out += [_row(b, "pause → 100 ms under -60 dBFS at an HTTP listener, s", pause.get("pause_silent_s"), 3),
            _row(b, "resume → 100 ms of music at an HTTP listener, s", pause.get("resume_music_s"), 3)]
    many = f.get("listeners", {})
    rss, live, stalled = many.get("rss_mb"), many.get("live", {}), many.get("stalled", {})
    n = live.get("listeners", "?")
    out.append((b, f"daemon RSS: no listener / {n} reading / {n} stalled / after, MB",
                " / ".join(f"{rss[k]:.1f}" for k in ("before", "live_peak", "stalled_peak", "after")) if rss else
                "not measured", f"peaks of 1-s samples; +{max(rss['live_peak'], rss['stalled_peak']) - rss['before']:.1f} MB "
                "at most" if rss else "", "—", "—"))
    speeds = live.get("kbps")
    out.append((b, f"{n} reading listeners: kbps each received", _fmt(speeds and speeds["median"], 1),
                f"{speeds['min']:.1f}–{speeds['max']:.1f} (min–max, {live['seconds']:.0f} s)" if speeds else "",
                f"≥ {0.95 * rate:.0f} each", "yes" if speeds and speeds["min"] >= 0.95 * rate else "NO"))
    counts = [live.get("listeners_reported_max"), stalled.get("listeners_reported_max"), many.get("listeners_after")]
    out.append((b, "listeners the daemon counted: reading / stalled (+1 reading) / after",
                " / ".join(str(c) for c in counts) if None not in counts else "not measured",
                "GET /api/status", "—", "—"))
    gone = stalled.get("all_dropped_s")
    out.append((b, f"{n} stalled listeners: all dropped after, s", "not measured" if gone is None else _fmt(gone, 1),
                f"first after {_fmt(stalled.get('first_dropped_s'), 1)} s" if stalled else "", f"all {n}",
                "yes" if gone is not None and gone < float("inf") else "NO"))
    sending = stalled.get("kernel_sending_peak_kib")
    out.append((b, f"{n} stalled listeners: kernel send queues at the daemon, peak KiB",
                "not measured" if sending is None else str(sending),
                f"{stalled.get('kernel_sending_per_listener_kib')} KiB each, of a send buffer of at most "
                f"{stalled.get('kernel_send_buffer_max_kib')} KiB (ss -tmn); their unread receive queues "
                f"{stalled.get('kernel_receiving_peak_kib')} KiB" if stalled else "", "—", "—"))
    out.append(_single(b, "stalled listeners counted in dropped_listeners", stalled.get("dropped_listeners_counted"), 0,
                       "GET /api/status", f"{n}", lambda v: v == n))
    out.append(_single(b, "a listener reading beside the stalled ones, kbps", stalled.get("witness_kbps"), 1,
                       "cut off" if stalled.get("witness_cut_off") else ""))
    return out


def _balance_rows(f: dict) -> list[Row]:
    """bench.balance: the targets of issue 24 (the full octave table is its own section)."""
    if "default" not in f:
        return [("10 balance", "octave shares beside the records", "not measured", "", "—", "NO")]
    from bench.balance import verdicts

    seeds = f"median of seeds {', '.join(map(str, f['seeds']))}, {f['minutes']:g} min each"
    return [("10 balance", figure, value, seeds, target, "yes" if met else "NO") for figure, value, target, met in verdicts(f)]


HEADER = ("benchmark", "figure", "median", "spread", "target", "met?")


def text_table(table: list[Row]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *table]) for i in range(len(HEADER))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(HEADER), line(tuple("-" * w for w in widths)), *(line(r) for r in table)])


def markdown_table(table: list[Row]) -> str:
    cell = lambda c: c.replace("|", "\\|")  # noqa: E731
    return "\n".join(["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER),
                      *("| " + " | ".join(cell(c) for c in r) + " |" for r in table)])


def errors(results: dict) -> list[str]:
    """One line per benchmark that failed, with its error."""
    return [f"{name}: {results[name]['error']}" for name in SECTIONS.values()
            if isinstance(results.get(name), dict) and "error" in results[name]]


def _why(results: dict, row: Row) -> str:
    """What the run measured about the conditions of a missed target (the reasons are to be read from these)."""
    control, steady = results.get("control", {}), results.get("steadiness", {})
    error = results.get(SECTIONS[row[0]], {}).get("error")
    if error:
        return f"the benchmark failed: {error}"
    if row[0] == "2 footprint":
        f = results.get("footprint", {}).get(row[1].split(":")[0], {})
        busy = f.get("machine_busy_pct_of_all_cores", {}).get("median")
        return f"the whole machine was {busy} % busy (all cores, lofid included) during that window" if busy else ""
    if row[1].startswith("temperature") and control.get("temperature_note_written_s"):
        return (f"the first regenerated note was written {control['temperature_note_written_s']['median']} s after "
                f"the request; the rest is the wait for the first melody note's onset (the music's own gap) "
                f"plus the audio path ({control['resume_heard_s']['median']} s)")
    if row[0] == "5 steadiness" and "underruns" in steady:
        return (f"the busy processes got {steady['busy_processes_pct_of_their_cores']} % of their cores and lofid "
                f"{steady['lofid_cpu_pct_of_core']} % of one core; load average at the start "
                f"{results['machine']['load_average_at_start'][0]}")
    if row[0] == "9 streams" and row[1].startswith("MP3 encoding"):
        busy = results.get("streams", {}).get("encoding_cpu", {}).get("machine_busy_pct_of_all_cores", {}).get("median")
        return f"the whole machine was {busy} % busy (all cores, both daemons included) during the windows" if busy else ""
    if row[0] == "9 streams" and "stalled" in row[1]:
        stalled = results.get("streams", {}).get("listeners", {}).get("stalled", {})
        return (f"waited {stalled.get('waited_s')} s; the daemon still counted {stalled.get('listeners_reported_last')} "
                f"listeners (one reading); the kernel held up to {stalled.get('kernel_sending_per_listener_kib')} KiB "
                f"unsent at the daemon and {stalled.get('kernel_receiving_per_listener_kib')} KiB unread at the "
                "listener per stalled listener meanwhile")
    busy = results.get("machine_busy_pct", {}).get(SECTIONS[row[0]])
    return "" if busy is None else f"the whole machine was {busy} % busy (all cores, this benchmark included) meanwhile"


GENERATED = ("Machine", "Results", "Targets missed", "Failed", "Tonal balance", "How each figure is measured")


def hand_written(text: str) -> list[str]:
    """The sections of an earlier BENCHMARKS.md that a run does not write (the issues' measurements
    by hand, with their history), each from its ``## `` title on, in their order: a new run keeps them."""
    sections = re.split(r"(?m)^(?=## )", text)[1:]
    return [section.rstrip("\n") + "\n" for section in sections
            if section.splitlines()[0].removeprefix("## ").strip() not in GENERATED]


def markdown(results: dict, table: list[Row], command: str, methods: list[tuple[str, str]],
             extra: Sequence[str] = (), kept: Sequence[str] = ()) -> str:
    """BENCHMARKS.md: the machine, the table, the misses with their measured conditions, the ``kept``
    hand-written sections (``hand_written``), ``extra`` lines, the methods."""
    m, model = results["machine"], results["model"]
    busy = results.get("footprint", {}).get(MODEL_BACKENDS[0], {}).get("machine_busy_pct_of_all_cores", {}).get("median")
    misses = [r for r in table if r[5] == "NO"]
    lines = [
        "# lofid benchmarks", "",
        f"Generated by `{command}` (what `make bench` runs) on {results['date']}, in "
        f"{results['total_s'] / 60:.1f} minutes. Every figure below was measured in that run; the raw "
        "samples are in `bench/results.json`.", "",
        "## Machine", "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gb']} GB",
        f"- OS: {m['os']}; Python {m['python']}",
        "- Libraries: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- Load average when the run started: {', '.join(map(str, m['load_average_at_start']))}"
        + (f"; the whole machine was {busy:.0f} % busy during the litert footprint window" if busy is not None else ""),
        f"- Commit {m['commit']}; model `{model['path']}` ({model.get('layers')} x {model.get('units')}-unit LSTM, "
        f"window {model.get('window')})", "",
        "## Results", "",
        markdown_table(table), "",
        "The spread is the min–max of the runs unless the row says otherwise (per note: the 10th–90th "
        "percentile of the notes timed; render: bench_render reports only the best of its runs).", "",
        "## Targets missed", "",
        *([f"- {r[0]}, {r[1]}: {r[2]} against {r[4]}" + (f" — {_why(results, r)}" if _why(results, r) else "")
           for r in misses] or ["None."]), "",
        *(["## Failed", "", *(f"- {e}" for e in errors(results)), ""] if errors(results) else []),
        *kept,
        *extra,
        "## How each figure is measured", "",
    ]
    for name, doc in methods:
        lines += [f"### {name}", "", doc, ""]
    return "\n".join(lines)
