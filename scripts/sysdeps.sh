#!/usr/bin/env bash
# Install the system libraries lofid needs, only those missing. Usage: sysdeps.sh run|test
# run:  FluidSynth and PortAudio, a C compiler and Python's headers for the chain's compiled loops
#       (lofid/audio/_dsp.c), and venv support on Debian; lofid plays its own instruments
#       (instruments/lofid.sf2), so no soundfont package is needed.
# test: also a good General MIDI soundfont (the tests that measure the chain on a General MIDI organ,
#       and `sound.soundfont: gm`), PulseAudio with its ALSA plugin, which the tests use as a real sound server, PipeWire
#       with its PulseAudio layer and WirePlumber (the desktops' server, which the tests use too; not
#       pipewire-alsa: lofid reaches both servers through ALSA's pulse plugin), and the fluidsynth
#       command-line player that the benchmarks compare lofid's CPU with; for the stream outputs,
#       a real Icecast server, ffmpeg (which decodes what a listener hears), Chromium with its
#       WebDriver (the web remote's test), and Snapcast's server and client.
# The General MIDI font: Debian's MuseScore General Lite (MIT, 40 MB, /usr/share/sounds/sf3/), which
# `sound.soundfont: gm` prefers; Homebrew offers none, so there gm plays pretty_midi's TimGM6mb. Every
# system plays lofid's own instruments by default (`sound.soundfont: auto`).
set -euo pipefail
want=${1:-run}

if [ "$(uname -s)" = Darwin ]; then
  command -v brew >/dev/null || { echo "sysdeps: Homebrew is needed (https://brew.sh)" >&2; exit 1; }
  xcode-select -p >/dev/null 2>&1 || { echo "sysdeps: Apple's command-line tools are needed (xcode-select --install)" >&2; exit 1; }
  missing=()
  for f in fluid-synth portaudio; do brew list --formula "$f" >/dev/null 2>&1 || missing+=("$f"); done
  if [ ${#missing[@]} -gt 0 ]; then echo "sysdeps: brew install ${missing[*]}"; brew install "${missing[@]}"; fi
  exit 0
fi

command -v apt-get >/dev/null || { echo "sysdeps: not Debian/Ubuntu or macOS; install FluidSynth and PortAudio yourself" >&2; exit 0; }

has_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
missing=()
has_lib 'libfluidsynth\.so\.3' || missing+=(libfluidsynth3)
has_lib 'libportaudio\.so\.2' || missing+=(libportaudio2)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' ||
  missing+=(python3-dev)
if [ "$want" = test ]; then
  [ -f /usr/share/sounds/sf3/MuseScore_General_Lite.sf3 ] || missing+=(musescore-general-soundfont-small)
  command -v fluidsynth >/dev/null || missing+=(fluidsynth)
  command -v pulseaudio >/dev/null || missing+=(pulseaudio)
  command -v parec >/dev/null && command -v pactl >/dev/null || missing+=(pulseaudio-utils)
  ls /usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so >/dev/null 2>&1 || missing+=(libasound2-plugins)
  command -v pipewire >/dev/null || missing+=(pipewire)
  command -v pipewire-pulse >/dev/null || missing+=(pipewire-pulse)
  command -v wireplumber >/dev/null || missing+=(wireplumber)
  command -v groff >/dev/null || missing+=(groff-base)
  # MPRIS: a private session bus (dbus-daemon, dbus-monitor) and playerctl, which steers lofid through it
  command -v dbus-daemon >/dev/null && command -v dbus-monitor >/dev/null || missing+=(dbus)
  command -v playerctl >/dev/null || missing+=(playerctl)
  # The streams: Icecast (the station's server), ffmpeg (a listener), Chromium driven by its WebDriver
  command -v icecast2 >/dev/null || missing+=(icecast2)
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  command -v ffplay >/dev/null || missing+=(ffmpeg)  # bench.lightness: the MP3 player lofid's CPU is compared with
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  # Snapcast 0.26: the server lofid feeds and a client playing a "room" into a PulseAudio null sink
  command -v snapserver >/dev/null || missing+=(snapserver)
  command -v snapclient >/dev/null || missing+=(snapclient)
  # The MPD door: mpc and ncmpcpp, real MPD clients (ncmpcpp runs in tmux)
  command -v mpc >/dev/null || missing+=(mpc)
  command -v ncmpcpp >/dev/null || missing+=(ncmpcpp)
  command -v tmux >/dev/null || missing+=(tmux)
  command -v ss >/dev/null || missing+=(iproute2)  # bench/streams.py reads the stalled listeners' kernel memory
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "sysdeps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
