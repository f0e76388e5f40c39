"""``lofid run``: play music until stopped, steerable with ``lofid ctl`` (what the service runs)."""

from __future__ import annotations

import argparse
import ctypes
import threading

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD_BYTES = 512 * 1024  # blocks this big get mappings of their own; a render block's arrays are smaller


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="random seed (default: generation.seed, else a new one)")
    parser.add_argument("--mood", metavar="WORDS", help="what to hear, in plain words: \"slow rainy night, no drums\" "
                                                        "(music.mood; kept like lofid ctl mood)")
    parser.epilog = ("Plays until SIGTERM/SIGINT (fades out, exit 0); SIGHUP reloads the config. "
                     "Steer it with `lofid ctl`.")


def return_big_blocks() -> None:
    """Keep glibc's mmap threshold fixed, so memory freed after start-up goes back to the system.

    glibc raises the threshold (up to 32 MB) each time a mapped block is freed, so after start-up's
    temporaries (the loops at 4 MB, the hiss's spectrum) every later block below that size comes from
    the heap, which does not shrink: about 10 MB of a playing daemon's RSS. Elsewhere than glibc the
    allocator is left as it is.
    """
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):
        pass


def warm_sound_device() -> None:
    """Import sounddevice (PortAudio's start, which asks the sound server for its devices: 0.05-0.1 s)
    on a thread of its own while the daemon is built, so opening the device later finds it done. A
    failure here is left to the sink, which reports it when it opens the device."""
    try:
        import sounddevice  # noqa: F401
    except Exception:  # OSError (no PortAudio) and the like: the sink says so, once
        pass


def main(args: argparse.Namespace) -> int:
    return_big_blocks()
    if args.cfg["output.device"] != "none":
        threading.Thread(target=warm_sound_device, name="lofid-warm-audio", daemon=True).start()
    from lofid.daemon.player import Daemon

    if args.mood is not None:
        args.cfg.replace({"music.mood": args.mood})  # unknown words: one line, before anything starts
    daemon = Daemon(args.cfg, args.config, tuple(args.overrides), args.seed)
    if args.mood is not None:  # as if said with ctl mood before the first note: kept for the next start
        daemon.mood(args.mood, keep=True)
    return daemon.start().run()
