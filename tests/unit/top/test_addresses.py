"""The addresses in the settings: where to listen, which Icecast and Snapcast to feed, what counts as this machine."""

from __future__ import annotations

import pytest

from lofid.addresses import IcecastTarget, SnapcastTarget, icecast_target, is_loopback, listen_address, snapcast_target
from lofid.config import load
from lofid.errors import ConfigError


def test_listen_addresses():
    assert listen_address("127.0.0.1:8765") == ("127.0.0.1", 8765)
    assert listen_address("[::1]:80") == ("::1", 80)
    assert listen_address(":8765") == ("0.0.0.0", 8765)
    for bad in ("8765", "host:", "host:0", "host:70000", "[nonsense]:80", "a:b"):
        with pytest.raises(ValueError):
            listen_address(bad)


def test_loopback_is_this_machine_only():
    assert all(map(is_loopback, ("127.0.0.1", "127.8.0.1", "::1", "localhost")))
    assert not any(map(is_loopback, ("0.0.0.0", "::", "192.168.1.2", "lofid.example")))


def test_icecast_urls():
    assert icecast_target("icecast://source:p%40ss@radio.lan:8001/lofi.mp3") == IcecastTarget(
        "source", "p@ss", "radio.lan", 8001, "/lofi.mp3")
    assert icecast_target("icecast://:pw@radio.lan/m").port == 8000
    assert icecast_target("icecast://:pw@radio.lan/m").shown == "radio.lan:8000/m"
    for bad in ("http://s:p@h/m", "icecast://h/m", "icecast://s:p@h", "icecast://s:p@h:99999/m"):
        with pytest.raises(ValueError):
            icecast_target(bad)


def test_snapcast_urls():
    assert snapcast_target("tcp://127.0.0.1:4953") == SnapcastTarget("127.0.0.1", 4953)
    assert snapcast_target("tcp://snap.lan/").shown == "snap.lan:4953"  # snapserver's default tcp source port
    assert snapcast_target("tcp://[::1]:5000").host == "::1"
    for bad in ("http://h:1", "tcp://:4953", "tcp://h:0", "tcp://h:99999", "tcp://h:1/x", "tcp://h:1?mode=client",
                "tcp://u:p@h:1", "/tmp/snapfifo"):
        with pytest.raises(ValueError):
            snapcast_target(bad)


def test_the_settings_refuse_what_the_outputs_cannot_read_in_one_line():
    with pytest.raises(ConfigError, match=r"output.icecast.url = http://x is not allowed: expected icecast://"):
        load(overrides=["output.icecast.url=http://x"])
    with pytest.raises(ConfigError, match=r"output.http.listen = '8765' is not allowed: expected HOST:PORT"):
        load(overrides=["output.http.listen=8765"])
    with pytest.raises(ConfigError, match=r"output.snapcast.url = pipe:///tmp/snapfifo is not allowed: expected tcp://"):
        load(overrides=["output.snapcast.url=pipe:///tmp/snapfifo"])
    assert load(overrides=["output.icecast.url="])["output.icecast.url"] == ""
    assert load(overrides=["output.snapcast.url="])["output.snapcast.url"] == ""
