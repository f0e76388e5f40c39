"""The consumer side: engine (scheduler and mix), synth (FluidSynth stems) with its adapter fluid,
layers (WAV loops), chime (the timers' cue), fx and chain (the master chain; its sample loops in
compiled, from _dsp.c), sinks (sound card, WAV, null) with its adapter portaudio,
and the stream outputs (mp3 with broadcast, icecast and snapcast on feeder); master (a kept take brought to the
loudness target), tagged (FLAC, Ogg, MP3 and WAV files, tagged, written whole), wavmarks (a WAV file's
track markers).
"""

# its modules (each is imported where it is used)
__all__ = [
    "broadcast", "chain", "chime", "compiled", "ducking", "engine", "feeder", "filters", "fluid", "fx", "glue", "grid",
    "hiss", "icecast", "layers", "limiter", "loudness", "master", "mp3", "portaudio", "sampler", "sinks", "snapcast", "stereo",
    "synth", "tagged", "tape", "tone", "wavmarks",
]
