"""Track titles, the way lo-fi radio names things: a short image of a quiet place or time.

Titles are drawn from a few word lists in a handful of shapes (about 40,000 titles in all), and
the last ``MEMORY`` titles are never drawn again: at 2-4 minutes a track, that is more than a day
of listening without a repeat.
"""

from __future__ import annotations

from collections import deque

import numpy as np

MEMORY = 720  # titles: at 2 minutes a track, a full day of listening
_TRIES = 50  # redraws before a remembered title is accepted anyway (never reached in practice)

_ADJECTIVES = (
    "rainy", "sleepy", "quiet", "amber", "velvet", "paper", "slow", "soft", "hazy", "faded", "warm", "blue",
    "golden", "lazy", "misty", "dusty", "gentle", "hushed", "silver", "late", "early", "cloudy", "mellow", "cozy",
    "distant", "little", "grey", "tender", "drifting", "sunlit", "midnight", "autumn", "winter", "lucid", "pale",
)
_NOUNS = (
    "window", "notebook", "library", "tea", "coffee", "streetlight", "tram", "balcony", "letters", "pages",
    "umbrella", "garden", "attic", "platform", "radio", "candle", "pillow", "sweater", "bookshop", "rooftop",
    "puddles", "clouds", "moon", "harbour", "corner", "kettle", "daydream", "sketchbook", "pencils", "postcards",
    "lanterns", "ferry", "cafe", "staircase", "blanket", "raindrops", "city", "orchard", "studio", "desk",
)
_TIMES = ("3am", "dusk", "dawn", "noon", "midnight", "sunday", "monday", "twilight", "first light", "closing time")
_PLACES = ("the city", "the station", "the sea", "the river", "the window", "the library", "the park", "the rain")
_SHAPES = ("{adj} {noun}", "{noun} at {time}", "{adj} {nouns}", "{noun} and {noun2}", "{time} {noun}",
           "{adj} {time}", "{noun} by {place}", "a {adj} {noun}")


def _plural(noun: str) -> str:
    if noun.endswith("s"):
        return noun
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("ch", "sh", "x")) else "s")


class TitleMaker:
    """Draws titles with ``rng`` and remembers the last MEMORY of them."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._recent: deque[str] = deque(maxlen=MEMORY)
        self._seen: set[str] = set()

    def _pick(self, words: tuple[str, ...]) -> str:
        return words[int(self.rng.integers(len(words)))]

    def _draw(self) -> str:
        shape = self._pick(_SHAPES)
        noun = self._pick(_NOUNS)
        if shape.startswith("a ") and noun.endswith("s"):  # "a faded letters"
            shape = shape[2:]
        noun2 = self._pick(tuple(n for n in _NOUNS if n != noun))
        return shape.format(adj=self._pick(_ADJECTIVES), noun=noun, noun2=noun2, nouns=_plural(noun),
                            time=self._pick(_TIMES), place=self._pick(_PLACES))

    def next(self) -> str:
        """A title not among the last MEMORY."""
        for _ in range(_TRIES):
            title = self._draw()
            if title not in self._seen:
                break
        if len(self._recent) == self._recent.maxlen:
            self._seen.discard(self._recent[0])
        self._recent.append(title)
        self._seen.add(title)
        return title
