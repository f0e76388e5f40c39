"""Where lofid's files are, and the one way to write one safely.

The shipped files (``models/``, ``effects/``, ``instruments/``, ``systemd/``, ``config.yaml``) are found in one place,
``ROOT``, and relative paths in the config are taken from there. In a checkout (installed editable,
as ``make run`` does) they sit at its top, beside the package; a wheel (``pipx install .``) carries
them inside the package as ``lofid/data/``, where pyproject.toml maps them when the wheel is built.
The user's own files follow the XDG base directories (config, state, cache, runtime, data: the likes and a wheel's
soundfonts folder), and every file lofid replaces is written by ``write_atomically``: readers see
the old or the new one, whole.
"""

from __future__ import annotations

import os
import sys
from collections import namedtuple
from pathlib import Path

from lofid.errors import LofidError

PACKAGE = Path(__file__).resolve().parent


def _xdg(variable: str, fallback: str) -> Path:
    """An XDG base directory: ``$variable`` when set, else ``~/fallback``."""
    return Path(os.environ.get(variable) or Path.home() / fallback)


def _shipped_root(package: Path = PACKAGE) -> Path:
    """The folder holding the shipped files: the package's ``data/`` in a wheel, else the checkout.

    The build copies them into ``lofid/data/``, which a checkout never has (the name is kept for
    that), so its presence says this lofid is an installed wheel.
    """
    bundled = package / "data"
    return bundled if bundled.is_dir() else package.parent


ROOT = _shipped_root()  # the lofid folder: the shipped files, and where relative settings paths start
CHECKOUT = ROOT == PACKAGE.parent  # running from a checkout, not from an installed wheel
# A checkout's soundfonts/ is the user's to fill; a wheel's own folder is not, so it looks in
# $XDG_DATA_HOME/lofid/soundfonts (usually ~/.local/share/lofid/soundfonts) instead.
SOUNDFONTS = ROOT / "soundfonts" if CHECKOUT else _xdg("XDG_DATA_HOME", ".local/share") / "lofid" / "soundfonts"
EFFECTS = ROOT / "effects"
MODELS = ROOT / "models"
GROOVES = MODELS / "grooves.json"  # the beat's vocabulary (lofid.training.grooves)
TEMPLATES = ROOT / "systemd"  # the systemd unit and the launchd plist
# lofid's own instruments (scripts/make_instruments.py makes them): what `sound.soundfont: auto` plays
SHIPPED_SOUNDFONT = ROOT / "instruments" / "lofid.sf2"
GM = "gm"  # the sound.soundfont word for the system's General MIDI font instead of lofid's own

# Good General MIDI fonts the system may have, best first (`sound.soundfont: gm` plays the first found):
# MuseScore General Lite (Debian's musescore-general-soundfont-small, which `make test` installs), then FluidR3.
SYSTEM_SOUNDFONTS = (
    Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
    Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf3/FluidR3_GM.sf3"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/default.sf2"),
    Path("/opt/homebrew/share/soundfonts/default.sf2"),
    Path("/usr/local/share/soundfonts/default.sf2"),
)


