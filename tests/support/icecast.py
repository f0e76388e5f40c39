"""A private Icecast 2.4 server on loopback, for tests of the MP3 stream output and its source client.

    from tests.support.icecast import Icecast, available
    from tests.support.stream import decode

    with Icecast(tmp_path) as icecast:                # started: answers HTTP on 127.0.0.1:icecast.port
        ...point lofid's stream at icecast.source_url()...
        icecast.mount_info()                           # {"title": ..., "listeners": ..., ...}, or None
        decode(icecast.listen_url(), 3.0)              # what a listener hears

``icecast.kill()`` ends it at once (SIGKILL, as a crash would) and ``start()`` brings it back on
the same port: the source client must reconnect on its own.

The config, ``folder/icecast.xml``, binds 127.0.0.1 only and accepts any mount from the user
``source`` with ``icecast.source_password``. The server is a child process (not ``-b``), and both
its logs go to its stderr (``<errorlog>-</errorlog>``), which is ``folder/icecast.log``: icecast2
refuses to run as root, so as root (CI) the config tells it to become ``nobody``, and it opens its
log files only after that, when pytest's root-only tmp_path is out of its reach; an inherited
stderr needs no permission.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from tests.support.server_process import ServerProcess
from tests.support.sockets import free_port

HOST = "127.0.0.1"
MOUNT = "/lofid.mp3"
SOURCE_USER = "source"  # the user name Icecast takes from every source client of a default mount
ADMIN_USER = "admin"
UNPRIVILEGED_USER = "nobody"  # what icecast2 becomes when started as root
WEBROOT = Path("/usr/share/icecast2/web")  # Debian's: status-json.xsl lives there
ADMINROOT = Path("/usr/share/icecast2/admin")
CLIENTS = 100  # listeners and sources together
SOURCES = 4
BURST_BYTES = 8192  # sent to a new listener at once: 0.5 s of 128 kbit/s MP3
SOURCE_TIMEOUT_S = 10  # a source that sends nothing this long is dropped
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
HTTP_TIMEOUT_S = 2.0
POLL_S = 0.05

CONFIG = """\
<icecast>
    <location>lofid tests</location>
    <admin>lofid@{host}</admin>
    <hostname>{host}</hostname>
    <listen-socket>
        <port>{port}</port>
        <bind-address>{host}</bind-address>
    </listen-socket>
    <limits>
        <clients>{clients}</clients>
        <sources>{sources}</sources>
        <source-timeout>{source_timeout}</source-timeout>
        <burst-on-connect>1</burst-on-connect>
        <burst-size>{burst}</burst-size>
    </limits>
    <authentication>
        <source-password>{source_password}</source-password>
        <relay-password>{admin_password}</relay-password>
        <admin-user>{admin_user}</admin-user>
        <admin-password>{admin_password}</admin-password>
    </authentication>
    <fileserve>1</fileserve>
    <paths>
        <basedir>{folder}</basedir>
        <logdir>{folder}</logdir>
        <pidfile>{pidfile}</pidfile>
        <webroot>{webroot}</webroot>
        <adminroot>{adminroot}</adminroot>
    </paths>
    <logging>
        <errorlog>-</errorlog>
        <accesslog>-</accesslog>
        <loglevel>3</loglevel>
    </logging>
    <security>
        <chroot>0</chroot>{changeowner}
    </security>
</icecast>
"""

CHANGEOWNER = """
        <changeowner>
            <user>{user}</user>
            <group>{group}</group>
        </changeowner>"""


def available() -> bool:
    """True when Debian's icecast2 is installed (scripts/sysdeps.sh test)."""
    return shutil.which("icecast2") is not None


def changeowner(euid: int) -> str:
    """The ``<changeowner>`` element icecast2 needs to run at all when started as root (euid 0), else nothing."""
    if euid != 0:
        return ""
    user = pwd.getpwnam(UNPRIVILEGED_USER)
    return CHANGEOWNER.format(user=user.pw_name, group=grp.getgrgid(user.pw_gid).gr_name)  # nogroup on Debian


