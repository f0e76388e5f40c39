"""A track's cover: a calm lo-fi scene painted from the track's own facts, as a square PNG.

The facts (title, key, tempo, palette, mood, the hour it plays, the seed) are hashed with SHA-256,
never Python's ``hash()``, and the hash seeds every choice, so the same track always gets the same
bytes and two tracks rarely share a picture. The words of the mood and the title pick the time of
day (night blues, dusk oranges, morning pastels, daylight), the weather (rain streaks, snow, fog)
and the view (a city skyline, hills, the sea); the hour picks the time of day where the words do
not; a minor key cools and darkens the sky, the key's tonic turns its hue a little. Most scenes are
seen through a window with a desk before it (a lamp, a plant, a mug, books). Soft grain and a
vignette finish it, and the title is set in Pillow's own font (the same on every system).

Pure: no threads, no settings, no I/O. About 30-60 ms at 600 px (bench: BENCHMARKS.md); the daemon
makes it on a worker thread, the exporter in its own time.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import io
import json
import re
import threading
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = 600  # px: the side of a cover unless asked otherwise
GRAIN = 7.0  # standard deviation of the grain, in 8-bit levels
VIGNETTE = 0.28  # how much darker the corners are than the middle (share)
PNG_LEVEL = 1  # zlib level: grain compresses little at any level, and 1 is several times faster than 6

Rgb = tuple[int, int, int]


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


@dataclass(frozen=True)
class Scene:
    """What the picture shows, chosen from the facts."""

    phase: str  # one of PHASES
    weather: str | None  # one of WEATHER_WORDS, None: clear
    view: str  # one of VIEWS
    room: bool  # seen through a window, a desk before it
    minor: bool
    tonic_turn: float  # hue turn of the sky from the key's tonic, in turns (-0.04 .. 0.04)


def scene_of(facts: CoverFacts, rng: np.random.Generator) -> Scene:
    """The mood's words first, then the title's, then the hour, then the hash."""
    mood, title = _words(facts.mood), _words(facts.title)
    hour_phase = phase_of_hour(facts.hour % 24) if facts.hour is not None else None
    phase = _named(mood, PHASE_WORDS) or _named(title, PHASE_WORDS) or hour_phase or PHASES[int(rng.integers(4))]
    weather = _named(mood, WEATHER_WORDS) or _named(title, WEATHER_WORDS)
    view = _named(mood, VIEW_WORDS) or _named(title, VIEW_WORDS) or VIEWS[int(rng.integers(3))]
    key = facts.key.split()
    tonic = sum(ord(c) for c in key[0]) if key else 0
    return Scene(phase, weather, view, room=bool(rng.random() < 0.65), minor="minor" in facts.key.lower(),
                 tonic_turn=((tonic % 9) - 4) / 100)


# -- colours -------------------------------------------------------------------------------------

SKIES: dict[str, tuple[tuple[Rgb, Rgb], ...]] = {  # phase -> (top, horizon) pairs
    "night": (((10, 14, 38), (52, 58, 110)), ((18, 12, 44), (86, 60, 120)), ((8, 22, 46), (40, 84, 120))),
    "dawn": (((150, 170, 220), (252, 205, 180)), ((176, 160, 214), (255, 222, 196)), ((140, 190, 214), (250, 230, 190))),
    "day": (((96, 160, 214), (206, 230, 242)), ((120, 180, 220), (236, 226, 206)), ((110, 150, 200), (220, 214, 232))),
    "dusk": (((54, 42, 104), (248, 150, 92)), ((70, 50, 110), (236, 120, 110)), ((40, 50, 100), (250, 176, 110))),
}
WALLS = {"night": (30, 26, 40), "dawn": (176, 150, 150), "day": (190, 170, 150), "dusk": (90, 60, 70)}
LIT = (255, 206, 130)  # a lit window, a lamp


def _tint(rgb: Rgb, scene: Scene, weather_grey: float) -> Rgb:
    """``rgb`` with the key's hue turn, a minor key's cool and dark, the weather's grey."""
    h, light, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    h = (h + scene.tonic_turn + (0.02 if scene.minor else 0.0)) % 1.0
    light *= 0.86 if scene.minor else 1.0
    s *= 1.0 - weather_grey
    return tuple(int(round(255 * c)) for c in colorsys.hls_to_rgb(h, light, s))  # type: ignore[return-value]


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    return (int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t))


def _rgba(rgb: Rgb, alpha: float) -> tuple[int, int, int, int]:
    return (*rgb, int(255 * alpha))


# -- painting ------------------------------------------------------------------------------------

