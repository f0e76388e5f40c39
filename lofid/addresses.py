"""Network addresses in the settings: where the HTTP server listens, and the Icecast and Snapcast servers to feed.

Parsed here once, so the settings schema judges a value the same way the outputs then read it.
Each parser raises ValueError on a value they cannot read (the schema turns that into its one-line
error naming the setting).
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
ICECAST_PORT = 8000  # Icecast's own default
SNAPCAST_PORT = 4953  # the port of snapserver's tcp:// source when its URI names none


class IcecastTarget(NamedTuple):
    """``icecast://USER:PASSWORD@HOST:PORT/MOUNT``, taken apart."""

    user: str
    password: str
    host: str
    port: int
    mount: str  # begins with "/"

    @property
    def shown(self) -> str:
        """The server and mount without the password: for logs and ``ctl status``."""
        return f"{self.host}:{self.port}{self.mount}"


class SnapcastTarget(NamedTuple):
    """``tcp://HOST:PORT``, taken apart: where snapserver's tcp source listens."""

    host: str
    port: int

    @property
    def shown(self) -> str:
        return f"{self.host}:{self.port}"


def listen_address(text: str) -> tuple[str, int]:
    """``"127.0.0.1:8765"`` -> ("127.0.0.1", 8765); ``"[::1]:8765"`` and ``":8765"`` (every address) too."""
    host, sep, port = str(text).strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(text)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        ipaddress.IPv6Address(host)  # raises ValueError when it is not one
    elif not host:
        host = "0.0.0.0"
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def icecast_target(text: str) -> IcecastTarget:
    """Read an Icecast source URL; the user defaults to "source", the port to 8000."""
    parts = urlsplit(str(text).strip())
    if parts.scheme != "icecast" or not parts.hostname or parts.password is None:
        raise ValueError(text)
    mount = parts.path
    if len(mount) < 2 or parts.query or parts.fragment:
        raise ValueError(text)
    return IcecastTarget(unquote(parts.username or "source"), unquote(parts.password), parts.hostname,
                         parts.port or ICECAST_PORT, mount)


def snapcast_target(text: str) -> SnapcastTarget:
    """Read a Snapcast source URL, ``tcp://HOST[:PORT]``; the port defaults to snapserver's 4953."""
    parts = urlsplit(str(text).strip())
    if parts.scheme != "tcp" or not parts.hostname or parts.path not in ("", "/") or parts.query \
            or parts.fragment or parts.username is not None or parts.port == 0:
        raise ValueError(text)
    return SnapcastTarget(parts.hostname, parts.port or SNAPCAST_PORT)  # .port raises ValueError when out of range
