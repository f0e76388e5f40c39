"""The session D-Bus for the desktop parts (MPRIS, notifications): one connection, one thread of its own.

jeepney (pure Python, no C library, no GLib main loop) speaks the protocol; this module is the loop
around its blocking connection: it connects, answers method calls for the object paths exported
to it, sends signals and calls (their replies come back to a callback), and stops.

Threads. Everything on the connection happens on the bus thread ("lofid-dbus"), connecting
included, so a bus that is slow, wedged or gone stalls only that thread, never the music nor the
control socket. Other threads hand it work with ``post`` (a bounded deque and a wake-up pipe),
which never blocks. The handlers it calls run on the bus thread; they answer from the daemon's
quick ``Controllable`` methods, as the control server's requests do.
"""

from __future__ import annotations

import logging
import os
import selectors
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from jeepney import DBusAddress, HeaderFields, Message, MessageFlag, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

log = logging.getLogger("lofid.desktop")

MAX_JOBS = 256  # work waiting for the bus thread; past that the oldest is dropped (a stuck bus)
MAX_PENDING = 64  # calls sent and not yet answered, kept for their callbacks
AUTH_TIMEOUT_S = 2.0
NAME_TIMEOUT_S = 5.0

Handler = Callable[[Message], Message | None]  # a method call -> its reply (None: an empty one)


