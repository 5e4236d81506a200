"""Need index: a transparent composite of complete LSOA indicators.

Method: each chosen indicator is turned into a need score between 0 and 1 by its
percentile rank among the area's LSOAs, oriented by its direction (for "lower = more
need" indicators such as IMD rank the order is reversed), so 1 is the LSOA with the
most need in the area. Ties share the average rank. The index is the weighted mean of
the scores x 100 (weights are normalised to sum to 1). It ranks LSOAs within the area;
it is not comparable between areas. Ward values are population-weighted (children
0-15) means of their LSOAs' index.

Default weights (Luton manifest): IDACI score 0.5, IMD 2019 rank 0.25, income score
0.25: children's income deprivation first, because the service is for families with
young children.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from geo.errors import ScenarioError


def need_index(values: pd.DataFrame, indicators: dict[str, Any], weights: dict[str, float]) -> pd.Series:
    """Composite need index (0-100, 100 = most need) per LSOA: the weighted mean of each chosen indicator's percentile rank, oriented by its direction."""
    usable = {k: float(w) for k, w in weights.items()}
    for ind, w in usable.items():
        spec = indicators.get(ind)
        if spec is None:
            raise ScenarioError(f"need index: unknown indicator {ind!r}")
        if spec.level != "lsoa" or spec.completeness != "complete" or spec.direction == "none":
            raise ScenarioError(
                f"need index: {spec.label} cannot be used (only complete indicators of the small areas with a need direction)"
            )
        if not math.isfinite(w) or w < 0:
            raise ScenarioError(f"need index: weight {w} for {spec.label} must be 0 or more")
    largest = max(usable.values(), default=0.0)
    if largest <= 0:
        raise ScenarioError("need index: give at least one positive weight")
    # Only the weights' proportions matter: scaling by the largest first keeps huge weights
    # (1.7e308 each) from summing to infinity and every share to zero.
    usable = {k: w / largest for k, w in usable.items()}
    total = sum(usable.values())
    index = pd.Series(0.0, index=values.index, name="need_index")
    for ind, w in usable.items():
        if w == 0:
            continue
        column = values[ind] if indicators[ind].direction == "higher" else -values[ind]
        index += (w / total) * column.rank(pct=True, method="average")
    return index * 100.0
