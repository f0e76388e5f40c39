"""The MPD door wired to a real player (model, producer, FluidSynth engine), asked by python-mpd2 as
an MPD client asks, and by a raw socket where the exact bytes matter. The test pulls the blocks,
as the render thread would."""

from __future__ import annotations

import socket
import threading

import pytest
from mpd import CommandError, MPDClient

from lofid.addresses import listen_address
from lofid.config import load
from lofid.control.mpd import PROTOCOL, MpdDoor
from lofid.daemon.player import Daemon
from lofid.errors import ConfigError
from tests.support.player import MODEL
from tests.support.sockets import free_port
from tests.support.waiting import until
from tests.unit.daemon.test_player import home as home  # the fixture
from tests.unit.daemon.test_player import render, write_config

PASSWORD = "s3cret word"


def started(home, *settings: str) -> Daemon:
    config = write_config(home, MODEL, bpm=70)
    port = free_port()
    daemon = Daemon(load(config, ("control.mpd.enabled=true", f"control.mpd.listen=127.0.0.1:{port}", *settings)),
                    str(config), seed=3).start()
    daemon.producer.start()
    assert daemon.producer.wait_for(4, timeout=10)
    render(daemon, 1.0)  # the first track's cue is heard
    daemon.tick()
    return daemon


@pytest.fixture
def daemon(home):
    player = started(home)
    yield player
    player.shutdown()


def client(daemon: Daemon) -> MPDClient:
    assert daemon.mpd is not None
    return client_at(daemon.mpd.address)


def raw(daemon: Daemon, data: bytes, lines: int) -> list[str]:
    """Send ``data`` on a fresh connection; the first ``lines`` lines after the greeting."""
    assert daemon.mpd is not None
    with socket.create_connection(daemon.mpd.address, timeout=10) as sock:
        reader = sock.makefile("rb")
        assert reader.readline() == f"OK MPD {PROTOCOL}\n".encode()
        sock.sendall(data)
        return [reader.readline().decode() for _ in range(lines)]


def test_an_mpd_client_sees_the_track_and_steers_the_radio(daemon):
    mpc = client(daemon)
    assert mpc.mpd_version == PROTOCOL
    assert daemon.status()["mpd"] == {"address": daemon.mpd.shown_address, "clients": 1}
    track = daemon.status()["track"]
    assert track is not None

    song = mpc.currentsong()
    assert song["title"] == track["title"] and song["artist"] == "lofid" and song["genre"] == "Lo-Fi"
    assert song["file"] == f"lofid://track/{track['number']}" and song["id"] == str(track["number"])
    assert song["pos"] == "0" and float(song["duration"]) == pytest.approx(track["length_s"], abs=0.1)
    assert mpc.playlistinfo() == [song] and mpc.playlistid(track["number"]) == [song]
    assert mpc.plchanges(0) == [song] and mpc.plchangesposid(0) == [{"cpos": "0", "id": song["id"]}]
    with pytest.raises(CommandError, match=r"\[50@0\] \{playlistid\} No such song"):
        mpc.playlistid(track["number"] + 7)

    status = mpc.status()
    assert status["state"] == "play" and status["volume"] == "100" and status["song"] == "0"
    assert status["songid"] == song["id"] and status["playlistlength"] == "1" and status["audio"] == "44100:16:2"
    assert {status[k] for k in ("repeat", "random", "single", "consume")} == {"0"}
    assert float(status["duration"]) == float(song["duration"]) and "elapsed" in status and "time" in status
    assert mpc.plchanges(status["playlist"]) == []  # the client has this queue already

    mpc.pause(1)
    assert daemon.status()["state"] == "paused" and mpc.status()["state"] == "pause"
    mpc.play()
    assert daemon.status()["state"] == "playing"
    mpc.pause()  # no argument: pause if playing
    assert daemon.status()["state"] == "paused"
    mpc.pause(0)
    mpc.stop()  # a radio does not stop: it pauses
    assert daemon.status()["state"] == "paused"
    mpc.playid(track["number"])
    assert daemon.status()["state"] == "playing"
    mpc.previous()  # plays forward: nothing happens
    assert daemon.status()["track"]["number"] == track["number"]

    mpc.setvol(40)
    assert daemon.settings()["output.volume"] == 40 and raw(daemon, b"getvol\n", 2) == ["volume: 40\n", "OK\n"]
    mpc.volume(-15)
    assert daemon.settings()["output.volume"] == 25
    mpc.volume(+200)  # MPD clamps a relative change
    assert mpc.status()["volume"] == "100"
    with pytest.raises(CommandError, match=r"\[2@0\] \{setvol\} Invalid volume value"):
        mpc.setvol(101)
    with pytest.raises(CommandError, match=r"\[2@0\] \{setvol\} Integer expected"):
        mpc.setvol("loud")

    mpc.next()  # the track ends at the next bar, and the track after it is planned at once: the next song
    until(lambda: "nextsong" in mpc.status(), "the next track never became the next song", 20)
    status, queue = mpc.status(), mpc.playlistinfo()
    after = daemon.status()["track"]["next"]
    assert status["nextsong"] == "1" and status["nextsongid"] == str(after["number"]) == str(track["number"] + 1)
    assert [s["title"] for s in queue] == [track["title"], after["title"]] and queue[1]["pos"] == "1"
    assert status["playlistlength"] == "2" and mpc.plchanges(0) == queue and mpc.playlistid(after["number"]) == queue[1:]
    render(daemon, 14.0)
    daemon.tick()
    assert daemon.status()["track"]["number"] == track["number"] + 1
    assert mpc.currentsong()["title"] == daemon.status()["track"]["title"]

    stats = mpc.stats()
    assert int(stats["songs"]) == track["number"] + 1 and int(stats["uptime"]) >= 0
    outputs = mpc.outputs()
    assert outputs[0]["outputname"] == daemon.status()["output"] and outputs[0]["outputenabled"] == "1"
    assert {"status", "currentsong", "idle", "setvol", "next"} <= set(mpc.commands())
    assert mpc.notcommands() == []
    assert mpc.tagtypes() == ["Artist", "Album", "Title", "Genre"]
    mpc.tagtypes("clear")
    mpc.tagtypes("enable", "Title", "AlbumArtist")
    assert mpc.tagtypes() == ["Title"] and "artist" not in mpc.currentsong()
    mpc.tagtypes("all")
    assert mpc.ping() is None
    mpc.close()


