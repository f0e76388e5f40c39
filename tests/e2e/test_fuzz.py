"""Fuzz the control socket of a real, playing `lofid run` (null sink) with over 10,000 messages.

Each message is one of: a well-formed request (status, a valid setting, a layer, skip, resume), a
request with a bad value (wrong type, NaN, infinities, huge numbers, out of range), an unknown
verb or field, invalid JSON, invalid UTF-8, random bytes, or a valid request with bytes flipped.
They go pipelined over many connections; then lines over 64 KiB, half-sent lines held open, and a
hundred clients at once.

What must hold (lofid/control.py's limits):
- every line gets exactly one reply line, in order; a well-formed request gets ``ok: true``, a
  bad one ``ok: false`` with a one-line error; an over-long line gets an error and the connection
  is closed;
- a hundred clients at once are each answered, with no retry;
- a thousand half-sent lines held open leave real requests answered, in bounded memory;
- the daemon keeps playing (notes_played keeps rising) and its resident memory stays bounded.

The MPD door (lofid.control.mpd) gets the same: malformed lines of every kind each answered by one
OK or ACK line in MPD's format, lines over 64 KiB refused with an ACK and the connection closed, and
a flood of connections waiting in ``idle`` all woken by one change, while the music plays on.
"""

from __future__ import annotations

import json
import math
import random
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from lofid.control.client import request
from lofid.control.server import IDLE_TIMEOUT, MAX_LINE
from tests.support.player import Player
from tests.support.sockets import free_port, held_open

SEED = 8
CONNECTIONS = 100
PER_CONNECTION = 101  # messages pipelined on one connection: 10,100 in all
HELD_OPEN = 10  # half-sent lines left hanging while the rest goes on
OVERLONG = 20
AT_ONCE = 100
RSS_BOUND_MB = 10  # growth allowed over the whole fuzz (measured: under 1 MB)
IDLE_HELD = 1000  # half-sent connections held open at once
IDLE_REQUESTS = 20  # real requests made while they are held
IDLE_RSS_BOUND_MB = 30  # growth allowed for holding them
MPD_CONNECTIONS = 20
MPD_PER_CONNECTION = 100
MPD_IDLERS = 500  # connections waiting in idle at once
MPD_WORDS = ["status", "currentsong", "ping", "getvol", "playlistinfo", "outputs", "stats", "setvol 70", "volume -1",
             "tagtypes", "plchanges 0", "play", "frobnicate", "setvol", "setvol 500", "setvol x", "idle nothing",
             "playlistinfo -3", "pause 7", 'tagtypes enable "Title', "password", "", "STATUS", "next next"]


def good(rng: random.Random) -> dict:
    """A request the daemon must carry out. No pause (the music must keep going), no save (no files),
    no temperature or key (each rewrites the whole queue: the model's time, not the socket's, is what
    that would measure)."""
    pick = rng.randrange(7)
    if pick == 0:
        return {"cmd": "status"}
    if pick == 1:
        return {"cmd": "set", "key": "volume", "value": rng.randint(40, 100)}
    if pick == 2:
        return {"cmd": "set", "key": "bpm", "value": round(rng.uniform(60, 100), 2)}
    if pick == 3:
        return {"cmd": "set", "key": "swing", "value": round(rng.uniform(0, 0.3), 2)}
    if pick == 4:
        return {"cmd": "layer", "name": rng.choice(["rain", "beat", "music"]), "value": rng.choice(["on", 0.5, 1])}
    return {"cmd": "resume"} if pick == 5 else {"cmd": "status"}


BAD_VALUES = [None, [], {}, [1, 2], {"a": 1}, "", "fast", "1e999", -1, 10 ** 30, -10 ** 30, 1e300, -1e300, "NaN",
              "\u202e\u0000", "x" * 1000]  # wrong for every live setting and layer


