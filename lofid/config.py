"""Typed settings: one schema table, loaded in layers (defaults < file < --set).

Every setting is declared once in ``SCHEMA`` with its type, range and help text, how a change to
it takes effect while playing (``applies``), whether it is a secret, and ctl's short name for it.
The same table validates the user's file, ``--set`` flags and live changes from ``lofid ctl``, so a
value is judged the same way wherever it comes from; every other list of settings (what regenerates
the queue, what waits for a restart, what ``ctl set`` takes, what the HTTP door hides) is derived
from it, and a test checks that ``lofid.control.vocabulary``'s copy of the short names matches.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

# yaml is imported where a file or a value is read or shown: `lofid ctl` needs the schema but
# seldom a file, and importing yaml would cost it 20 ms.
from lofid.addresses import icecast_target, listen_address, snapcast_target
from lofid.errors import ConfigError
from lofid.music.keys import KEY_NAMES, MINOR_KEY_NAMES
from lofid.music.mood import check_mood
from lofid.music.notes import PARTS
from lofid.music.tracks import PALETTES
from lofid.paths import user_config_path
from lofid.setting import APPLIES, REGENERATE, RESTART, Setting, show

DEFAULT_PROGRAMS = {"keys": 4, "bass": 33, "melody": 11, "pad": 89}  # GM programs where nothing else chose one
DEFAULT_BPM = 74.0  # bpm before any track has said its own (a stream of plain notes): POP909's median
DEFAULT_SWING = 0.15  # share of a 16th, likewise
MAX_QUEUE_NOTES = 4096  # notes: the largest note queue (generation.queue_size) the settings allow
MAX_SEED = 2**31 - 1  # the largest generation.seed (a 31-bit unsigned integer)
MODEL_BACKENDS = ("numpy", "litert", "tensorflow")  # the runtimes lofid.model.runtime runs the note model on, the default first


def _or_empty(parse: Callable[[str], object]) -> Callable[[str], None]:
    """A text check for a setting that ``parse`` reads, or that is empty (off)."""
    def check(text: str) -> None:
        if text.strip():
            parse(text)
    return check


def _layer(name: str, enabled: bool, volume: float, what: str) -> list[Setting]:
    return [
        Setting(f"layers.{name}.enabled", enabled, bool, f"play the {what}"),
        Setting(f"layers.{name}.volume", volume, float, f"gain of the {what}", 0.0, 1.0),
    ]


def _part(name: str, lowpass_hz: float, level_db: float, what: str) -> list[Setting]:
    return [
        Setting(f"parts.{name}.lowpass_hz", lowpass_hz, float,
                f"low-pass of the {what} before the mix, in Hz (20000 leaves it open)", 200.0, 20000.0),
        Setting(f"parts.{name}.level_db", level_db, float, f"level of the {what} in the mix, in dB", -40.0, 12.0),
    ]


SCHEMA: tuple[Setting, ...] = (
    Setting("model.path", "models/lofid", str,
            "the note model, without extension (.json with .npz, .tflite for litert, .keras for tensorflow); "
            "relative paths are taken from the lofid folder"),
    Setting("model.backend", MODEL_BACKENDS[0], str, "inference runtime: numpy (lightest) or litert never import TensorFlow",
            choices=MODEL_BACKENDS),
    Setting("generation.temperature", 1.0, float, "sampling temperature: low is calm and safe, high is adventurous",
            0.1, 2.0, applies=REGENERATE, short="temperature"),
    Setting("generation.top_p", 0.95, float, "nucleus sampling: keep the most likely notes up to this probability",
            0.05, 1.0, applies=REGENERATE),
    Setting("generation.harmony", "strict", str,
            "how closely the melody follows the chords: strict (key notes only, chord tones on beats 1 and 3), "
            "loose (a nudge) or free", choices=("strict", "loose", "free"), applies=REGENERATE, short="harmony"),
    Setting("generation.window", 30, int, "notes of context fed to the model (must match the model)", 2, 256,
            applies=RESTART),
    Setting("generation.queue_size", 256, int, "notes generated ahead of playback (several seconds of music)",
            16, MAX_QUEUE_NOTES),
    Setting("generation.seed", None, int, "random seed; null picks a new one each start", 0, MAX_SEED,
            nullable=True, applies=RESTART),
    Setting("music.bpm", "auto", float, "tempo in beats per minute; auto: each track draws its own (65-95)",
            40.0, 200.0, auto=True, applies=REGENERATE, short="bpm"),
    Setting("music.key", "auto", str, "key of every track (Eb, or Cm for C minor); auto: each track draws its own",
            choices=("auto", *KEY_NAMES, *MINOR_KEY_NAMES), applies=REGENERATE, short="key"),
    Setting("music.swing", "auto", float,
            "delay of off-beat 16ths as a share of a 16th (0 = straight); auto: the swing of each track's drummer",
            0.0, 0.5, auto=True, applies=REGENERATE, short="swing"),
    Setting("music.mood", "auto", str,
            "a mood in plain words that shapes what each track draws (lofid/music/moods.yaml lists the words); "
            "settings you pinned win over it; auto: the radio draws freely; words such as \"slow rainy night, no drums\"",
            auto=True, text=check_mood, applies=REGENERATE),
    Setting("music.track_minutes", "2-4", str, "how long a track plays, drawn per track; minutes, as 3 or a range 2-4",
            text=lambda v: minutes_range(v), applies=REGENERATE),
    *_layer("music", True, 0.8, "generated keys, bass and melody"),
    *_layer("rain", True, 0.12, "rain loop"),
    *_layer("beat", True, 0.55, "drum beat"),
    Setting("sound.soundfont", "auto", str,
            "SoundFont (.sf2/.sf3) path; auto: a font in soundfonts/, else lofid's own instruments (instruments/lofid.sf2); "
            "gm: the system's General MIDI font, else pretty_midi's TimGM6mb",
            applies=RESTART),
    Setting("sound.palette", "auto", str, "the instruments every track plays, from the next track on; "
            "auto: each track draws its own", choices=("auto", *(p.name for p in PALETTES))),
    Setting("sound.program_keys", "auto", int,
            "General MIDI program (0-127) of the keys part, e.g. 4 = Electric Piano 1; auto: the track's palette",
            0, 127, auto=True),
    Setting("sound.program_bass", "auto", int,
            "General MIDI program of the bass, e.g. 33 = Electric Bass (finger); auto: the track's palette", 0, 127,
            auto=True),
    Setting("sound.program_melody", "auto", int, "General MIDI program of the melody; auto: the track's palette",
            0, 127, auto=True),
    Setting("sound.program_pad", "auto", int,
            "General MIDI program of the pad, e.g. 89 = Pad 2 (warm); auto: the track's palette", 0, 127, auto=True),
    *_part("keys", 2400.0, 3.0, "keys (chords)"),
    *_part("melody", 3200.0, 0.0, "melody"),
    *_part("bass", 20000.0, 1.5, "bass"),
    *_part("drums", 3500.0, 0.0, "drum kit"),
    Setting("fx.wow", 0.25, float, "tape wow: the slow pitch drift's depth in percent (0.7 Hz, with flutter on top); 0 is off",
            0.0, 1.0, short="wow"),
    Setting("fx.saturation", 0.3, float, "soft tape saturation: the share of the saturated sound; 0 is off", 0.0, 1.0,
            short="saturation"),
    Setting("fx.reverb", 0.4, float, "the room around the keys and melody: their reverb send; 0 is dry", 0.0, 1.0,
            short="reverb"),
    Setting("fx.sidechain", 0.35, float, "how far keys, bass, rain and crackle dip under each kick (0.5 is -6 dB); 0 is off",
            0.0, 0.9, short="sidechain"),
    Setting("fx.lowpass_hz", 4500.0, float, "cutoff of the warm master low-pass, in Hz", 200.0, 20000.0,
            short="lowpass"),
    Setting("fx.width", 1.0, float, "stereo width of the keys, melody and pad: 0 is mono, 1 as designed, 2 twice as wide",
            0.0, 2.0),
    Setting("fx.mono_bass_hz", 150.0, float,
            "below this everything plays in the middle, as on a record; off leaves the low end's stereo as it is",
            40.0, 400.0, off=True),
    Setting("fx.glue", 0.5, float, "bus compression pressing the music and beat together: the share of the level over "
            "its threshold taken away (0.5 is 2:1); 0 is off", 0.0, 0.9),
    Setting("fx.sampler_hz", 26040.0, float, "the sampler stage's rate: the music and beat played back as an old "
            "sampler would (an SP-1200's 26040 Hz); off keeps the full rate", 8000.0, 48000.0, off=True),
    Setting("fx.sampler_bits", 12, int, "the sampler stage's bits: a fine grain on quiet tails; off keeps every bit",
            6, 16, off=True),
    Setting("fx.hiss", 0.3, float, "tape hiss level; 0 is none", 0.0, 1.0),
    Setting("fx.crackle", 0.2, float, "vinyl crackle level", 0.0, 1.0, short="crackle"),
    Setting("fx.loudness", -16.0, float, "the finished loudness in LUFS, reached over seconds; off leaves the level as mixed",
            -30.0, -8.0, off=True, short="loudness"),
    Setting("timers.focus_break", "rain", str,
            "what a focus timer's break plays: rain (the music and beat rest) or silence (all rests; only the cues sound)",
            choices=("rain", "silence")),
    Setting("timers.cue_volume", 0.5, float, "loudness of the soft chime at each focus change; 0 is none", 0.0, 1.0),
    Setting("output.device", "auto", str,
            "sound device name or number, auto for the default device, or none for no sound (null sink)",
            applies=RESTART),
    Setting("output.volume", 100, int, "master volume in percent, as on a mixer (lofid ctl volume N); 100 is full level",
            0, 100, short="volume"),
    Setting("output.sample_rate", 44100, int, "samples per second", 8000, 192000, applies=RESTART),
    Setting("output.block_size", 2048, int,
            "frames the sound card takes at a time; smaller reacts sooner, bigger wakes the machine less often",
            64, 8192,
            applies=RESTART),
    Setting("output.http.enabled", False, bool, "serve the MP3 stream, the web remote and the JSON API over HTTP",
            applies=RESTART),
    Setting("output.http.listen", "127.0.0.1:8765", str,
            "where the HTTP server listens; any address but loopback needs output.http.token; HOST:PORT",
            text=listen_address, applies=RESTART),
    Setting("output.http.bitrate", 128, int, "MP3 bit rate in kbps, for the HTTP stream and Icecast", 32, 320,
            applies=RESTART),
    Setting("output.http.token", "", str, "bearer token the web remote, the API and the stream ask for; "
            "empty: none (loopback only)", applies=RESTART, secret=True),
    Setting("output.icecast.url", "", str, "an Icecast server to feed the MP3 stream to, with the track titles; "
            "empty: off; icecast://USER:PASSWORD@HOST:PORT/MOUNT", text=_or_empty(icecast_target),
            applies=RESTART, secret=True),
    Setting("output.snapcast.url", "", str, "a snapserver's tcp source to feed the music to as raw PCM "
            "(its sampleformat: output.sample_rate:16:2), for every room in sync; empty: off; tcp://HOST:PORT",
            text=_or_empty(snapcast_target), applies=RESTART),
    Setting("control.socket", "auto", str, "control socket path; auto is $XDG_RUNTIME_DIR/lofid.sock", applies=RESTART),
    Setting("control.mpd.enabled", False, bool, "answer MPD clients (mpc, ncmpcpp, phone apps, Home Assistant)",
            applies=RESTART),
    Setting("control.mpd.listen", "127.0.0.1:6600", str, "where the MPD door listens (the next free port if taken); "
            "any address but loopback needs control.mpd.password; HOST:PORT", text=listen_address, applies=RESTART),
    Setting("control.mpd.password", "", str, "the password MPD clients must give (MPD's password command); "
            "empty: none (loopback only)", applies=RESTART, secret=True),
    Setting("control.state_file", "auto", str,
            "where run-time changes are kept; auto is $XDG_STATE_HOME/lofid/state.yaml", applies=RESTART),
    Setting("desktop.mpris", True, bool, "media keys, panel widgets and playerctl (MPRIS on the session D-Bus, if any)",
            applies=RESTART),
    Setting("desktop.notify", False, bool, "a desktop notification for each new track (title, key and bpm)"),
)

_BY_KEY: dict[str, Setting] = {s.key: s for s in SCHEMA}
SECRET_KEYS = tuple(s.key for s in SCHEMA if s.secret)
SHORT_NAMES = {s.short: s.key for s in SCHEMA if s.short}  # ctl's verb -> its setting (vocabulary.SHORT_KEYS copies it)


def applying(how: str) -> tuple[str, ...]:
    """The keys of the settings whose change takes effect ``how`` (one of APPLIES)."""
    if how not in APPLIES:
        raise ValueError(f"{how!r} is not one of {', '.join(APPLIES)}")
    return tuple(s.key for s in SCHEMA if s.applies == how)


def layer_names(keys: Iterable[str]) -> list[str]:
    """The layers the dotted ``keys`` name (``layers.NAME.enabled``...), in the order met."""
    return list(dict.fromkeys(k.split(".")[1] for k in keys if k.startswith("layers.")))

# A WAV a user drops in effects/ becomes a layer named after it, so layer names are open.
_LAYER_KEY = re.compile(r"^layers\.([a-z0-9][a-z0-9_-]*)\.(enabled|volume)$")


def setting_for(key: str) -> Setting:
    """The schema entry for ``key``; extra layers get the same rules as the built-in ones."""
    if key in _BY_KEY:
        return _BY_KEY[key]
    m = _LAYER_KEY.match(key)
    if m:
        template = _BY_KEY[f"layers.rain.{m.group(2)}"]
        return Setting(key, template.default, template.kind, template.help.replace("rain loop", f"{m.group(1)} layer"),
                       template.low, template.high)
    if any(k.startswith(key + ".") for k in _BY_KEY):
        example = next(k for k in _BY_KEY if k.startswith(key + "."))
        raise ConfigError(f"{key} is a section, not a setting: give it settings such as {example}")
    known = sorted({k.split(".")[0] for k in _BY_KEY})
    raise ConfigError(f"unknown setting {key!r} (sections: {', '.join(known)}; see config.yaml)")


class Config(Mapping[str, Any]):
    """Validated settings, read by dotted key: ``cfg["music.bpm"]``. Immutable; ``replace`` makes a copy."""

    def __init__(self, values: Mapping[str, Any], source: str = "defaults") -> None:
        self._values = dict(values)
        self.source = source

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def replace(self, changes: Mapping[str, Any]) -> Config:
        """A copy with ``changes`` applied, each validated; raises ConfigError on the first bad one."""
        values = dict(self._values)
        for key, value in changes.items():
            values[key] = setting_for(key).check(value)
        return Config(values, self.source)

    def as_nested(self) -> dict[str, Any]:
        nested: dict[str, Any] = {}
        for key, value in self._values.items():
            node = nested
            *parents, leaf = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = value
        return nested


def defaults() -> Config:
    return Config({s.key: s.default for s in SCHEMA})


def part_programs(settings: Mapping[str, Any], palette: Mapping[str, int] | None = None) -> dict[str, int]:
    """Each part's General MIDI program: ``sound.program_<part>``, or the palette's where it is auto (the
    default's where the palette has none for the part)."""
    chosen = {**DEFAULT_PROGRAMS, **(palette or {})}
    return {part: chosen[part] if settings[f"sound.program_{part}"] == "auto" else int(settings[f"sound.program_{part}"])
            for part in PARTS}


def minutes_range(text: str) -> tuple[float, float]:
    """``"2-4"`` -> (2.0, 4.0), ``"3"`` -> (3.0, 3.0): a track's length in minutes, from half a minute to an hour."""
    low, sep, high = str(text).strip().partition("-")
    lo, hi = float(low), float(high) if sep else float(low)
    if not (0.5 <= lo <= hi <= 60 and math.isfinite(hi)):
        raise ValueError(text)
    return lo, hi


def untracked_tempo(settings: Mapping[str, Any]) -> tuple[float, float]:
    """(bpm, swing) before any track has said its own: ``music.bpm`` and ``music.swing`` where pinned."""
    bpm, swing = settings["music.bpm"], settings["music.swing"]
    return (DEFAULT_BPM if bpm == "auto" else float(bpm)), (DEFAULT_SWING if swing == "auto" else float(swing))


def resolve_seed(settings: Mapping[str, Any], given: int | None = None) -> int:
    """The seed to play with: ``given`` (a --seed), else ``generation.seed``, else a fresh random one."""
    if given is not None:
        return given
    configured = settings["generation.seed"]
    return configured if configured is not None else secrets.randbelow(MAX_SEED)


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``. A section given a plain value is reported by its key."""
    if not isinstance(tree, dict):
        raise ConfigError(f"{prefix or 'the file'} should be a mapping of settings, got {show(tree)}")
    flat: dict[str, Any] = {}
    for k, v in tree.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict):
            flat.update(flatten(v, key))
        else:
            flat[key] = v
    return flat


def read_yaml_file(path: Path) -> dict[str, Any]:
    """Parse a YAML settings file into dotted keys; every failure is one line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({e.__class__.__name__}: {e})") from None
    import yaml

    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if tree is None:
        return {}
    try:
        return flatten(tree)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def parse_set(item: str) -> tuple[str, Any]:
    """``"music.bpm=80"`` -> ``("music.bpm", 80.0)``; the value is read as YAML (so ``true``, ``0.5``)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r}: expected key.sub=value, e.g. --set music.bpm=80")
    import yaml

    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def load(config_file: str | os.PathLike | None = None, overrides: Iterable[str] = ()) -> Config:
    """Defaults, then the user's file (or ``config_file``), then ``--set`` overrides."""
    cfg = defaults()
    path = Path(config_file) if config_file else user_config_path()
    if config_file or path.exists():
        try:
            cfg = cfg.replace(read_yaml_file(path))
        except ConfigError as e:
            msg = str(e)
            raise ConfigError(msg if msg.startswith(str(path)) else f"{path}: {msg}") from None
        cfg.source = str(path)
    changes = dict(parse_set(item) for item in overrides)
    try:
        return cfg.replace(changes)
    except ConfigError as e:
        raise ConfigError(f"--set {e}") from None


_HEADER = """\
# lofid settings: the documented defaults. Copy what you change to
# $XDG_CONFIG_HOME/lofid/config.yaml (usually ~/.config/lofid/config.yaml), or pass --config FILE;
# any command also takes --set key.sub=value. Relative paths are taken from the lofid folder.
# Extra layers: a WAV in effects/ named NAME.wav is the layer NAME (layers.NAME.enabled/volume).
# A setting marked "read at start" takes effect at the next start; every other one also changes while
# playing (lofid ctl set KEY VALUE, or lofid ctl reload after editing your file).
"""


def documented_defaults() -> str:
    """The text of the top-level config.yaml, made from SCHEMA so the two cannot drift apart.

    Regenerate with ``python -m lofid.config > config.yaml``; a test checks they match.
    """
    lines = [_HEADER]
    open_sections: list[str] = []
    for s in SCHEMA:
        *parents, leaf = s.key.split(".")
        common = 0
        while common < min(len(parents), len(open_sections)) and parents[common] == open_sections[common]:
            common += 1
        if common == 0 and open_sections:
            lines.append("")
        for depth in range(common, len(parents)):
            lines.append("  " * depth + parents[depth] + ":")
        open_sections = parents
        value = "null" if s.default is None else show(s.default)
        documented = s.help if s.text is not None else f"{s.help}; {s.allowed()}"  # a text form ends its help
        documented += "; read at start" if s.applies == RESTART else ""
        lines.append(f"{'  ' * len(parents)}{leaf}: {value}   # {documented}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(documented_defaults(), end="")
