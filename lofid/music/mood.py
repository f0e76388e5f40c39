"""A mood in plain words (``"slow rainy night, warm piano"``) read as what the radio's tracks draw.

The words and short phrases lofid knows are one table a user can read, ``moods.yaml`` beside this
file: each names the pulls it makes (a tempo range, the share of minor keys, the melody's density,
swing, drums, grooves, instruments, the progressions' mood tags, brightness, rain, crackle,
temperature). Reading a mood:

- the text is cut at commas and read word by word, the longest known phrase first (``late night``
  before ``late``); small words (``a``, ``with``, ``the``...) are passed over, a plural is read as its word;
- **explicit values** are read first and always win: ``80 bpm``, ``70-80 bpm``, ``in D minor``,
  ``in Eb``, ``Cm``;
- **negation**: ``no``, ``not``, ``without``, ``less`` turn the next word around (a tempo or density
  range mirrored about the radio's middle, a share s to 1 - s, brightness to its opposite, drums on to
  off, rain and crackle to none, its instruments, grooves and tags avoided): ``no drums``, ``not sad``;
- **opposing words blend**: where several words pull the same way they are averaged (ranges end by
  end), so ``slow upbeat`` lands in between; a word that speaks of the drums alone (``drums``,
  ``no drums``) wins over the drums other words imply;
- **unknown words** refuse the whole mood with one line naming them and the known words nearest
  by spelling (difflib), so a typo never plays something else than asked.

The result is a ``Mood``: None for whatever it leaves to the radio. Pure symbols: no settings, no threads.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from lofid.errors import ConfigError
from lofid.music.keys import TONICS, pitch_name

TABLE = Path(__file__).with_name("moods.yaml")
FREE = ("", "auto")  # a mood of these words leaves the radio to draw freely
DRUMS = ("off", "light", "on")  # what a track's loop plays: no groove, its cymbals alone, all of it
_DRUM_LEVEL = {"off": 0.0, "light": 0.5, "on": 1.0}
NEGATORS = frozenset({"no", "not", "without", "less", "non", "never", "zero"})
FILLER = frozenset({"a", "an", "the", "and", "with", "of", "for", "in", "on", "at", "to", "some", "very", "bit", "little",
                    "more", "really", "too", "quite", "kind", "sort", "music", "song", "songs", "track", "tracks", "please",
                    "me", "my", "something", "like", "feel", "feeling", "mood", "day", "time", "just", "so", "but", "or",
                    "i", "im", "want", "play", "style", "type", "lo", "fi", "vibe", "vibes", "by", "while", "during",
                    "plus", "also", "sounds", "sound", "ish", "lots", "lot", "extra", "much", "all", "one", "is", "it"})
MAX_PHRASE = 3  # words in the longest phrase of the table
BPM_RANGE = (40.0, 200.0)  # what music.bpm allows
MIDDLE = {"bpm": 80.0, "density": 1.0, "swing": 0.15, "temperature": 1.0}  # a negated range or value mirrors about these
RAISED = {"rain": 0.12, "crackle": 0.2}  # the layer levels alone: a negated word that raised one silences it
LIMITS = {"bpm": BPM_RANGE, "density": (0.3, 1.6), "swing": (0.0, 0.5), "minor": (0.0, 1.0), "brightness": (-1.0, 1.0),
          "rain": (0.0, 1.0), "crackle": (0.0, 1.0), "temperature": (0.1, 2.0)}
RANGES = ("bpm", "density", "swing")
LEVELS = ("minor", "brightness", "rain", "crackle", "temperature")
LISTS = ("tags", "instruments", "grooves")
FIELDS = (*RANGES, *LEVELS, "drums", *LISTS)
EXAMPLES = ("rainy", "night", "slow", "upbeat", "piano", "study", "cafe", "no drums", "80 bpm", "in D minor")
# General MIDI programs each instrument word of the table stands for: a palette playing one is preferred.
INSTRUMENTS: dict[str, frozenset[int]] = {
    "piano": frozenset(range(4)), "rhodes": frozenset({4}), "wurli": frozenset({5}),
    "guitar": frozenset(range(24, 32)), "vibes": frozenset({11}), "bells": frozenset({8, 9, 10, 11, 12, 14}),
    "flute": frozenset({72, 73, 74, 75, 77}), "organ": frozenset(range(16, 24)), "strings": frozenset(range(40, 52)),
    "sax": frozenset(range(64, 68)), "synth": frozenset(range(80, 96)), "pad": frozenset(range(88, 96)),
}
_BPM = re.compile(r"\b(\d{2,3})(?:\s*(?:-|to)\s*(\d{2,3}))?\s*bpm\b")
_KEY = re.compile(r"\bin\s+([a-g])(#|b|sharp|flat)?(?:\s*(major|minor|maj|min|m))?\b|\b([a-g])(#|b)?\s*(major|minor)\b")


@dataclass(frozen=True)
class Mood:
    """What a mood asks of each track; None (or empty) where the radio draws as it would alone."""

    text: str = ""
    bpm: tuple[float, float] | None = None  # tempo range drawn per track
    key: tuple[int, bool] | None = None  # (tonic pitch class, minor) of every track: "in D minor"
    minor: float | None = None  # share of tracks in minor
    density: tuple[float, float] | None = None  # melody density range
    swing: tuple[float, float] | None = None  # swing range, share of a 16th
    drums: str | None = None  # one of DRUMS
    tags: tuple[str, ...] = ()  # progression mood tags preferred
    instruments: tuple[str, ...] = ()  # instrument words a palette is preferred for
    grooves: tuple[str, ...] = ()  # parts of groove names preferred
    avoid: tuple[str, ...] = ()  # tags, instruments and grooves a negated word turned away
    brightness: float | None = None  # -1 dark .. 1 bright
    rain: float | None = None  # the rain layer's volume, 0-1
    crackle: float | None = None  # vinyl crackle, 0-1
    temperature: float | None = None
    words: tuple[str, ...] = field(default=())  # the words and phrases it was read from, as read ("no drums")

    @property
    def free(self) -> bool:
        """True when it asks nothing: the radio draws as it would without a mood."""
        return not self.words

    def describe(self) -> str:
        """What it was read as, in one line: ``58-68 bpm · 70% minor · sparse (0.5-0.7) · no drums · dark``."""
        if self.free:
            return "nothing: the radio draws freely"
        parts = []
        if self.key is not None:
            parts.append(f"in {pitch_name(self.key[0])} {'minor' if self.key[1] else 'major'}")
        if self.bpm is not None:
            parts.append(_span(self.bpm, "{:.0f}") + " bpm")
        if self.minor is not None and self.key is None:
            parts.append(f"{self.minor:.0%} minor")
        if self.density is not None:
            word = "sparse" if sum(self.density) / 2 < 0.85 else "busy" if sum(self.density) / 2 > 1.15 else "density"
            parts.append(f"{word} {_span(self.density, '{:.2f}')}")
        if self.swing is not None:
            parts.append(f"swing {_span(self.swing, '{:.2f}')}")
        if self.drums is not None:
            parts.append({"on": "drums", "light": "light drums", "off": "no drums"}[self.drums])
        if self.brightness is not None:
            parts.append(f"{'dark' if self.brightness < 0 else 'bright'} {abs(self.brightness):.1f}")
        for name in ("rain", "crackle", "temperature"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name} {value:.2f}")
        for name in LISTS:
            if getattr(self, name):
                parts.append(f"{name}: {', '.join(getattr(self, name))}")
        if self.avoid:
            parts.append(f"avoiding: {', '.join(self.avoid)}")
        return " · ".join(parts)


def _span(pair: tuple[float, float], fmt: str) -> str:
    low, high = (fmt.format(v) for v in pair)
    return low if low == high else f"{low}-{high}"


@functools.lru_cache(maxsize=1)
def table() -> dict[str, dict]:
    """The word table (``moods.yaml``): phrase -> its pulls, checked once."""
    import yaml

    entries = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    for phrase, pulls in entries.items():
        unknown = set(pulls) - set(FIELDS)
        if unknown or len(str(phrase).split()) > MAX_PHRASE:
            raise ConfigError(f"{TABLE}: {phrase!r}: unknown fields {sorted(unknown)} or a phrase over {MAX_PHRASE} words")
        strange = set(pulls.get("instruments", ())) - set(INSTRUMENTS)
        if strange:
            raise ConfigError(f"{TABLE}: {phrase!r}: instruments are {', '.join(INSTRUMENTS)}, not {sorted(strange)}")
        if "drums" in pulls:  # YAML reads a bare on/off as true/false
            pulls["drums"] = {True: "on", False: "off"}.get(pulls["drums"], pulls["drums"])
            if pulls["drums"] not in DRUMS:
                raise ConfigError(f"{TABLE}: {phrase!r}: drums is one of {', '.join(DRUMS)}")
    return {str(phrase): pulls for phrase, pulls in entries.items()}


def known_words() -> list[str]:
    """Every word and phrase the table knows, in its order."""
    return list(table())


def _words(text: str) -> list[str]:
    text = re.sub(r"[’']", "", text.lower()).replace("-", " ")
    return re.findall(r"[a-z0-9#]+|[,;.!?/&+]", text)


def _explicit(text: str) -> tuple[str, dict]:
    """The explicit values in ``text`` (tempo, key) and the text without them."""
    found: dict = {}
    lowered = text.lower()
    bpm = _BPM.search(lowered)
    if bpm:
        low = float(bpm.group(1))
        high = float(bpm.group(2)) if bpm.group(2) else low
        low, high = sorted((_clip(low, BPM_RANGE), _clip(high, BPM_RANGE)))
        found["bpm"] = (low, high)
        lowered = lowered[:bpm.start()] + " , " + lowered[bpm.end():]
    for key in _KEY.finditer(lowered):
        letter, accidental, mode = key.group(1, 2, 3) if key.group(1) else key.group(4, 5, 6)
        if letter == "a" and not (accidental or mode):  # "in a cafe" names no key
            continue
        name = letter.upper() + {"#": "#", "sharp": "#", "b": "b", "flat": "b"}.get(accidental or "", "")
        found["key"] = (TONICS[name], mode in ("minor", "min", "m"))
        lowered = lowered[:key.start()] + " , " + lowered[key.end():]
        break
    return lowered, found


def _clip(value: float, limits: tuple[float, float]) -> float:
    return min(max(value, limits[0]), limits[1])


def _lookup(words: list[str], i: int) -> tuple[str, int] | None:
    """The longest phrase of the table starting at word ``i`` (a plural read as its word), and its length."""
    known = table()
    for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
        phrase = " ".join(words[i:i + n])
        for candidate in (phrase, phrase[:-1] if phrase.endswith("s") else None, phrase.replace(" ", "")):
            if candidate and candidate in known:
                return candidate, n
    return None


def _negated(pulls: dict) -> dict:
    """A word's pulls turned around (see the module's doc)."""
    out: dict = {}
    for name, value in pulls.items():
        if name in RANGES:
            middle = 2 * MIDDLE[name]
            out[name] = [middle - value[1], middle - value[0]]
        elif name == "minor":
            out[name] = 1.0 - value
        elif name == "brightness":
            out[name] = -value
        elif name == "temperature":
            out[name] = 2 * MIDDLE[name] - value
        elif name in RAISED:
            out[name] = 0.0 if value > RAISED[name] else 0.35
        elif name == "drums":
            out[name] = "off" if value in ("on", "light") else "on"
        else:
            out.setdefault("avoid", []).extend(value)
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _blend(pulls: list[dict], explicit: dict) -> dict:
    """The pulls of every word read, blended (see the module's doc), explicit values over them."""
    out: dict = {}
    for name in RANGES:
        ranges = [p[name] for p in pulls if name in p]
        if ranges:
            low, high = (_clip(_mean([float(r[i]) for r in ranges]), LIMITS[name]) for i in (0, 1))
            out[name] = (round(min(low, high), 2), round(max(low, high), 2))
    for name in LEVELS:
        levels = [float(p[name]) for p in pulls if name in p]
        if levels:
            out[name] = round(_clip(_mean(levels), LIMITS[name]), 2)
    drums_alone = [p["drums"] for p in pulls if set(p) == {"drums"}]
    drums = drums_alone or [p["drums"] for p in pulls if "drums" in p]
    if drums:
        level = _mean([_DRUM_LEVEL[d] for d in drums])
        out["drums"] = "on" if level > 0.75 else "light" if level >= 0.25 else "off"
    avoid = list(dict.fromkeys(w for p in pulls for w in p.get("avoid", ())))
    for name in LISTS:
        out[name] = tuple(w for w in dict.fromkeys(w for p in pulls for w in p.get(name, ())) if w not in avoid)
    out["avoid"] = tuple(avoid)
    out.update(explicit)
    if "key" in explicit:
        out["minor"] = 1.0 if explicit["key"][1] else 0.0
    return out


def nearest(word: str, n: int = 3) -> list[str]:
    """The known words and phrases nearest ``word`` by spelling."""
    return difflib.get_close_matches(word, known_words(), n=n, cutoff=0.6)


def unknown_line(text: str, unknown: list[str]) -> str:
    """The one line a mood with unknown words is answered with."""
    near = list(dict.fromkeys(w for word in unknown for w in nearest(word)))
    hint = f"known words near them: {', '.join(near)}" if near else f"known words are such as: {', '.join(EXAMPLES)}"
    return (f"did not know {', '.join(repr(w) for w in unknown)} in {text.strip()[:80]!r}; {hint} "
            f"(every word: lofid/music/{TABLE.name})")


@functools.lru_cache(maxsize=64)
def read_mood(text: str) -> Mood:
    """``text`` read as a Mood; raises ConfigError naming the words not known (and the nearest known)."""
    if text.strip().lower() in FREE:
        return Mood(text.strip())
    rest, explicit = _explicit(text)
    words = _words(rest)
    pulls: list[dict] = []
    read = [_explicit_word(k, v) for k, v in explicit.items()]
    unknown: list[str] = []
    negate, i = "", 0
    while i < len(words):
        word = words[i]
        found = _lookup(words, i)
        if found is not None:
            phrase, n = found
            pull = dict(table()[phrase])
            pulls.append(_negated(pull) if negate else pull)
            read.append(f"{negate} {phrase}".strip())
            negate, i = "", i + n
            continue
        if word in NEGATORS:
            negate = word
        elif re.fullmatch(r"[,;.!?/&+]", word):
            negate = ""  # a negation reaches no further than its part of the text
        elif word not in FILLER and word.removesuffix("s") not in FILLER:
            unknown.append(word)
        i += 1
    if unknown:
        raise ConfigError(unknown_line(text, unknown))
    if not read:
        raise ConfigError(f"found no mood words in {text.strip()[:80]!r}: try words such as {', '.join(EXAMPLES)}")
    return Mood(text=text.strip(), words=tuple(read), **_blend(pulls, explicit))


def _explicit_word(name: str, value: tuple) -> str:
    if name == "bpm":
        return _span(value, "{:.0f}") + " bpm"
    return f"in {pitch_name(value[0])} {'minor' if value[1] else 'major'}"


def check_mood(text: str) -> None:
    """The schema's check of ``music.mood``: raises ConfigError (the unknown words) if it cannot be read."""
    read_mood(text)
