"""The consumer side: engine (scheduler and mix), synth (FluidSynth stems) with its adapter fluid,
layers (WAV loops), chime (the timers' cue), fx (the master chain), sinks (sound card, WAV, null) with its adapter portaudio.
"""
