"""The daemon's main loop hears signals through lofid.signals.SignalInbox.

A handler that sets a threading.Event deadlocks when the signal lands while the main thread is in
that event's wait(); CI once saw `lofid run` ignore SIGTERM that way. Here a thread fires thousands
of signals at the process while the main thread waits, as the daemon's loop does.
"""

import os
import signal
import threading
import time

from lofid.daemon.signals import SignalInbox

BURST = 3000


def test_a_burst_of_signals_reaches_the_loop_without_hanging_it():
    inbox = SignalInbox((signal.SIGUSR1, signal.SIGUSR2))
    got: list[int] = []

    def fire() -> None:
        for _ in range(BURST):
            os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR2)

    try:
        threading.Thread(target=fire, daemon=True).start()
        deadline = time.monotonic() + 60
        while signal.SIGUSR2 not in got and time.monotonic() < deadline:
            got += inbox.wait(0.0001)
    finally:
        inbox.close()
    assert signal.SIGUSR2 in got, "the last signal never reached the loop"
    assert signal.SIGUSR1 in got


def test_close_restores_the_handlers_it_replaced():
    before = signal.getsignal(signal.SIGUSR1)
    inbox = SignalInbox((signal.SIGUSR1,))
    assert signal.getsignal(signal.SIGUSR1) is not before
    inbox.close()
    assert signal.getsignal(signal.SIGUSR1) is before


def test_one_signal_is_heard_once():
    """One SIGHUP is one reload. A signal that lands while the loop is busy leaves its wakeup byte
    behind; counted from that byte as well as the handler's list, it was once reported again by the
    next wait, and that second reload read the config file while it was being rewritten."""
    inbox = SignalInbox((signal.SIGUSR1,))
    try:
        os.kill(os.getpid(), signal.SIGUSR1)  # lands now, while nobody waits
        got = inbox.wait(0.05) + inbox.wait(0.05) + inbox.wait(0.05)
    finally:
        inbox.close()
    assert got == [signal.SIGUSR1]