def bad(rng: random.Random) -> bytes:
    """A line that must be refused (ok: false): each kind of broken input."""
    pick = rng.randrange(12)
    if pick == 0:
        return b'{"cmd": "set", "key": "bpm", "value": ' + rng.choice([b"NaN", b"Infinity", b"-Infinity"]) + b"}"
    if pick == 1:
        return b'{"cmd": "set", "key": "temperature", "value": ' + b"9" * rng.randint(41, 5000) + b"}"
    if pick == 2:
        return b'{"cmd": "set", "key": "volume", "value": 1e' + str(rng.randint(309, 99999)).encode() + b"}"
    if pick == 3:
        key = rng.choice(["bpm", "volume", "temperature", "swing", "key", "model.path", "output.device", 5, None, ""])
        return json.dumps({"cmd": "set", "key": key, "value": rng.choice([*BAD_VALUES, True])}).encode()
    if pick == 4:
        return json.dumps({"cmd": "layer", "name": rng.choice(["rain", "nope", "", 3]), "value": rng.choice(BAD_VALUES)}).encode()
    if pick == 5:
        return json.dumps({"cmd": "".join(rng.choice("abcxyz_") for _ in range(rng.randint(0, 12))) + "!"}).encode()
    if pick == 6:
        return json.dumps({"cmd": "status", rng.choice(["force", "x", "cmd2"]): 1}).encode()
    if pick == 7:
        return bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randint(1, 200)))  # not UTF-8
    if pick == 8:
        return b"{" + bytes(rng.choice(b'abc:,"[]{} 01') for _ in range(rng.randint(0, 300)))  # not JSON
    if pick == 9:
        return rng.choice([b"[]", b"1", b'"status"', b"null", b"true", b"[" * 5000 + b"]" * 5000])  # not an object
    if pick == 10:
        return json.dumps({"cmd": "set"}).encode()  # missing fields
    return json.dumps({"cmd": rng.choice(["status", "set", "pause"]), "value": math.pi}).encode()


def mutated(rng: random.Random) -> bytes:
    """A well-formed request with random bytes changed: any answer, but an answer."""
    line = bytearray(json.dumps(good(rng)).encode())
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(line))
        line[i] = rng.choice([rng.randrange(256), ord('"'), ord("{"), ord("}")])
    return bytes(line).replace(b"\n", b" ")


def send_all(s: socket.socket, data: bytes) -> None:
    try:
        s.sendall(data)
    except OSError:  # the server closed the connection, as it does after an over-long line
        pass


