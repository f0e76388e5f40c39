"""The stream outputs beside the sound card: one MP3 encoder, the HTTP server's listeners, an Icecast
source, and a Snapcast source.

Built from ``output.http.*``, ``output.icecast.url`` and ``output.snapcast.url`` at start (a restart
changes them). The MP3 encoder and the Snapcast source are the render thread's taps: each takes a
copy of each block and returns (lofid.audio.mp3, lofid.audio.snapcast), so no listener, server or
network can make the sound card wait. The encoded bytes go to one ``Broadcast``; each HTTP listener
and the Icecast source read it through their own bounded buffer. Snapcast takes the PCM itself (its
server encodes for its rooms). The daemon's events reach the web remote through a second
``Broadcast``, as protocol lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from lofid.addresses import icecast_target, listen_address, snapcast_target
from lofid.audio.broadcast import Broadcast
from lofid.audio.sinks import render_frames
from lofid.config import Config
from lofid.control.protocol import Controllable, encode
from lofid.control.status import Event, StreamsStatus

if TYPE_CHECKING:  # each output's module is imported only when the settings turn it on (http.server, ssl: 7 MB)
    from lofid.audio.icecast import IcecastSource
    from lofid.audio.mp3 import Mp3Encoder
    from lofid.audio.snapcast import SnapcastSource
    from lofid.control.http import WebServer

log = logging.getLogger(__name__)

LISTENER_SECONDS = 8.0  # audio a listener may fall behind by before it is dropped
BURST_SECONDS = 0.5  # audio a new listener starts with, so a player starts at once, hearing the present
EVENT_BUFFER_BYTES = 256 * 1024  # event lines a web remote may leave unread before it is dropped


class Streams:
    """What the settings ask for of the stream outputs; nothing at all when all are off."""

    def __init__(self, cfg: Config, target: Controllable) -> None:
        self.http: WebServer | None = None
        self.icecast: IcecastSource | None = None
        self.encoder: Mp3Encoder | None = None
        self.snapcast: SnapcastSource | None = None
        self.events = Broadcast(EVENT_BUFFER_BYTES)
        if cfg["output.snapcast.url"].strip():
            from lofid.audio.snapcast import SnapcastSource

            self.snapcast = SnapcastSource(snapcast_target(cfg["output.snapcast.url"]), cfg["output.sample_rate"],
                                           render_frames(cfg["output.block_size"]))
        url = cfg["output.icecast.url"].strip()
        if not (cfg["output.http.enabled"] or url):
            return
        from lofid.audio.mp3 import Mp3Encoder

        bitrate = cfg["output.http.bitrate"]
        bytes_per_second = bitrate * 1000 // 8
        self.audio = Broadcast(int(LISTENER_SECONDS * bytes_per_second), int(BURST_SECONDS * bytes_per_second))
        if cfg["output.http.enabled"]:  # first: a refused address stops the start before any thread runs
            from lofid.control.http import WebServer

            self.http = WebServer(listen_address(cfg["output.http.listen"]), cfg["output.http.token"], target,
                                  self.audio, self.events)
        self.encoder = Mp3Encoder(cfg["output.sample_rate"], render_frames(cfg["output.block_size"]), bitrate, self.audio)
        if url:
            from lofid.audio.icecast import IcecastSource

            self.icecast = IcecastSource(icecast_target(url), self.audio, bitrate)

    @property
    def taps(self) -> tuple[Callable[[np.ndarray], None], ...]:
        """What the render thread hands each block to."""
        return tuple(part.offer for part in (self.encoder, self.snapcast) if part is not None)

    def start(self) -> None:
        for part in (self.encoder, self.http, self.icecast, self.snapcast):
            if part is not None:
                part.start()
        if self.http is not None:
            log.info("streaming at %sstream.mp3, web remote at %s", self.http.url, self.http.url)

    def listen(self, event: Event) -> None:
        """A daemon event: to the web remotes, and a new track's title to Icecast."""
        self.events.publish(encode(event))
        if self.icecast is not None and event["event"] == "track":
            track = event["track"]
            self.icecast.set_title(f"{track['title']} ({track['key']}, {track['bpm']:g} bpm)")

    def status(self) -> StreamsStatus | None:
        """``ctl status``'s "streams": listeners, dropped blocks, the Icecast and Snapcast connections; None when off."""
        if self.encoder is None and self.snapcast is None:
            return None
        return {"bitrate_kbps": self.encoder.bitrate if self.encoder else None,
                "dropped_blocks": self.encoder.dropped if self.encoder else 0,
                "http": self.http.status() if self.http else None,
                "icecast": self.icecast.status() if self.icecast else None,
                "snapcast": self.snapcast.status() if self.snapcast else None}

    def close(self) -> None:
        """Stop serving, then the encoder; every listener's stream ends."""
        if self.http is not None:
            self.http.close()
        for source in (self.icecast, self.snapcast):
            if source is not None:
                source.stop()
        if self.encoder is not None:
            self.encoder.stop()
            self.audio.close()
        self.events.close()