class DBusError(Exception):
    """Raised by a handler: the caller gets the D-Bus error ``name`` with ``message``."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def member(msg: Message) -> tuple[str | None, str | None]:
    """(interface, member) of a message; the interface may be absent from a method call."""
    return msg.header.fields.get(HeaderFields.interface), msg.header.fields.get(HeaderFields.member)


class SessionBus:
    """A connection to the session bus at ``address``, served by its own thread.

    ``ready(bus)`` runs on the bus thread once connected (export objects, claim names there). If
    the bus cannot be reached, one info line says ``no session D-Bus: <unavailable>``.
    """

    def __init__(self, address: str, ready: Callable[[SessionBus], None], unavailable: str) -> None:
        self.address, self._ready, self._unavailable = address, ready, unavailable
        self.conn: DBusConnection | None = None
        self._objects: dict[str, Handler] = {}
        self._pending: dict[int, Callable[[Message], None]] = {}
        self._jobs: deque[Callable[[], None]] = deque(maxlen=MAX_JOBS)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lofid-dbus", daemon=True)

    def start(self) -> SessionBus:
        self._thread.start()
        return self

    # -- any thread ------------------------------------------------------------------------------
    def post(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the bus thread, soon; never blocks. After ``close``, nothing."""
        if not self._stop.is_set():
            self._jobs.append(job)
            self._wake()

    def close(self, timeout: float = 1.0) -> None:
        """Stop the thread (it closes the connection, so the bus drops the names) and wait for it a little."""
        self._stop.set()
        self._wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if not self._thread.is_alive() and self._wake_w >= 0:  # else the thread still reads the pipe
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except (BlockingIOError, OSError):  # full (the thread has a wake-up waiting) or closed
            pass

    # -- the bus thread ------------------------------------------------------------------------------
    def export(self, path: str, handler: Handler) -> None:
        self._objects[path] = handler

    def request_name(self, name: str) -> bool:
        """Claim ``name`` (not queued behind another owner); True if this connection owns it now."""
        reply = self._conn.send_and_get_reply(message_bus.RequestName(name, 4), timeout=NAME_TIMEOUT_S)
        return reply.header.message_type is MessageType.method_return and reply.body[0] in (1, 4)

    def emit(self, path: str, interface: str, name: str, signature: str, body: tuple[Any, ...]) -> None:
        """Send the signal ``interface.name`` from the object at ``path``."""
        self._conn.send(new_signal(DBusAddress(path, interface=interface), name, signature, body))

    def call(self, msg: Message, on_reply: Callable[[Message], None]) -> None:
        """Send a method call; ``on_reply`` gets its reply (or error) later, on this thread."""
        serial = next(self._conn.outgoing_serial)
        if len(self._pending) >= MAX_PENDING:
            self._pending.pop(next(iter(self._pending)))
        self._pending[serial] = on_reply
        self._conn.send(msg, serial=serial)

    @property
    def _conn(self) -> DBusConnection:
        """The open connection: the bus thread's work runs only once ``_run`` has opened it."""
        if self.conn is None:
            raise ConnectionError("not connected to the session D-Bus")
        return self.conn

    def _run(self) -> None:
        try:
            self.conn = open_dbus_connection(self.address, auth_timeout=AUTH_TIMEOUT_S)
            log.debug("on the session D-Bus as %s", self.conn.unique_name)
            self._ready(self)
        except Exception as e:  # no bus there, refused, or it hung up
            log.info("no session D-Bus: %s", self._unavailable)
            log.debug("session D-Bus at %s: %s", self.address, e)
            self._closed()
            return
        try:
            self._serve()
        except (ConnectionError, OSError) as e:
            if not self._stop.is_set():
                log.info("the session D-Bus went away (%s): %s", e, self._unavailable)
        except Exception:
            log.exception("the D-Bus thread failed: %s", self._unavailable)
        finally:
            self._closed()

    def _closed(self) -> None:
        self._jobs.clear()
        if self.conn is not None:
            self.conn.close()

    def _serve(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._conn.sock, selectors.EVENT_READ, "bus")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            self._dispatch_waiting()  # what arrived while connecting
            while not self._stop.is_set():
                ready = {key.data for key, _ in selector.select()}
                if "wake" in ready:
                    try:
                        os.read(self._wake_r, 4096)
                    except BlockingIOError:
                        pass
                while self._jobs and not self._stop.is_set():
                    self._guarded(self._jobs.popleft())
                if "bus" in ready:
                    self._dispatch_waiting()
        finally:
            selector.close()

    @staticmethod
    def _guarded(job: Callable[[], None]) -> None:
        """Run one piece of work; a failure that is not the connection's own is logged, and the thread goes on."""
        try:
            job()
        except (ConnectionError, OSError):
            raise
        except Exception:
            log.exception("a D-Bus task failed")

    def _dispatch_waiting(self) -> None:
        """Handle every message the socket has for us now, without waiting for more."""
        while True:
            try:
                msg = self._conn.receive(timeout=0)
            except TimeoutError:
                return
            self._dispatch(msg)

    def _dispatch(self, msg: Message) -> None:
        kind = msg.header.message_type
        if kind in (MessageType.method_return, MessageType.error):
            on_reply = self._pending.pop(msg.header.fields.get(HeaderFields.reply_serial, -1), None)
            if on_reply is not None:
                self._guarded(lambda: on_reply(msg))
        elif kind is MessageType.method_call:
            reply = self._answer(msg)
            if not msg.header.flags & MessageFlag.no_reply_expected:
                self._conn.send(reply)

    def _answer(self, msg: Message) -> Message:
        path = msg.header.fields.get(HeaderFields.path, "")
        interface, name = member(msg)
        try:
            if interface == "org.freedesktop.DBus.Peer" and name == "Ping":
                return new_method_return(msg)
            handler = self._objects.get(path)
            if handler is not None:
                return handler(msg) or new_method_return(msg)
            if interface in (None, "org.freedesktop.DBus.Introspectable") and name == "Introspect":
                return new_method_return(msg, "s", (self._parent_node(path),))
            raise DBusError("org.freedesktop.DBus.Error.UnknownObject", f"no object at {path}")
        except DBusError as e:
            return new_error(msg, e.name, "s", (str(e),))
        except Exception as e:  # the daemon refused (a bad value) or failed: the caller is told, lofid plays on
            log.warning("D-Bus call %s.%s failed: %s", interface, name, e)
            return new_error(msg, "org.freedesktop.DBus.Error.Failed", "s", (str(e)[:300],))

    def _parent_node(self, path: str) -> str:
        """Introspection of a path above the exported ones (busctl tree, d-feet walk down from /)."""
        prefix = path.rstrip("/") + "/"
        children = sorted({p[len(prefix):].split("/")[0] for p in self._objects if p.startswith(prefix)})
        return "<node>" + "".join(f'<node name="{c}"/>' for c in children) + "</node>"

