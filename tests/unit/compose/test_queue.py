"""The producer: a bounded queue the real note model fills ahead of playback."""

from __future__ import annotations

import contextlib
import time

import pytest

from lofid import paths
from lofid.compose.generator import NoteGenerator
from lofid.compose.queue import Producer
from lofid.config import defaults
from lofid.music.notes import BAR, Note

MODEL = paths.MODELS / "lofid"


def generator(**settings) -> NoteGenerator:
    # top_p 0.05 keeps only the likeliest value of each head: greedy, so the same context gives the same notes.
    cfg = defaults().replace({"model.path": str(MODEL), "generation.top_p": 0.05, **settings})
    return NoteGenerator(cfg, seed=5)


def settle(producer: Producer, depth: int) -> None:
    assert producer.wait_for(depth, timeout=30)
    time.sleep(0.05)  # give a producer that would overfill the chance to


@pytest.fixture
def producer():
    made = []

    def make(maxsize: int, **settings) -> Producer:
        p = Producer(generator(**settings), maxsize)
        p.start()
        made.append(p)
        return p

    yield make
    for p in made:
        p.stop()


def test_fills_to_the_bound_and_waits_never_dropping(producer):
    p = producer(16)
    settle(p, 16)
    assert p.depth() == 16 and p.generated == 16  # full: it waits instead of writing more
    assert p.take() is not None
    time.sleep(0.2)
    assert p.depth() == 15 and p.generated == 16  # one played is not worth waking the producer for...
    taken = [p.take() for _ in range(4)]
    assert all(n is not None for n in taken)
    settle(p, 16)
    assert p.generated == 21  # ...an eighth is: the five taken were replaced, nothing generated was lost


def test_take_never_blocks_on_an_empty_queue(producer):
    p = Producer(generator(), 4)  # not started: nothing will arrive
    t0 = time.monotonic()
    assert p.take() is None
    assert time.monotonic() - t0 < 0.5


def notes(events) -> list[Note]:
    return [e for e in events if isinstance(e, Note)]


def onsets(events, start: int = 0) -> list[tuple[int, object]]:
    """(16th, event) of a run of events that begins ``start`` 16ths in."""
    out = []
    for event in events:
        start += event.step
        out.append((start, event))
    return out


def test_a_new_key_rewrites_the_queued_notes_from_the_same_context(producer):
    p = producer(24, **{"music.key": "C"})
    settle(p, 24)
    before = notes(p.queued())
    dropped = p.regenerate(defaults().replace({"model.path": str(MODEL), "generation.top_p": 0.05,
                                               "music.key": "D"}))
    assert dropped == 24
    settle(p, 24)
    after = notes(p.queued())
    # The same continuation, a whole tone up: the queue was written again, not played out.
    same = sum(a.pitch - b.pitch in (2, -10) and (a.step, a.duration) == (b.step, b.duration)
               for a, b in zip(after, before))
    assert same >= 20, [(b.pitch, a.pitch) for a, b in zip(after, before)]


def test_a_returned_note_is_written_again_with_the_queue_and_the_first_before_it_returns(producer):
    p = producer(24)
    settle(p, 24)
    first = p.take()  # played
    held = p.take()  # taken ahead of its onset, then handed back by the engine
    queued = p.queued()
    assert first is not None and held is not None
    p.stop()  # nothing but the regeneration writes from here
    assert p.regenerate(holding=contextlib.nullcontext(1)) == 24 - 2 + 1  # the engine handed one back
    assert p.queued() == [held]  # greedy: the same context writes the same note, before regenerate returns
    p.start()
    settle(p, 24)
    assert p.queued()[1:23] == queued  # and the same continuation after it: nothing skipped or doubled


def test_skip_starts_a_fresh_phrase_at_the_next_bar(producer):
    p = producer(48)
    settle(p, 48)
    played = onsets([p.take() for _ in range(40)])
    settle(p, 48)
    now = played[-1][0]
    bar_line = (now // BAR + 1) * BAR

    def accompaniment() -> list:
        # what sounds: a note's step counts from the event before it, which may be a melody note that was replaced
        return [(at, e.pitch, e.duration, e.velocity, e.part) for at, e in onsets(p.queued(), now)
                if isinstance(e, Note) and e.part != "melody" and at < bar_line]

    before = accompaniment()
    p.regenerate(fresh_phrase=True)
    settle(p, 48)
    fresh = onsets(p.queued(), now)
    # the accompaniment plays on as planned; the melody's next note comes on the bar line or after it
    melody = [at for at, e in fresh if isinstance(e, Note) and e.part == "melody"]
    assert melody and min(melody) >= bar_line
    assert accompaniment() == before


def test_an_error_inside_generation_is_survived(producer, caplog):
    gen = generator()
    real = gen._model.logits  # noqa: SLF001 (the one way to make the model step fail on demand)
    calls = {"n": 0}

    def flaky(window):  # the real model, failing once: a fault no real input triggers on demand
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("injected fault")
        return real(window)

    gen._model.logits = flaky  # noqa: SLF001
    p = Producer(gen, 64)
    p.start()
    try:
        settle(p, 64)
    finally:
        p.stop()
    assert p.restarts == 1 and p.depth() == 64
    assert "generation failed (RuntimeError: injected fault)" in caplog.text
