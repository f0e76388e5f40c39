"""Stream outputs: what the MP3 encoder costs, how soon a pause reaches a listener, fifty listeners' memory.

Every daemon plays with every layer on into the real-time null sink (output.device=none), so no
sound server is involved; the listeners are this process, over loopback.

- Encoding CPU: two daemons play the same seed side by side, one serving output.http at
  BITRATE_KBPS to one listener, the other with no stream output. The listener only takes
  /stream.mp3 off its socket and counts the bytes (no decoder: its CPU is this process's, not
  lofid's). After WARMUP_S both are sampled from /proc once a second over the same window; run
  at once, the machine's other load falls on both alike. The figure is the difference of their
  shares of one core over the whole window, one per round (ROUNDS pairs, each new); each
  daemon's share is the median of 5-s windows, as the footprint gives it.
- Pause at a listener: ffmpeg reads the stream as a player would and writes float samples to a
  pipe this process reads as they come, stamping when each piece arrived. Pause: from the reply
  to POST /api/ctl {"cmd": "pause"} to the moment the first 100 ms of decoded audio under -60 dBFS
  has arrived whole (windows every 10 ms, begun after the request). Resume: the same to the first
  100 ms above -60 dBFS. The path is the render thread's block, the encoder's queue and LAME's
  frames, the HTTP send, and ffmpeg's demuxer and decoder (flushing each packet).
- Fifty listeners: the daemon's VmRSS before any listener; its peak (1-s samples) while
  LISTENERS read the stream for DRAIN_S (each one's kbps over the window after its first
  SETTLE_S, which hold the start-up burst); its peak while LISTENERS ask for the stream and then
  read nothing, which the daemon must drop: its listener count must fall back and
  "dropped_listeners" count them (one live listener reads meanwhile, so the stalled ones are seen
  to cost the others nothing); and after all have gone. The listener counts are the daemon's
  own, from GET /api/status.
- Stalled listeners' kernel memory: once a second while they stall, ``ss -tmn``'s skmem of their
  connections (none of it in the daemon's RSS): the daemon's send queues summed (``w``), the
  largest send buffer the kernel allows one of them (``tb``), the listeners' unread receive queues
  (``r``), and the same once the daemon has dropped them. ``python -m bench.streams [--source
  DIR]`` runs this part alone, on the daemon of another checkout if asked (to compare commits).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.player import ALL_LAYERS, Player
from bench.procfs import cpu_seconds, machine_busy, memory_mb
from bench.stats import summary
from tests.support.stream import CHANNELS, INPUT_FORMAT, RATE, ffmpeg_available

BITRATE_KBPS = 128  # output.http.bitrate's default, the figure
WARMUP_S = 10.0  # after the first answer, before anything is measured
WINDOW_S = 60.0  # CPU window per round
CPU_STEP_S = 5  # seconds in each window of a daemon's CPU spread
ROUNDS = 2  # pairs of daemons, each new
PAUSE_TRIALS = 5
PLAYING_S = 3.0  # music before each pause (after resume: the music back, and steady)
PAUSED_S = 2.5  # held paused in each trial
SILENT_DBFS = -60.0
LEVEL_WINDOW_S = 0.1  # a listener's level is judged over this much audio
LEVEL_HOP_S = 0.01  # one window begins this often
DECODE_START_S = 20.0  # at most this long for ffmpeg's first 2 s of audio
LISTENERS = 50
DRAIN_S = 20.0  # the live listeners read this long after their first SETTLE_S
SETTLE_S = 2.0  # a new listener's first seconds: the 0.5-s burst arrives at once
DROP_TIMEOUT_S = 480.0  # at most this long for the stalled listeners to be dropped (the kernel buffers MBs first)
GONE_TIMEOUT_S = 15.0  # for the daemon to count closed listeners gone
AFTER_S = 3.0  # after the last listener went, before the last RSS sample
POLL_S = 1.0
READ_BYTES = 65536
ROOT = Path(__file__).resolve().parent.parent
FRAME_BYTES = 4 * CHANNELS  # f32le, one sample a channel
SKMEM = re.compile(r"skmem:\(([^)]*)\)")  # ss -m: a socket's memory, e.g. skmem:(r0,rb131072,t0,tb87040,f0,w0,...)
SKMEM_FIELD = re.compile(r"([a-z]+)(\d+)")


def free_port() -> int:
    """A loopback TCP port nothing listens on now (the daemon binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streaming(port: int) -> tuple[str, ...]:
    """The settings of a daemon serving its stream on ``port``, every layer on."""
    return (*ALL_LAYERS, "output.http.enabled=true", f"output.http.listen=127.0.0.1:{port}",
            f"output.http.bitrate={BITRATE_KBPS}")


def api(port: int, method: str, path: str, body: dict | None = None) -> dict:
    """One request to the daemon's JSON API (http.client: no proxy from the environment in the way)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, data, {} if body is None else {"Content-Type": "application/json"})
        reply = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    if not reply.get("ok"):
        raise RuntimeError(f"lofid refused {method} {path} {body}: {reply.get('error')}")
    return reply


def http_status(port: int) -> dict:
    """The HTTP server's part of the daemon's status: url, listeners, dropped_listeners."""
    return api(port, "GET", "/api/status")["status"]["streams"]["http"]


def listen(port: int) -> socket.socket:
    """A connection that has asked for /stream.mp3; reading the reply (or not) is the caller's."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET /stream.mp3 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    return sock


class Drain(threading.Thread):
    """Listeners that take /stream.mp3 as fast as it comes and only count its bytes (headers left out;
    ``http=False``: a raw stream with none, as the Snapcast output sends)."""

    def __init__(self, socks: list[socket.socket], http: bool = True) -> None:
        super().__init__(name="bench-drain", daemon=True)
        self.socks = socks
        self.received = [0] * len(socks)  # audio bytes so far, per listener
        self.ended = 0  # streams the daemon closed
        self._heads: list[bytes | None] = [b"" if http else None] * len(socks)  # None once the headers are past
        self._stopping = threading.Event()

    def run(self) -> None:
        with selectors.DefaultSelector() as sel:
            for i, s in enumerate(self.socks):
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, i)
            while sel.get_map() and not self._stopping.is_set():
                for key, _ in sel.select(0.2):
                    try:
                        data = key.fileobj.recv(READ_BYTES)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if data:
                        self._count(key.data, data)
                    else:
                        sel.unregister(key.fileobj)
                        self.ended += 1

    def _count(self, i: int, data: bytes) -> None:
        head = self._heads[i]
        if head is not None:
            head += data
            end = head.find(b"\r\n\r\n")
            if end < 0:
                self._heads[i] = head
                return
            self._heads[i], data = None, head[end + 4:]
        self.received[i] += len(data)

    def snapshot(self) -> tuple[float, list[int]]:
        """(now, bytes received so far by each listener)."""
        return time.monotonic(), list(self.received)

    def stop(self) -> None:
        self._stopping.set()
        self.join(5.0)
        for s in self.socks:
            s.close()


