"""The only package that wires compose, audio and control: player (the Daemon), timers (sleep
and focus), state, signals, sdnotify, service (unit and agent files), offline (render to WAV).
"""
