"""Faults a laptop sees, against a real `lofid run`: the sound server dies, generation fails, files are bad.

Sound goes through PortAudio and ALSA's pulse plugin into a private PulseAudio server with a null
sink (tests/support/pulse.py); what its monitor records is what a listener would hear. The outage
test runs against PipeWire too (tests/support/pipewire.py, the ``sound_server`` fixture). Bad files are
written by the test and handed to `lofid run` exactly as a user would (settings, config file,
state file, a WAV dropped in effects/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.player import LOFID, MODEL, ROOT, SILENT_RMS, Player, rms
from tests.support.pulse import Listener, PulseServer, pulse_available
from tests.support.waiting import until

needs_pulse = pytest.mark.skipif(not pulse_available(), reason="PulseAudio is not installed (make test installs it)")
BACK_WITHIN_S = 5.0


def first_sound_after(pulse: PulseServer, since: float, seconds: float) -> float | None:
    """How long after ``since`` music was heard at the sink, listening at most ``seconds`` (None: never)."""
    with Listener(pulse) as ear:
        heard = ear.wait_loud(seconds)
    return heard - since if heard is not None else None


# -- the sound server ------------------------------------------------------------------------

@pytest.mark.slow
def test_a_restarted_sound_server_is_heard_again_within_five_seconds(sound_server, tmp_path):
    player = Player(sound_server, tmp_path, "fx.crackle=0")
    player.start()
    player.wait_ready()
    player.wait_heard()  # music before the fault
    outages = (1.0, 6.0, 1.0)  # seconds without a sound server: a restart, and a long gap (reopen attempts keep coming)
    restarts = len(outages)
    for n, outage in enumerate(outages):
        sound_server.kill()  # the sound server crashes (or the user restarts it)
        time.sleep(outage)
        sound_server.start()
        back = time.monotonic()
        heard = first_sound_after(sound_server, back, BACK_WITHIN_S + 3)
        print(f"restart {n + 1}: music {heard} s after the server was back")
        assert heard is not None and heard < BACK_WITHIN_S, f"restart {n + 1}: music {heard} s after the server was back"
        assert player.proc.poll() is None
    status = player.status()
    assert not status["output"].startswith("null"), status["output"]
    assert player.stop() == 0
    log = player.log.read_text()
    assert "Traceback" not in log
    # One line a fault, whatever the number of reopen attempts; "is back" tells it is over.
    assert log.count("stopped; reopening it") == restarts, log
    assert log.count("is back") == restarts, log


@needs_pulse
def test_a_sound_server_gone_for_good_leaves_it_playing_on_the_null_sink(pulse, tmp_path):
    player = Player(pulse, tmp_path)
    player.start()
    player.wait_ready()
    until(lambda: not player.status()["output"].startswith("null"), "the sound device to open", 15)
    player.wait_heard()  # playing, past the device's start (a stream still starting is given longer)
    pulse.kill()  # and never started again
    status = until(lambda: (s := player.status())["output"].startswith("null") and s, "the null sink", 15)
    assert "lost" in status["output"]
    until(lambda: player.status()["notes_played"] > status["notes_played"], "notes played on the null sink")  # it goes on
    assert player.ctl("temperature", "0.7").stdout.strip() == "temperature: 0.7"
    assert player.stop() == 0
    log = player.log.read_text()
    assert "Traceback" not in log and log.count("stopped; reopening it") == 1, log


# -- the producer ----------------------------------------------------------------------------

# The fault: `lofid run` itself, with NoteGenerator.next_note raising while a switch file exists.
# Why inject: nothing a user can do makes the shipped model's step raise (a damaged model is refused
# when it is loaded), yet a bug or a LiteRT runtime error there must not end the music. Everything
# else is the real daemon playing into the real sound server.
FAULTY_RUN = """
import sys
from pathlib import Path
import lofid.compose.generator
from lofid.cli import main

