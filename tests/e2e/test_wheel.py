"""A wheel that plays anywhere (#16): built, installed into a fresh venv, and played far from the checkout.

The wheel is built from a copy of the checkout (so the build's ``build/`` and ``*.egg-info`` land
in the copy, never in the checkout), with this venv's setuptools and no build isolation, so
nothing is downloaded. A fresh venv gets the wheel (``--no-deps --no-index``) and borrows the
runtime dependencies from this venv through a ``.pth`` file, which site appends after the fresh
venv's own site-packages: the wheel's lofid comes first, and the editable one's finder (a ``.pth``
inside the borrowed folder) is never run. Then ``lofid render`` and ``lofid doctor`` run in a
folder outside the checkout, with no PYTHONPATH and a home of their own.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import wave
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from lofid import paths

CHECKOUT = paths.ROOT
# What a checkout holds that a build must not see or carry: git, venvs, build leftovers, fonts a user dropped.
LEFTOVERS = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                   ".ruff_cache", "*.checkpoints")
DATA = "lofid/data/"  # where the wheel carries the checkout's top-level files (pyproject.toml maps them)
FONT = f"{DATA}instruments/lofid.sf2"  # lofid's own instruments, the one font the wheel carries
# The model, rain and crackle are ~2.5 MB, lofid's own font at most its size; another font or a checkpoint shows here.
MAX_WHEEL_BYTES = 4_000_000 + paths.SHIPPED_SOUNDFONT.stat().st_size


def not_copied(folder: str, names: list[str]) -> set[str]:
    """The build leftovers, and any font but lofid's own (a user's in soundfonts/, say)."""
    own = {"lofid.sf2"} if Path(folder).name == "instruments" else set()
    return LEFTOVERS(folder, names) | {n for n in names if n.lower().endswith((".sf2", ".sf3"))} - own


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("source") / "lofid"
    shutil.copytree(CHECKOUT, src, ignore=not_copied)
    return src


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("cannot build a wheel without downloading: setuptools is not installed in this venv "
                    "(the test extra has it: make test)")
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, source],
        env=env, cwd=source)
    built = sorted(out.glob("lofid-*.whl"))
    assert len(built) == 1, built
    return built[0]


class Venv(NamedTuple):
    root: Path
    site: Path  # its site-packages, where the wheel's lofid is

    @property
    def lofid(self) -> Path:
        return self.root / "bin" / "lofid"


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Venv:
    """A fresh venv holding the wheel's lofid, with this venv's packages behind it."""
    root = tmp_path_factory.mktemp("venv").resolve()
    run([sys.executable, "-m", "venv", "--without-pip", root])
    python = root / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel],
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    borrowed = dict.fromkeys(sysconfig.get_path(k) for k in ("purelib", "platlib"))  # in order, once each
    (site / "zz_borrowed_runtime_deps.pth").write_text("".join(f"{p}\n" for p in borrowed))
    return Venv(root, site)


@pytest.fixture
def elsewhere(tmp_path) -> tuple[Path, dict[str, str]]:
    """A folder outside the checkout and an environment as a user's shell would have it: no PYTHONPATH, no venv."""
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True, mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"),
               XDG_CACHE_HOME=str(home / "cache"), XDG_DATA_HOME=str(home / "data"), XDG_RUNTIME_DIR=str(home / "run"))
    work = tmp_path / "music"
    work.mkdir()
    assert CHECKOUT not in work.parents and work != CHECKOUT
    return work, env


def test_the_wheel_carries_the_code_the_model_the_effects_the_instruments_the_service_templates_and_config_yaml(wheel, source):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        shipped = {n for n in names if n.startswith(DATA)}
        same = {n: z.read(n) == (source / n.removeprefix(DATA)).read_bytes() for n in shipped}
    code = {p.relative_to(source).as_posix() for p in (source / "lofid").rglob("*.py")}
    assert code <= names, f"not in the wheel (a package missing from [tool.setuptools] packages?): {sorted(code - names)}"
    assert "lofid/control/remote.html" in names  # the web remote's page, which GET / serves
    effects = {f"{DATA}{p.relative_to(source).as_posix()}"
               for p in (source / "effects").rglob("*.wav")}
    needed = {f"{DATA}{n}" for n in ("models/lofid.npz", "models/lofid.tflite", "models/lofid.json",
                                     "models/grooves.json", "config.yaml", "instruments/lofid.sf2",
                                     "systemd/lofid.service", "systemd/io.lofid.daemon.plist")}
    assert {f"{DATA}effects/rain.wav", f"{DATA}effects/vinyl/crackle.wav"} <= effects
    assert needed | effects <= shipped, sorted(needed | effects - shipped)
    assert all(same.values()), [n for n, ok in same.items() if not ok]
    # Only what playing needs: no training checkpoint, no font but lofid's own, no code or tests among the data.
    assert not [n for n in shipped - {FONT} if n.endswith((".keras", ".sf2", ".sf3", ".py", ".png"))], sorted(shipped)
    assert not [n for n in names if n.startswith(("tests/", "bench/", "scripts/", "models/", "effects/", "instruments/"))]
    assert wheel.stat().st_size < MAX_WHEEL_BYTES
    # The checkout never has lofid/data/: that folder is how paths.py knows it runs from a wheel.
    assert paths.CHECKOUT and not (paths.PACKAGE / "data").exists()


