"""``lofid doctor``: a checklist of what playing needs, each failure with the command that fixes it."""

from __future__ import annotations

import argparse
import ctypes.util
import platform
import socket
import sys
from dataclasses import dataclass

from lofid.config import Config, defaults, load
from lofid.errors import ConfigError, LofidError
from lofid.paths import find_soundfont

MAC = platform.system() == "Darwin"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True  # a failed required check means lofid cannot play

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.required else "warn")
        text = f"[{mark}] {self.name}: {self.detail}"
        return text + (f"\n       fix: {self.fix}" if self.fix and not self.ok else "")


def _install_hint(debian: str, brew: str) -> str:
    return f"brew install {brew}" if MAC else f"sudo apt-get install {debian}   (or: make run)"


def check_config(args: argparse.Namespace) -> tuple[Check, Config]:
    try:
        cfg = load(args.config, args.overrides)
    except ConfigError as e:
        return Check("config", False, str(e), "correct the setting named above (config.yaml documents each)"), defaults()
    return Check("config", True, f"valid ({cfg.source})"), cfg


def check_fluidsynth() -> Check:
    from lofid.audio.fluid import load_library

    try:
        load_library()
    except LofidError as e:
        return Check("FluidSynth", False, str(e), _install_hint("libfluidsynth3", "fluid-synth"))
    return Check("FluidSynth", True, f"library loads ({ctypes.util.find_library('fluidsynth') or 'found'})")


def check_compiled() -> Check:
    """The effects chain's sample loops, compiled when lofid is installed (lofid/audio/_dsp.c)."""
    try:
        from lofid.audio.compiled import dsp  # noqa: F401
    except LofidError as e:
        compiler = "xcode-select --install" if MAC else "sudo apt-get install gcc python3-dev"
        return Check("effects chain", False, str(e), f"make run   (or: {compiler}, then pip install . again)")
    return Check("effects chain", True, "its compiled sample loops load")


def check_soundfont(cfg: Config) -> Check:
    choice = find_soundfont(cfg["sound.soundfont"])
    if choice.path is None:
        return Check("soundfont", False, "none found: not lofid's own (instruments/lofid.sf2), soundfonts/, the system "
                     "or pretty_midi", "reinstall lofid, set sound.soundfont to auto, or put a .sf2 in soundfonts/")
    if not choice.path.is_file():
        return Check("soundfont", False, f"{choice.path} does not exist",
                     "fix sound.soundfont or set it to auto")
    if choice.origin == "pretty_midi":
        return Check("soundfont", False, f"{choice.path}: {choice.why}", "for lofid's own instruments set "
                     "sound.soundfont to auto (reinstall lofid if instruments/lofid.sf2 is missing); for a better General "
                     "MIDI font: " + _install_hint("musescore-general-soundfont-small", "fluid-synth"), required=False)
    return Check("soundfont", True, f"{choice.path}: {choice.why}")


def check_instruments(cfg: Config) -> Check:
    """Which of the palettes' instruments the font plays: a preset it lacks falls back to its piano (a
    kit to its standard kit), so a font from soundfonts/ can leave a part in the wrong voice."""
    from lofid.audio.fluid import load_library, silence_logs
    from lofid.music.tracks import DRUM_BANK, PALETTES, palette_presets

    path = find_soundfont(cfg["sound.soundfont"]).path
    try:
        fluidsynth = load_library()
    except LofidError:
        return Check("instruments", False, "FluidSynth is needed to read the font", required=False)
    if path is None or not path.is_file():
        return Check("instruments", False, "no font to play them", required=False)
    silence_logs()
    synth = fluidsynth.Synth(**{"synth.dynamic-sample-loading": 1})  # the presets' names, not their samples
    try:
        sfid = synth.sfload(str(path))
        if sfid == -1:
            return Check("instruments", False, f"{path.name} cannot be read", "replace it or set sound.soundfont: auto")
        wanted = palette_presets(PALETTES)
        missing = [f"{'kit' if bank == DRUM_BANK else 'program'} {program}" for bank, program in wanted
                   if not synth.sfpreset_name(sfid, bank, program)]
    finally:
        synth.delete()
    if missing:
        return Check("instruments", False, f"{path.name} lacks {', '.join(missing)} of the palettes: those parts play its "
                     "piano (a kit its standard kit)", "set sound.soundfont: auto for lofid's own instruments, or pin "
                     "sound.program_keys/bass/melody/pad to programs the font has", required=False)
    return Check("instruments", True, f"every palette's keys, bass, lead, pad and kit ({len(wanted)} presets) "
                 f"are in {path.name}")


def check_portaudio(cfg: Config) -> Check:
    try:
        import sounddevice as sd
    except (ImportError, OSError) as e:
        return Check("PortAudio", False, f"cannot load the library ({e})", _install_hint("libportaudio2", "portaudio"))
    try:
        outputs = [d["name"] for d in sd.query_devices() if d["max_output_channels"] > 0]
    except Exception as e:  # PortAudio reports host-API trouble through many exception types
        outputs, detail = [], f"cannot list devices ({e})"
    else:
        detail = "no output device"
    if not outputs:
        return Check("sound output", False, f"{detail}: lofid will run on the null sink (no sound)",
                     "plug in or enable a sound device, or start PulseAudio/PipeWire", required=False)
    return Check("sound output", True, f"{len(outputs)} device(s): {', '.join(outputs[:6])}"
                 + (" ..." if len(outputs) > 6 else "") + f"; output.device = {cfg['output.device']}")


def check_model(cfg: Config) -> Check:
    """Load the model as ``lofid run`` would, so a damaged file fails here and not at start-up."""
    from lofid.model.runtime import load_model

    backend = cfg["model.backend"]
    try:
        model = load_model(cfg["model.path"], backend, cfg["generation.window"])
    except ImportError as e:
        fix = "pip install ai-edge-litert" if backend == "litert" else "pip install -e '.[train]'"
        return Check("model", False, f"the {backend} runtime is not installed ({e})", fix)
    except LofidError as e:
        return Check("model", False, str(e),
                     "set model.path to a trained model, or train one: lofid train --data DIR --out models/NAME")
    return Check("model", True, f"{model.info.base} ({backend}, window {model.window})")


def check_mpd(cfg: Config) -> Check:
    """Where the MPD door (on) will answer: a port taken is said, an address lofid would refuse fails."""
    from lofid.addresses import is_loopback, listen_address

    host, port = listen_address(cfg["control.mpd.listen"])
    if not cfg["control.mpd.password"] and not is_loopback(host):
        return Check("MPD door", False, f"{host}:{port} is not loopback and no password is set: lofid refuses to start",
                     "set control.mpd.password, or control.mpd.listen: 127.0.0.1:6600")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as e:
            return Check("MPD door", True, f"{host}:{port} is taken ({e.strerror}): lofid answers on the next free "
                         "port and logs which")
    return Check("MPD door", True, f"{host}:{port}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Exit status: 0 ready to play, 1 something needed is missing, 2 the config is invalid."


def main(args: argparse.Namespace) -> int:
    config_check, cfg = check_config(args)
    checks = [config_check, check_fluidsynth(), check_compiled(), check_soundfont(cfg), check_instruments(cfg),
              check_portaudio(cfg), check_model(cfg)]
    checks += [check_mpd(cfg)] if cfg["control.mpd.enabled"] else []
    for c in checks:
        print(c.line())
    failed = [c.name for c in checks if c.required and not c.ok]
    if failed:
        print(f"lofid cannot play yet: fix {', '.join(failed)}.", file=sys.stderr)
        return 2 if not config_check.ok else 1
    print("ready to play.")
    return 0

