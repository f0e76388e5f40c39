"""``python -m lofid.cli``: the lofid command."""

import sys

from lofid.cli import main

sys.exit(main())
