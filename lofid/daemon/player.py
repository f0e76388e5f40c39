"""``lofid run``: the daemon that wires producer, queue, engine, sink and the control socket.

Built in two steps: ``Daemon(...)`` makes the player (model, producer, engine, timers, state)
and starts nothing, so its logic can be tested alone; ``start()`` serves it (the control
socket, the stream outputs' servers, the MPD door, MPRIS), and ``run()`` plays until a signal stops it.

Threads, and who may touch what:
- the producer thread runs the model into the bounded note queue (``lofid.compose.queue``);
- the render thread (``Playback``) asks the engine for blocks and hands them to the sink, whose
  sound-card callback only copies from a ring buffer;
- the steering entries (the ``Controllable`` methods) are called at once from the control thread,
  one thread per HTTP connection and the D-Bus thread, and by the main thread for the timers and
  SIGHUP. Each runs whole holding the one steering lock: a check and the act on it are never split,
  the settings, the pause and hold flags and the engine agree whenever the lock is free, and the
  events go out in the order of the changes. The engine takes their changes between two blocks
  (its own lock, which the sound-card callback never sees), so a setting never changes half-way
  through a block, and the render thread never waits for the steering lock;
- the main thread waits for signals, pings systemd and draws the one-line live status;
- the covers thread paints each track's cover (``lofid.daemon.covers``), announcing it under the lock;
- the keeper thread (``lofid.daemon.keeper``) writes the likes and has the audio saves rendered, holding no lock.
"""

