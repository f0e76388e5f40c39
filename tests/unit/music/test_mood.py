"""A mood in plain words read as what the tracks draw: words and phrases, explicit values, negation,
blending, and unknown words answered with the nearest known ones; the schema's music.mood, and the
levels a mood moves where no setting is pinned."""

from __future__ import annotations

import pytest

from lofid.config import defaults
from lofid.errors import ConfigError
from lofid.mood_levels import mood_levels, with_mood
from lofid.music.mood import INSTRUMENTS, known_words, read_mood, table

RADIO_BPM = (65, 95)  # lofid.compose.tracks.LOFI_BPM: what the radio draws alone
RADIO_MINOR = 0.4


def middle(pair: tuple[float, float]) -> float:
    return sum(pair) / 2


def test_the_table_covers_what_people_say_in_about_150_words_and_phrases():
    words = known_words()
    assert len(words) >= 150
    said = ["morning", "late night", "rain", "snow", "autumn", "winter", "cafe", "train", "library", "beach", "sad",
            "happy", "calm", "upbeat", "study", "focus", "read", "code", "sleep", "cook", "piano", "guitar", "jazz"]
    assert [w for w in said if w not in words] == []
    assert all(w in INSTRUMENTS for pulls in table().values() for w in pulls.get("instruments", ()))


@pytest.mark.parametrize(("low", "high", "figure"), [
    ("slow", "upbeat", lambda m: middle(m.bpm)),
    ("dark", "bright", lambda m: m.brightness),
    ("sparse", "busy", lambda m: middle(m.density)),
    ("sad", "happy", lambda m: -m.minor),
    ("sleep", "upbeat", lambda m: ("off", "light", "on").index(m.drums)),
])
def test_opposite_words_pull_to_opposite_sides_of_the_radio_alone(low, high, figure):
    assert figure(read_mood(low)) < figure(read_mood(high))
    assert middle(read_mood("slow").bpm) < middle(RADIO_BPM) < middle(read_mood("upbeat").bpm)
    assert read_mood("dark").minor > RADIO_MINOR > read_mood("bright").minor


def test_a_mood_reads_words_and_phrases_longest_first_passing_over_small_words():
    mood = read_mood("a slow rainy night, with warm piano")
    assert mood.words == ("slow", "rainy", "night", "warm", "piano")
    assert mood.rain > 0.12 and mood.brightness < 0 and "piano" in mood.instruments and "Nostalgic" in mood.tags
    assert read_mood("late night").words == ("late night",)
    assert read_mood("Rainy Days in the Cafe").words == ("rainy", "cafe")  # a plural, any case


def test_explicit_values_win_over_words():
    mood = read_mood("80 bpm, slow, in D minor, happy")
    assert mood.bpm == (80.0, 80.0) and mood.key == (2, True) and mood.minor == 1.0
    assert read_mood("70-80 bpm").bpm == (70.0, 80.0)
    assert read_mood("in Eb").key == (3, False) and read_mood("c# minor").key == (1, True)
    assert read_mood("in a cafe").key is None  # "in a" is no key
    assert read_mood("upbeat, no drums").drums == "off"  # a word of the drums alone wins
    assert read_mood("sleep with drums").drums == "on"


def test_negation_turns_the_next_word_around():
    assert read_mood("no drums").drums == "off" and read_mood("without drums").drums == "off"
    not_sad = read_mood("not sad")
    assert not_sad.minor < RADIO_MINOR and not_sad.brightness > 0 and "Sad" in not_sad.avoid and not_sad.words == ("not sad",)
    assert read_mood("no rain").rain == 0.0
    assert read_mood("no piano").avoid == ("piano",)
    assert read_mood("no drums, rain").rain > 0.12  # a negation reaches no further than its part


def test_opposing_words_blend():
    slow, upbeat, both = read_mood("slow").bpm, read_mood("upbeat").bpm, read_mood("slow upbeat").bpm
    assert slow[0] < both[0] < upbeat[0] and slow[1] < both[1] < upbeat[1]
    assert read_mood("sleep, drums").drums == "on" and read_mood("sleep, upbeat").drums == "light"


def test_unknown_words_refuse_the_mood_naming_them_and_the_nearest_known():
    with pytest.raises(ConfigError) as bad:
        read_mood("purple elephant")
    assert "did not know 'purple', 'elephant'" in str(bad.value) and "\n" not in str(bad.value)
    with pytest.raises(ConfigError, match=r"did not know 'nigth'.*near them: night"):
        read_mood("slow rainy nigth")
    with pytest.raises(ConfigError, match="found no mood words"):
        read_mood("with the")


def test_auto_or_nothing_is_the_radio_alone():
    for text in ("", "auto", " AUTO "):
        mood = read_mood(text)
        assert mood.free and mood.bpm is None and mood.describe() == "nothing: the radio draws freely"


def test_music_mood_in_the_settings_and_the_levels_it_moves_unless_pinned():
    with pytest.raises(ConfigError, match=r"^music\.mood: did not know 'purple'"):
        defaults().replace({"music.mood": "purple rain"})
    dark = defaults().replace({"music.mood": "dark, heavy rain"})
    levels = mood_levels(dark)
    assert levels["fx.lowpass_hz"] < defaults()["fx.lowpass_hz"] and levels["layers.rain.volume"] > 0.12
    bright = mood_levels(defaults().replace({"music.mood": "bright"}))
    assert bright["fx.lowpass_hz"] > defaults()["fx.lowpass_hz"] and bright["fx.saturation"] > levels["fx.saturation"]
    assert levels["parts.keys.lowpass_hz"] < defaults()["parts.keys.lowpass_hz"]
    pinned = with_mood(dark.replace({"fx.lowpass_hz": 9000.0}))
    assert pinned["fx.lowpass_hz"] == 9000.0 and pinned["layers.rain.volume"] == levels["layers.rain.volume"]
    assert mood_levels(defaults()) == {}