def exchange(path: Path, lines: list[bytes], timeout: float = 60, connected: threading.Barrier | None = None) -> list[dict]:
    """Send ``lines`` pipelined on one connection; every reply line, decoded. With ``connected``,
    wait there after connecting, so that all the clients sharing it are connected at once."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(path))  # blocking: waits while the listen backlog is full (as lofid ctl does)
        s.settimeout(timeout)
        if connected is not None:
            connected.wait()
        sender = threading.Thread(target=send_all, args=(s, b"".join(line + b"\n" for line in lines)))
        sender.start()
        data = b""
        while data.count(b"\n") < len(lines):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        sender.join()
    return [json.loads(line) for line in data.splitlines()]


@pytest.fixture
def player(tmp_path):
    port = free_port()
    p = Player(None, tmp_path, "fx.crackle=0", "control.mpd.enabled=true", f"control.mpd.listen=127.0.0.1:{port}")
    p.mpd_port = port  # type: ignore[attr-defined]
    p.start()
    p.wait_ready()
    yield p
    p.kill()


@pytest.mark.slow(2)
def test_ten_thousand_messages_each_answered_while_it_plays_in_bounded_memory(player):
    rng = random.Random(SEED)
    path = player.socket
    time.sleep(2.0)  # let the queue fill and the allocator settle before measuring memory
    rss_before, played_before = player.rss_kb(), player.status()["notes_played"]
    counts = {"good": 0, "bad": 0, "mutated": 0}

    # Half-sent lines, held open for the whole fuzz: they must not block anyone else.
    hanging = []
    for _ in range(HELD_OPEN):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(path))
        s.sendall(b'{"cmd": "set", "key": "bpm", "val')
        hanging.append(s)

    played = [played_before]
    for _ in range(CONNECTIONS):
        kinds, lines = [], []
        for _ in range(PER_CONNECTION - 1):
            kind = rng.choices(["good", "bad", "mutated"], [0.3, 0.55, 0.15])[0]
            lines.append(json.dumps(good(rng)).encode() if kind == "good" else bad(rng) if kind == "bad" else mutated(rng))
            kinds.append(kind)
            counts[kind] += 1
        lines.append(b'{"cmd": "status"}')  # the last on each connection: is it still playing?
        kinds.append("good")
        counts["good"] += 1
        replies = exchange(path, lines)
        assert len(replies) == len(lines), "a line went unanswered"
        for kind, line, reply in zip(kinds, lines, replies):
            assert isinstance(reply.get("ok"), bool), reply
            if kind == "good":
                assert reply["ok"] is True, (line, reply)
            elif kind == "bad":
                assert reply["ok"] is False and "\n" not in reply["error"] and len(reply["error"]) <= 300, (line, reply)
        played.append(replies[-1]["status"]["notes_played"])

    # Lines over 64 KiB: an error, then the connection closes.
    for _ in range(OVERLONG):
        line = b'{"cmd": "status", "pad": "' + b"x" * rng.randint(MAX_LINE + 1, 4 * MAX_LINE) + b'"}'
        replies = exchange(path, [line, b'{"cmd": "status"}'])
        assert len(replies) == 1 and replies[0]["ok"] is False and "longer than" in replies[0]["error"]

    # A hundred clients at once, with the half-sent lines still held: every one is answered, first try.
    answers: list[list[dict]] = []
    connected = threading.Barrier(AT_ONCE, timeout=60)
    clients = [threading.Thread(target=lambda: answers.append(exchange(path, [b'{"cmd": "status"}'], timeout=60,
                                                                       connected=connected)))
               for _ in range(AT_ONCE)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(120)
    assert len(answers) == AT_ONCE and all(len(a) == 1 and a[0]["ok"] for a in answers)

    for s in hanging:  # half a line is not a request: no answer, only the idle timeout's goodbye
        s.setblocking(False)
        try:
            said = s.recv(1000)
        except BlockingIOError:
            said = b""  # still within the 30 s
        assert said in (b"", f'{{"ok": false, "error": "idle for {IDLE_TIMEOUT:g} s; closing"}}\n'.encode()), said
        s.close()

    status = player.status()
    rss_after = player.rss_kb()
    messages = sum(counts.values()) + 2 * OVERLONG + AT_ONCE + HELD_OPEN
    print(f"fuzzed {messages} messages ({counts}, {OVERLONG} over-long, {AT_ONCE} at once with "
          f"none refused, {HELD_OPEN} half-sent held); VmRSS {rss_before / 1024:.1f} -> "
          f"{rss_after / 1024:.1f} MB; notes played {played_before} -> {status['notes_played']}")
    assert messages >= 10_000
    assert player.proc.poll() is None and status["state"] == "playing"
    assert status["notes_played"] > played_before and played[-1] > played[len(played) // 2] > played_before
    assert rss_after - rss_before < RSS_BOUND_MB * 1024
    assert "Traceback" not in player.log.read_text()


def test_a_thousand_half_sent_connections_held_open_leave_real_requests_answered(player):
    time.sleep(2.0)  # let the queue fill and the allocator settle before measuring memory
    rss_before, played_before = player.rss_kb(), player.status()["notes_played"]
    hanging = held_open(player.socket, IDLE_HELD, b'{"cmd": "status", "pad": "')
    rss_held = player.rss_kb()
    replies = []
    for _ in range(IDLE_REQUESTS):
        replies.append(request(player.socket, {"cmd": "status"})[0])  # ctl's own client, its 5-s timeout
        time.sleep(0.1)
    rss_after = player.rss_kb()
    for s in hanging:
        s.close()
    print(f"{IDLE_HELD} half-sent connections held; {sum(r['ok'] for r in replies)} of {IDLE_REQUESTS} requests "
          f"answered; VmRSS {rss_before / 1024:.1f} -> {rss_held / 1024:.1f} -> {rss_after / 1024:.1f} MB")
    assert all(r["ok"] and r["status"]["state"] == "playing" for r in replies)
    assert replies[-1]["status"]["notes_played"] > played_before
    assert rss_after - rss_before < IDLE_RSS_BOUND_MB * 1024
    assert player.proc.poll() is None and "Traceback" not in player.log.read_text()


def mpd_line(rng: random.Random) -> bytes:
    """One MPD command line: a known word, broken or not, or junk."""
    pick = rng.randrange(4)
    if pick == 0:
        return rng.choice(MPD_WORDS).encode()
    if pick == 1:  # random bytes (no newline), UTF-8 or not
        return bytes(rng.choice([b for b in range(256) if b != 10]) for _ in range(rng.randint(0, 300)))
    if pick == 2:  # a word with quotes, escapes and blanks in odd places
        return (rng.choice(MPD_WORDS) + " " + "".join(rng.choice('ab "\\\t01:') for _ in range(rng.randint(0, 40)))).encode()
    return bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz_ 0123456789") for _ in range(rng.randint(1, 60)))


def mpd_exchange(port: int, data: bytes, ends: int, timeout: float = 60) -> list[bytes]:
    """Send ``data``; the reply lines until ``ends`` lines that end an answer (OK, ACK) have come, or it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        sender = threading.Thread(target=send_all, args=(s, data))
        sender.start()
        reader, lines, ended = s.makefile("rb"), [], 0
        while ended < ends:
            line = reader.readline()
            if not line:
                break
            lines.append(line)
            ended += line.startswith((b"OK", b"ACK "))
        sender.join()
    return lines


