"""Saving while listening: does a `ctl save take.flac` (rendered on the daemon's keeper thread) cost the
sound card anything?

    .venv/bin/python -m bench.saves [--saves 3] [--idle 20] [--track-in 60]

A real `lofid run` plays into a private PulseAudio null sink on the real clock (tests.support); once
TRACK_IN seconds of a 4-minute track have played, the underruns are counted over IDLE seconds of
plain playing, then over SAVES saves of the track so far, one after the other, each waited for until
its file is written. Prints both counts and how long the saves took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.player import Player  # noqa: E402
from tests.support.pulse import PulseServer  # noqa: E402
from tests.support.waiting import until  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=3)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of plain playing counted first")
    parser.add_argument("--track-in", type=float, default=60.0, help="seconds of the track played before")
    args = parser.parse_args()
    with PulseServer() as pulse:
        home = Path(tempfile.mkdtemp(prefix="lofid-bench-saves"))
        player = Player(pulse, home, "music.track_minutes=4")
        player.start()
        try:
            player.wait_ready()
            player.wait_heard()
            until(lambda: player.status()["track"]["seconds_in"] > args.track_in, "the track far enough in", timeout=300)
            before = player.status()["underruns"]
            time.sleep(args.idle)
            idle = player.status()["underruns"] - before
            before, start = player.status()["underruns"], time.monotonic()
            for i in range(args.saves):
                take = home / f"take{i}.flac"
                player.ctl("save", str(take))
                until(take.exists, "the take written", timeout=300)
            took = time.monotonic() - start
            status = player.status()
            print(f"underruns: {idle} in {args.idle:g} s of plain playing; {status['underruns'] - before} during "
                  f"{args.saves} saves of the track so far ({status['track']['seconds_in']:.0f} s in), which took "
                  f"{took:.1f} s")
        finally:
            player.kill()


if __name__ == "__main__":
    main()