def test_the_fresh_venv_imports_the_wheels_lofid_not_the_checkouts(venv, elsewhere):
    work, env = elsewhere
    out = run([venv.root / "bin" / "python", "-c", "import lofid, lofid.paths as p; print(lofid.__file__); "
               "print(p.ROOT); print(p.CHECKOUT)"], cwd=work, env=env).stdout.splitlines()
    assert out == [str(venv.site / "lofid" / "__init__.py"), str(venv.site / "lofid" / "data"), "False"]


def test_the_installed_lofid_renders_five_seconds_of_music_outside_the_checkout(venv, elsewhere):
    work, env = elsewhere
    done = run([venv.lofid, "render", "--seconds", "5", "--output", "out.wav", "--seed", "7"],
               cwd=work, env=env)
    assert "wrote out.wav" in done.stderr + done.stdout
    with wave.open(str(work / "out.wav")) as w:
        rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        pcm = np.frombuffer(w.readframes(frames), "<i2").reshape(-1, channels) / 32767
    assert (rate, channels, width) == (44100, 2, 2)
    assert frames == 5 * rate
    assert np.sqrt(np.mean(pcm ** 2)) > 0.01 and np.abs(pcm).max() > 0.1  # music, not silence or dither


def test_doctor_finds_the_shipped_model_from_the_installed_package(venv, elsewhere):
    work, env = elsewhere
    done = subprocess.run([venv.lofid, "doctor"], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode in (0, 1), done.stderr  # 1 only when this machine lacks a system library
    lines = {line.split("]", 1)[1].split(":", 1)[0].strip(): line for line in done.stdout.splitlines() if line.startswith("[")}
    assert lines["config"].startswith("[ok  ] config: valid (defaults)")
    assert lines["model"] == f"[ok  ] model: {venv.site}/lofid/data/models/lofid (numpy, window 30)", done.stdout
    assert "Traceback" not in done.stderr
    # lofid's own instruments, from the wheel; a wheel has no soundfonts/ of its own: it names the user's folder
    assert lines["soundfont"] == (f"[ok  ] soundfont: {venv.site}/lofid/data/instruments/lofid.sf2: sound.soundfont is auto "
                                  f"and {env['XDG_DATA_HOME']}/lofid/soundfonts/ has none: lofid's own lo-fi instruments")


def test_service_files_are_filled_from_the_wheels_templates(venv, elsewhere):
    work, env = elsewhere
    data = venv.site / "lofid" / "data"
    unit = run([venv.lofid, "service", "install", "--dry-run", "--manager", "systemd"], cwd=work, env=env).stdout
    assert f'ExecStart="{venv.lofid}" run' in unit and f"WorkingDirectory={data}\n" in unit
    assert f"Documentation={data.as_uri()}/README.md" in unit and (data / "README.md").is_file()
    plist = run([venv.lofid, "service", "install", "--dry-run", "--manager", "launchd"], cwd=work, env=env).stdout
    assert f"<string>{venv.lofid}</string>" in plist and f"<string>{data}</string>" in plist


def test_the_snapcast_plugin_is_installed_beside_lofid(venv, elsewhere):
    """``lofid-snapcast``, which snapserver starts by its path (README: Every room in sync with Snapcast):
    with no lofid running it says it is ready all the same; snapserver closing its stdin ends it."""
    work, env = elsewhere
    plugin = subprocess.Popen([venv.root / "bin" / "lofid-snapcast", "--stream=lofid"], cwd=work, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert plugin.stdout.readline() == '{"jsonrpc": "2.0", "method": "Plugin.Stream.Ready"}\n'
        plugin.stdin.close()
        assert plugin.wait(30) == 0 and plugin.stderr.read() == ""
    finally:
        plugin.kill()
        plugin.wait()
