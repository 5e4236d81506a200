"""Equality impact: who loses access, by protected characteristic and by car access.

Method (an ecological comparison: areas, not people)
----------------------------------------------------
Census tables give, for each small area, counts of residents (or households) in each group
of a characteristic: ethnic group, religion, disability, household language, car access.
Each origin takes the group *rates* of its area (count / sum of the groups), and those rates
are applied to the origin's chosen population (e.g. children under 5 in mid-2019). Census
tables are not broken down by age here, so an all-ages (or household) rate stands for the
chosen age band: a stated assumption, printed with every table. No characteristic is
inferred for any person; the figures say how many of the people losing access live in areas
with each group's share, summed.

Geography: a table is keyed by the bundle's LSOAs (``geography = "lsoa"``) or by the current
LSOAs that output areas nest in (``"lsoa_current"``). An output-area origin takes its current
LSOA's rates; any other origin takes the pooled rates of the current LSOAs made from its
LSOA (for a split LSOA this is the parent's own rate; a merged one shares the merged rate).

The comparison: for two scenarios, the people *losing* access (covered before, not after),
*gaining* it, and *keeping* it, against the whole area. Each breakdown's shares sum to 100%
and its counts sum to that group of people's total (``Comparison.population_losing_access``
for those losing access). A group is flagged as over-represented among those losing access
when its share there exceeds its share of the whole area by at least ``FLAG_PP`` percentage
points and by at least ``FLAG_RATIO`` times: both, so that neither a small group's large
ratio nor a large group's small tilt is overstated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo.errors import BundleError, ScenarioError
from geo.readers import csv_line, numeric_column, read_csv, unique_keys

FLAG_PP = 5.0
FLAG_RATIO = 1.2
GEOGRAPHIES = ("lsoa", "lsoa_current")
REQUIRED = ("label", "file", "key", "geography", "total", "groups", "counts", "year", "source")


@dataclass(frozen=True)
class EqualityTable:
    """One census table by small area: counts in each group of one characteristic."""

    id: str
    label: str  # e.g. "Ethnic group (Census 2021, 5 groups)"
    file: str
    geography: str  # "lsoa" (the bundle's LSOAs) or "lsoa_current"
    counts: str  # what each count counts: "residents", "households", "residents aged 3 and over"
    year: int
    source: str
    estimate: bool  # derived estimates rather than published counts
    group_columns: tuple[str, ...]
    group_labels: tuple[str, ...]
    codes: tuple[str, ...]
    matrix: np.ndarray  # areas x groups, counts
    headline_group: str | None = None  # a group that gets its own line (e.g. households with no car)
    note: str = ""

    def rates(self) -> np.ndarray:
        """Each area's share in each group (rows sum to 1; an area with no count gets NaN)."""
        sums = self.matrix.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(sums > 0, self.matrix / np.where(sums > 0, sums, 1), np.nan)


def load_equality_tables(
    folder: Path, specs: dict[str, Any], lsoa_codes: list[str], current_codes: list[str] | None
) -> dict[str, EqualityTable]:
    """Read and check every ``[equality.<id>]`` table of the manifest.

    Errors name the file, row and field: an unknown or missing area code, a negative or
    non-numeric count, or groups that do not sum to the total within ``sum_tolerance``
    (a fraction of the total, default 0.01).
    """
    out = {}
    for table_id, spec in specs.items():
        where = f"equality.{table_id}"
        if not isinstance(spec, dict):
            raise BundleError(
                "must be a table (label, file, key, geography, total, groups, ...)", file="bundle.toml", field=where
            )
        for key in REQUIRED:
            if key not in spec:
                raise BundleError(f"missing key '{key}'", file="bundle.toml", field=f"{where}.{key}")
        geography = spec["geography"]
        if geography not in GEOGRAPHIES:
            raise BundleError(
                f"geography {geography!r}: expected one of {', '.join(GEOGRAPHIES)}",
                file="bundle.toml",
                field=f"{where}.geography",
            )
        reference = lsoa_codes if geography == "lsoa" else current_codes
        if reference is None:
            raise BundleError(
                "geography 'lsoa_current' needs [layers.lsoas_current]", file="bundle.toml", field=f"{where}.geography"
            )
        groups = spec["groups"]
        if not isinstance(groups, dict) or not groups:
            raise BundleError("groups must map column -> label", file="bundle.toml", field=f"{where}.groups")
        name = spec["file"]
        frame = read_csv(folder, name, [spec["key"], spec["total"], *groups])
        keys = unique_keys(frame, spec["key"], name)
        known = set(reference)
        for i, key in enumerate(keys):
            if key not in known:
                raise BundleError(
                    f"area code {key!r} is not in the {geography} boundaries",
                    file=name,
                    row=csv_line(i),
                    field=spec["key"],
                )
        missing = sorted(known - set(keys))
        if missing:
            raise BundleError(
                f"{len(missing)} area code(s) have no row: {', '.join(missing[:5])}", file=name, field=spec["key"]
            )
        columns = []
        for column in [spec["total"], *groups]:
            values = numeric_column(frame, column, name)
            negative = np.flatnonzero(values < 0)
            if len(negative):
                raise BundleError(
                    f"count {values[negative[0]]:g} is negative",
                    file=name,
                    row=csv_line(int(negative[0])),
                    field=column,
                )
            columns.append(values)
        total, matrix = columns[0], np.column_stack(columns[1:])
        tolerance = float(spec.get("sum_tolerance", 0.01))
        gap = np.abs(matrix.sum(axis=1) - total)
        bad = np.flatnonzero(gap > tolerance * total + 1e-9)
        if len(bad):
            i = int(bad[0])
            raise BundleError(
                f"the groups sum to {matrix[i].sum():g}, the total is {total[i]:g} (more than "
                f"{100 * tolerance:g}% apart; sum_tolerance)",
                file=name,
                row=csv_line(i),
                field=spec["total"],
            )
        headline = spec.get("headline_group")
        if headline is not None and headline not in groups:
            raise BundleError(
                f"headline_group {headline!r} is not one of the groups",
                file="bundle.toml",
                field=f"{where}.headline_group",
            )
        order = {k: i for i, k in enumerate(keys)}
        rows = [order[c] for c in reference]
        out[str(table_id)] = EqualityTable(
            id=str(table_id),
            label=str(spec["label"]),
            file=name,
            geography=geography,
            counts=str(spec["counts"]),
            year=int(spec["year"]),
            source=str(spec["source"]),
            estimate=bool(spec.get("estimate", False)),
            group_columns=tuple(groups),
            group_labels=tuple(str(v) for v in groups.values()),
            codes=tuple(reference),
            matrix=matrix[rows],
            headline_group=headline,
            note=str(spec.get("note", "")),
        )
    return out