def kbps(start: tuple[float, list[int]], end: tuple[float, list[int]]) -> list[float]:
    """Each listener's rate between two snapshots, in kbit/s."""
    seconds = end[0] - start[0]
    return [8 * (b - a) / 1000 / seconds for a, b in zip(start[1], end[1])]


def shares(t: list[float], cpu: list[float], step: int) -> list[float]:
    """% of one core in consecutive ``step``-sample windows of 1-s samples."""
    return [100 * (cpu[min(i + step, len(t) - 1)] - cpu[i]) / (t[min(i + step, len(t) - 1)] - t[i])
            for i in range(0, len(t) - 1, step)]


def cpu_round(model: Path, seconds: float, settings: tuple[str, ...] | None = None,
              reader: Callable[[], Drain] | None = None) -> dict:
    """One pair side by side: a daemon streaming to one listener, the same daemon with no stream output.

    ``settings`` and ``reader`` (called once both answer) make the first daemon another stream
    output and its reader; by default, the HTTP stream at BITRATE_KBPS and one listener."""
    port = free_port()
    with Player(None, model, *(settings or streaming(port))) as streamer, Player(None, model, *ALL_LAYERS) as plain:
        streamer.start()
        plain.start()
        streamer.wait_ready()
        plain.wait_ready()
        drain = reader() if reader else Drain([listen(port)])
        drain.start()
        try:
            time.sleep(WARMUP_S)
            pids = (streamer.pid, plain.pid)
            before = [streamer.status(), plain.status()]
            t, cpu, busy, got = [time.monotonic()], [[cpu_seconds(p) for p in pids]], [machine_busy()], [drain.snapshot()]
            while t[-1] - t[0] < seconds:
                time.sleep(1.0)
                t.append(time.monotonic())
                cpu.append([cpu_seconds(p) for p in pids])
            busy.append(machine_busy())
            got.append(drain.snapshot())
            after = [streamer.status(), plain.status()]
        finally:
            drain.stop()
    overall = [100 * (cpu[-1][k] - cpu[0][k]) / (t[-1] - t[0]) for k in (0, 1)]
    windows = [shares(t, [c[k] for c in cpu], CPU_STEP_S) for k in (0, 1)]
    return {
        "seconds": round(t[-1] - t[0], 1),
        "streaming_cpu_pct_overall": round(overall[0], 2),
        "plain_cpu_pct_overall": round(overall[1], 2),
        "added_pp": round(overall[0] - overall[1], 2),
        "streaming_windows": [round(x, 2) for x in windows[0]],
        "plain_windows": [round(x, 2) for x in windows[1]],
        "listener_kbps": round(kbps(got[0], got[1])[0], 1),
        "machine_busy_pct_of_all_cores": round(100 * (busy[1][0] - busy[0][0]) / (busy[1][1] - busy[0][1]), 1),
        "notes_played": [a["notes_played"] - b["notes_played"] for a, b in zip(after, before)],
        "underruns": [a["underruns"] - b["underruns"] for a, b in zip(after, before)],
        "dropped_blocks": after[0]["streams"]["dropped_blocks"],
        "streams": after[0]["streams"],
    }