switch = Path(sys.argv.pop(1))
real = lofid.compose.generator.NoteGenerator.next_note

def next_note(self):
    if switch.exists():
        raise RuntimeError("injected fault in the model step")
    return real(self)

lofid.compose.generator.NoteGenerator.next_note = next_note
sys.exit(main(["run", *sys.argv[1:]]))
"""


@needs_pulse
def test_a_failing_generation_is_logged_and_restarted_while_the_queue_plays_on(pulse, tmp_path):
    script, switch = tmp_path / "faulty_run.py", tmp_path / "fault-on"
    script.write_text(FAULTY_RUN)
    player = Player(pulse, tmp_path, "fx.crackle=0", "layers.rain.enabled=false", "layers.beat.enabled=false",
                    command=[LOFID[0], str(script), str(switch)])
    player.start()
    player.wait_ready()
    until(lambda: player.status()["queue_notes"] >= 64, "a queue of notes ahead", 30)
    switch.touch()
    until(lambda: player.status()["producer_restarts"] >= 2, "the producer to fail and restart", 10)
    during = player.status()
    assert rms(player.listen(2.0, "during")) > 10 * SILENT_RMS  # the queue keeps the music going
    after = player.status()
    # notes go on being played from the queue, which the failing producer does not refill (a sparse
    # phrase can leave its count where it was for these 2 s: the chords and bass play under it)
    assert after["notes_played"] > during["notes_played"] and after["queue_notes"] <= during["queue_notes"]
    switch.unlink()
    until(lambda: player.status()["queue_notes"] >= 64, "the producer to fill the queue again", 30)
    assert rms(player.listen(1.5, "recovered")) > 10 * SILENT_RMS
    assert player.stop() == 0
    log = player.log.read_text()
    assert "generation failed (RuntimeError: injected fault in the model step); restarting the producer" in log
    assert "Traceback" not in log


# -- bad files -------------------------------------------------------------------------------

def run_briefly(tmp_path: Path, *args: str, env: dict | None = None, cwd: Path = ROOT,
                seconds: float = 0.0) -> tuple[int, str]:
    """`lofid run` with no sound device and private folders: exit status and stderr.

    ``seconds`` > 0: it must still be running then (it plays); it is stopped with SIGTERM.
    """
    tmp_path.chmod(0o700)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), **(env or {})}
    proc = subprocess.Popen([*LOFID, "run", "--set", "output.device=none", *args], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if seconds:
        ready = tmp_path / "lofid.sock"
        until(lambda: ready.exists() or proc.poll() is not None, "the daemon to start", 30)
        time.sleep(seconds)
        assert proc.poll() is None, proc.communicate()[1]
        status = subprocess.run([*LOFID, "ctl", "status", "--json"], env=env, cwd=ROOT, capture_output=True, text=True)
        assert status.returncode == 0 and '"notes_played"' in status.stdout
        proc.terminate()
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err


def copy_model(to: Path) -> Path:
    to.mkdir(exist_ok=True)
    for ext in (".json", ".npz"):
        shutil.copy(MODEL.with_name(MODEL.name + ext), to / f"lofid{ext}")
    return to / "lofid"


def bad_model(tmp_path: Path, kind: str) -> tuple[str, str]:
    """(model.path, the file the error must name) for a model damaged in one way."""
    base = copy_model(tmp_path / "model")
    if kind == "missing":
        return str(tmp_path / "nowhere" / "lofid"), "nowhere/lofid.json"
    if kind == "truncated weights":
        data = base.with_suffix(".npz").read_bytes()
        base.with_suffix(".npz").write_bytes(data[:len(data) // 3])
        return str(base), "lofid.npz"
    if kind == "garbage weights":
        base.with_suffix(".npz").write_bytes(os.urandom(4096))
        return str(base), "lofid.npz"
    if kind == "no weights":
        base.with_suffix(".npz").unlink()
        return str(base), "lofid.npz"
    if kind == "garbage json":
        base.with_suffix(".json").write_bytes(b"\x00\xff{{{not json")
        return str(base), "lofid.json"
    assert kind == "json of another model"
    base.with_suffix(".json").write_text('{"window": 30, "heads": ["pitch"], "vocab": {"pitch": 128}}')
    return str(base), "lofid.json"


def assert_one_line(err: str, *names: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and all(name in lines[0] for name in names), err


@pytest.mark.parametrize("kind", ["missing", "truncated weights", "garbage weights", "no weights", "garbage json",
                                  "json of another model"])
def test_a_bad_model_stops_start_up_with_one_line_naming_it(tmp_path, kind):
    model, named = bad_model(tmp_path, kind)
    status, err = run_briefly(tmp_path, "--set", f"model.path={model}")
    assert status == 2
    assert_one_line(err, named)


@pytest.mark.parametrize("content", [b"", b"RIFF\x10\x00\x00\x00sfbk-truncated", os.urandom(2048), None])
def test_a_bad_soundfont_stops_start_up_with_one_line_naming_it(tmp_path, content):
    font = tmp_path / "broken.sf2"
    if content is not None:
        font.write_bytes(content)
    status, err = run_briefly(tmp_path, "--set", f"model.path={MODEL}", "--set", f"sound.soundfont={font}")
    assert status == 2
    assert_one_line(err, "broken.sf2")


@pytest.mark.parametrize("content, problem", [
    (b"music: [\n", "config.yaml"),
    (b"music:\n  bpm: fast\n", "bpm"),
    (b"\x00\xff\xfe", "config.yaml"),
    (None, "config.yaml"),
])
def test_a_bad_config_file_stops_start_up_with_one_line_naming_it(tmp_path, content, problem):
    config = tmp_path / "config.yaml"
    if content is not None:
        config.write_bytes(content)
    status, err = run_briefly(tmp_path, "--config", str(config), "--set", f"model.path={MODEL}")
    assert status == 2
    assert_one_line(err, problem)


@pytest.mark.parametrize("content, warning", [
    (b"\x00\xff garbage: [", "ignoring the saved settings"),
    (b"- a list\n- not settings\n", "ignoring the saved settings"),
    (b"music.bpm: 999\ngeneration.temperature: 0.7\n", "skipping a saved setting"),
])
def test_a_bad_state_file_is_skipped_with_a_warning_and_it_plays(tmp_path, content, warning):
    state = tmp_path / "state" / "lofid" / "state.yaml"
    state.parent.mkdir(parents=True)
    state.write_bytes(content)
    status, err = run_briefly(tmp_path, "--set", f"model.path={MODEL}", seconds=1.0)
    assert status == 0
    warned = [line for line in err.splitlines() if warning in line]
    assert len(warned) == 1 and "state.yaml" in warned[0], err
    assert "Traceback" not in err


def test_a_bad_effect_wav_is_skipped_with_a_warning_and_it_plays(tmp_path):
    """A WAV dropped in effects/ that is not one. lofid reads effects/ beside its package, so the
    test plays from a copy of the checkout whose effects/ holds the bad file (the real one is shared)."""
    home = tmp_path / "home"
    home.mkdir()
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "lofid", checkout / "lofid", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "effects", checkout / "effects")
    (checkout / "models").symlink_to(ROOT / "models")
    if (ROOT / "soundfonts").exists():
        (checkout / "soundfonts").symlink_to(ROOT / "soundfonts")
    (checkout / "effects" / "thunder.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(64))
    status, err = run_briefly(home, "--set", f"model.path={MODEL}", env={"PYTHONPATH": str(checkout)},
                              cwd=checkout, seconds=1.0)
    assert status == 0
    warned = [line for line in err.splitlines() if "thunder.wav" in line]
    assert len(warned) == 1 and "skipped" in warned[0], err
    assert "Traceback" not in err
