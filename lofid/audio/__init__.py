"""The consumer side: scheduler, synth, layers, master effects and sinks."""
