"""An Icecast source client: the MP3 stream pushed to an Icecast server, with each track's title.

Icecast (and its relays) then serve any number of listeners; lofid sends one stream. The protocol
is Icecast 2.4's HTTP PUT to the mount with the source's Basic credentials (user "source"); the title goes as
stream metadata through the server's ``/admin/metadata`` (``mode=updinfo``).

Threads: one ``lofid-icecast`` thread does all the network work; it reads the encoder's output
through its own bounded ``Subscription`` like any listener, so it never slows the encoder or the
render thread. ``set_title`` may be called from any thread. Failure: a refused or lost connection
is logged as one line, then retried with back-off for as long as lofid runs (lofid.audio.feeder);
the music never waits for it.
"""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import time
from urllib.parse import quote, urlencode

from lofid.addresses import IcecastTarget
from lofid.audio.broadcast import Broadcast
from lofid.audio.feeder import TIMEOUT_SECONDS, Feeder
from lofid.errors import describe_os_error

log = logging.getLogger(__name__)

READ_SECONDS = 0.5  # longest wait for the encoder's next bytes, so a stop or a new title is seen soon


class IcecastRefused(OSError):
    """The server answered, but not with a yes (wrong password, mount taken, not Icecast)."""


class IcecastSource(Feeder):
    """Feeds ``stream`` (MP3 bytes) to ``target``; ``state`` is "connecting", "connected" or "retrying"."""

    kind = "Icecast"

    def __init__(self, target: IcecastTarget, stream: Broadcast, bitrate: int, name: str = "lofid") -> None:
        super().__init__("lofid-icecast", target)
        self.target: IcecastTarget = target
        self.stream, self.bitrate, self.station = stream, bitrate, name
        self._title: str | None = None
        self._title_sent: str | None = None
        self._auth = base64.b64encode(f"{target.user}:{target.password}".encode()).decode()

    def set_title(self, title: str) -> None:
        """The stream title listeners see from now on (any thread; sent by this one)."""
        self._title = title

    def _connect(self) -> socket.socket:
        """Open the mount as its source; IcecastRefused when the server says no."""
        sock = socket.create_connection((self.target.host, self.target.port), TIMEOUT_SECONDS)
        try:
            sock.settimeout(TIMEOUT_SECONDS)
            sock.sendall(self._request())
            reply = _status_line(sock)
            if reply.split(" ")[1:2] != ["200"]:  # Icecast 2.4: "HTTP/1.0 200 OK", then it takes the audio
                raise IcecastRefused(f"the server refused the source: {reply or 'no answer'}")
        except BaseException:
            sock.close()
            raise
        self._title_sent = None  # a new connection has no title yet
        return sock

    def _request(self) -> bytes:
        headers = {
            "Host": f"{self.target.host}:{self.target.port}",
            "Authorization": f"Basic {self._auth}",
            "User-Agent": "lofid",
            "Content-Type": "audio/mpeg",
            "Ice-Public": "0",
            "Ice-Name": self.station,
            "Ice-Description": "endless lo-fi, written as it plays",
            "Ice-Audio-Info": f"ice-bitrate={self.bitrate};ice-channels=2",
        }
        lines = [f"PUT {quote(self.target.mount)} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _feed(self, sock: socket.socket) -> None:
        """Send the stream until the connection fails or lofid stops."""
        reader = self.stream.subscribe()
        try:
            while not self._stopping.is_set():
                if self._title is not None and self._title != self._title_sent:
                    self._send_title(self._title)
                data = reader.read(READ_SECONDS)
                if data == b"":
                    raise OSError("fell behind the encoder")
                if data:
                    sock.sendall(data)
        finally:
            self.stream.unsubscribe(reader)

    def _send_title(self, title: str) -> None:
        """Tell the server the title; a failure here is logged and the stream goes on."""
        self._title_sent = title
        query = urlencode({"mount": self.target.mount, "mode": "updinfo", "song": title, "charset": "UTF-8"})
        conn = http.client.HTTPConnection(self.target.host, self.target.port, timeout=TIMEOUT_SECONDS)
        try:
            conn.request("GET", f"/admin/metadata?{query}", headers={"Authorization": f"Basic {self._auth}",
                                                                     "User-Agent": "lofid"})
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                log.warning("Icecast at %s did not take the title (%d %s)", self.target.shown, answer.status,
                            answer.reason)
        except OSError as e:
            log.warning("Icecast at %s: the title was not sent (%s)", self.target.shown, describe_os_error(e))
        finally:
            conn.close()

    def status(self) -> dict[str, object]:
        return {"server": self.target.shown, "state": self.state, "connects": self.connects,
                **({"error": self.error} if self.error else {})}


def _status_line(sock: socket.socket) -> str:
    """The first line of the server's answer, reading no further than its header's end."""
    data = b""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while b"\r\n\r\n" not in data and len(data) < 8192 and time.monotonic() < deadline:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode("latin-1").strip()