@pytest.mark.slow
def test_the_mpd_door_answers_every_malformed_line_and_an_idle_flood_while_it_plays(player):
    rng = random.Random(SEED)
    port = player.mpd_port
    time.sleep(1.0)
    played_before = player.status()["notes_played"]
    for _ in range(MPD_CONNECTIONS):
        lines = [mpd_line(rng).replace(b"\n", b" ") for _ in range(MPD_PER_CONNECTION)]
        lines = [line for line in lines if line.strip() not in (b"close", b"idle", b"noidle")
                 and not line.startswith((b"command_list", b"idle ", b"noidle", b"close"))] + [b"ping"]
        replies = mpd_exchange(port, b"".join(line + b"\n" for line in lines), 1 + len(lines))
        ends = [r for r in replies if r.startswith((b"OK", b"ACK "))]
        assert ends[0].startswith(b"OK MPD ") and len(ends) == 1 + len(lines), (lines, replies)
        assert ends[-1] == b"OK\n"  # the last ping: still served
        for end in ends[1:]:
            assert end == b"OK\n" or re.match(rb"^ACK \[\d+@0\] \{[a-z_]*\} [^\n]+\n$", end), end

    # A line over 64 KiB: an ACK, then the connection closes.
    replies = mpd_exchange(port, b"status " + b"x" * (2 * MAX_LINE) + b"\nping\n", 3)
    assert replies[0].startswith(b"OK MPD ") and replies[1].startswith(b"ACK [52@0] {} request longer than")
    assert len(replies) == 2

    # Hundreds of connections waiting in idle: one change wakes them all, and they are not timed out.
    idlers = []
    for _ in range(MPD_IDLERS):
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(b"idle mixer\n")
        idlers.append(s)
    time.sleep(1.0)
    assert mpd_exchange(port, b"setvol 55\n", 2)[-1] == b"OK\n"
    for s in idlers:
        reader = s.makefile("rb")
        assert reader.readline().startswith(b"OK MPD ")
        assert reader.readline() == b"changed: mixer\n" and reader.readline() == b"OK\n"
        s.close()

    status = player.status()
    assert player.proc.poll() is None and status["state"] == "playing"
    assert status["notes_played"] > played_before and status["settings"]["output.volume"] == 55
    assert "Traceback" not in player.log.read_text()