from __future__ import annotations

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
from lofid.audio.sinks import DeviceSink, NullSink, Playback, open_sink, render_frames
from lofid.compose.generator import NoteGenerator
from lofid.compose.queue import Producer
from lofid.config import Config, applying, load, resolve_seed
from lofid.control.mpd import MpdDoor, mpd_door
from lofid.control.server import ControlServer
from lofid.control.status import (
    Event,
    LoudnessStatus,
    SetEvent,
    StateEvent,
    Status,
    TimerEvent,
    TimersStatus,
    TrackEvent,
    TrackStatus,
    mood_status,
    status_line,
    upcoming,
)
from lofid.control.vocabulary import MOOD_KEY
from lofid.daemon.covers import Covers
from lofid.daemon.kept import Kept
from lofid.daemon.mpris import Desktop
from lofid.daemon.sdnotify import Notifier, advancing, start_watchdog
from lofid.daemon.signals import SignalInbox
from lofid.daemon.state import StateFile
from lofid.daemon.streams import Streams
from lofid.daemon.timers import SLEEP_FADE_S, Timers, break_rest
from lofid.errors import LofidError
from lofid.music.notes import STEPS_PER_BEAT

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
                 seed: int | None = None) -> None:
        """The player, ready to serve and play: nothing is bound, no thread runs, no sound plays."""
        self._config_file, self._overrides = config_file, overrides
        self.state = StateFile(paths.state_path(cfg["control.state_file"]))
        self.state.load()
        self.cfg = self.state.apply_to(cfg)
        self.started = time.monotonic()
        self._paused = False
        self._held = False
        self.seed = resolve_seed(self.cfg, seed)
        self.generator = NoteGenerator(self.cfg, self.seed)
        self.producer = Producer(self.generator, self.cfg["generation.queue_size"])
        self.engine = Engine(self.cfg, self.producer.take)
        self.cfg = self._with_layers(self.cfg)
        self.sink: DeviceSink | NullSink | None = None
        self.playback: Playback | None = None
        self.notifier = Notifier()
        self.timers = Timers()
        self._steering = threading.RLock()  # held whole by every steering entry (see the module's doc)
        self._break: dict[str, bool] | None = None  # what a focus break silences, over the settings in force
        self._track_seen: int | None = None  # the track number last announced to watchers
        self.covers = Covers(self._steering, self._track, self.announce)  # each track's picture, on its own thread
        self.listeners: list[Callable[[Event], None]] = []  # told every event, in the order of the changes
        self.control: ControlServer | None = None
        self.streams: Streams | None = None
        self.desktop: Desktop | None = None
        self.mpd: MpdDoor | None = None
        self.kept = Kept(self.announce, self.seed)  # audio saves and likes, written on their own thread

    def start(self) -> Daemon:
        """Bind the control socket (a second lofid refuses here), open the stream outputs and the MPD door (an
        address they must not serve refuses here), then answer; then MPRIS. ``shutdown()`` undoes it."""
        self.control = ControlServer(paths.socket_path(self.cfg["control.socket"]), self).bind()
        try:
            self.streams = Streams(self.cfg, self)
            self.mpd = mpd_door(self.cfg, self, self.listeners)  # None when off
            self.control.serve()
        except BaseException:
            self._close_services()
            raise
        self.desktop = Desktop(self)  # on a thread of its own where a session bus exists
        self.covers.start()
        self.listeners += [self.control.publish, self.desktop.listen, self.streams.listen]
        return self

    def _with_layers(self, cfg: Config) -> Config:
        """``cfg`` listing every layer the engine plays: a WAV dropped in effects/ is a layer the
        config never named, and ctl can only steer what the settings list."""
        return cfg.replace({f"layers.{name}.{field}": layer_value(cfg, name, field)
                            for name in self.engine.layer_names for field in ("enabled", "volume")})

    # -- Controllable: each entry holds the steering lock throughout ------------------------------
    def settings(self) -> Mapping[str, Any]:
        return self.cfg  # one reference, replaced whole: no lock needed to read it

    def status(self) -> Status:
        with self._steering:
            queued = self.producer.queued()
            sixteenth = 60.0 / self.engine.bpm / STEPS_PER_BEAT
            return {
                "state": "paused" if self._paused else "playing",
                "track": self._track(),
                "mood": mood_status(self.cfg),
                "uptime_s": round(time.monotonic() - self.started, 1),
                "queue_notes": len(queued),
                "queue_s": round(sum(n.step for n in queued) * sixteenth, 1),
                "notes_played": self.engine.notes_started,
                "melody_played": self.engine.melody_started,
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
                "streams": self.streams.status() if self.streams is not None else None,
                "mpd": self.mpd.status() if self.mpd is not None else None,
            }

    def _loudness(self) -> LoudnessStatus:
        """What the loudness stage hears (LUFS, before its gain) and the gain it gives (dB)."""
        stage = self.engine.chain.loudness
        return {"heard_lufs": None if stage.measured is None else round(stage.measured, 1), "gain_db": round(stage.gain_db, 1)}

    def _track(self) -> TrackStatus | None:
        """The track playing: what ``ctl status`` shows and ``--json`` puts under "track"."""
        track, section = self.engine.track, self.engine.section
        if track is None or section is None:
            return None
        return {"number": track.number, "title": track.title, "key": track.key_name, "bpm": self.engine.bpm,
                "section": section.name, "held": self._held,
                "seconds_in": round((self.engine.sample_time - self.engine.track_started) / self.engine.sample_rate, 1),
                "length_s": round(track.seconds, 1), "cover": self.covers.painted(track.number),
                "next": upcoming(self.generator.track_after(track.number))}

    def mood(self, text: str | None, keep: bool = False) -> dict[str, Any]:
        """A new mood (None: the one in force) from the next bar, or after this track with ``keep``;
        the generator takes it before the redirect, so the next track is planned in it."""
        with self._steering:
            warning = None
            if text is not None:
                if not keep:
                    self._held = False
                warning = self.apply({MOOD_KEY: text}, redirect=None if keep else "next")
            return {"mood": mood_status(self.cfg), **({"warning": warning} if warning else {})}

    def _output(self) -> str:
        """Where the sound goes now: a device that is lost plays into nothing until it is back."""
        if not isinstance(self.sink, DeviceSink):
            return "null (no sound device)"
        return f"null (sound device {self.sink.name} lost; reopening it)" if self.sink.lost else self.sink.name

    def apply(self, changes: dict[str, Any], redirect: str | None = None) -> str | None:
        """Switch to the settings with ``changes``, tell the listeners and keep them; ``redirect``
        also moves the plan (a mood's next track)."""
        with self._steering:
            self._switch(self.cfg.replace(changes), redirect)
            self.announce(SetEvent(event="set", changes=changes))
            return self.state.record(changes)  # in the order applied: the last change is the one kept

    def _regenerate(self, fresh_phrase: bool = False, redirect: str | None = None) -> int:
        """The notes not yet heard written again (``Producer.regenerate``), the one the engine holds
        ahead of its onset with them, so a change is heard a note sooner; how many were forgotten."""
        return self.producer.regenerate(fresh_phrase=fresh_phrase, redirect=redirect, holding=self.engine.taking_back())

    def _switch(self, cfg: Config, redirect: str | None = None) -> dict[str, Any]:
        """Make ``cfg`` the settings in force and return what changed, or raise having changed nothing.

        What can fail comes first: the generator takes the new settings whole or not at all (it
        loads a new model before it changes anything). What follows applies checked values and
        cannot refuse them; the settings in force are assigned with it. Holding the steering lock."""
        changed = {k: v for k, v in cfg.items() if self.cfg.get(k) != v}
        self.generator.update(cfg)
        self.cfg = cfg
        if redirect is not None or any(k in changed for k in REGENERATE):
            forgotten = self._regenerate(redirect=redirect)
            log.debug("regenerating %d notes under the new settings", forgotten)
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
        with self._steering:
            self._paused = True
            self.engine.pause(fade_seconds)
            self.announce(StateEvent(event="state", state="paused"))

    def resume(self) -> None:
        with self._steering:
            self._paused = False
            self.engine.resume()
            self.announce(StateEvent(event="state", state="playing"))

    def sleep(self, seconds: float | None) -> TimersStatus:
        with self._steering:
            self.timers.set_sleep(seconds, time.monotonic())
            return self._timer_changed("sleep set" if seconds is not None else "sleep off")

    def focus(self, study_s: float | None, break_s: float, cycles: int | None) -> TimersStatus:
        with self._steering:
            self._rest(False)
            self.timers.set_focus(study_s, break_s, cycles, time.monotonic())
            return self._timer_changed("focus set" if study_s is not None else "focus off")

    def skip(self) -> None:
        with self._steering:
            self._regenerate(fresh_phrase=True)

    def next_track(self) -> None:
        with self._steering:
            self._held = False
            self._regenerate(redirect="next")

    def hold(self, on: bool) -> None:
        with self._steering:
            if on != self._held:
                self._held = on
                self._regenerate(redirect="hold" if on else "release")

    def save(self, path: str) -> str:
        """The current track as played so far (lofid.daemon.kept): MIDI at once, audio in the background."""
        with self._steering:
            return self.kept.save(path, self.engine, self.generator.chords(), self.cfg)

    def like(self) -> str:
        with self._steering:
            return self.kept.like(self.engine, self.cfg)

    def reload(self) -> dict[str, Any]:
        """Read the config again and switch to it whole; if any of it cannot be taken (a missing
        model, a broken file), a LofidError saying so, and every setting stays as it was."""
        try:
            cfg = self._with_layers(self.state.apply_to(load(self._config_file, self._overrides)))
            with self._steering:
                changed = self._switch(cfg)
                if changed:
                    self.announce(SetEvent(event="set", changes=changed))
        except LofidError as e:
            raise LofidError(f"reload failed, kept the current settings: {e}") from None
        log.info("config reloaded: %s", ", ".join(f"{k}={v}" for k, v in changed.items()) or "nothing changed")
        return changed

    def announce(self, event: Event) -> None:
        """Tell every listener (the watching connections, MPRIS and notifications, the stream
        outputs) of a change, holding the steering lock (the keeper's news takes it), so events go out in order.

        Listeners are called on the thread that made the change, never the render thread; each must
        only hand the event on and return, and a failing one is logged, not raised."""
        with self._steering:
            for listener in self.listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("an event listener failed")

    # -- timers and events (main thread, twice a second) -----------------------------------------
    def tick(self) -> None:
        """Carry out what the timers say has happened; tell the watchers of a new track."""
        with self._steering:
            for what in self.timers.tick(time.monotonic()):
                if what == "sleep ended":
                    self.timers.set_focus(None)
                    self._rest(False)
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
                self.announce(TrackEvent(event="track", track=track))
                self.covers.want(self.engine.track, self.cfg[MOOD_KEY], self.seed)  # painted on the covers' thread
                self.kept.track_changed(track["number"])

    def _rest(self, on_break: bool) -> None:
        """Start a focus break's rest (True) or end it (False). Holding the steering lock."""
        rest = break_rest(self.cfg["timers.focus_break"], self.engine.layer_names) if on_break else None
        if rest != self._break:
            self._break = rest
            self.engine.update(self._heard(self.cfg))

    def _timer_changed(self, what: str) -> TimersStatus:
        timers = self.timers.status(time.monotonic())
        self.announce(TimerEvent(event="timer", what=what, timers=timers))
        return timers

    # -- life cycle --------------------------------------------------------------------------
    def run(self) -> int:
        """Play (after ``start()``) until SIGTERM or SIGINT; then fade out, stop everything, return 0.
        SIGHUP reloads the config. 1 if the render thread failed (the service manager restarts lofid)."""
        if self.control is None or self.streams is None:
            raise LofidError("the daemon plays once it is served: call start() first")
        signals = SignalInbox((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
        self.producer.start()
        self.producer.wait_for(FIRST_NOTES, timeout=2.0)
        self.sink = open_sink(self.cfg)  # with no device: one line saying so, and the null sink
        self.playback = Playback(self.engine.render, self.sink, render_frames(self.cfg["output.block_size"]),
                                 self.streams.taps)
        self.playback.start()
        self.streams.start()
        log.info("playing %s through %s; control socket %s", paths.resolve(self.cfg["model.path"]).name,
                 self._output(), self.control.path)
        self.notifier.ready(self._status_line())
        watchdog = start_watchdog(self.notifier, advancing(lambda: self.engine.sample_time))
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
                self.tick()
                if live or self.notifier.enabled:  # the status line, for whoever shows it
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
        """SIGHUP: reload; a config that cannot be taken keeps every current setting, said in the log."""
        try:
            self.reload()
        except LofidError as e:
            log.error("%s", e)
        except Exception:
            log.exception("reload failed inside lofid; kept the current settings")

    def _status_line(self) -> str:
        return status_line(self.status(), self.engine.bpm, self.cfg)

    def _close_services(self) -> None:
        """Stop what start() served, the keeper last (after the control socket: no new job)."""
        for service in (self.covers, self.streams, self.mpd, self.control, self.desktop, self.kept):
            if service is not None:
                service.close()

    def shutdown(self) -> None:
        """Fade out, drain, stop every thread and remove the socket (what was started of them)."""
        self.notifier.stopping()
        if self.playback is not None:
            self.engine.pause()
            time.sleep(FADE_OUT_S)
            self.playback.stop()
        if self.sink is not None:
            self.sink.close()
        self.producer.stop()
        self._close_services()
        self.engine.close()
        log.info("stopped after %d notes", self.engine.notes_started)
