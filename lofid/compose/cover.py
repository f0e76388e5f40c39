"""A track's cover: a calm lo-fi scene painted from the track's own facts, as a square PNG.

The facts (title, key, tempo, palette, mood, the hour it plays, the seed) are hashed with SHA-256,
never Python's ``hash()``, and the hash seeds every choice, so the same track always gets the same
bytes and two tracks rarely share a picture. The words of the mood and the title pick the time of
day (night blues, dusk oranges, morning pastels, daylight), the weather (rain streaks, snow, fog)
and the view (a city skyline, hills, the sea); the hour picks the time of day where the words do
not; a minor key cools and darkens the sky, the key's tonic turns its hue a little. Most scenes are
seen through a window with a desk before it (a lamp, a plant, a mug, books): the shapes are
lofid.compose.scenery's. Soft grain and a vignette finish it, and the title is set in Pillow's own
font (the same on every system).

Pure: no settings, no I/O, callable from any thread. Tens of milliseconds at 600 px
(``python -m bench.covers``, BENCHMARKS.md); the daemon paints on a thread of its own
(lofid.daemon.covers), the exporter in its own time.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import threading
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from lofid.compose.scenery import SKIES, Canvas, Scene, heavens, land, room, sky, tint, weather
from lofid.music.keys import TONICS

SIZE = 600  # px: the side of a cover unless asked otherwise
GRAIN = 7.0  # standard deviation of the grain, in 8-bit levels
GRAIN_PX = 2  # side of a grain, px: film's look at a cover's size, and a PNG half as large as with 1
VIGNETTE = 0.28  # how much darker the corners are than the middle (share)
HUE_TURN = 0.08  # turns of hue the twelve tonics spread the sky over, round the circle of fifths
ROOM_SHARE = 0.65  # of scenes seen through a window with a desk before it
PNG_LEVEL = 1  # zlib level: grain compresses little at any level, and 1 is several times faster than 6


@dataclass(frozen=True)
class CoverFacts:
    """What a cover is painted from: the same facts give the same picture."""

    title: str
    key: str  # "Eb minor"
    bpm: float
    palette: str  # the palette's name ("wurli and muted guitar")
    mood: str  # music.mood as said ("slow rainy night"); "auto" or "" for none
    hour: int | None  # local hour the track plays, 0-23; None: the picture draws its own time of day
    seed: int  # the render's seed (or the track's number): tells apart two tracks of equal facts


def cover_id(facts: CoverFacts) -> str:
    """16 hex digits naming the picture of ``facts`` (its file name in a cache, its URL)."""
    return _digest(facts).hex()[:16]


def _digest(facts: CoverFacts) -> bytes:
    return hashlib.sha256(json.dumps(asdict(facts), sort_keys=True).encode()).digest()


# -- what the words ask for ----------------------------------------------------------------------

PHASE_WORDS = {  # time of day named by a word of the mood or the title
    "night": {"night", "midnight", "3am", "late", "moon", "lanterns", "streetlight", "candle", "nocturne", "stars"},
    "dawn": {"dawn", "morning", "sunrise", "early", "first", "light", "kettle"},
    "dusk": {"dusk", "sunset", "evening", "twilight", "amber", "golden", "autumn", "closing"},
    "day": {"noon", "sunny", "sun", "sunshine", "afternoon", "sunlit", "sunday", "weekend", "garden", "orchard"},
}
WEATHER_WORDS = {
    "rain": {"rain", "rainy", "drizzle", "storm", "stormy", "thunder", "umbrella", "puddles", "raindrops", "wet"},
    "snow": {"snow", "snowy", "winter", "cold", "frost"},
    "fog": {"fog", "foggy", "misty", "hazy", "grey", "gray", "cloudy", "clouds"},
}
VIEW_WORDS = {
    "city": {"city", "streetlight", "tram", "rooftop", "station", "platform", "bookshop", "corner", "cafe", "street"},
    "sea": {"sea", "harbour", "ferry", "river", "ocean", "beach", "waves"},
    "hills": {"garden", "orchard", "park", "hills", "forest", "nature", "countryside"},
}
PHASES = ("night", "dawn", "day", "dusk")
VIEWS = ("city", "hills", "sea")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _named(words: set[str], table: dict[str, set[str]]) -> str | None:
    """The first entry of ``table`` one of ``words`` names."""
    return next((name for name, known in table.items() if words & known), None)


def phase_of_hour(hour: int) -> str:
    """night 21-4, dawn 5-8, day 9-16, dusk 17-20."""
    return "dawn" if 5 <= hour <= 8 else "day" if 9 <= hour <= 16 else "dusk" if 17 <= hour <= 20 else "night"


def scene_of(facts: CoverFacts, rng: np.random.Generator) -> Scene:
    """The mood's words first, then the title's, then the hour, then the hash."""
    mood, title = _words(facts.mood), _words(facts.title)
    hour_phase = phase_of_hour(facts.hour % 24) if facts.hour is not None else None
    phase = _named(mood, PHASE_WORDS) or _named(title, PHASE_WORDS) or hour_phase or PHASES[int(rng.integers(4))]
    weather = _named(mood, WEATHER_WORDS) or _named(title, WEATHER_WORDS)
    view = _named(mood, VIEW_WORDS) or _named(title, VIEW_WORDS) or VIEWS[int(rng.integers(3))]
    tonic = TONICS.get(facts.key.split(" ")[0], 0)
    fifths = (tonic * 7) % 12  # C 0, G 1, D 2 ... F 11: neighbouring keys get neighbouring hues
    return Scene(phase, weather, view, room=bool(rng.random() < ROOM_SHARE), minor="minor" in facts.key.lower(),
                 tonic_turn=HUE_TURN * (fifths / 11 - 0.5))


_FONT_LOCK = threading.Lock()  # a FreeType face is not to be used by two threads at once


@functools.lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font (Aileron, inside Pillow since 10.1): the same type on every system."""
    return ImageFont.load_default(size=px)


