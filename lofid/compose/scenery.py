"""The scene of a track's cover, shape by shape: the sky and what is in it, the view, the weather, a room.

``Scene`` says what the picture shows (lofid.compose.cover chooses it from the track's facts); each
painter here lays its shapes on a ``Canvas``, coordinates given as shares of the side, drawing every
choice it makes from the one generator it is given, so a scene painted twice is the same picture.
A flat, calm style: gradients, discs, polygons and soft masks; no textures, no files.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Rgb = tuple[int, int, int]


@dataclass(frozen=True)
class Scene:
    """What the picture shows, chosen from the facts."""

    phase: str  # "night", "dawn", "day" or "dusk"
    weather: str | None  # "rain", "snow" or "fog"; None: clear
    view: str  # "city", "hills" or "sea"
    room: bool  # seen through a window, a desk before it
    minor: bool  # a minor key: the colours cooler and darker
    tonic_turn: float  # hue turn of the sky from the key's tonic, in turns (a few hundredths either way)


# -- colours -------------------------------------------------------------------------------------

SKIES: dict[str, tuple[tuple[Rgb, Rgb], ...]] = {  # phase -> (top, horizon) pairs
    "night": (((10, 14, 38), (52, 58, 110)), ((18, 12, 44), (86, 60, 120)), ((8, 22, 46), (40, 84, 120))),
    "dawn": (((150, 170, 220), (252, 205, 180)), ((176, 160, 214), (255, 222, 196)), ((140, 190, 214), (250, 230, 190))),
    "day": (((96, 160, 214), (206, 230, 242)), ((120, 180, 220), (236, 226, 206)), ((110, 150, 200), (220, 214, 232))),
    "dusk": (((54, 42, 104), (248, 150, 92)), ((70, 50, 110), (236, 120, 110)), ((40, 50, 100), (250, 176, 110))),
}
WALLS = {"night": (30, 26, 40), "dawn": (176, 150, 150), "day": (190, 170, 150), "dusk": (90, 60, 70)}
LIT = (255, 206, 130)  # a lit window, a lamp


def tint(rgb: Rgb, scene: Scene, weather_grey: float) -> Rgb:
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

class Canvas:
    """An RGB picture a shape is blended into by its alpha, coordinates as shares of its side."""

    def __init__(self, size: int, base: Image.Image) -> None:
        self.size = size
        self.image = base
        self.draw = ImageDraw.Draw(base, "RGBA")

    def px(self, share: float) -> int:
        return int(round(share * self.size))


def sky(size: int, top: Rgb, horizon: Rgb) -> Image.Image:
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None] ** 1.3
    column = (np.array(top, np.float32) * (1 - t) + np.array(horizon, np.float32) * t).astype(np.uint8)
    rows = np.repeat(column[:, None, :], size, axis=1)
    return Image.fromarray(rows, "RGB")


def heavens(c: Canvas, scene: Scene, rng: np.random.Generator) -> None:
    """Stars, the moon or the sun with its glow, clouds."""
    draw = c.draw
    clear = scene.weather is None
    if scene.phase == "night" and clear:
        for _ in range(int(rng.integers(40, 90))):
            x, y, r = rng.random(), rng.random() * 0.45, 0.6 + rng.random() * 1.4
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
    shapes = Image.new("L", c.image.size)
    puffs = ImageDraw.Draw(shapes)
    for _ in range(int(rng.integers(2, 5)) + (3 if not clear else 0)):
        x, y, w = rng.random(), 0.08 + 0.35 * rng.random(), 0.1 + 0.12 * rng.random()
        base = y + 0.02
        puffs.rounded_rectangle((c.px(x - w * 0.9), c.px(base - w * 0.16), c.px(x + w * 0.9), c.px(base)),
                                radius=c.px(w * 0.08), fill=255)  # the flat underside
        for puff in range(4):
            px_, r = x + (puff - 1.5) * w * 0.42, w * (0.18 + 0.14 * rng.random())
            puffs.ellipse((c.px(px_ - r), c.px(base - 2 * r), c.px(px_ + r), c.px(base)), fill=255)
    _blend(c, cloud, shapes.filter(ImageFilter.GaussianBlur(c.px(0.006))), 0.22 if clear else 0.34)


def _blend(c: Canvas, rgb: Rgb, shapes: Image.Image, alpha: float) -> None:
    """``rgb`` laid over the picture through the ``shapes`` mask at ``alpha``: overlapping shapes as one."""
    c.image.paste(rgb, (0, 0, *c.image.size), shapes.point(lambda v: int(v * alpha)))


def land(c: Canvas, scene: Scene, rng: np.random.Generator, horizon: Rgb) -> None:
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


def weather(c: Canvas, scene: Scene, rng: np.random.Generator) -> None:
    """Rain streaks, snowflakes or a haze over the view."""
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
    else:  # fog: a haze thickening towards the horizon, in soft drifts
        rows = np.linspace(0.0, 1.0, c.size, dtype=np.float32)
        haze = np.clip((rows - 0.25) / 0.45, 0.0, 1.0) ** 1.5 * (0.8 + 0.2 * np.sin(rows * 40 + rng.random() * 6.28))
        _blend(c, (214, 214, 224), Image.fromarray(np.repeat((255 * haze)[:, None], c.size, axis=1).astype(np.uint8), "L"), 0.55)


def room(c: Canvas, scene: Scene, rng: np.random.Generator) -> None:
    """A wall with a window onto the scene, a desk with a few things on it."""
    draw = c.draw
    wall = tint(WALLS[scene.phase], scene, 0.3 if scene.weather else 0.0)
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
        _thing(c, thing, next(slots), scene, rng)


def _thing(c: Canvas, thing: str, x: float, scene: Scene, rng: np.random.Generator) -> None:
    """A lamp (lit at night, at dusk and in bad weather), a plant, a steaming mug or a pile of books, standing at ``x``."""
    draw, p, base = c.draw, c.px, 0.745
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
