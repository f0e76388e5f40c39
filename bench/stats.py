"""How every benchmark reports a figure: the median of several measurements and their spread."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def summary(values: Sequence[float], digits: int = 4) -> dict:
    """{"median", "min", "max", "n", "values"}: the median is the figure, min-max its spread."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return {"median": None, "min": None, "max": None, "n": 0, "values": []}
    r = lambda x: round(float(x), digits)  # noqa: E731 - rounding only for the report
    return {"median": r(np.median(v)), "min": r(v.min()), "max": r(v.max()), "n": int(v.size),
            "values": [r(x) for x in v]}


def percentiles(values: Sequence[float], digits: int = 4) -> dict:
    """p50/p90/p99/max and the count, for a latency distribution of many calls."""
    v = np.asarray(values, dtype=float)
    p50, p90, p99 = np.percentile(v, [50, 90, 99])
    return {"p50": round(float(p50), digits), "p90": round(float(p90), digits), "p99": round(float(p99), digits),
            "min": round(float(v.min()), digits), "max": round(float(v.max()), digits), "n": int(v.size)}
