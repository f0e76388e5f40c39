"""The chain's compiled loops (lofid/audio/_dsp.c) refuse what they cannot read safely, by name,
instead of reading or writing past an array; what they compute is tested through each stage."""

from __future__ import annotations

import numpy as np
import pytest

from lofid.audio import _dsp
from lofid.audio.glue import Glue
from lofid.audio.layers import PCM_SCALE, WavLayer


def test_a_wrong_dtype_a_wrong_shape_or_a_view_with_gaps_is_refused_by_name():
    state = np.zeros(2)
    with pytest.raises(TypeError, match="x: .*float64"):
        _dsp.one_pole(np.zeros((64, 2), np.float32), state, 0.5, 0.0, 1.0)
    with pytest.raises(TypeError, match="x: a C-contiguous"):
        _dsp.one_pole(np.zeros((64, 4))[:, ::2], state, 0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="x has 3 channels, state 2"):
        _dsp.one_pole(np.zeros((64, 3)), state, 0.5, 0.0, 1.0)
    with pytest.raises(TypeError, match="x: .*writable"):
        frozen = np.zeros((64, 2))
        frozen.flags.writeable = False
        _dsp.one_pole(frozen, state, 0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="saturate: 3 amounts for 64 frames"):
        _dsp.saturate(np.zeros((64, 2)), np.zeros(3), 2.5)
    with pytest.raises(ValueError, match="add_loop"):
        _dsp.add_loop(np.zeros((64, 2)), np.zeros((10, 2), np.int16), 0, 0, np.zeros(5))
    with pytest.raises(ValueError, match="stems"):
        _dsp.stems(np.zeros((6, 64), np.float32), np.ones((4, 1)), *(np.zeros((64, 1)) for _ in range(3)),
                   np.zeros((64, 2)))
    np.testing.assert_array_equal(state, 0.0)  # nothing refused touched the state


def test_the_glue_takes_a_gain_per_segment_while_its_amount_glides():
    """A glide of the glue's amount over a block: one amount for each segment finished in it, not more."""
    glue = Glue(0.0, 44100)
    glue.set(0.5)
    loud = np.full((4096, 2), 0.5)
    out = glue.process(loud)
    assert out[-1, 0] < out[0, 0] == 0.5  # pressed more as the amount comes in
    with pytest.raises(ValueError, match="glue: 2 amounts for 256 segments"):
        _dsp.glue(np.zeros((4096, 2)), np.array([0.0, 0.0, 0.0, 1.0]), np.zeros(2), 16, 0.9, 0.01)


def test_a_loop_wraps_round_its_end_as_often_as_a_block_needs():
    """A loop shorter than the block plays round and round, the right channel from its own frame."""
    loop = np.arange(5, dtype=np.float32)[:, None].repeat(2, axis=1) / PCM_SCALE
    layer = WavLayer("short", loop, lambda: loop)
    out = np.zeros((12, 2))
    layer.add_to(out, np.array([2.0]), start=3)
    np.testing.assert_allclose(out[:, 0] * PCM_SCALE, 2 * np.array([3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]))
    assert layer.position == (3 + 12) % 5
    mono = np.arange(5, dtype=np.int16)
    out = np.zeros((4, 2))
    _dsp.add_loop(out, mono, 1, 3, np.array([1.0]))
    np.testing.assert_array_equal(out, [[1, 3], [2, 4], [3, 0], [4, 1]])