class _Canvas:
    """An RGB picture a shape is blended into by its alpha, coordinates as shares of its side."""

    def __init__(self, size: int, base: Image.Image) -> None:
        self.size = size
        self.image = base
        self.draw = ImageDraw.Draw(base, "RGBA")

    def px(self, share: float) -> int:
        return int(round(share * self.size))


def _sky(size: int, top: Rgb, horizon: Rgb) -> Image.Image:
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None] ** 1.3
    column = (np.array(top, np.float32) * (1 - t) + np.array(horizon, np.float32) * t).astype(np.uint8)
    rows = np.repeat(column[:, None, :], size, axis=1)
    return Image.fromarray(rows, "RGB")


def _heavens(c: _Canvas, scene: Scene, rng: np.random.Generator) -> None:
    """Stars, the moon or the sun with its glow, clouds."""
    draw = c.draw
    clear = scene.weather is None
    if scene.phase == "night" and clear:
        for _ in range(int(rng.integers(40, 90))):
            x, y, r = rng.random(), rng.random() * 0.55, 0.6 + rng.random() * 1.4
            star = _rgba((255, 250, 230), 0.4 + 0.5 * rng.random())
            draw.ellipse((c.px(x) - r, c.px(y) - r, c.px(x) + r, c.px(y) + r), fill=star)
    if scene.weather != "rain" and scene.weather != "fog":
        x, y = 0.2 + 0.6 * rng.random(), 0.12 + 0.2 * rng.random()
        r = 0.05 + 0.04 * rng.random()
        body = (250, 244, 220) if scene.phase == "night" else (255, 236, 190) if scene.phase != "dusk" else (255, 190, 120)
        for ring in range(8, 0, -1):  # the glow
            g = r * (1 + ring * 0.22)
            draw.ellipse((c.px(x - g), c.px(y - g), c.px(x + g), c.px(y + g)), fill=_rgba(body, 0.035))
        side = 2 * c.px(r)
        disc = Image.new("L", (side, side))
        shape = ImageDraw.Draw(disc)
        shape.ellipse((0, 0, side - 1, side - 1), fill=255)
        if scene.phase == "night":  # a crescent: a shifted disc bites the moon
            dx = int(side * (0.18 + 0.15 * rng.random()))
            shape.ellipse((dx, -dx // 3, side - 1 + dx, side - 1 - dx // 3), fill=0)
        c.image.paste(body, (c.px(x) - side // 2, c.px(y) - side // 2), disc)
    cloud = (255, 255, 255) if scene.phase in ("day", "dawn") else (200, 170, 190) if scene.phase == "dusk" else (90, 96, 130)
    for _ in range(int(rng.integers(2, 5)) + (4 if not clear else 0)):
        x, y, w = rng.random(), 0.08 + 0.35 * rng.random(), 0.1 + 0.12 * rng.random()
        for puff in range(5):
            px_, py_ = x + (puff - 2) * w * 0.35, y + 0.01 * rng.standard_normal()
            ph = w * (0.28 + 0.2 * rng.random())
            draw.ellipse((c.px(px_ - w * 0.4), c.px(py_ - ph), c.px(px_ + w * 0.4), c.px(py_ + ph * 0.6)),
                         fill=_rgba(cloud, 0.16 if clear else 0.28))


def _land(c: _Canvas, scene: Scene, rng: np.random.Generator, horizon: Rgb) -> None:
    """The view: a skyline with lit windows, layered hills or the sea (higher when seen through a window)."""
    draw = c.draw
    ground = 0.5 if scene.room else 0.6
    dark = scene.phase in ("night", "dusk")
    far = _mix(horizon, (20, 20, 40) if dark else (90, 110, 130), 0.55)
    near = _mix(horizon, (10, 10, 24) if dark else (50, 70, 80), 0.8)
    if scene.view == "city":
        for depth, colour in ((0.0, far), (1.0, near)):
            x = -rng.random() * 0.05
            while x < 1.0:
                w = 0.05 + 0.08 * rng.random()
                top = ground - 0.12 + 0.05 * depth + 0.2 * rng.random()
                draw.rectangle((c.px(x), c.px(top), c.px(x + w), c.size), fill=_rgba(colour, 1.0))
                if depth and dark:  # lit windows
                    for wy in np.arange(top + 0.02, 1.0, 0.035):
                        for wx in np.arange(x + 0.01, x + w - 0.015, 0.025):
                            if rng.random() < 0.3:
                                draw.rectangle((c.px(wx), c.px(wy), c.px(wx + 0.01), c.px(wy + 0.014)), fill=_rgba(LIT, 0.85))
                x += w + 0.005
    elif scene.view == "hills":
        xs = np.linspace(0.0, 1.0, 64)
        for layer, colour in enumerate((far, _mix(far, near, 0.5), near)):
            phase, freq = rng.random() * 6.28, 2 + 3 * rng.random()
            ys = ground + 0.06 * layer + 0.05 * np.sin(xs * freq + phase) + 0.02 * np.sin(xs * freq * 2.7 + phase)
            points = [(c.px(x), c.px(y)) for x, y in zip(xs, ys)] + [(c.size, c.size), (0, c.size)]
            draw.polygon(points, fill=_rgba(colour, 1.0))
    else:  # the sea: a band below the horizon, the light's path on it
        line = ground + 0.04 * rng.random()
        draw.rectangle((0, c.px(line), c.size, c.size), fill=_rgba(_mix(horizon, (20, 40, 80), 0.5), 1.0))
        for i in range(24):
            y = line + 0.01 + i * 0.012
            half = 0.02 + 0.004 * i + 0.01 * rng.random()
            draw.line((c.px(0.5 - half), c.px(y), c.px(0.5 + half), c.px(y)), fill=_rgba(horizon, 0.5), width=max(1, c.px(0.003)))


def _weather(c: _Canvas, scene: Scene, rng: np.random.Generator) -> None:
    if scene.weather is None:
        return
    draw = c.draw
    if scene.weather == "rain":
        slant = 0.01 + 0.02 * rng.random()
        for _ in range(260):
            x, y, length = rng.random() * 1.05, rng.random(), 0.03 + 0.05 * rng.random()
            draw.line((c.px(x), c.px(y), c.px(x - slant), c.px(y + length)), fill=_rgba((210, 220, 240), 0.28), width=1)
    elif scene.weather == "snow":
        for _ in range(160):
            x, y, r = rng.random(), rng.random(), 0.8 + 2.0 * rng.random()
            draw.ellipse((c.px(x) - r, c.px(y) - r, c.px(x) + r, c.px(y) + r), fill=_rgba((250, 250, 255), 0.75))
    else:  # fog: pale bands
        for i in range(6):
            y = 0.45 + i * 0.08 + 0.03 * rng.random()
            draw.rectangle((0, c.px(y), c.size, c.px(y + 0.05)), fill=_rgba((220, 220, 230), 0.12))


def _room(c: _Canvas, scene: Scene, rng: np.random.Generator) -> None:
    """A wall with a window onto the scene, a desk with a few things on it."""
    draw = c.draw
    wall = _tint(WALLS[scene.phase], scene, 0.3 if scene.weather else 0.0)
    left, top, right, sill = 0.14 + 0.06 * rng.random(), 0.08 + 0.05 * rng.random(), 0.86 - 0.06 * rng.random(), 0.68
    for box in ((0, 0, left, 1), (right, 0, 1, 1), (left, 0, right, top), (left, sill, right, 1)):  # the wall round the window
        draw.rectangle(tuple(c.px(v) for v in box), fill=_rgba(wall, 1.0))
    frame = _mix(wall, (20, 16, 20), 0.5)
    bar = max(2, c.px(0.012))
    draw.rectangle((c.px(left), c.px(top), c.px(right), c.px(sill)), outline=_rgba(frame, 1.0), width=bar)
    middle = (left + right) / 2
    draw.line((c.px(middle), c.px(top), c.px(middle), c.px(sill)), fill=_rgba(frame, 1.0), width=bar)
    draw.line((c.px(left), c.px((top + sill) / 2), c.px(right), c.px((top + sill) / 2)), fill=_rgba(frame, 1.0), width=bar)
    desk = _mix(wall, (60, 40, 30), 0.6)
    draw.rectangle((0, c.px(0.74), c.size, c.size), fill=_rgba(desk, 1.0))
    draw.rectangle((0, c.px(0.74), c.size, c.px(0.755)), fill=_rgba(_mix(desk, (255, 230, 200), 0.2), 1.0))
    things = [t for t in ("lamp", "plant", "mug", "books") if rng.random() < 0.6] or ["plant"]
    slots = iter(sorted(rng.permutation([0.12, 0.3, 0.62, 0.82])[: len(things)]))
    for thing in things:
        _thing(draw, c, thing, next(slots), scene, rng)


def _thing(draw: ImageDraw.ImageDraw, c: _Canvas, thing: str, x: float, scene: Scene, rng: np.random.Generator) -> None:
    base = 0.745
    p = c.px
    if thing == "lamp":
        glow = scene.phase in ("night", "dusk") or scene.weather is not None
        if glow:
            for ring in range(6, 0, -1):
                g = 0.03 * ring
                draw.ellipse((p(x - g), p(0.56 - g), p(x + g), p(0.56 + g)), fill=_rgba(LIT, 0.05))
        draw.line((p(x), p(base), p(x), p(0.58)), fill=_rgba((40, 36, 36), 1.0), width=max(2, p(0.008)))
        draw.polygon([(p(x - 0.06), p(0.6)), (p(x + 0.06), p(0.6)), (p(x + 0.035), p(0.52)), (p(x - 0.035), p(0.52))],
                     fill=_rgba(LIT if glow else (200, 120, 90), 1.0))
        draw.rectangle((p(x - 0.035), p(base - 0.01), p(x + 0.035), p(base)), fill=_rgba((40, 36, 36), 1.0))
    elif thing == "plant":
        pot = [(p(x - 0.04), p(base - 0.07)), (p(x + 0.04), p(base - 0.07)), (p(x + 0.03), p(base)), (p(x - 0.03), p(base))]
        draw.polygon(pot, fill=_rgba((176, 96, 70), 1.0))
        leaf = (70, 120, 80) if scene.phase in ("day", "dawn") else (40, 80, 60)
        for _ in range(7):
            a = rng.uniform(-2.6, -0.5)
            lx, ly = x + 0.07 * np.cos(a), base - 0.08 + 0.09 * np.sin(a)
            draw.ellipse((p(lx - 0.025), p(ly - 0.012), p(lx + 0.025), p(ly + 0.012)), fill=_rgba(leaf, 1.0))
    elif thing == "mug":
        mug = (230, 220, 200) if rng.random() < 0.5 else (120, 150, 170)
        draw.rectangle((p(x - 0.03), p(base - 0.06), p(x + 0.03), p(base)), fill=_rgba(mug, 1.0))
        handle = (p(x + 0.015), p(base - 0.05), p(x + 0.055), p(base - 0.015))
        draw.arc(handle, -90, 90, fill=_rgba(mug, 1.0), width=max(2, p(0.007)))
        for wisp in (-0.01, 0.01):
            draw.arc((p(x + wisp - 0.01), p(base - 0.12), p(x + wisp + 0.01), p(base - 0.07)), 100, 260,
                     fill=_rgba((255, 255, 255), 0.35), width=max(1, p(0.003)))
    else:  # books
        y = base
        for _ in range(int(rng.integers(2, 5))):
            h, w = 0.018 + 0.01 * rng.random(), 0.1 + 0.04 * rng.random()
            colour = tuple(int(v) for v in rng.integers(60, 200, 3))
            shift = 0.01 * rng.standard_normal()
            draw.rectangle((p(x - w / 2 + shift), p(y - h), p(x + w / 2 + shift), p(y)), fill=_rgba(colour, 1.0))  # type: ignore[arg-type]
            y -= h


_FONT_LOCK = threading.Lock()  # a FreeType face is not to be used by two threads at once


@functools.lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font (Aileron, inside Pillow since 10.1): the same type on every system."""
    return ImageFont.load_default(size=px)


def _type(c: _Canvas, facts: CoverFacts) -> None:
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
    grain = (rng.standard_normal((size, size), dtype=np.float32) * GRAIN).astype(np.int16)[:, :, None]
    return Image.fromarray(np.clip(np.asarray(shaded, dtype=np.int16) + grain, 0, 255).astype(np.uint8), "RGB")


def cover_png(facts: CoverFacts, size: int = SIZE) -> bytes:
    """The cover of ``facts``: a ``size`` x ``size`` PNG, the same bytes for the same facts."""
    if size < 32:
        raise ValueError(f"a cover is at least 32 px wide, not {size}")
    rng = np.random.default_rng(int.from_bytes(_digest(facts)[:8], "big"))
    scene = scene_of(facts, rng)
    grey = 0.45 if scene.weather in ("rain", "fog") else 0.0
    top, horizon = (_tint(rgb, scene, grey) for rgb in SKIES[scene.phase][int(rng.integers(3))])
    canvas = _Canvas(size, _sky(size, top, horizon))
    _heavens(canvas, scene, rng)
    _land(canvas, scene, rng, horizon)
    _weather(canvas, scene, rng)
    if scene.room:
        _room(canvas, scene, rng)
    _type(canvas, facts)
    out = io.BytesIO()
    _finish(canvas.image, rng).save(out, "PNG", compress_level=PNG_LEVEL)
    return out.getvalue()
