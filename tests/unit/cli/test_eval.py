"""The ``lofid eval`` command: its output, --json, --plot, --generate with a real (tiny) model, and
one-line errors with exit status 2 for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lofid import paths
from lofid.cli import main
from lofid.compose.generator import NoteGenerator
from lofid.config import load
from lofid.evaluation.metrics import METRICS
from tests.support.songs import write_folder, write_song

LOFID = [sys.executable, "-m", "lofid.cli"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def tiny_model() -> Path:
    """The shipped model: --generate measures what lofid really plays."""
    return paths.MODELS / "lofid"


def run_eval(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_file_prints_one_aligned_line_per_metric_with_its_target(tmp_path, capsys):
    song = write_song(tmp_path / "song.mid", tonic=2, bars=8)
    code, out, _ = run_eval(capsys, str(song))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{song}: ") and "notes" in lines[0]
    assert "D major / B minor (estimated, Krumhansl-Schmuckler)" in lines[1] and "chords estimated" in lines[1]
    metric_lines = lines[2:]
    assert len(metric_lines) == len(METRICS)
    assert len({line.index("target") for line in metric_lines if "target" in line}) == 1, "targets align"
    in_key = next(line for line in metric_lines if line.strip().startswith("in key"))
    assert "100.0%" in in_key and in_key.endswith("ok")  # the test song is all in D major
    assert next(line for line in metric_lines if "copy rate" in line).endswith("needs --corpus DIR")


def test_json_is_one_object_with_values_targets_and_verdicts(tmp_path, capsys):
    song = write_song(tmp_path / "song.mid", bars=8, seed=99)
    corpus = write_folder(tmp_path / "corpus", songs=2)  # the same chords, other melodies
    code, out, _ = run_eval(capsys, str(song), "--json", "--key", "A:min", "--corpus", str(corpus))
    assert code == 0
    report = json.loads(out)
    assert report["piece"] == str(song) and report["sources"]["key"] == "--key"
    metrics = report["metrics"]
    assert metrics["in_key"] == {"value": 1.0, "target": ">= 95%", "ok": True}  # C major = A minor's notes
    assert metrics["most_voices"]["value"] == 4 and metrics["most_voices"]["ok"] is True  # triad + melody
    assert metrics["pitch_class_entropy"]["ok"] is None
    assert metrics["copy_rate"]["ok"] is True and metrics["copy_rate"]["value"] <= 0.05


def test_a_copied_song_scores_a_full_copy_rate(tmp_path, capsys):
    corpus = write_folder(tmp_path / "corpus", songs=3)
    song = next(corpus.rglob("song1.mid"))
    code, out, _ = run_eval(capsys, str(song), "--corpus", str(corpus), "--json")
    assert json.loads(out)["metrics"]["copy_rate"] == {"value": 1.0, "target": "<= 5%", "ok": False}


def test_a_piece_too_short_for_a_measure_says_why(tmp_path, capsys):
    song = write_song(tmp_path / "song.mid", bars=1)  # 11 notes: one window of repetition, no 15-note run
    code, out, _ = run_eval(capsys, str(song), "--corpus", str(write_folder(tmp_path / "corpus", songs=1)))
    assert code == 0
    copy_line = next(line for line in out.splitlines() if "copy rate" in line)
    assert copy_line.endswith("n/a   target <= 5%      needs 15 notes or more")


def test_plot_writes_a_png_piano_roll(tmp_path, capsys):
    song = write_song(tmp_path / "song.mid", bars=4)
    picture = tmp_path / "roll.png"
    code, out, _ = run_eval(capsys, str(song), "--plot", str(picture))
    assert code == 0 and f"piano roll: {picture}" in out
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 5000


def test_generate_measures_fresh_notes_from_the_model_in_music_key(tiny_model, capsys):
    args = ["--generate", "600", "--seed", "3", "--json", "--set", f"model.path={tiny_model}",
            "--set", "music.key=Eb"]
    code, out, _ = run_eval(capsys, *args)
    assert code == 0
    report = json.loads(out)
    assert report["notes"] == 600 and report["generated"]["seed"] == 3 and report["generated"]["key"] == "Eb"
    tracks = report["tracks"]
    assert tracks and all(t["key"] == "Eb major" and t["sources"]["melody"] == "the melody part" for t in tracks)
    assert all(t["sources"]["chords"] == "chord marks in the file" for t in tracks)
    code, again, _ = run_eval(capsys, *args)  # the same seed measures the same notes
    assert json.loads(again)["tracks"] == tracks
    # they are the generator's notes for that seed, judged in E flat major
    notes = NoteGenerator(load(None, [f"model.path={tiny_model}", "music.key=Eb"]), seed=3).notes(600)
    e_flat_major = {3, 5, 7, 8, 10, 0, 2}
    in_key = sum(n.pitch % 12 in e_flat_major for n in notes) / len(notes)
    weighted = sum(t["metrics"]["in_key"]["value"] * t["notes"] for t in tracks) / sum(t["notes"] for t in tracks)
    assert weighted == pytest.approx(in_key, abs=1e-9)


def test_a_generated_file_measures_as_generate_does(tiny_model, tmp_path, capsys):
    # `lofid generate` writes what the daemon plays; evaluating that file or generating in eval agree
    model = ["--set", f"model.path={tiny_model}"]
    assert main(["generate", "--notes", "300", "--seed", "5", "--output", str(tmp_path / "g.mid"), *model]) == 0
    _, from_file, _ = run_eval(capsys, str(tmp_path / "g.mid"), "--json")
    _, generated, _ = run_eval(capsys, "--generate", "300", "--seed", "5", "--json", *model)
    a, b = json.loads(from_file)["tracks"], json.loads(generated)["tracks"]
    assert [t["title"] for t in a] == [t["title"] for t in b]
    for mine, theirs in zip(a, b):
        for name, metric in mine["metrics"].items():
            assert metric["value"] == pytest.approx(theirs["metrics"][name]["value"], abs=1e-4), name


@pytest.mark.parametrize("args, message", [
    (["missing.mid"], "missing.mid: no such MIDI file"),
    (["bad.mid"], "bad.mid: not a readable MIDI file"),
    (["song.mid", "--key", "H"], "--key 'H': expected a key such as"),
    (["song.mid", "--corpus", "nowhere"], "nowhere: no such corpus folder"),
    (["song.mid", "--plot", "no/such/dir/roll.png"], "roll.png: cannot write the picture"),
    (["--generate", "0"], "--generate must be at least 1 note"),
    (["--generate", "5", "--set", "model.path=nomodel"], "nomodel"),
])
def test_bad_input_is_one_line_naming_it_and_exit_2(tmp_path, args, message):
    write_song(tmp_path / "song.mid", bars=2)
    (tmp_path / "bad.mid").write_bytes(b"MThd this is not a MIDI file")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run(LOFID + ["eval", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("lofid: ")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_neither_a_file_nor_generate_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["eval"])
    assert stop.value.code == 2
    assert "FILE.mid" in capsys.readouterr().err


def test_plot_without_matplotlib_is_one_line(tmp_path, capsys, monkeypatch):
    # matplotlib is installed here (train extra), so its absence on a light install is simulated:
    # a None entry in sys.modules makes `import matplotlib` raise ImportError, as on such a machine
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    song = write_song(tmp_path / "song.mid", bars=2)
    code, out, err = run_eval(capsys, str(song), "--plot", str(tmp_path / "roll.png"))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["lofid: --plot needs matplotlib: pip install 'lofid[train]' (or pip install matplotlib)"]
    assert not (tmp_path / "roll.png").exists()
