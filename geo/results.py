"""Typed results of coverage and comparison, with the JSON shape the CLI promises.

Rows of ``origins`` align with the engine's origins (one per LSOA, or per postcode).
All population figures are weighted sums of the chosen population field; shares are
0-1. Minutes that cannot be computed (no open located site) are ``inf`` in frames and
``null`` in JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # results name the scenario they describe; no import cycle at run time
    from geo.engine import Engine
    from geo.scenario import Scenario

MOST_DEPRIVED_DECILES = (1, 2)  # "the 20% most deprived areas" nationally


def _num(value: Any, digits: int = 3) -> float | int | None:
    """JSON-safe number: None for NaN/inf; ints stay ints when whole."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(round(value, digits))


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value within which at least ``q`` of the total weight lies: an observed value
    (so a quantile of deciles is a decile). NaN values and zero weights are left out; NaN when no
    weight is left.

    Why not ``np.quantile(values, q, weights=..., method="inverted_cdf")``, which defines the same
    thing: its running sum of weights can fall a rounding error short of exactly ``q`` of the total
    (weights such as 0.1 and 0.3), and it then answers the next value up; on 20,000 random cases
    with such weights it did so 75 times. Here a running sum within 1e-9 of the total counts as
    reaching it.

    Parameters
    ----------
    values, weights : numpy.ndarray
        Values and their non-negative weights, aligned.
    q : float
        The share of the weight, from 0 to 1.

    Examples
    --------
    >>> weighted_quantile(np.array([10.0, 1.0, 5.0]), np.array([1.0, 8.0, 1.0]), 0.9)
    5.0
    >>> weighted_quantile(np.array([10.0, 1.0, 5.0]), np.array([1.0, 8.0, 1.0]), 0.95)
    10.0
    >>> weighted_quantile(np.array([1.0, 2.0, 9.0]), np.array([0.1, 0.2, 0.3]), 0.5)  # 0.1 + 0.2 is half
    2.0
    >>> weighted_quantile(np.array([3.0]), np.array([0.0]), 0.5)
    nan
    """
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return math.nan
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    total = cumulative[-1]
    position = int(np.searchsorted(cumulative, q * total - 1e-9 * total, side="left"))
    return float(values[order][min(position, len(values) - 1)])


def _share(covered: float, total: float) -> float:
    return float(covered / total) if total > 0 else float("nan")


@dataclass
class Evaluation:
    """Per-origin arrays for one scenario (aligned with the engine's origins)."""

    scenario: Scenario
    open_ids: list[str]
    nearest: np.ndarray  # site id per origin (None when no site is open)
    straight_m: np.ndarray
    route_m: np.ndarray
    minutes: np.ndarray
    covered: np.ndarray
    population: np.ndarray
    population_field: str
    mode: str
    detour: str
    threshold: dict[str, Any]
    range_factors: tuple[float, float] | None = None  # route factors of the travel range (None: no range)
    metres_per_minute: float = 80.0

    def subset(self, mask: np.ndarray) -> Evaluation:
        """The same evaluation for some origins only (a ward's), for its figures and ranges."""
        return dataclasses.replace(
            self,
            nearest=self.nearest[mask],
            straight_m=self.straight_m[mask],
            route_m=self.route_m[mask],
            minutes=self.minutes[mask],
            covered=self.covered[mask],
            population=self.population[mask],
        )

    def covered_at(self, factors: np.ndarray) -> np.ndarray:
        """Coverage (factors x origins) with every route ``factor`` times as long; nearest sites
        are unchanged, since scaling all routes alike keeps their order."""
        route = self.route_m[None, :] * np.asarray(factors, float)[:, None]
        if self.threshold.get("minutes") is not None:
            return np.asarray(route / self.metres_per_minute <= self.threshold["minutes"])
        return np.asarray(route <= self.threshold["km"] * 1000.0)

    @property
    def total(self) -> float:
        """Total population of the origins."""
        return float(self.population.sum())

    @property
    def covered_population(self) -> float:
        """Population whose nearest open site is within the threshold."""
        return float(self.population[self.covered].sum())

    @property
    def share_covered(self) -> float:
        """Covered population / total (NaN when the total is 0)."""
        return _share(self.covered_population, self.total)

    @property
    def mean_minutes(self) -> float:
        """Population-weighted mean minutes to the nearest open site."""
        if not np.isfinite(self.minutes).all():
            return float("inf")
        return float(np.average(self.minutes, weights=self.population)) if self.total > 0 else float("nan")


RANGE_STEPS = 9


def travel_ranges(alt: Evaluation, base: Evaluation | None, deciles: np.ndarray) -> dict[str, Any]:
    """Low-high range of each headline figure across the travel range (routes scaled by the
    engine's two factors); empty when the evaluation has no range (e.g. straight lines).

    >>> ev = Evaluation(None, [], np.array(["s"]), np.array([900.0]), np.array([1000.0]),
    ...                 np.array([12.5]), np.array([True]), np.array([10.0]), "p", "walk", "x",
    ...                 {"minutes": 20.0, "km": None}, (0.5, 2.0), 80.0)
    >>> travel_ranges(ev, None, np.array([1]))["alt_covered"]
    (0.0, 10.0)

    Here routes of 500 to 2,000 m at 80 m a minute cross the 20-minute (1,600 m) threshold.
    """
    if alt.range_factors is None:
        return {}
    # Figures such as "losing access" need not move monotonically with route length, so the
    # range is taken over several factors across the interval, the central model included.
    # All factors are evaluated at once (factors x origins), as this runs on every click.
    low, high = alt.range_factors
    factors = np.unique(np.r_[np.linspace(low, high, RANGE_STEPS), 1.0])
    pop = alt.population
    total = float(pop.sum())
    covered = alt.covered_at(factors)
    figures = {"alt_covered": covered @ pop}
    figures["alt_share"] = figures["alt_covered"] / total if total > 0 else np.full(len(factors), np.nan)
    if base is not None:
        before = base.covered_at(factors)
        lost = before & ~covered
        deprived = np.isin(deciles, MOST_DEPRIVED_DECILES)
        figures["base_covered"] = before @ pop
        figures["base_share"] = figures["base_covered"] / total if total > 0 else np.full(len(factors), np.nan)
        figures["change"] = figures["alt_covered"] - figures["base_covered"]
        figures["losing"] = lost @ pop
        figures["losing_deprived"] = (lost & deprived) @ pop
        with np.errstate(invalid="ignore", divide="ignore"):
            figures["losing_deprived_share"] = np.where(
                figures["losing"] > 0, figures["losing_deprived"] / figures["losing"], np.nan
            )
        figures["gaining"] = (~before & covered) @ pop
    out = {}
    for key, values in figures.items():
        finite = values[~np.isnan(values)]
        out[key] = (float(finite.min()), float(finite.max())) if len(finite) else (float("nan"), float("nan"))
    return out


def range_bounds(ranges: dict[str, Any], key: str, share: bool = False) -> tuple[str, str] | None:
    """A figure's travel range as shown to people ('4,184', '9,982'; shares as '24.8%'), or None
    when the figure has no range. Callers word it ("between A and B", "range A-B").

    >>> range_bounds({"losing": (4253.6, 6533.2)}, "losing")
    ('4,254', '6,533')
    >>> range_bounds({"losing_deprived_share": (0.2482, 0.3591)}, "losing_deprived_share", share=True)
    ('24.8%', '35.9%')

    A figure the travel range does not move (nobody within reach of no site) has no range:

    >>> range_bounds({"alt_covered": (0.0, 0.0)}, "alt_covered") is None
    True
    """
    if key not in ranges:
        return None
    if share:
        low, high = ("n/a" if v != v else f"{100 * v:.1f}%" for v in ranges[key])
    else:
        low, high = (f"{v:,.0f}" for v in ranges[key])
    return None if low == high or "n/a" in (low, high) else (low, high)


def _range_json(ranges: dict[str, Any], keys: Iterable[str] | None = None) -> dict[str, Any]:
    return {
        k: [_num(a, 4 if "share" in k else 1), _num(b, 4 if "share" in k else 1)]
        for k, (a, b) in ranges.items()
        if keys is None or k in keys
    }


def headline_numbers(alt: Evaluation, base: Evaluation | None, deciles: np.ndarray) -> dict[str, Any]:
    """The Access page's headline figures from two evaluations (no tables)."""
    out = {
        "alt_covered": alt.covered_population,
        "total": alt.total,
        "alt_share": alt.share_covered,
        "alt_mean": alt.mean_minutes,
    }
    if base is not None:
        lost = base.covered & ~alt.covered
        gained = ~base.covered & alt.covered
        losing = float(alt.population[lost].sum())
        deprived = float(alt.population[lost & np.isin(deciles, MOST_DEPRIVED_DECILES)].sum())
        out.update(
            base_covered=base.covered_population,
            base_share=base.share_covered,
            base_mean=base.mean_minutes,
            change=alt.covered_population - base.covered_population,
            losing=losing,
            losing_share_of_total=_share(losing, alt.total),
            losing_deprived=deprived,
            losing_deprived_share=_share(deprived, losing),
            gaining=float(alt.population[gained].sum()),
        )
    return out


@dataclass
class CoverageResult:
    """Who can reach an open site of one scenario: totals, ranges, by ward, by deprivation decile and per origin."""

    scenario_label: str
    scenario: Scenario
    open_sites: list[str]
    unlocated_sites: list[str]
    assumptions: list[str]
    population: str
    mode: str
    threshold: dict[str, Any]
    detour: str
    columns: dict[str, np.ndarray] = field(repr=False)  # the columns of ``origins``, aligned to the engine's origins
    by_ward: pd.DataFrame
    by_imd_decile: pd.DataFrame
    total: float
    covered: float
    share_covered: float
    mean_minutes: float
    median_minutes: float
    p90_minutes: float
    population_label: str = ""
    ward_set: str = ""
    ranges: dict[str, Any] = field(default_factory=dict[str, Any])  # figure -> (low, high) across the travel range

    @functools.cached_property
    def origins(self) -> pd.DataFrame:
        """One row per origin: origin, lsoa_code, ward_code, ward_name, nearest_site,
        nearest_site_name, straight_m, network_m, minutes, covered, population, imd_decile. Made
        when first asked for (a click needs only the columns as arrays)."""
        return pd.DataFrame(self.columns)

    def summary(self) -> dict[str, Any]:
        """Headline figures as plain data (the CLI's text and the dashboard's cards)."""
        return {
            "population_label": self.population_label,
            "ward_set": self.ward_set,
            "range": _range_json(self.ranges, ("alt_covered", "alt_share")),
            "scenario": self.scenario_label,
            "scenario_spec": self.scenario.to_dict(),
            "open_sites": self.open_sites,
            "unlocated_sites": self.unlocated_sites,
            "assumptions": self.assumptions,
            "population": self.population,
            "mode": self.mode,
            "threshold": self.threshold,
            "detour": self.detour,
            "total": _num(self.total, 1),
            "covered": _num(self.covered, 1),
            "share_covered": _num(self.share_covered, 6),
            "mean_minutes": _num(self.mean_minutes, 2),
            "median_minutes": _num(self.median_minutes, 2),
            "p90_minutes": _num(self.p90_minutes, 2),
            "by_ward": [
                {
                    "ward_code": r.ward_code,
                    "ward_name": r.ward_name,
                    "total": _num(r.total, 1),
                    "covered": _num(r.covered, 1),
                    "share_covered": _num(r.share_covered, 6),
                }
                for r in self.by_ward.itertuples()
            ],
            "by_imd_decile": [
                {
                    "decile": int(r.decile),
                    "total": _num(r.total, 1),
                    "covered": _num(r.covered, 1),
                    "share_covered": _num(r.share_covered, 6),
                }
                for r in self.by_imd_decile.itertuples()
            ],
        }

    def to_dict(self, include_origins: bool = True) -> dict[str, Any]:
        """Plain data for the CLI's JSON (the documented contract)."""
        out = self.summary()
        if include_origins:
            out["origins"] = origin_rows(self.origins)
        return out


def comparison_origin_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-origin rows of a comparison, every field named for the scenario it describes:
    origin, LSOA, ward, population, IMD decile, then ``base_``/``alt_`` site, minutes and
    covered, and the minutes added (a bare "covered" would describe only one of the two)."""
    return [
        {
            "origin": r.origin,
            "lsoa_code": r.lsoa_code,
            "ward_code": r.ward_code,
            "population": _num(r.population, 2),
            "imd_decile": None if pd.isna(r.imd_decile) else int(r.imd_decile),
            "base_site": r.base_site,
            "alt_site": r.alt_site,
            "base_minutes": _num(r.base_minutes, 2),
            "alt_minutes": _num(r.alt_minutes, 2),
            "change_minutes": _num(r.change_minutes, 2),
            "base_covered": bool(r.covered),
            "alt_covered": bool(r.alt_covered),
        }
        for r in frame.itertuples()
    ]


def origin_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-origin rows (origin, LSOA, ward, nearest site, metres, minutes, covered, population)."""
    rows = []
    for r in frame.itertuples():
        row = {
            "origin": r.origin,
            "lsoa_code": r.lsoa_code,
            "ward_code": r.ward_code,
            "nearest_site": r.nearest_site,
            "straight_m": _num(r.straight_m, 1),
            "network_m": _num(r.network_m, 1),
            "minutes": _num(r.minutes, 2),
            "covered": bool(r.covered),
            "population": _num(r.population, 2),
            "imd_decile": None if pd.isna(r.imd_decile) else int(r.imd_decile),
        }
        for extra in ("base_minutes", "alt_minutes", "change_minutes", "base_site", "alt_site"):
            if hasattr(r, extra):
                value = getattr(r, extra)
                row[extra] = value if isinstance(value, str) or value is None else _num(value, 2)
        rows.append(row)
    return rows


def _group_sums(
    codes: np.ndarray, n_groups: int, pop: np.ndarray, covered: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Totals and covered population per group code (0..n_groups-1); code -1 = no group."""
    ok = codes >= 0
    total = np.bincount(codes[ok], weights=pop[ok], minlength=n_groups)
    cov = np.bincount(codes[ok], weights=np.where(covered, pop, 0.0)[ok], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, cov / np.where(total > 0, total, 1), np.nan)
    return total, cov, share


def coverage_result(
    *,
    engine: Engine,
    scenario: Scenario,
    open_ids: list[str],
    population: str,
    mode: str,
    threshold: dict[str, Any],
    detour: str,
    nearest: Sequence[str] | np.ndarray,
    straight_m: np.ndarray,
    route_m: np.ndarray,
    minutes: np.ndarray,
    covered: np.ndarray,
    assumptions: list[str],
    ward_set: str | None = None,
    ranges: dict[str, Any] | None = None,
) -> CoverageResult:
    """Build a CoverageResult from the engine's per-origin arrays (used by Engine.coverage and compare)."""
    pop = engine.origin_population[population]
    labels = {s: engine.site_label(s, scenario) for s in set(nearest)}
    columns = {
        "origin": np.asarray(engine.origins.label, dtype=object),
        "lsoa_code": np.asarray(engine.origins.lsoa_code, dtype=object),
        "ward_code": np.asarray(engine.origin_ward, dtype=object),
        "ward_name": np.asarray(engine.origin_ward_name, dtype=object),
        "nearest_site": np.asarray(nearest, dtype=object),
        "nearest_site_name": np.array([labels[s] for s in nearest], dtype=object),
        "straight_m": np.asarray(straight_m, dtype=float),
        "network_m": np.asarray(route_m, dtype=float),
        "minutes": np.asarray(minutes, dtype=float),
        "covered": np.asarray(covered, dtype=bool),
        "population": np.asarray(pop, dtype=float),
        "imd_decile": np.asarray(engine.origin_decile, dtype=float),
    }
    total = float(pop.sum())
    covered_pop = float(pop[covered].sum())
    if np.isfinite(minutes).all():
        mean = float(np.average(minutes, weights=pop)) if total > 0 else float("nan")
        median = weighted_quantile(minutes, pop, 0.5)
        p90 = weighted_quantile(minutes, pop, 0.9)
    else:
        mean = median = p90 = float("inf")
    ward_set = engine.check_ward_set(ward_set)
    wards = engine.ward_sets[ward_set]
    ward_codes, ward_names = wards.codes, wards.names
    ward_index = engine.origin_ward_index_by_set[ward_set]
    if not wards.primary:
        columns["ward_code"] = np.array(ward_codes, dtype=object)[ward_index]
        columns["ward_name"] = np.array([ward_names[c] for c in columns["ward_code"]], dtype=object)
    w_total, w_cov, w_share = _group_sums(ward_index, len(ward_codes), pop, covered)
    by_ward = pd.DataFrame(
        {
            "ward_code": ward_codes,
            "ward_name": [ward_names[c] for c in ward_codes],
            "total": w_total,
            "covered": w_cov,
            "share_covered": w_share,
        }
    )
    deciles = engine.origin_decile
    finite = np.isfinite(deciles)
    dec_codes = np.where(finite, np.nan_to_num(deciles, nan=0).astype(int), -1)
    present = np.unique(dec_codes[dec_codes >= 0])
    d_total, d_cov, d_share = _group_sums(dec_codes, int(present.max()) + 1 if len(present) else 0, pop, covered)
    by_decile = pd.DataFrame(
        {"decile": present, "total": d_total[present], "covered": d_cov[present], "share_covered": d_share[present]}
    )
    unlocated = engine.unlocated_open(scenario)
    return CoverageResult(
        scenario_label=scenario.label,
        scenario=scenario,
        open_sites=list(open_ids),
        unlocated_sites=unlocated,
        assumptions=assumptions,
        population=population,
        mode=mode,
        threshold=threshold,
        detour=detour,
        columns=columns,
        by_ward=by_ward,
        by_imd_decile=by_decile,
        total=total,
        covered=covered_pop,
        share_covered=_share(covered_pop, total),
        mean_minutes=mean,
        median_minutes=median,
        p90_minutes=p90,
        population_label=engine.bundle.population_fields[population],
        ward_set=ward_set,
        ranges=ranges or {},
    )


def _aligned(keys: Iterable[Any], frame: pd.DataFrame, key: str, column: str) -> np.ndarray:
    """``frame[column]`` in the order of ``keys`` (NaN for a key the frame lacks)."""
    values = dict(zip(frame[key].to_numpy().tolist(), frame[column].to_numpy(float).tolist()))
    return np.array([values.get(k, np.nan) for k in np.asarray(keys).tolist()], dtype=float)


@dataclass
class Comparison:
    """Two coverage results and who loses or gains access between them, with travel ranges."""

    base: CoverageResult
    alt: CoverageResult
    columns: dict[str, np.ndarray] = field(repr=False)  # the columns of ``origins``, aligned to the origins
    lost_mask: np.ndarray = field(repr=False)  # origins within the threshold in base, not in alt
    gained_mask: np.ndarray = field(repr=False)  # and the other way round
    population_losing_access: float
    population_gaining_access: float
    losing_in_most_deprived: float
    by_imd_decile: pd.DataFrame
    by_ward: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict[str, Any])
    ranges: dict[str, Any] = field(default_factory=dict[str, Any])  # figure -> (low, high) across the travel range

    @classmethod
    def of(
        cls, engine: Engine, base: CoverageResult, alt: CoverageResult, ranges: dict[str, Any] | None = None
    ) -> Comparison:
        """The comparison of two coverage results of the same origins and population.

        Built from the results' columns as arrays (pandas per-column assignment and group-bys were
        most of a click's charts-and-tables time); the frames are what they were.
        """
        b, a = base.columns, alt.columns
        base_minutes, alt_minutes = b["minutes"], a["minutes"]
        base_covered, alt_covered = b["covered"], a["covered"]
        columns = dict(b)
        with np.errstate(invalid="ignore"):  # no open site in either (inf - inf): no change to measure, NaN
            change_minutes = alt_minutes - base_minutes
        columns.update(
            base_site=b["nearest_site"],
            alt_site=a["nearest_site"],
            alt_site_name=a["nearest_site_name"],
            base_minutes=base_minutes,
            alt_minutes=alt_minutes,
            change_minutes=change_minutes,
            alt_covered=alt_covered,
        )
        lost_mask = base_covered & ~alt_covered
        gained_mask = ~base_covered & alt_covered
        pop = columns["population"].astype(float)
        deprived = np.isin(columns["imd_decile"], MOST_DEPRIVED_DECILES)
        by_decile = pd.DataFrame(
            {
                "decile": base.by_imd_decile["decile"].to_numpy(),
                "total": base.by_imd_decile["total"].to_numpy(),
                "base_covered": base.by_imd_decile["covered"].to_numpy(),
                "base_share": base.by_imd_decile["share_covered"].to_numpy(),
                "alt_covered": _aligned(base.by_imd_decile["decile"], alt.by_imd_decile, "decile", "covered"),
                "alt_share": _aligned(base.by_imd_decile["decile"], alt.by_imd_decile, "decile", "share_covered"),
            }
        )
        ward_codes = base.by_ward["ward_code"].to_numpy()
        alt_ward_covered = _aligned(ward_codes, alt.by_ward, "ward_code", "covered")
        # each origin's ward as a position in the ward table (origins outside every ward: -1)
        position = {code: k for k, code in enumerate(ward_codes)}
        origin_ward = np.array([position.get(code, -1) for code in columns["ward_code"]], dtype=int)
        in_ward = lost_mask & (origin_ward >= 0)
        losing = np.bincount(origin_ward[in_ward], weights=pop[in_ward], minlength=len(ward_codes))
        by_ward = pd.DataFrame(
            {
                "ward_code": ward_codes,
                "ward_name": base.by_ward["ward_name"].to_numpy(),
                "total": base.by_ward["total"].to_numpy(),
                "base_covered": base.by_ward["covered"].to_numpy(),
                "base_share": base.by_ward["share_covered"].to_numpy(),
                "alt_covered": alt_ward_covered,
                "alt_share": _aligned(ward_codes, alt.by_ward, "ward_code", "share_covered"),
                "change_covered": alt_ward_covered - base.by_ward["covered"].to_numpy(),
                "losing_access": losing,
            }
        )
        return cls(
            base=base,
            alt=alt,
            columns=columns,
            lost_mask=lost_mask,
            gained_mask=gained_mask,
            population_losing_access=float(pop[lost_mask].sum()),
            population_gaining_access=float(pop[gained_mask].sum()),
            # no deprivation measure at all (every decile missing): no figure, never an invented 0
            losing_in_most_deprived=(
                float(pop[lost_mask & deprived].sum()) if pd.notna(columns["imd_decile"]).any() else math.nan
            ),
            by_imd_decile=by_decile,
            by_ward=by_ward,
            ranges=ranges or {},
        )

    def _rows(self, mask: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({name: values[mask] for name, values in self.columns.items()}, index=np.flatnonzero(mask))

    @functools.cached_property
    def lost(self) -> pd.DataFrame:
        """The origins that lose access (rows of ``origins``)."""
        return self._rows(self.lost_mask)

    @functools.cached_property
    def gained(self) -> pd.DataFrame:
        """The origins that gain access (rows of ``origins``)."""
        return self._rows(self.gained_mask)

    @functools.cached_property
    def origins(self) -> pd.DataFrame:
        """Every origin: the comparison's columns plus base_site, alt_site, alt_site_name,
        base_minutes, alt_minutes, change_minutes and alt_covered."""
        return pd.DataFrame(self.columns)

    @property
    def share_losing_in_most_deprived(self) -> float:
        """Share of those losing access who live in the most deprived 20% of LSOAs (IMD deciles 1-2)."""
        return _share(self.losing_in_most_deprived, self.population_losing_access)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the CLI's JSON (the documented contract)."""
        return {
            "population": self.alt.population,
            "population_label": self.alt.population_label,
            "ward_set": self.alt.ward_set,
            "range": _range_json(self.ranges),
            "base": self.base.summary(),
            "alt": self.alt.summary(),
            "change_covered": _num(self.alt.covered - self.base.covered, 1),
            "population_losing_access": _num(self.population_losing_access, 1),
            "population_gaining_access": _num(self.population_gaining_access, 1),
            "losing_access_in_most_deprived_20pct": _num(self.losing_in_most_deprived, 1),
            "share_losing_access_in_most_deprived_20pct": _num(self.share_losing_in_most_deprived, 6),
            "lost": comparison_origin_rows(self.lost),
            "gained": comparison_origin_rows(self.gained),
            "by_imd_decile": [
                {
                    "decile": int(r.decile),
                    "total": _num(r.total, 1),
                    "base_covered": _num(r.base_covered, 1),
                    "alt_covered": _num(r.alt_covered, 1),
                    "base_share": _num(r.base_share, 6),
                    "alt_share": _num(r.alt_share, 6),
                }
                for r in self.by_imd_decile.itertuples()
            ],
            "by_ward": [
                {
                    "ward_code": r.ward_code,
                    "ward_name": r.ward_name,
                    "total": _num(r.total, 1),
                    "base_covered": _num(r.base_covered, 1),
                    "alt_covered": _num(r.alt_covered, 1),
                    "base_share": _num(r.base_share, 6),
                    "alt_share": _num(r.alt_share, 6),
                    "losing_access": _num(r.losing_access, 1),
                }
                for r in self.by_ward.itertuples()
            ],
        }


def cumulative_share(result: CoverageResult, minutes_grid: ArrayLike) -> np.ndarray:
    """Share (0-1) of the population whose nearest open site is within each t of ``minutes_grid``."""
    minutes = result.columns["minutes"]
    pop = result.columns["population"]
    total = pop.sum()
    grid = np.asarray(minutes_grid, float)
    if total <= 0:
        return np.zeros(len(grid))
    order = np.argsort(minutes)
    cum = np.concatenate([[0.0], np.cumsum(pop[order])]) / total
    return np.asarray(cum[np.searchsorted(minutes[order], grid, side="right")])
