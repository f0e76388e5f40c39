"""``lofid run``: the daemon that wires producer, queue, engine, sink and the control socket.

Threads, and who may touch what:
- the producer thread runs the model into the bounded note queue (``lofid.compose.queue``);
- the render thread (``Playback``) asks the engine for blocks and hands them to the sink, whose
  sound-card callback only copies from a ring buffer;
- the control thread (``ControlServer``) calls this class's ``Controllable`` methods; the engine
  takes their changes between two blocks (its own lock, which the sound-card callback never sees),
  so a setting never changes half-way through a block;
- the main thread waits for signals, pings systemd and draws the one-line live status.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from lofid import paths
from lofid.audio.chime import chime
from lofid.audio.engine import FADE_SECONDS, Engine, layer_value
from lofid.audio.sinks import DeviceSink, Playback, open_sink
from lofid.compose.generator import NoteGenerator
from lofid.compose.queue import Producer
from lofid.config import Config, applying, load, part_programs, resolve_seed
from lofid.control.server import ControlServer
from lofid.control.vocabulary import MOOD_KEY
from lofid.daemon.mpris import Desktop
from lofid.daemon.sdnotify import Notifier, start_watchdog
from lofid.daemon.signals import SignalInbox
from lofid.daemon.state import StateFile
from lofid.daemon.streams import Streams
from lofid.daemon.timers import SLEEP_FADE_S, Timers
from lofid.errors import LofidError
from lofid.music.midi import midi_bytes
from lofid.music.mood import read_mood
from lofid.music.notes import STEPS_PER_BEAT, Note
from lofid.music.tracks import Cue

log = logging.getLogger("lofid")

# Settings whose change means the queued notes must be written again (heard within a second).
REGENERATE = applying("regenerate")
# Settings only read at start: a reload that changes them says a restart is needed.
RESTART_ONLY = applying("restart")
FIRST_NOTES = 4  # notes queued before the sound starts
FADE_OUT_S = 0.3  # SIGTERM: fade, then let the sink drain


class Daemon:
    """The running player. Implements ``lofid.control.protocol.Controllable``."""

    def __init__(self, cfg: Config, config_file: str | None = None, overrides: tuple[str, ...] = (),
                 seed: int | None = None, mood: str | None = None) -> None:
        self._config_file, self._overrides = config_file, overrides
        self.state = StateFile(paths.state_path(cfg["control.state_file"]))
        self.state.load()
        self.cfg = self.state.apply_to(cfg)
        if mood is not None:  # lofid run --mood: as if said with ctl mood at start, so kept
            changes = {MOOD_KEY: mood}
            self.cfg = self.cfg.replace(changes)
            self.state.record(changes)
        self.started = time.monotonic()
        self._paused = False
        self._held = False
        self.seed = resolve_seed(self.cfg, seed)
        self.generator = NoteGenerator(self.cfg, self.seed)
        self.producer = Producer(self.generator, self.cfg["generation.queue_size"])
        self.engine = Engine(self.cfg, self._take)
        self.cfg = self._with_layers(self.cfg)
        self.sink = None
        self.playback: Playback | None = None
        self.notifier = Notifier()
        self.notes_played = 0
        self.timers = Timers()
        # Changes come from the control thread, the main thread (timers, SIGHUP) and MPRIS's: one at a
        # time, so none is lost between reading the settings and switching to the new ones.
        self._steering = threading.RLock()
        self._break: dict[str, Any] | None = None  # what a focus break silences, over the settings in force
        self._track_seen: int | None = None  # the track number last announced to watchers
        self.listeners: list[Callable[[dict[str, Any]], None]] = []  # told every event, besides the watchers
        # Served last, once everything it reports exists; a second lofid refuses here, before any sound.
        self.control = ControlServer(paths.socket_path(self.cfg["control.socket"]), self)
        self.control.start()
        try:
            self.streams = Streams(self.cfg, self)  # the HTTP server refuses an address it must not serve here
        except BaseException:
            self.control.close()
            raise
        self.desktop = Desktop(self)  # MPRIS and notifications, on a thread of their own where a session bus exists
        self.listeners += [self.desktop.listen, self.streams.listen]

    def _with_layers(self, cfg: Config) -> Config:
        """``cfg`` listing every layer the engine plays: a WAV dropped in effects/ is a layer the
        config never named, and ctl can only steer what the settings list."""
        return cfg.replace({f"layers.{name}.{field}": layer_value(cfg, name, field)
                            for name in self.engine.layer_names for field in ("enabled", "volume")})

    def _take(self) -> Note | Cue | None:
        note = self.producer.take()
        if isinstance(note, Note):  # the engine takes a note just as it starts it
            self.notes_played += 1
        return note

    # -- Controllable ------------------------------------------------------------------------
    def settings(self) -> Mapping[str, Any]:
        return self.cfg

    def status(self) -> dict[str, Any]:
        queued = self.producer.queued()
        sixteenth = 60.0 / self.engine.bpm / STEPS_PER_BEAT
        return {
            "state": "paused" if self._paused else "playing",
            "track": self._track(),
            "mood": self._mood(),
            "uptime_s": round(time.monotonic() - self.started, 1),
            "queue_notes": len(queued),
            "queue_s": round(sum(n.step for n in queued) * sixteenth, 1),
            "notes_played": self.notes_played,
            "underruns": getattr(self.sink, "underruns", 0),
            "model": str(paths.resolve(self.cfg["model.path"])),
            "backend": self.cfg["model.backend"],
            "soundfont": str(self.engine.soundfont),
            "output": self._output(),
            "bpm": self.engine.bpm,
            "producer_restarts": self.producer.restarts,
            "guardrails": dict(self.generator.recoveries),
            "loudness": self._loudness(),
            "timers": self.timers.status(time.monotonic()),
            "streams": self.streams.status(),
        }

    def _loudness(self) -> dict[str, Any]:
        """What the loudness stage hears (LUFS, before its gain) and the gain it gives (dB)."""
        stage = self.engine.chain.loudness
        heard = stage.measured
        return {"heard_lufs": None if heard is None else round(heard, 1), "gain_db": round(stage.gain_db, 1)}

    def _track(self) -> dict[str, Any] | None:
        """The track playing: what ``ctl status`` shows and ``--json`` puts under "track"."""
        track, section = self.engine.track, self.engine.section
        if track is None or section is None:
            return None
        return {"number": track.number, "title": track.title, "key": track.key_name, "bpm": self.engine.bpm,
                "section": section.name, "held": self._held,
                "seconds_in": round((self.engine.sample_time - self.engine.track_started) / self.engine.sample_rate, 1),
                "length_s": round(track.seconds, 1)}

    def _mood(self) -> dict[str, Any]:
        """The mood in force: its text, what the tracks draw for it, the words it was read from."""
        mood = read_mood(self.cfg[MOOD_KEY])
        return {"text": self.cfg[MOOD_KEY], "read_as": mood.describe(), "words": list(mood.words)}

    def mood(self, text: str | None, keep: bool = False) -> dict[str, Any]:
        """A new mood (None: the one in force): a track in it from the next bar, or after this one
        with ``keep``; its levels (brightness, rain, crackle) move at once. One regeneration does both,
        so no track can be planned in between under the mood before."""
        warning = None
        if text is not None:
            changes = {MOOD_KEY: text}
            with self._steering:
                self.cfg = self.cfg.replace(changes)
                if not keep:
                    self._held = False
                self.producer.regenerate(self.cfg, redirect=None if keep else "next")
                self.engine.update(self._heard(self.cfg))
            self.announce({"event": "set", "changes": changes})
            warning = self.state.record(changes)
        return {"mood": self._mood(), **({"warning": warning} if warning else {})}

    def _output(self) -> str:
        """Where the sound goes now: a device that is lost plays into nothing until it is back."""
        if not isinstance(self.sink, DeviceSink):
            return "null (no sound device)"
        return f"null (sound device {self.sink.name} lost; reopening it)" if self.sink.lost else self.sink.name

    def apply(self, changes: dict[str, Any]) -> str | None:
        with self._steering:
            self._switch(self.cfg.replace(changes))
        self.announce({"event": "set", "changes": changes})
        return self.state.record(changes)

    def _switch(self, cfg: Config) -> dict[str, Any]:
        """Make ``cfg`` the settings in force; return what changed."""
        changed = {k: v for k, v in cfg.items() if self.cfg.get(k) != v}
        self.cfg = cfg
        if any(k in changed for k in REGENERATE):
            dropped = self.producer.regenerate(cfg)
            log.debug("regenerating %d queued notes under the new settings", dropped)
        else:
            self.generator.update(cfg)
        if "generation.queue_size" in changed:
            self.producer.resize(cfg["generation.queue_size"])
        self.engine.update(self._heard(cfg))
        later = [k for k in changed if k in RESTART_ONLY]
        if later:
            log.info("%s take effect at the next start", ", ".join(later))
        return changed

    def _heard(self, cfg: Config) -> Config:
        """``cfg`` as the engine plays it: during a focus break, with the break's layers resting."""
        return cfg.replace(self._break) if self._break else cfg

    def pause(self, fade_seconds: float = FADE_SECONDS) -> None:
        self._paused = True
        self.engine.pause(fade_seconds)
        self.announce({"event": "state", "state": "paused"})

    def resume(self) -> None:
        self._paused = False
        self.engine.resume()
        self.announce({"event": "state", "state": "playing"})

    def sleep(self, seconds: float | None) -> dict[str, Any]:
        self.timers.set_sleep(seconds, time.monotonic())
        return self._timer_changed("sleep set" if seconds is not None else "sleep off")

    def focus(self, study_s: float | None, break_s: float, cycles: int | None) -> dict[str, Any]:
        self._rest(None)
        self.timers.set_focus(study_s, break_s, cycles, time.monotonic())
        return self._timer_changed("focus set" if study_s is not None else "focus off")

    def skip(self) -> None:
        self.producer.regenerate(fresh_phrase=True)

    def next_track(self) -> None:
        self._held = False
        self.producer.regenerate(redirect="next")

    def hold(self, on: bool) -> None:
        if on != self._held:
            self._held = on
            self.producer.regenerate(redirect="hold" if on else "release")

    def save(self, path: str) -> str:
        """The current track as played so far, from its first 16th, with its chords, markers, key
        signature and tempo."""
        log_ = list(self.engine.track_log)
        if not any(isinstance(event, Note) for _, event in log_):
            raise LofidError("nothing has been played yet")
        first = log_[0][0]
        events, previous = [], first
        for index, event in log_:
            events.append(dataclasses.replace(event, step=index - previous))
            previous = index
        track = self.engine.track
        origin = track.start if track is not None else 0
        chords = [(at - origin, label) for at, label in self.generator.chords() if origin <= at < origin + previous - first + 1]
        data = midi_bytes(events, self.engine.bpm, part_programs(self.cfg), chords, swing=self.engine.grid.swing)
        paths.write_file(path, data, "the MIDI file")
        return path

    def reload(self) -> dict[str, Any]:
        cfg = self._with_layers(self.state.apply_to(load(self._config_file, self._overrides)))
        with self._steering:
            changed = self._switch(cfg)
        log.info("config reloaded: %s", ", ".join(f"{k}={v}" for k, v in changed.items()) or "nothing changed")
        if changed:
            self.announce({"event": "set", "changes": changed})
        return changed

    def announce(self, event: dict[str, Any]) -> None:
        """Tell the watching connections and every listener (MPRIS, notifications) of a change.

        Listeners are called on the thread that made the change (control or main), never the render
        thread; each must only hand the event on and return, and a failing one is logged, not raised."""
        self.control.publish(event)
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                log.exception("an event listener failed")

    # -- timers and events (main thread, twice a second) -----------------------------------------
    def _tick(self) -> None:
        """Carry out what the timers say has happened; tell the watchers of a new track."""
        for what in self.timers.tick(time.monotonic()):
            if what == "sleep ended":
                self.timers.set_focus(None)
                self._rest(None)
                self.pause(SLEEP_FADE_S)
            else:  # a focus break begins ("break"), or study resumes ("study", "focus ended")
                self._rest(what == "break")
                volume = self.cfg["timers.cue_volume"]
                if volume > 0:
                    self.engine.overlay(chime(self.engine.sample_rate, rising=what != "break", volume=volume))
            self._timer_changed(what)
        track = self._track()
        if track is not None and track["number"] != self._track_seen:
            self._track_seen = track["number"]
            self.announce({"event": "track", "track": track})

    def _rest(self, on_break: bool | None) -> None:
        """Start a focus break's rest (True) or end it (False, None)."""
        rest = None
        if on_break:
            quiet = ("music", "beat", *(() if self.cfg["timers.focus_break"] == "rain" else self.engine.layer_names))
            rest = {f"layers.{name}.enabled": False for name in quiet}
            if self.cfg["timers.focus_break"] == "rain":
                rest["layers.rain.enabled"] = True
        with self._steering:
            if rest != self._break:
                self._break = rest
                self.engine.update(self._heard(self.cfg))

    def _timer_changed(self, what: str) -> dict[str, Any]:
        timers = self.timers.status(time.monotonic())
        self.announce({"event": "timer", "what": what, "timers": timers})
        return timers

    # -- life cycle --------------------------------------------------------------------------
    def run(self) -> int:
        signals = SignalInbox((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
        self.producer.start()
        self.producer.wait_for(FIRST_NOTES, timeout=2.0)
        self.sink = open_sink(self.cfg)  # with no device: one line saying so, and the null sink
        self.playback = Playback(self.engine.render, self.sink, self.cfg["output.block_size"], self.streams.taps)
        self.playback.start()
        self.streams.start()
        log.info("playing %s through %s; control socket %s", paths.resolve(self.cfg["model.path"]).name,
                 self._output(), self.control.path)
        self.notifier.ready(self._status_line())
        watchdog = start_watchdog(self.notifier, self._healthy())
        live = sys.stderr.isatty()
        try:
            while True:
                received = signals.wait(0.5)
                if signal.SIGTERM in received or signal.SIGINT in received:
                    break
                if signal.SIGHUP in received:
                    self._reload_logged()
                if self.playback.error is not None:
                    log.error("playback stopped (%s); exiting so the service manager restarts lofid",
                              self.playback.error)
                    return 1
                self._tick()
                line = self._status_line()
                self.notifier.status(line)
                if live:
                    sys.stderr.write("\r\033[K" + line)
                    sys.stderr.flush()
        finally:
            if live:
                sys.stderr.write("\n")
            if watchdog is not None:
                watchdog.set()
            self.shutdown()
            signals.close()
        return 0

    def _reload_logged(self) -> None:
        try:
            self.reload()
        except Exception as e:  # a broken config on SIGHUP keeps the old settings playing
            log.error("reload failed, keeping the current settings: %s", e)

    def _healthy(self) -> Callable[[], bool]:
        last = [-1]

        def moving() -> bool:
            now = self.engine.sample_time
            alive, last[0] = now != last[0], now
            return alive

        return moving

    def _status_line(self) -> str:
        s = self.status()
        track = s["track"]
        title = f"{track['title']} ({track['key']}) · " if track else ""
        return (f"{s['state']} · {title}{self.engine.bpm:g} bpm · "
                f"temperature {self.cfg['generation.temperature']:g} · harmony {self.cfg['generation.harmony']} · "
                f"queue {s['queue_notes']} notes "
                f"({s['queue_s']:g} s) · {s['notes_played']} notes · {s['underruns']} underruns · to {s['output']}")

    def shutdown(self) -> None:
        """Fade out, drain, stop every thread and remove the socket."""
        self.notifier.stopping()
        if self.playback is not None:
            self.engine.pause()
            time.sleep(FADE_OUT_S)
            self.playback.stop()
        if self.sink is not None:
            self.sink.close()
        self.producer.stop()
        self.streams.close()
        self.control.close()
        self.desktop.close()
        self.engine.close()
        log.info("stopped after %d notes", self.notes_played)
