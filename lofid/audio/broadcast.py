"""One writer, many readers of a byte stream, each behind a bounded buffer: the encoded stream's fan-out.

Threads: ``publish`` is called by one producer thread (the MP3 encoder, or whoever announces
events); each ``Subscription`` is read by its own consumer thread (an HTTP listener, the Icecast
source). Publishing never waits for a reader: it appends to each reader's buffer under that
buffer's own short lock. Failure: a reader whose buffer passes its limit is cut off (``dropped``)
and removed, so a slow listener costs only itself, and memory stays bounded by the limit per reader.
"""

from __future__ import annotations

import threading
from collections import deque


class Subscription:
    """One reader's buffer. ``read`` waits for bytes; it returns b"" once the reader is cut off or closed."""

    def __init__(self, limit: int, burst: bytes = b"") -> None:
        self.limit = limit  # bytes buffered before the reader counts as too slow
        self.dropped = False  # cut off for falling behind
        self.closed = False
        self._chunks: deque[bytes] = deque([burst] if burst else [])
        self._size = len(burst)
        self._ready = threading.Condition(threading.Lock())

    def offer(self, data: bytes) -> bool:
        """Queue ``data``; False (and cut off) when the reader is too far behind."""
        with self._ready:
            if self.closed:
                return False
            if self._size + len(data) > self.limit:
                self.dropped = self.closed = True
                self._chunks.clear()
                self._ready.notify()
                return False
            self._chunks.append(data)
            self._size += len(data)
            self._ready.notify()
            return True

    def read(self, timeout: float) -> bytes | None:
        """Everything queued, at once; None when nothing came within ``timeout`` s; b"" once closed."""
        with self._ready:
            if not self._chunks and not self.closed:
                self._ready.wait(timeout)
            if self._chunks:
                data = b"".join(self._chunks)
                self._chunks.clear()
                self._size = 0
                return data
            return b"" if self.closed else None

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify()


class Broadcast:
    """Hands every published chunk to each subscriber; a new one starts with the last ``burst`` bytes.

    The burst (a fraction of a second of audio) lets a player start at once instead of waiting for
    the next chunk, and is small so a new listener hears the present, not the past.
    """

    def __init__(self, limit: int, burst: int = 0) -> None:
        self.limit, self.burst = limit, burst
        self.dropped = 0  # readers cut off for falling behind, since start
        self._recent: deque[bytes] = deque()
        self._recent_size = 0
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        with self._lock:
            subscription = Subscription(self.limit, b"".join(self._recent))
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            readers = list(self._subscribers)
            self._remember(data)
        for reader in readers:
            if not reader.offer(data):  # cut off just now, or closed by its own thread
                self.dropped += reader.dropped
                self.unsubscribe(reader)

    def _remember(self, data: bytes) -> None:
        if self.burst <= 0:
            return
        self._recent.append(data)
        self._recent_size += len(data)
        while self._recent_size - len(self._recent[0]) >= self.burst:
            self._recent_size -= len(self._recent.popleft())

    def close(self) -> None:
        with self._lock:
            readers, self._subscribers = self._subscribers, []
        for reader in readers:
            reader.close()
