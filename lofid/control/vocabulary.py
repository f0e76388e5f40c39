"""The control protocol's words: its commands with their fields and help, ctl's short names for
the live settings, and the fields of a status reply.

Only the standard library, and no other lofid module, so that ``lofid ctl`` reads them without the
settings schema; what each command does, and how its values are checked, is
``lofid.control.protocol``.
"""

from __future__ import annotations

# ctl's short names for the live settings; `set` also takes the dotted key itself. A copy of the
# schema's (lofid.config.SHORT_NAMES, each setting's ``short``), in the order ctl's help lists them:
# tests/unit/top/test_lifecycle.py checks that they match.
SHORT_KEYS: dict[str, str] = {
    "temperature": "generation.temperature",
    "volume": "output.volume",
    "bpm": "music.bpm",
    "key": "music.key",
    "swing": "music.swing",
    "harmony": "generation.harmony",
    "wow": "fx.wow",
    "saturation": "fx.saturation",
    "reverb": "fx.reverb",
    "sidechain": "fx.sidechain",
    "loudness": "fx.loudness",
    "crackle": "fx.crackle",
    "lowpass": "fx.lowpass_hz",
}

# The keys status() reports, in the order `lofid ctl status` prints them: (key, label, unit).
STATUS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("state", "state", ""),                 # "playing" or "paused"
    ("track", "track", ""),                 # number, title, key, bpm, section, seconds in, length, held
    ("mood", "mood", ""),                   # {"text": music.mood, "read_as": what the tracks draw for it, "words": [...]}
    ("uptime_s", "uptime", ""),             # seconds since start (printed as h:mm:ss)
    ("queue_notes", "queue", " notes"),     # notes generated but not yet played
    ("queue_s", "queue ahead", " s"),       # the same in seconds of music
    ("notes_played", "notes played", ""),
    ("melody_played", "melody notes played", ""),  # of those, what the note model wrote
    ("underruns", "underruns", ""),         # blocks the sound card wanted before they were ready
    ("model", "model", ""),                 # the model file in use
    ("backend", "backend", ""),             # numpy, litert or tensorflow
    ("soundfont", "soundfont", ""),
    ("output", "output", ""),               # the device, or "null (no sound device)"
    ("guardrails", "guardrail recoveries", ""),  # times the melody was stuck/chaotic and steered back
    ("loudness", "loudness", ""),           # what the loudness stage hears (LUFS) and the gain it gives (dB)
    ("timers", "timers", ""),               # {"sleep": {"left_s"} | None, "focus": {phase, cycle, cycles, left_s} | None}
    ("streams", "streams", ""),             # None, or {bitrate_kbps, dropped_blocks, http, icecast, snapcast}
    ("mpd", "mpd door", ""),                # None, or {address, clients}: MPD clients steer lofid there
)

# What a watching connection is sent (one JSON object per line with an "event" field; replies have "ok")
# is named in lofid.control.status: StateEvent, TrackEvent, CoverEvent, SetEvent, TimerEvent.

MOOD_KEY = "music.mood"  # the setting `mood` changes (ctl shows it as "mood")

# command -> (the request's fields besides "cmd", required unless they end in "?"; its help)
WORDS: dict[str, tuple[tuple[str, ...], str]] = {
    "status": ((), "what is playing, every setting, the queue and counters"),
    "set": (("key", "value"), "change a live setting: " + ", ".join(SHORT_KEYS)),
    "layer": (("name", "value"), "turn a layer on or off, or set its volume (0 to 1)"),
    "pause": ((), "fade to silence; nothing is lost"),
    "resume": ((), "play again from where it paused"),
    "skip": ((), "drop the notes waiting and start a fresh phrase"),
    "next": ((), "end this track at the next bar and start a new one, after its transition"),
    "hold": (("value",), "on: keep the current track going; off: let it end as planned"),
    "save": (("path",), "write the current track as played so far: .mid with its chords at once, or as it sounds "
                        "to .flac, .mp3, .ogg or .wav, tagged with its cover, rendered while the music plays on"),
    "like": ((), "keep the track playing in your likes (lofid likes lists them, lofid export --likes renders them)"),
    "reload": ((), "read the config file again"),
    "sleep": (("value",), "fade out and pause after a while: 45m, 1h30m, 90s (a bare number is minutes), or off"),
    "focus": (("value",), "study music for a while, then a break (timers.focus_break), N times or endlessly: "
                          "\"25m 5m 4\", \"25m 5m\", or off"),
    "mood": (("value?", "keep?"), "say what you want to hear in plain words (\"slow rainy night, no drums\"; auto: "
                                  "the radio draws freely): a new track in that mood starts at the next bar, or with "
                                  "keep after this one; without a value, the mood now and what it was read as"),
    "watch": ((), "keep the connection open and be sent an event line at every change (track, state, settings, timers)"),
}