def origin_rates(
    table: EqualityTable,
    origin_lsoa: np.ndarray,
    origin_current: np.ndarray | None,
    children: dict[str, list[str]] | None = None,
) -> np.ndarray:
    """Group rates for each origin (origins x groups; rows sum to 1).

    ``origin_current`` holds each origin's current LSOA ('' when it has none, e.g. an LSOA
    centroid); ``children`` maps a bundle LSOA to the current LSOAs made from it, whose counts
    are pooled for such origins.

    >>> t = EqualityTable("t", "T", "t.csv", "lsoa", "residents", 2021, "s", False, ("a", "b"), ("A", "B"),
    ...                   ("L1", "L2"), np.array([[30.0, 10.0], [0.0, 50.0]]))
    >>> origin_rates(t, np.array(["L2", "L1"]), None).tolist()
    [[0.0, 1.0], [0.75, 0.25]]
    """
    position = {c: i for i, c in enumerate(table.codes)}
    if table.geography == "lsoa":
        return table.rates()[[position[c] for c in origin_lsoa]]
    rates = table.rates()
    out = np.full((len(origin_lsoa), len(table.group_columns)), np.nan)
    pooled: dict[str, np.ndarray] = {}
    for i, (lsoa, current) in enumerate(
        zip(origin_lsoa, origin_current if origin_current is not None else [""] * len(origin_lsoa))
    ):
        if current and current in position:
            out[i] = rates[position[current]]
            continue
        if lsoa not in pooled:
            rows = [position[c] for c in (children or {}).get(lsoa, []) if c in position]
            if not rows:
                raise ScenarioError(f"{table.label}: LSOA {lsoa} has no area in {table.file}")
            counts = table.matrix[rows].sum(axis=0)
            pooled[lsoa] = counts / counts.sum() if counts.sum() > 0 else np.full(len(counts), np.nan)
        out[i] = pooled[lsoa]
    return out