def encoding_cpu(model: Path, seconds: float, rounds: int) -> dict:
    """ROUNDS pairs: each daemon's CPU (5-s windows of every round) and what streaming adds, per round."""
    each = [cpu_round(model, seconds) for _ in range(rounds)]
    return {
        "bitrate_kbps": BITRATE_KBPS,
        "streaming_cpu_pct_of_core": summary([x for r in each for x in r["streaming_windows"]], 2),
        "plain_cpu_pct_of_core": summary([x for r in each for x in r["plain_windows"]], 2),
        "added_pp": summary([r["added_pp"] for r in each], 2),
        "machine_busy_pct_of_all_cores": summary([r["machine_busy_pct_of_all_cores"] for r in each], 1),
        "rounds": each,
    }


class Decoder(threading.Thread):
    """ffmpeg playing the stream as a listener's player would; its float samples stamped as they arrive."""

    def __init__(self, url: str, log: Path) -> None:
        super().__init__(name="bench-decoder", daemon=True)
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-fflags", "nobuffer", "-probesize", "32",
               "-analyzeduration", "0", "-f", INPUT_FORMAT, "-i", url,
               "-f", "f32le", "-ac", str(CHANNELS), "-ar", str(RATE), "-flush_packets", "1", "pipe:1"]
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}  # the stream is local
        self.log = log
        with log.open("wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        self.chunks: list[tuple[float, bytes]] = []
        self.size = 0  # bytes so far

    def run(self) -> None:
        fd = self.proc.stdout.fileno()
        while data := os.read(fd, READ_BYTES):
            self.chunks.append((time.monotonic(), data))
            self.size += len(data)

    def wait_audio(self, seconds: float, timeout: float) -> None:
        """Until ``seconds`` of audio have been decoded; RuntimeError with ffmpeg's words if not in ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.size < seconds * RATE * FRAME_BYTES:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"ffmpeg decoded {self.size / FRAME_BYTES / RATE:.1f} s of the stream in "
                                   f"{timeout:.0f} s: {self.log.read_text(errors='replace').strip()[-500:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.join(5.0)
        self.proc.stdout.close()

    def audio(self) -> tuple[np.ndarray, np.ndarray]:
        """Everything decoded, float32 (frames, 2), and when each frame arrived (monotonic s)."""
        data = b"".join(c for _, c in self.chunks)
        frames = len(data) // FRAME_BYTES
        ends = np.cumsum([len(c) for _, c in self.chunks])
        stamps = np.array([t for t, _ in self.chunks])
        arrival = stamps[np.searchsorted(ends, (np.arange(frames) + 1) * FRAME_BYTES, side="left")]
        return np.frombuffer(data[:frames * FRAME_BYTES], "<f4").reshape(-1, CHANNELS), arrival


def window_levels(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first frame of each LEVEL_WINDOW_S window (one every LEVEL_HOP_S), and its level in dBFS (RMS)."""
    power = np.concatenate([[0.0], np.cumsum(np.mean(np.square(audio, dtype=np.float64), axis=1))])
    size, hop = int(LEVEL_WINDOW_S * RATE), int(LEVEL_HOP_S * RATE)
    starts = np.arange(0, len(audio) - size + 1, hop)
    with np.errstate(divide="ignore"):
        return starts, 10 * np.log10(np.maximum((power[starts + size] - power[starts]) / size, 0.0))


def first_window(levels: tuple[np.ndarray, np.ndarray], arrival: np.ndarray, since: float, until: float,
                 loud: bool) -> float:
    """When the first window begun after ``since`` (and whole before ``until``), loud or silent, had arrived whole."""
    starts, dbfs = levels
    ends = starts + int(LEVEL_WINDOW_S * RATE) - 1
    wanted = (dbfs > SILENT_DBFS) if loud else (dbfs < SILENT_DBFS)
    hits = np.flatnonzero(wanted & (arrival[starts] > since) & (arrival[ends] < until))
    return float(arrival[ends[hits[0]]]) if len(hits) else math.inf


def pause_resume(player: Player, port: int, trials: int) -> dict:
    """Reply-to-silence and reply-to-music at a decoding listener, over ``trials`` pause/resume pairs."""
    decoder = Decoder(f"http://127.0.0.1:{port}/stream.mp3", player.home / "ffmpeg.log")
    decoder.start()
    marks = []
    try:
        decoder.wait_audio(2.0, DECODE_START_S)
        for _ in range(trials):
            time.sleep(PLAYING_S)
            asked = time.monotonic()
            api(port, "POST", "/api/ctl", {"cmd": "pause"})
            paused = time.monotonic()
            time.sleep(PAUSED_S)
            asked_back = time.monotonic()
            api(port, "POST", "/api/ctl", {"cmd": "resume"})
            marks.append((asked, paused, asked_back, time.monotonic()))
        time.sleep(PLAYING_S)
    finally:
        decoder.stop()
    audio, arrival = decoder.audio()
    levels = window_levels(audio)
    to_silence, to_music = [], []
    for i, (asked, paused, asked_back, resumed) in enumerate(marks):
        following = marks[i + 1][0] if i + 1 < len(marks) else math.inf
        to_silence.append(first_window(levels, arrival, asked, asked_back, loud=False) - paused)
        to_music.append(first_window(levels, arrival, asked_back, following, loud=True) - resumed)
    return {"pause_silent_s": summary(to_silence, 3), "resume_music_s": summary(to_music, 3),
            "request_s": summary([m[1] - m[0] for m in marks] + [m[3] - m[2] for m in marks], 4),
            "decoded_s": round(len(audio) / RATE, 1)}


def wait_listeners(port: int, at_most: int, timeout: float) -> float:
    """Seconds until the daemon counts at most ``at_most`` listeners (inf if not within ``timeout``)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if http_status(port)["listeners"] <= at_most:
            return time.monotonic() - start
        time.sleep(0.1)
    return math.inf


def live_listeners(player: Player, port: int, count: int) -> dict:
    """``count`` listeners reading for SETTLE_S + DRAIN_S: their rates, the daemon's peak RSS and listener count."""
    drain = Drain([listen(port) for _ in range(count)])
    drain.start()
    start = time.monotonic()
    rss, counted = [], []
    try:
        time.sleep(SETTLE_S)
        first = drain.snapshot()
        while time.monotonic() - start < SETTLE_S + DRAIN_S:
            time.sleep(POLL_S)
            rss.append(memory_mb(player.pid)["rss"])
            counted.append(http_status(port)["listeners"])
        last = drain.snapshot()
        ended = drain.ended
    finally:
        drain.stop()
    return {"listeners": count, "seconds": round(last[0] - first[0], 1), "kbps": summary(kbps(first, last), 1),
            "rss_peak_mb": round(max(rss), 1), "listeners_reported_max": max(counted), "ended_by_daemon": ended,
            "gone_after_close_s": round(wait_listeners(port, 0, GONE_TIMEOUT_S), 2)}


def socket_memory(port: int, peers: set[int]) -> dict[str, int]:
    """Kernel memory of the TCP connections between the daemon's ``port`` and the listeners' ``peers``
    (local ports), summed in bytes, from ``ss -tmn``. Every state but listening counts: a
    connection closed with stream still unsent lingers in FIN-WAIT, holding it.

    "sending": the daemon's ends' send queues as the kernel accounts them (skmem ``w``: the
    unsent stream and its buffers' overhead); "send_buffer_max": the largest send buffer the
    kernel allows one of them (skmem ``tb``: what one stalled listener may come to hold);
    "receiving": the listeners' unread receive queues (skmem ``r``). None of it is in the
    daemon's RSS. In a household the receiving side is on the listener's own machine; over
    loopback, as here, both are this machine's.
    """
    out = subprocess.run(["ss", "-tmnH", "state", "connected", f"( sport = :{port} or dport = :{port} )"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    total = {"sending": 0, "send_buffer_max": 0, "receiving": 0}
    ends: tuple[int, ...] | None = None
    for line in out.splitlines():
        memory = SKMEM.search(line)
        if memory is None:
            addresses = [field for field in line.split() if ":" in field]  # local, then peer
            ends = tuple(int(a.rpartition(":")[2]) for a in addresses[-2:]) if len(addresses) >= 2 else None
            continue
        values = {m.group(1): int(m.group(2)) for m in SKMEM_FIELD.finditer(memory.group(1))}
        if ends is not None and ends[0] == port and ends[1] in peers:
            total["sending"] += values.get("w", 0)
            total["send_buffer_max"] = max(total["send_buffer_max"], values.get("tb", 0))
        elif ends is not None and ends[0] in peers and ends[1] == port:
            total["receiving"] += values.get("r", 0)
    return total


def stalled_listeners(player: Player, port: int, count: int) -> dict:
    """``count`` listeners that ask for the stream and read nothing, beside one that reads: are they
    dropped, how soon, and what kernel memory do they pin meanwhile?"""
    dropped_before = http_status(port)["dropped_listeners"]
    witness = Drain([listen(port)])
    witness.start()
    stalled = [listen(port) for _ in range(count)]
    peers = {s.getsockname()[1] for s in stalled}
    start = time.monotonic()
    rss, counted, kernel = [], [], []
    first_gone = all_gone = math.inf
    try:
        time.sleep(SETTLE_S)
        first = witness.snapshot()
        while time.monotonic() - start < DROP_TIMEOUT_S:
            time.sleep(POLL_S)
            rss.append(memory_mb(player.pid)["rss"])
            counted.append(http_status(port)["listeners"])
            kernel.append(socket_memory(port, peers))
            if max(counted) > count and counted[-1] <= count:  # all were there once; one has gone
                first_gone = min(first_gone, time.monotonic() - start)
            if max(counted) > count and counted[-1] <= 1:  # only the witness is left
                all_gone = time.monotonic() - start
                break
        last = witness.snapshot()
        time.sleep(AFTER_S)
        after = socket_memory(port, peers)  # still open on the listeners' side: what the daemon's drop let go
    finally:
        for s in stalled:
            s.close()
        witness.stop()
    status = http_status(port)
    seconds = lambda x: round(x, 1) if x < math.inf else x  # noqa: E731
    peak = max(kernel, key=lambda k: k["sending"] + k["receiving"])
    kib = lambda x: round(x / 1024)  # noqa: E731
    return {"listeners": count, "rss_peak_mb": round(max(rss), 1), "listeners_reported_max": max(counted),
            "listeners_reported_last": counted[-1], "first_dropped_s": seconds(first_gone),
            "all_dropped_s": seconds(all_gone), "waited_s": round(last[0] - start, 1),
            "dropped_listeners_counted": status["dropped_listeners"] - dropped_before,
            "kernel_sending_peak_kib": kib(peak["sending"]),
            "kernel_sending_per_listener_kib": round(peak["sending"] / count / 1024, 1),
            "kernel_send_buffer_max_kib": kib(max(k["send_buffer_max"] for k in kernel)),
            "kernel_receiving_peak_kib": kib(peak["receiving"]),
            "kernel_receiving_per_listener_kib": round(peak["receiving"] / count / 1024, 1),
            "kernel_after_drop_kib": {"sending": kib(after["sending"]), "receiving": kib(after["receiving"])},
            "witness_kbps": round(kbps(first, last)[0], 1), "witness_cut_off": witness.ended > 0}


def many_listeners(player: Player, port: int, count: int) -> dict:
    """The daemon's memory before, with ``count`` live listeners, with ``count`` stalled ones, and after."""
    before = memory_mb(player.pid)["rss"]
    live = live_listeners(player, port, count)
    stalled = stalled_listeners(player, port, count)
    gone = wait_listeners(port, 0, GONE_TIMEOUT_S)
    time.sleep(AFTER_S)
    status = http_status(port)
    return {"rss_mb": {"before": round(before, 1), "live_peak": live["rss_peak_mb"],
                       "stalled_peak": stalled["rss_peak_mb"], "after": round(memory_mb(player.pid)["rss"], 1)},
            "live": live, "stalled": stalled, "gone_after_close_s": round(gone, 2) if gone < math.inf else gone,
            "listeners_after": status["listeners"], "dropped_listeners_total": status["dropped_listeners"]}


def run(model: Path, seconds: float = WINDOW_S, rounds: int = ROUNDS) -> dict:
    if not ffmpeg_available():
        raise RuntimeError("ffmpeg is not installed (scripts/sysdeps.sh test installs it)")
    cpu = encoding_cpu(model, seconds, rounds)
    port = free_port()
    with Player(None, model, *streaming(port)) as player:
        player.start()
        player.wait_ready()
        time.sleep(WARMUP_S)
        listeners = many_listeners(player, port, LISTENERS)
        pause = pause_resume(player, port, PAUSE_TRIALS)
        status = player.status()
    return {"encoding_cpu": cpu, "listeners": listeners, "pause": pause,
            "dropped_blocks": status["streams"]["dropped_blocks"], "underruns": status["underruns"]}


def stalled_only(model: Path, count: int = LISTENERS, source: Path | None = None) -> dict:
    """The stalled-listener part alone, on one daemon; ``source``: run the daemon from that lofid
    checkout instead (an earlier commit, to compare)."""
    port = free_port()
    with Player(None, model, *streaming(port)) as player:
        if source is not None:
            player.env = {**player.env, "PYTHONPATH": str(source)}
            player.command = [sys.executable, "-P", "-m", "lofid.cli", "run"]  # -P: not this checkout, the cwd
        player.start()
        player.wait_ready()
        time.sleep(WARMUP_S)
        result = stalled_listeners(player, port, count)
    return {"daemon_source": str(source or ROOT), **result}


def main() -> int:
    parser = argparse.ArgumentParser(description="the stalled-listener part of the streams benchmark alone")
    parser.add_argument("--model", default=str(ROOT / "models" / "lofid"), help="model path without extension")
    parser.add_argument("--listeners", type=int, default=LISTENERS, help=f"stalled listeners (default {LISTENERS})")
    parser.add_argument("--source", help="run the daemon from this lofid checkout (e.g. `git archive` of an "
                                         "earlier commit unpacked), to compare")
    args = parser.parse_args()
    result = stalled_only(Path(args.model).resolve(), args.listeners, Path(args.source).resolve() if args.source else None)
    print(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
