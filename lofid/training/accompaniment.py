"""What the accompaniment learns from POP909 besides the melody model: chord loops and comping.

``learn`` reads the corpus's annotations (lofid.training.loops: the 4-bar progression loops songs
repeat, by mode), with mood-tagged progressions when given (lofid.training.progressions), and its
PIANO parts (lofid.training.comping: the rhythm vocabulary of the keys); both tables are stored
in the model's .json, where lofid.compose reads them. A folder
without annotations or piano parts teaches nothing: the player then uses its built-in tables.
"""

from __future__ import annotations

import json
from pathlib import Path

from lofid.errors import LofidError
from lofid.model.runtime import write_info
from lofid.training.comping import learn_comping
from lofid.training.loops import learn_loops
from lofid.training.progressions import merge, read_progressions

TABLES = ("loops", "comping")  # the keys in the model's .json
STALE = ("harmony",)  # tables of earlier versions, dropped when the model is relearnt


def learn(data: str | Path, progressions: str | Path | None = None) -> dict[str, dict]:
    """Every table that ``data`` can teach (name -> table); an empty dict when it teaches none.
    ``progressions`` (a CSV of mood-tagged progressions, lofid.training.progressions) joins the loops."""
    tables = {}
    for name, learner in (("loops", learn_loops), ("comping", learn_comping)):
        try:
            tables[name] = learner(data)
        except (ValueError, LofidError):  # no usable annotations or piano parts: the built-in table plays
            continue
    if progressions is not None:
        tables["loops"] = merge(tables.get("loops", {}), read_progressions(progressions))
    return tables


def relearn(data: str | Path, base: str | Path, progressions: str | Path | None = None) -> list[str]:
    """Learn the tables from ``data`` (and ``progressions``) into the existing model ``base``.json;
    returns their names."""
    path = Path(f"{base}.json")
    meta = json.loads(path.read_text())
    tables = learn(data, progressions)
    for name in STALE:
        meta.pop(name, None)
    meta.update(tables)
    write_info(path, meta)
    return sorted(tables)