@dataclass(frozen=True)
class EqualityBreakdown:
    """One characteristic: counts and shares of each group among people in each situation."""

    table: EqualityTable
    groups: dict[str, np.ndarray]  # "all", "losing", "keeping", "gaining" -> counts by group
    population_label: str

    def shares(self, who: str) -> np.ndarray:
        """Each group's share (0-1) among the people in one situation: all, keeping, losing or gaining."""
        counts = self.groups[who]
        total = counts.sum()
        return counts / total if total > 0 else np.full(len(counts), np.nan)

    @property
    def difference_pp(self) -> np.ndarray:
        """Share among those losing access minus share in the whole area, percentage points."""
        return np.asarray(100 * (self.shares("losing") - self.shares("all")))

    @property
    def over_represented(self) -> np.ndarray:
        """Groups over-represented among those losing access (see the module docstring)."""
        losing, whole = self.shares("losing"), self.shares("all")
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(whole > 0, losing / np.where(whole > 0, whole, 1), np.nan)
        return (self.difference_pp >= FLAG_PP) & (ratio >= FLAG_RATIO)

    @property
    def assumption(self) -> str:
        """The stated assumption behind the breakdown (census year, what is counted, the population it is applied to)."""
        kind = "estimated " if self.table.estimate else ""
        return (
            f"Census {self.table.year} {kind}shares of {self.table.counts} in each area, applied to "
            f"{self.population_label}: an area-level estimate, not a count of people."
        )

    def rows(self) -> list[dict[str, Any]]:
        """One dict per group: counts, shares (0-1), difference (pp) and the flag."""
        out = []
        flags = self.over_represented.tolist()
        situations = ("all", "keeping", "losing", "gaining")
        counts = {who: self.groups[who].tolist() for who in situations}  # each array read once
        shares = {who: self.shares(who).tolist() for who in situations}
        differences = self.difference_pp.tolist()
        for j, (column, label) in enumerate(zip(self.table.group_columns, self.table.group_labels)):
            row: dict[str, object] = {"group": label, "column": column}
            for who in situations:
                share = shares[who][j]
                row[f"{who}_count"] = float(counts[who][j])
                row[f"{who}_share"] = None if not math.isfinite(share) else share
            diff = differences[j]
            row["difference_pp"] = None if not math.isfinite(diff) else diff
            row["over_represented"] = bool(flags[j])
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the CLI's JSON."""
        t = self.table
        return {
            "id": t.id,
            "label": t.label,
            "census_year": t.year,
            "counts": t.counts,
            "estimate": t.estimate,
            "source": t.source,
            "geography": t.geography,
            "note": t.note,
            "assumption": self.assumption,
            "totals": {who: float(v.sum()) for who, v in self.groups.items()},
            "groups": self.rows(),
        }


def breakdown(
    table: EqualityTable,
    rates: np.ndarray,
    population: np.ndarray,
    base_covered: np.ndarray,
    alt_covered: np.ndarray,
    population_label: str,
) -> EqualityBreakdown:
    """Counts in each group among everyone, those keeping, losing and gaining access.

    ``rates`` is origins x groups (``origin_rates``); ``population`` the chosen population of
    each origin; the covered arrays say who reaches a site before (base) and after (alt).

    >>> t = EqualityTable("t", "T", "t.csv", "lsoa", "residents", 2021, "s", False, ("a", "b"), ("A", "B"),
    ...                   ("L1", "L2"), np.array([[1.0, 1.0], [0.0, 1.0]]))
    >>> r = breakdown(t, np.array([[0.5, 0.5], [0.0, 1.0]]), np.array([100.0, 50.0]),
    ...               np.array([True, True]), np.array([False, True]), "children")
    >>> r.groups["losing"].tolist(), r.groups["all"].tolist()
    ([50.0, 50.0], [50.0, 100.0])
    """
    usable = np.isfinite(rates).all(axis=1)
    weighted = np.where(usable[:, None], np.nan_to_num(rates) * population[:, None], 0.0)
    masks = {
        "all": np.ones(len(population), bool),
        "keeping": base_covered & alt_covered,
        "losing": base_covered & ~alt_covered,
        "gaining": ~base_covered & alt_covered,
    }
    return EqualityBreakdown(table, {who: weighted[mask].sum(axis=0) for who, mask in masks.items()}, population_label)


@dataclass
class EqualityResult:
    """Equality breakdowns of one comparison, one per bundle table."""

    base_label: str
    alt_label: str
    population_label: str
    settings: dict[str, Any]
    losing_total: float
    breakdowns: list[EqualityBreakdown] = field(default_factory=list)

    def headline_lines(self) -> list[dict[str, Any]]:
        """The groups a bundle marks for their own line (e.g. households with no car)."""
        out = []
        for b in self.breakdowns:
            if b.table.headline_group is None:
                continue
            j = b.table.group_columns.index(b.table.headline_group)
            out.append(
                {
                    "table": b.table.id,
                    "group": b.table.group_labels[j],
                    "losing_count": float(b.groups["losing"][j]),
                    "losing_share": _share(b.shares("losing")[j]),
                    "all_share": _share(b.shares("all")[j]),
                    "estimate": b.table.estimate,
                    "census_year": b.table.year,
                }
            )
        return out

    def largest_differences(self, n: int = 6) -> list[dict[str, Any]]:
        """The groups with the largest positive differences (losing minus whole area), all tables."""
        rows = [
            {"table": b.table.label, "census_year": b.table.year, **r}
            for b in self.breakdowns
            for r in b.rows()
            if r["difference_pp"] is not None
        ]
        return sorted(rows, key=lambda r: -r["difference_pp"])[:n]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the CLI's JSON."""
        return {
            "base": self.base_label,
            "alt": self.alt_label,
            "population": self.population_label,
            "settings": self.settings,
            "losing_access_total": self.losing_total,
            "flag_rule": {"min_difference_pp": FLAG_PP, "min_ratio": FLAG_RATIO},
            "method": (
                "Ecological: each area's census shares applied to its population; areas, not "
                "people. Shares in each breakdown sum to 100%."
            ),
            "headline_groups": self.headline_lines(),
            "characteristics": [b.to_dict() for b in self.breakdowns],
        }


def _share(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)
