"""Network addresses in the settings: where the HTTP server listens, and the Icecast server to feed.

Parsed here once, so the settings schema judges a value the same way the outputs then read it.
Both parsers raise ValueError on a value they cannot read (the schema turns that into its one-line
error naming the setting).
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
ICECAST_PORT = 8000  # Icecast's own default


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
