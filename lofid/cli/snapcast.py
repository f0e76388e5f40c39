"""``lofid-snapcast``: snapserver's stream plugin for lofid's source, so every room shows the track playing.

Snapcast 0.26 takes a stream's metadata only from its plugin (``controlscript=`` on the source;
its JSON-RPC ``Stream.SetMeta`` is gone, and ``Stream.SetProperty`` only forwards loop, shuffle,
volume and rate to the plugin). snapserver starts this program with ``--stream=ID`` (and
``--snapcast-port=PORT``, unused) and speaks newline-delimited JSON-RPC 2.0 over its stdin and
stdout (doc/json_rpc_api/stream_plugin.md). It follows lofid's events through the control socket,
as ``lofid ctl watch`` does, and tells snapserver each track's title and whether lofid plays; the
Snapcast apps' play, pause and next buttons steer lofid (``resume``, ``pause``, ``next``).

Threads: the main thread reads snapserver's requests and answers them from the last properties
seen, and ends the program when snapserver closes its stdin (it stopped or died); a second thread
follows lofid and writes notifications. Writes to stdout take one lock. Failure:
lofid not running (or restarted) is retried every ``RETRY_SECONDS``, and the stream says "stopped"
meanwhile; a request lofid refuses is answered with a JSON-RPC error carrying lofid's reason.
It reaches lofid only where snapserver runs as the same user (the control socket is private).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from lofid.control.client import request, watch
from lofid.errors import LofidError

RETRY_SECONDS = 2.0  # between attempts to reach lofid's control socket
ARTIST = "lofid"
GENRE = "Lo-fi"
INVALID_PARAMS = -32602  # JSON-RPC 2.0's codes
METHOD_NOT_FOUND = -32601
REFUSED = -32000  # a server error: lofid said no, or is not running
CONTROLS: dict[str, dict[str, object]] = {  # a Snapcast app's button -> lofid's request (stop: lofid only pauses)
    "play": {"cmd": "resume"}, "pause": {"cmd": "pause"}, "stop": {"cmd": "pause"}, "next": {"cmd": "next"}}
CAPABILITIES = {"canGoNext": True, "canGoPrevious": False, "canPlay": True, "canPause": True, "canSeek": False,
                "canControl": True}


def properties(status: dict[str, Any] | None) -> dict[str, Any]:
    """snapserver's stream properties for lofid's ``status`` (None: lofid is not running)."""
    if status is None:
        return {"playbackStatus": "stopped", **CAPABILITIES}
    found: dict[str, Any] = {"playbackStatus": status["state"], **CAPABILITIES}
    track = status.get("track")
    if track:
        found["position"] = track["seconds_in"]
        found["metadata"] = {"trackId": str(track["number"]), "title": track["title"], "artist": [ARTIST],
                             "genre": [GENRE], "duration": track["length_s"], "bpm": round(track["bpm"]),
                             "comment": [f"{track['key']}, {track['bpm']:g} bpm"]}
    return found


class Plugin:
    """Between lofid's control socket at ``path`` and snapserver on ``out`` (and ``requests``)."""

    def __init__(self, path: Path, out: TextIO) -> None:
        self.path, self.out = path, out
        self.status: dict[str, Any] | None = None  # lofid's, kept current from its events
        self._writing = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        with self._writing:
            self.out.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
            self.out.flush()

    def announce(self) -> None:
        self.send({"method": "Plugin.Stream.Player.Properties", "params": properties(self.status)})

    def follow(self) -> None:
        """Keep snapserver told of lofid's track and state, for as long as this runs. Ready goes once
        lofid has been asked, so snapserver's first question (GetProperties) has lofid's answer."""
        self.status = self._ask_status()
        self.send({"method": "Plugin.Stream.Ready"})
        while True:
            self.status = self.status or self._ask_status()
            if self.status is not None:
                self.announce()
                try:
                    for event, _ in watch(self.path):
                        if event["event"] in ("track", "state"):
                            self.status[event["event"]] = event[event["event"]]
                            self.announce()
                except (LofidError, OSError, KeyError, TypeError):
                    pass
                self.status = None  # lofid stopped, or its socket failed: "stopped" until it answers again
                self.announce()
            time.sleep(RETRY_SECONDS)

    def _ask_status(self) -> dict[str, Any] | None:
        try:
            return request(self.path, {"cmd": "status"})[0]["status"]
        except (LofidError, OSError, KeyError, TypeError):
            return None

    def answer(self, line: str) -> None:
        """One request from snapserver: answered; a notification or a broken line: ignored."""
        try:
            message = json.loads(line)
            method, ident = message["method"], message.get("id")
        except (ValueError, KeyError, TypeError):
            return
        if ident is None:
            return
        if method == "Plugin.Stream.Player.GetProperties":
            self.send({"id": ident, "result": properties(self.status)})
            return
        if method != "Plugin.Stream.Player.Control":
            self.send({"id": ident, "error": {"code": METHOD_NOT_FOUND, "message": f"lofid does not do {method}"}})
            return
        command = (message.get("params") or {}).get("command")
        if command == "playPause":
            command = "pause" if (self.status or {}).get("state") == "playing" else "play"
        if command not in CONTROLS:
            self.send({"id": ident, "error": {"code": INVALID_PARAMS, "message": f"lofid cannot {command}"}})
            return
        try:
            reply, _ = request(self.path, CONTROLS[command])
        except (LofidError, OSError) as e:
            reply = {"ok": False, "error": str(e)}
        if reply.get("ok"):
            self.send({"id": ident, "result": "ok"})
        else:
            self.send({"id": ident, "error": {"code": REFUSED, "message": reply.get("error", "refused")}})

    def serve(self, requests: TextIO) -> None:
        for line in requests:
            self.answer(line)


def main(argv: list[str] | None = None) -> int:
    """The ``lofid-snapcast`` entry point; snapserver's arguments (``--stream``, ``--snapcast-port``) are not needed."""
    from lofid.cli.ctl import daemon_socket

    plugin = Plugin(daemon_socket(None, []), sys.stdout)
    threading.Thread(target=plugin.follow, name="lofid-snapcast-follow", daemon=True).start()
    try:
        plugin.serve(sys.stdin)
    except (KeyboardInterrupt, BrokenPipeError):  # snapserver stops a plugin with SIGINT
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
