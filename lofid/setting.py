"""One setting's declaration: its type, range, allowed words, how a change to it takes effect
while playing and whether it is secret; and the checking of a value against it.

The table of every setting is ``lofid.config.SCHEMA``; this module is what each of its rows is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lofid.errors import ConfigError

# How a changed setting takes effect while playing: at once (the engine or the generator reads it at
# its next block or note), by regenerating the queued notes (heard within a second), or only at the
# next start (a reload that changes it says so; ``ctl set`` refuses it).
LIVE, REGENERATE, RESTART = APPLIES = ("live", "regenerate", "restart")
ON_WORDS = ("on", "true", "yes")  # what a switch (a true/false setting, hold, a layer) takes for on
OFF_WORDS = ("off", "false", "no")


@dataclass(frozen=True)
class Setting:
    """One setting: its dotted key, default, type and what values are allowed."""

    key: str
    default: Any
    kind: type  # bool, int, float or str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    nullable: bool = False  # None (YAML null) is allowed
    auto: bool = False  # the word "auto" is allowed too: the track (or the system) decides
    off: bool = False  # the word "off" is allowed too: the stage is bypassed
    text: Callable[[str], object] | None = None  # for text settings of a form: raises ValueError if not
    applies: str = LIVE  # one of APPLIES: how a change takes effect while playing
    secret: bool = False  # never shown beyond this machine (the HTTP door masks it)
    short: str | None = None  # ctl's verb for it (`lofid ctl temperature 0.8`)

    def allowed(self) -> str:
        if self.text is not None:
            text = self.help.split(";")[-1].strip()
        elif self.choices:
            text = "one of " + ", ".join(self.choices)
        elif self.kind is bool:
            text = "true or false"
        elif self.low is not None and self.high is not None:
            what = "number" if self.kind is float else "whole number"
            text = f"a {what} from {number_text(self.low)} to {number_text(self.high)}"
        else:
            text = "text"
        return text + (" or auto" if self.auto else "") + (" or off" if self.off else "") + (" or null" if self.nullable else "")

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to this setting's type, or raise ConfigError."""
        if value is None and self.nullable:
            return None
        for word, allowed in (("auto", self.auto), ("off", self.off)):
            if allowed and isinstance(value, str) and value.strip().lower() == word:
                return word
        if self.off and value is False:  # YAML reads a bare off (in a file or a --set) as false
            return "off"
        if self.kind is bool:
            switched = switch_word(value)
            if switched is None:
                raise self._bad(value)
            return switched
        if self.kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._bad(value)
            if isinstance(value, float) and not (math.isfinite(value) and (self.kind is float or value.is_integer())):
                raise self._bad(value)
            number = self.kind(value)
            if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
                raise self._bad(value)
            return number
        if self.text is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = number_text(value)  # "music.track_minutes: 3" reads as a number
        if not isinstance(value, str) or "\x00" in value:  # no file name or word holds a NUL
            raise self._bad(value)
        if self.choices:
            match = next((c for c in self.choices if c.lower() == value.lower()), None)
            if match is None:
                raise self._bad(value)
            return match
        if self.text is not None:
            try:
                self.text(value)
            except ConfigError as e:  # a form that says itself what was wrong (a mood's unknown words)
                raise ConfigError(f"{self.key}: {e}") from None
            except ValueError:
                raise self._bad(value) from None
            return value.strip()
        return value

    def _bad(self, value: Any) -> ConfigError:
        return ConfigError(f"{self.key} = {show(value)} is not allowed: expected {self.allowed()}")


def switch_word(value: Any) -> bool | None:
    """True or False for a bool or one of ON_WORDS / OFF_WORDS (any case); None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in (*ON_WORDS, *OFF_WORDS):
        return value.lower() in ON_WORDS
    return None


def number_text(x: float) -> str:
    """``3.0`` -> ``"3"``, ``0.5`` -> ``"0.5"``."""
    return str(int(x)) if float(x).is_integer() else str(x)


def show(value: Any) -> str:
    """A value as YAML writes it on one line, cut to 60 characters: how errors and config.yaml show it."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True).strip()
    text = text.removesuffix("\n...").removesuffix(" ...").strip()
    return text if len(text) <= 60 else text[:57] + "..."