def resolve(path: str | os.PathLike) -> Path:
    """A config path made absolute: ``~`` expanded, relative paths taken from the lofid folder."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else ROOT / p


class SoundfontChoice(namedtuple("SoundfontChoice", ("path", "origin"))):
    """The font that plays (``path``: a Path, or None) and where it was found (``origin``: "configured",
    "soundfonts/", "shipped", "system", "pretty_midi" or "none"). A plain namedtuple: a dataclass or typing's
    NamedTuple would cost `lofid ctl`, which imports this module, 3 to 15 ms of start-up."""

    __slots__ = ()

    @property
    def why(self) -> str:
        """Why this font plays, in a few words (``lofid doctor`` prints it)."""
        folder = "soundfonts/" if CHECKOUT else f"{SOUNDFONTS}/"
        return {
            "configured": "set by sound.soundfont",
            "soundfonts/": f"sound.soundfont is auto and it is the first font in {folder}",
            "shipped": f"sound.soundfont is auto and {folder} has none: lofid's own lo-fi instruments",
            "system": "the best General MIDI font the system has (sound.soundfont is gm, or lofid's own is missing)",
            "pretty_midi": "the system has no General MIDI font (sound.soundfont is gm, or lofid's own is missing): "
                           "pretty_midi's small TimGM6mb is the last fallback",
            "none": "no font anywhere",
        }[self.origin]


def pretty_midi_soundfont() -> Path | None:
    """The small GM font that ships inside pretty_midi, found without importing pretty_midi."""
    for entry in sys.path:
        candidate = Path(entry) / "pretty_midi" / "TimGM6mb.sf2"
        if candidate.is_file():
            return candidate
    return None


def find_soundfont(setting: str = "auto", local_dir: Path = SOUNDFONTS,
                   system: tuple[Path, ...] = SYSTEM_SOUNDFONTS, shipped: Path = SHIPPED_SOUNDFONT) -> SoundfontChoice:
    """Resolve ``sound.soundfont``: a path as given; auto: the local folder's font, else lofid's own
    instruments; gm: the system's General MIDI font, else pretty_midi's TimGM6mb (auto's last resorts too)."""
    if setting not in ("auto", GM):
        return SoundfontChoice(resolve(setting), "configured")
    if setting == "auto":
        if local_dir.is_dir():
            local = sorted(p for p in local_dir.iterdir() if p.suffix.lower() in (".sf2", ".sf3") and p.is_file())
            if local:
                return SoundfontChoice(local[0], "soundfonts/")
        if shipped.is_file():
            return SoundfontChoice(shipped, "shipped")
    for candidate in system:
        if candidate.is_file():
            return SoundfontChoice(candidate, "system")
    bundled = pretty_midi_soundfont()
    if bundled:
        return SoundfontChoice(bundled, "pretty_midi")
    return SoundfontChoice(None, "none")


def config_home() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config")


def cache_dir() -> Path:
    """lofid's cache (the copy index, the tracks' covers): ``$XDG_CACHE_HOME/lofid``."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "lofid"


def cover_path(cover_id: str) -> Path:
    """A track's cover, which the daemon paints and keeps a few of: ``$XDG_CACHE_HOME/lofid/covers/ID.png``."""
    return cache_dir() / "covers" / f"{cover_id}.png"


def data_dir() -> Path:
    """lofid's own data of the user's (the likes): ``$XDG_DATA_HOME/lofid``."""
    return _xdg("XDG_DATA_HOME", ".local/share") / "lofid"


def likes_path() -> Path:
    """The tracks the user liked (``lofid ctl like``, ``lofid likes``)."""
    return data_dir() / "likes.json"


def user_config_path() -> Path:
    return config_home() / "lofid" / "config.yaml"


def runtime_dir() -> Path:
    """``$XDG_RUNTIME_DIR``, else a private per-user folder in the temp dir."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and Path(xdg).is_dir():
        return Path(xdg)
    import tempfile  # here, not at the top: `lofid ctl` starts faster without it

    private = Path(tempfile.gettempdir()) / f"lofid-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    return private


def socket_path(setting: str = "auto") -> Path:
    return runtime_dir() / "lofid.sock" if setting == "auto" else resolve(setting)


def state_path(setting: str = "auto") -> Path:
    if setting != "auto":
        return resolve(setting)
    return _xdg("XDG_STATE_HOME", ".local/state") / "lofid" / "state.yaml"


def write_file(path: str | os.PathLike, data: str | bytes, what: str) -> None:
    """A file the user asked for (``what``: "the MIDI file"), written atomically: a full disk leaves no
    partial file, and a failure is a LofidError naming the file and the reason."""
    try:
        write_atomically(Path(path), data)
    except OSError as e:
        raise LofidError(f"{path}: cannot write {what} ({e.strerror or e})") from None


def write_atomically(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, whole.

    A temporary file beside it (a unique name, so two writers never share one) is written,
    fsynced and renamed over ``path``, then the folder is fsynced so the rename survives a power
    cut. The file keeps its permissions (``mode``, else those it had, else 0644). A failure
    removes the temporary file and raises OSError.
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
