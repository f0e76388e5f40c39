"""What the Snapcast output costs: a daemon feeding it next to the same daemon with no stream output.

As the streams benchmark's encoding CPU (bench.streams.cpu_round): two daemons play the same seed
side by side, every layer on, into the real-time null sink; one has ``output.snapcast.url`` pointing
at a TCP server in this process that stands in for snapserver's tcp source and only counts the bytes
(so snapserver's own CPU is not in the figure). After the warm-up both are sampled from /proc once
a second over the same window; the figure is the difference of their shares of one core, one per
round. The reader's rate must be the PCM's (1411.2 kbit/s at 44.1 kHz), or the output fell behind.

    python -m bench.snapcast [--seconds 60] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path

from bench.player import ALL_LAYERS
from bench.stats import summary
from bench.streams import ROOT, ROUNDS, WINDOW_S, Drain, cpu_round


def feeding_round(model: Path, seconds: float) -> dict:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(30)
        url = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        return cpu_round(model, seconds, (*ALL_LAYERS, f"output.snapcast.url={url}"),
                         lambda: Drain([server.accept()[0]], http=False))


def run(model: Path, seconds: float = WINDOW_S, rounds: int = ROUNDS) -> dict:
    each = [feeding_round(model, seconds) for _ in range(rounds)]
    return {
        "feeding_cpu_pct_of_core": summary([x for r in each for x in r["streaming_windows"]], 2),
        "plain_cpu_pct_of_core": summary([x for r in each for x in r["plain_windows"]], 2),
        "added_pp": summary([r["added_pp"] for r in each], 2),
        "reader_kbps": [r["listener_kbps"] for r in each],
        "snapcast": [r["streams"]["snapcast"] for r in each],
        "machine_busy_pct_of_all_cores": summary([r["machine_busy_pct_of_all_cores"] for r in each], 1),
        "rounds": each,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="what the Snapcast output costs in CPU")
    parser.add_argument("--model", default=str(ROOT / "models" / "lofid"), help="model path without extension")
    parser.add_argument("--seconds", type=float, default=WINDOW_S, help=f"CPU window per round (default {WINDOW_S:g})")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"pairs of daemons (default {ROUNDS})")
    args = parser.parse_args()
    print(json.dumps(run(Path(args.model).resolve(), args.seconds, args.rounds), indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
