"""``lofid-snapcast``, snapserver's stream plugin, spoken to as snapserver does: JSON-RPC lines on its
stdin and stdout, with the control tests' stand-in daemon behind the socket.

- it says it is ready, then the track's title and lofid's state;
- GetProperties answers the same; the apps' play, pause and next steer lofid;
- anything else is a JSON-RPC error, never silence; closing its stdin (snapserver gone) ends it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lofid import paths


@pytest.fixture
def plugin(server, rundir):
    proc = subprocess.Popen([sys.executable, "-m", "lofid.cli.snapcast", "--stream=lofid", "--snapcast-port=1780"],
                            cwd=paths.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert said(proc) == {"jsonrpc": "2.0", "method": "Plugin.Stream.Ready"}  # once it has asked lofid
    yield proc
    proc.kill()
    proc.wait()


def said(proc: subprocess.Popen) -> dict:
    return json.loads(proc.stdout.readline())


def ask(proc: subprocess.Popen, ident: int, method: str, params: dict | None = None) -> dict:
    proc.stdin.write(json.dumps({"id": ident, "jsonrpc": "2.0", "method": method, **({"params": params} if params else {})})
                     + "\n")
    proc.stdin.flush()
    while True:
        reply = said(proc)
        if reply.get("id") == ident:
            return reply


def test_it_tells_snapserver_the_title_and_state(plugin):
    told = said(plugin)
    assert told["method"] == "Plugin.Stream.Player.Properties"
    assert told["params"]["playbackStatus"] == "playing" and told["params"]["canControl"]
    assert told["params"]["metadata"]["title"] == "rainy window" and told["params"]["metadata"]["artist"] == ["lofid"]
    answer = ask(plugin, 1, "Plugin.Stream.Player.GetProperties")["result"]
    assert answer["metadata"]["title"] == "rainy window" and answer["position"] == 72.0


def test_the_apps_buttons_steer_lofid(plugin, player):
    assert ask(plugin, 1, "Plugin.Stream.Player.Control", {"command": "pause"})["result"] == "ok"
    assert player.state == "paused"
    assert ask(plugin, 2, "Plugin.Stream.Player.Control", {"command": "play"})["result"] == "ok"
    assert player.state == "playing"
    assert ask(plugin, 3, "Plugin.Stream.Player.Control", {"command": "next"})["result"] == "ok"
    assert player.nexts == 1


def test_anything_else_is_an_error_and_closing_stdin_ends_it(plugin):
    assert ask(plugin, 1, "Plugin.Stream.Player.SetProperty", {"shuffle": True})["error"]["code"] == -32601
    assert ask(plugin, 2, "Plugin.Stream.Player.Control", {"command": "seek"})["error"]["message"] == "lofid cannot seek"
    plugin.stdin.write("not json\n")
    assert ask(plugin, 3, "Plugin.Stream.Player.GetProperties")["result"]["playbackStatus"] == "playing"
    plugin.stdin.close()
    assert plugin.wait(10) == 0
