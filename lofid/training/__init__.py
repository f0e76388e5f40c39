"""Offline, the only place TensorFlow is imported at module level: dataset, network, export (.tflite),
progressions (the chord table), trainer (one run).
"""
