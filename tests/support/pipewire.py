"""A private PipeWire server behind its PulseAudio layer, with the null sink ``lofid_test``.

Most desktops now run PipeWire: ``pipewire`` (the graph), ``wireplumber`` (the session manager:
it links streams to sinks and keeps the default sink) and ``pipewire-pulse`` (the PulseAudio
protocol, which ALSA's pulse plugin, and so lofid, talks to). ``PipeWireServer`` starts those three
in their own temporary XDG_RUNTIME_DIR and HOME and offers ``PulseServer``'s interface, which it
extends (``start``/``stop``/``restart``/``kill``, ``record``, ``env``, the context manager,
``add_sink``), so a test can be run against either server:

    with PipeWireServer() as server:        # this process's ALSA/PortAudio now goes there
        with server.record(tmp_path / "heard.wav"):
            ...

The null sink is made the PulseAudio way, ``pactl load-module module-null-sink`` through
pipewire-pulse, and runs on the real clock (PipeWire's timer-driven graph). ``restart()`` ends all
three processes and starts them again at the same address: the sound server outage.

No D-Bus is needed or used: the servers get a session bus address that leads nowhere, and
WirePlumber 0.4 (Debian 12) is given a config without the parts that need one (the Flatpak portal,
device reservation, Bluetooth and logind). It also watches no ALSA, camera or Bluetooth devices,
so a test's server never takes a real sound card.
"""

from __future__ import annotations

import shutil
import subprocess

from tests.support.pulse import SINK, PulseServer, end_process

DAEMONS = ("pipewire", "wireplumber", "pipewire-pulse")  # started in this order, ended in reverse

# WirePlumber 0.4's main.lua.d/90-enable-all.lua, less the device monitors and the portal; a file of
# the same name in the user's config folder replaces the system's.
WIREPLUMBER_MAIN = """\
default_access.properties["enable-flatpak-portal"] = false
load_module("metadata")
default_access.enable()
device_defaults.enable()
stream_defaults.enable()
load_script("intended-roles.lua")
load_script("suspend-node.lua")
"""


def pipewire_available() -> bool:
    """True when PipeWire, WirePlumber, pipewire-pulse and the PulseAudio tools are installed."""
    return all(shutil.which(tool) for tool in (*DAEMONS, "pactl", "parec"))


class PipeWireServer(PulseServer):
    """A private ``pipewire`` + ``wireplumber`` + ``pipewire-pulse`` with the null sink ``lofid_test``."""

    prefix = "lofid-pipewire-"

    def __init__(self, sample_rate: int = 44100) -> None:
        super().__init__(sample_rate)
        config = self.dir / "config"
        (config / "wireplumber" / "main.lua.d").mkdir(parents=True)
        (config / "wireplumber" / "main.lua.d" / "90-enable-all.lua").write_text(WIREPLUMBER_MAIN)
        (config / "wireplumber" / "bluetooth.lua.d").mkdir()
        (config / "wireplumber" / "bluetooth.lua.d" / "90-enable-all.lua").write_text("-- no Bluetooth\n")
        self.server_env = {
            **{k: v for k, v in self.env.items() if not k.startswith(("PIPEWIRE_", "WIREPLUMBER_", "SPA_"))},
            "XDG_CONFIG_HOME": str(config), "XDG_STATE_HOME": str(self.dir / "state"),
            "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.dir / 'no-session-bus'}"}
        self._procs: list[subprocess.Popen] = []

    def start(self, timeout: float = 15.0) -> None:
        """Start the three daemons, make the null sinks, and wait until ``lofid_test`` is the default.

        The daemons' warnings go to this process's stderr (pytest shows them for a failing test).
        """
        for name in DAEMONS:
            self._procs.append(subprocess.Popen([name], env=self.server_env, stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL))
            if name == "pipewire":  # the others connect to its socket
                self.wait_until(lambda: (self.dir / "pipewire-0").exists(), timeout, "pipewire")
        self.wait_until(lambda: self.pactl("info").returncode == 0, timeout, "pipewire-pulse")
        try:
            for sink in self.sinks:
                self._load_sink(sink)
        except RuntimeError:
            self.stop()
            raise
        # The default sink is WirePlumber's to keep: it takes one once its policy runs.
        self.wait_until(self._default_is_ours, timeout, "wireplumber")

    def _default_is_ours(self) -> bool:
        self.pactl("set-default-sink", SINK)
        return f"Default Sink: {SINK}\n" in self.pactl("info").stdout

    def kill(self) -> None:
        """End the three daemons (as a crash, or ``systemctl --user restart pipewire``, would)."""
        while self._procs:
            end_process(self._procs.pop())