def test_bad_input_gets_mpds_ack_line_and_the_connection_stays(daemon):
    replies = raw(daemon, b'frobnicate 1 2\nsetvol\n\n"quoted\nsetvol "50\nSTATUS\nplay 5\nidle bogus\nping\n', 9)
    assert replies == [
        'ACK [5@0] {} unknown command "frobnicate"\n',
        'ACK [2@0] {setvol} wrong number of arguments for "setvol"\n',
        "ACK [5@0] {} No command given\n",
        'ACK [5@0] {} unknown command ""quoted"\n',
        "ACK [2@0] {setvol} Missing closing '\"'\n",
        'ACK [5@0] {} unknown command "STATUS"\n',
        "ACK [2@0] {play} Bad song index\n",
        "ACK [2@0] {idle} Unrecognized idle event: bogus\n",
        "OK\n",
    ]
    assert raw(daemon, b"ping\nclose\nping\n", 3) == ["OK\n", "", ""]  # close: no answer, the connection ends
    junk = raw(daemon, b"\xff\xfe\x00garbage\x01\npi\x00ng\nping\n", 3)
    assert [line.split(" ")[:2] for line in junk[:2]] == [["ACK", "[5@0]"]] * 2 and junk[2] == "OK\n"


def test_a_command_list_answers_each_and_stops_at_the_first_error(daemon):
    mpc = client(daemon)
    mpc.command_list_ok_begin()
    mpc.setvol(70)
    mpc.status()
    mpc.currentsong()
    replies = mpc.command_list_end()
    assert replies[1]["volume"] == "70" and replies[2]["title"] == daemon.status()["track"]["title"]
    lines = raw(daemon, b"command_list_begin\nsetvol 60\nfrobnicate\nsetvol 10\ncommand_list_end\n", 1)
    assert lines == ['ACK [5@1] {} unknown command "frobnicate"\n']
    assert daemon.settings()["output.volume"] == 60  # the first ran, the third never did
    lines = raw(daemon, b"command_list_ok_begin\nping\nsetvol x\ncommand_list_end\n", 2)
    assert lines == ["list_OK\n", 'ACK [2@1] {setvol} Integer expected: "x"\n']


def test_idle_is_woken_by_the_changes_ctl_watch_sees(daemon):
    mpc = client(daemon)
    changed: list[list[str]] = []
    waiting = threading.Thread(target=lambda: changed.append(mpc.idle("mixer", "player")))
    waiting.start()
    until(lambda: daemon.mpd.listeners, "the client waits in idle")  # type: ignore[union-attr]
    daemon.apply({"generation.temperature": 0.9})  # options: not asked for
    assert waiting.is_alive()
    daemon.apply({"output.volume": 55})
    waiting.join(10)
    assert changed == [["mixer"]]  # and the options change is forgotten with it, as MPD does
    daemon.apply({"generation.temperature": 0.8})  # between two idles: remembered
    assert mpc.idle() == ["options"]  # answered at once
    daemon.pause()
    assert mpc.idle("player") == ["player"]
    # noidle ends a wait with a plain OK; outside idle it is not answered; a command ends the wait too
    assert raw(daemon, b"idle\nnoidle\nnoidle\nping\nidle player\nping\n", 4) == ["OK\n"] * 4


def test_a_password_guards_every_command_but_the_open_ones(home):
    daemon = started(home, f"control.mpd.password={PASSWORD}")
    try:
        mpc = client(daemon)
        with pytest.raises(CommandError, match=r'\[4@0\] \{status\} you don\'t have permission for "status"'):
            mpc.status()
        with pytest.raises(CommandError, match=r"\[3@0\] \{password\} incorrect password"):
            mpc.password("guess")
        assert "status" in mpc.notcommands() and "status" not in mpc.commands()
        assert daemon.status()["state"] == "playing"
        mpc.password(PASSWORD)
        assert mpc.status()["state"] == "play" and mpc.notcommands() == []
    finally:
        daemon.shutdown()


def test_beyond_loopback_it_needs_a_password_and_a_taken_port_moves_it_on(daemon):
    with pytest.raises(ConfigError, match="control.mpd.listen 0.0.0.0 is not loopback: set control.mpd.password"):
        MpdDoor(listen_address("0.0.0.0:6600"), "", daemon)
    assert daemon.mpd is not None
    taken = daemon.mpd.address
    with MpdDoor(taken, "", daemon) as second:
        assert second.address[1] > taken[1]
        assert client_at(second.address).status()["state"] == "play"


def client_at(address: tuple[str, int]) -> MPDClient:
    mpc = MPDClient()
    mpc.timeout = 10
    mpc.connect(*address)
    return mpc
