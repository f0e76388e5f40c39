"""The levels ``music.mood`` moves, laid over the settings that hold their defaults (a level the
user set is pinned and wins): what the engine and the generator play with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lofid.config import Config, setting_for
from lofid.music.mood import read_mood

# The levels a mood moves (while they hold their defaults: a level you set is pinned and wins).
MOOD_DARK_OCTAVES = 1.2  # octaves the warm low-pass moves for a brightness of -1 (down) or 1 (up)
MOOD_SATURATION = 0.15  # how much more saturation (its harmonics brighten) a brightness of 1 gives, and less -1 gives


def mood_levels(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The levels ``music.mood`` asks for, over the settings that hold their defaults: the warm
    low-pass, the keys' and melody's low-passes and saturation (its brightness), the rain's volume,
    the crackle, the temperature."""
    mood = read_mood(settings["music.mood"])
    wanted: dict[str, Any] = {}
    if mood.brightness is not None:
        lowpass, saturation = setting_for("fx.lowpass_hz").default, setting_for("fx.saturation").default
        shift = 2 ** (MOOD_DARK_OCTAVES * mood.brightness)
        wanted["fx.lowpass_hz"] = round(lowpass * shift)
        for part in ("keys", "melody"):  # the parts' own tone, which the master's low-pass alone hardly reaches
            key = f"parts.{part}.lowpass_hz"
            wanted[key] = round(min(20000.0, setting_for(key).default * shift))
        wanted["fx.saturation"] = round(min(1.0, max(0.0, saturation + MOOD_SATURATION * mood.brightness)), 2)
    for key, value in (("layers.rain.volume", mood.rain), ("fx.crackle", mood.crackle),
                       ("generation.temperature", mood.temperature)):
        if value is not None:
            wanted[key] = value
    return {k: float(v) for k, v in wanted.items() if settings[k] == setting_for(k).default}


def with_mood(cfg: Config) -> Config:
    """``cfg`` as played under its mood: the levels it moves laid over the ones at their defaults."""
    return cfg.replace(mood_levels(cfg))
