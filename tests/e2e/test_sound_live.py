"""The sound settings steered while playing: `lofid ctl` into a real daemon, heard at the null sink.

Every fx.* and parts.* setting takes a new value live, answers it, shows it in status and keeps
it across a restart; an out-of-range value is refused in one line naming the setting, and the
music goes on. One change is checked by ear as well: the parts' levels turned all the way down
leave the sink near silent, and turned back up bring the music back.
"""

from __future__ import annotations

import time

import pytest

from lofid.config import SCHEMA
from tests.support.player import SILENT_RMS, Player, rms
from tests.support.pulse import PulseServer, pulse_available

pytestmark = pytest.mark.skipif(not pulse_available(), reason="PulseAudio is not installed (make test installs it)")

# A good value and a refused one for each live sound setting; the test checks this covers them all.
CHANGES = {
    "fx.wow": (0.5, 1.5), "fx.saturation": (0.6, -0.1), "fx.reverb": (0.2, 2), "fx.sidechain": (0.5, 0.95),
    "fx.lowpass_hz": (4000, 50), "fx.crackle": (0.1, 3), "fx.loudness": (-14, -3),
    "fx.width": (1.5, 3), "fx.mono_bass_hz": (120, 20), "fx.glue": (0.3, 0.95), "fx.sampler_hz": (22050, 4000),
    "fx.sampler_bits": (10, 4), "fx.hiss": (0.5, 2),
    **{f"parts.{part}.lowpass_hz": (1800, 100) for part in ("keys", "melody", "bass", "drums")},
    **{f"parts.{part}.level_db": (-3, 20) for part in ("keys", "melody", "bass", "drums")},
}


@pytest.mark.slow
def test_every_sound_setting_changes_live_and_bad_values_are_refused(tmp_path):
    assert set(CHANGES) == {s.key for s in SCHEMA if s.key.split(".")[0] in ("fx", "parts")}
    with PulseServer() as pulse:
        player = Player(pulse, tmp_path, "layers.rain.enabled=false", "fx.crackle=0", "layers.beat.enabled=false")
        player.start()
        player.wait_ready()
        player.wait_heard()
        loudness = player.status()["loudness"]  # the stage's reading, shown by `lofid ctl status`
        assert loudness["heard_lufs"] < -16 and loudness["gain_db"] > 0, loudness
        assert any(line.startswith("loudness:") and "gain_db = " in line for line in player.ctl("status").stdout.splitlines())
        for key, (good, bad) in CHANGES.items():
            answer = player.ctl("set", key, str(good))
            assert answer.stdout.strip() == f"{key}: {good:g}", answer.stdout
            refused = player.ctl("set", key, str(bad), check=False)
            assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
            assert f"{key} = {bad:g} is not allowed: expected a " in refused.stderr and " from " in refused.stderr
        assert player.ctl("loudness", "off").stdout.strip() == "loudness: off"
        settings = player.status()["settings"]
        assert {key: settings[key] for key in CHANGES if key != "fx.loudness"} == {
            key: good for key, (good, _) in CHANGES.items() if key != "fx.loudness"}

        # By ear: every part turned down to -40 dB is all but silent; back at 0 dB the music is heard.
        player.ctl("set", "fx.crackle", "0")
        player.ctl("set", "fx.hiss", "0")  # the tape's own noise is no part's
        playing = rms(player.listen(1.5, "playing"))
        for part in ("keys", "melody", "bass"):
            player.ctl("set", f"parts.{part}.level_db", "-40")
        time.sleep(0.5)
        down = rms(player.listen(1.5, "parts-down"))
        for part in ("keys", "melody", "bass"):
            player.ctl("set", f"parts.{part}.level_db", "0")
        time.sleep(0.5)
        up = rms(player.listen(1.5, "parts-up"))
        assert playing > 10 * SILENT_RMS and down < playing / 30 and up > 10 * down
        assert player.stop() == 0
        assert "Traceback" not in player.log.read_text()

        again = Player(pulse, tmp_path)  # the next start keeps what was set while playing
        again.start()
        again.wait_ready()
        kept = again.status()["settings"]
        assert kept["fx.wow"] == 0.5 and kept["fx.loudness"] == "off" and kept["parts.drums.lowpass_hz"] == 1800
        assert again.stop() == 0
