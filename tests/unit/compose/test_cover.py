"""A track's cover: the same facts give the same bytes, other tracks other pictures, a real 600 px PNG."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from lofid.compose.cover import CoverFacts, cover_id, cover_png, phase_of_hour, scene_of

FACTS = CoverFacts(title="rainy window", key="Eb minor", bpm=72.0, palette="wurli and muted guitar", mood="auto",
                   hour=23, seed=1)


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_the_same_facts_give_the_same_bytes():
    assert cover_png(FACTS) == cover_png(dataclasses.replace(FACTS))
    assert cover_id(FACTS) == cover_id(dataclasses.replace(FACTS))


def test_a_cover_is_a_square_png_pillow_decodes():
    png = cover_png(FACTS)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (600, 600)
        image.verify()
    with Image.open(io.BytesIO(cover_png(FACTS, size=200))) as small:
        assert small.size == (200, 200)


@pytest.mark.parametrize("change", [{"title": "amber tram"}, {"key": "C major"}, {"hour": 12}, {"mood": "sunny"},
                                    {"seed": 2}, {"palette": "upright piano trio with brushes"}])
def test_another_track_gets_another_picture(change):
    other = dataclasses.replace(FACTS, **change)
    assert cover_id(other) != cover_id(FACTS)
    difference = np.abs(pixels(cover_png(other)) - pixels(cover_png(FACTS))).mean()
    assert difference > 8, f"{change}: the pictures differ by {difference:.1f} levels on average"


def test_a_picture_is_not_blank_and_shows_its_title():
    """Many colours (a scene, not a fill), and the title's light type in the band at the foot."""
    image = pixels(cover_png(FACTS))
    assert len(np.unique(image.reshape(-1, 3) // 16, axis=0)) > 40
    foot = image[480:560, 30:300].sum(axis=2)
    assert (foot > 600).mean() > 0.03, "no light type where the title is set"


def test_the_words_and_the_hour_choose_the_scene():
    rng = np.random.default_rng(0)
    assert scene_of(dataclasses.replace(FACTS, mood="slow rainy night", title="paper moon"), rng).weather == "rain"
    assert scene_of(dataclasses.replace(FACTS, mood="auto", title="quiet pages", hour=7), rng).phase == "dawn"
    assert scene_of(dataclasses.replace(FACTS, mood="sunset", hour=3), rng).phase == "dusk"  # the mood wins
    assert scene_of(dataclasses.replace(FACTS, title="harbour by the sea"), rng).view == "sea"
    assert [phase_of_hour(h) for h in (0, 6, 12, 18, 22)] == ["night", "dawn", "day", "dusk", "night"]


def test_night_is_darker_than_day():
    night = pixels(cover_png(dataclasses.replace(FACTS, title="quiet pages", hour=2)))
    day = pixels(cover_png(dataclasses.replace(FACTS, title="quiet pages", hour=12)))
    assert night[:300].mean() + 30 < day[:300].mean()


def test_a_long_title_or_none_still_makes_a_cover():
    long = dataclasses.replace(FACTS, title="the quiet postcards of the library by the river at closing time")
    assert pixels(cover_png(long)).shape == (600, 600, 3)
    assert pixels(cover_png(dataclasses.replace(FACTS, title=""))).shape == (600, 600, 3)
    with pytest.raises(ValueError, match="32 px"):
        cover_png(FACTS, size=8)
