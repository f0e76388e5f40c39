"""What playing needs of the note model: encoding (notes <-> rows, chord tokens, primer rows), songs (a
MIDI file as rows), runtime (load_model over a table of backends), frozen (the network's weights and
its forward pass in numpy, the default backend), reference (the TensorFlow call).
"""

# its modules (each is imported where it is used)
__all__ = ["encoding", "frozen", "reference", "runtime", "songs"]
