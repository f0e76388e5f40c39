"""The chain's compiled sample loops and the sound card's ring and callback (lofid/audio/_dsp.c), or one
clear line when they were not built.

They are compiled when lofid is installed (`make run`, `pip install`); a checkout run without that,
or an install whose compiler was missing, has none, and every stage and the sound card need them
(`lofid doctor` checks; tests/unit/cli/test_doctor.py hides them to see it).
"""

from __future__ import annotations

from lofid.errors import LofidError

try:
    from lofid.audio import _dsp as dsp
except ImportError as e:  # a broken install
    raise LofidError("lofid's compiled sample loops (lofid/audio/_dsp.c) are missing: install lofid again "
                     f"with a C compiler at hand (make run, or pip install .): {e}") from e

__all__ = ["dsp"]