def _type(c: Canvas, facts: CoverFacts) -> None:
    """The title, large, and the key and tempo under it, on a soft dark band at the foot."""
    draw = c.draw
    band = c.px(0.3)
    for row in range(band):  # the shade deepens to the foot
        draw.line((0, c.size - band + row, c.size, c.size - band + row), fill=(0, 0, 0, int(160 * (row / band) ** 1.5)))
    margin, width = c.px(0.06), c.size - 2 * c.px(0.06)
    title = facts.title.strip() or "untitled"
    with _FONT_LOCK:
        lines, px = _fit(draw, title, width, c.px(0.085), c.px(0.055))
        small = _font(max(8, c.px(0.034)))
        y = c.size - margin - c.px(0.034)
        draw.text((margin, y), f"{facts.key} · {facts.bpm:.0f} bpm", font=small, fill=(235, 228, 215, 200))
        for line in reversed(lines):
            y -= px + c.px(0.02)
            draw.text((margin + 2, y + 2), line, font=_font(px), fill=(0, 0, 0, 110))
            draw.text((margin, y), line, font=_font(px), fill=(252, 246, 236, 255))


def _fit(draw: ImageDraw.ImageDraw, title: str, width: int, largest: int, smallest: int) -> tuple[list[str], int]:
    """The title's lines (one, or two split at the space nearest its middle) and the largest size they fit at."""
    words = title.split()
    lines = [title]
    if len(words) > 1 and draw.textlength(title, font=_font(smallest)) > width:
        cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(title) / 2))
        lines = [" ".join(words[:cut]), " ".join(words[cut:])]
    px = largest
    while px > 8 and max(draw.textlength(line, font=_font(px)) for line in lines) > width:
        px -= 2
    return lines, px


@functools.lru_cache(maxsize=4)
def _vignette(size: int) -> Image.Image:
    """The mask that keeps the middle and lets black into the corners."""
    axis = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    keep = 1.0 - VIGNETTE * (axis[:, None] ** 2 + axis[None, :] ** 2) / 2
    return Image.fromarray((255 * keep).astype(np.uint8), "L")


def _finish(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The vignette and grain (the same on all three channels, as film's)."""
    size = image.size[0]
    shaded = Image.composite(image, Image.new("RGB", image.size), _vignette(size))
    half = -(-size // GRAIN_PX)
    grain = (rng.standard_normal((half, half), dtype=np.float32) * GRAIN).astype(np.int16)
    grain = grain.repeat(GRAIN_PX, axis=0).repeat(GRAIN_PX, axis=1)[:size, :size, None]
    return Image.fromarray(np.clip(np.asarray(shaded, dtype=np.int16) + grain, 0, 255).astype(np.uint8), "RGB")


def cover_png(facts: CoverFacts, size: int = SIZE) -> bytes:
    """The cover of ``facts``: a ``size`` x ``size`` PNG, the same bytes for the same facts."""
    if size < 32:
        raise ValueError(f"a cover is at least 32 px wide, not {size}")
    rng = np.random.default_rng(int.from_bytes(_digest(facts)[:8], "big"))
    scene = scene_of(facts, rng)
    grey = 0.45 if scene.weather in ("rain", "fog") else 0.0
    top, horizon = (tint(rgb, scene, grey) for rgb in SKIES[scene.phase][int(rng.integers(3))])
    canvas = Canvas(size, sky(size, top, horizon))
    heavens(canvas, scene, rng)
    land(canvas, scene, rng, horizon)
    weather(canvas, scene, rng)
    if scene.room:
        room(canvas, scene, rng)
    _type(canvas, facts)
    out = io.BytesIO()
    _finish(canvas.image, rng).save(out, "PNG", compress_level=PNG_LEVEL)
    return out.getvalue()