def http_get(url: str, timeout: float = HTTP_TIMEOUT_S) -> bytes:
    """GET a loopback URL directly, whatever proxy the environment names."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as response:
        return response.read()


class Icecast(ServerProcess):
    """A private ``icecast2`` on ``127.0.0.1:port``, its config, pidfile and log in ``folder``."""

    def __init__(self, folder: Path, port: int | None = None, *, source_password: str | None = None,
                 admin_password: str | None = None) -> None:
        self.folder = Path(folder)
        self.port = port or free_port()
        self.source_password = source_password or secrets.token_hex(8)
        self.admin_user = ADMIN_USER
        self.admin_password = admin_password or secrets.token_hex(8)
        self.config = self.folder / "icecast.xml"
        self.pidfile = self.folder / "icecast.pid"
        super().__init__(self.folder / "icecast.log")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.config_xml(os.geteuid()))

    def config_xml(self, euid: int) -> str:
        """The config for a server started by user ``euid`` (root gets ``<changeowner>``)."""
        fields = {"host": HOST, "port": self.port, "clients": CLIENTS, "sources": SOURCES, "burst": BURST_BYTES,
                  "source_timeout": SOURCE_TIMEOUT_S, "source_password": self.source_password,
                  "admin_user": self.admin_user, "admin_password": self.admin_password, "folder": self.folder,
                  "pidfile": self.pidfile, "webroot": WEBROOT, "adminroot": ADMINROOT}
        return CONFIG.format(**{k: escape(str(v)) for k, v in fields.items()}, changeowner=changeowner(euid))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start the server and wait until it serves ``/status-json.xsl``; RuntimeError, with its log's tail, if it never does."""
        if self.running:
            return
        self.proc = self._spawn(["icecast2", "-c", str(self.config)], self.folder)
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                self.status()
                return
            except (OSError, ValueError):
                time.sleep(POLL_S)
        why = f"exited with status {self.proc.returncode}" if self.proc.poll() is not None else \
            f"did not answer on port {self.port} in {timeout:.0f} s"
        self.kill()
        raise RuntimeError(f"icecast2 {why}; its log ({self.log}) ends:\n{self.log_tail()}")

    def kill(self) -> None:
        """End the server at once (SIGKILL: a crash, no goodbye to sources or listeners) and wait for it."""
        super().kill()
        self.pidfile.unlink(missing_ok=True)  # after <changeowner> icecast2 may not remove it itself

    def close(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it has not gone within STOP_TIMEOUT_S)."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def __enter__(self) -> Icecast:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def source_url(self, mount: str = MOUNT) -> str:
        """Where a source client sends ``mount``, with its credentials: ``icecast://source:PASSWORD@127.0.0.1:PORT/mount``."""
        return f"icecast://{SOURCE_USER}:{self.source_password}@{HOST}:{self.port}{mount}"

    def listen_url(self, mount: str = MOUNT) -> str:
        """Where a listener hears ``mount``: ``http://127.0.0.1:PORT/mount``."""
        return f"http://{HOST}:{self.port}{mount}"

    def status(self) -> dict:
        """Icecast's statistics, ``/status-json.xsl``'s ``icestats``; OSError when it does not answer."""
        return json.loads(http_get(f"http://{HOST}:{self.port}/status-json.xsl"))["icestats"]

    def sources(self) -> list[dict]:
        """The connected sources' statistics (status-json gives one source as a dict, several as a list)."""
        found = self.status().get("source") or []
        return [found] if isinstance(found, dict) else list(found)

    def mount_info(self, mount: str = MOUNT) -> dict | None:
        """The statistics of the source on ``mount`` ("title", "listeners", "server_name", ...), None when none is connected."""
        for source in self.sources():
            if urlsplit(source.get("listenurl", "")).path == mount:
                return source
        return None
