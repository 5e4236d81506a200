"""Catchments and site load: which families each open site would serve, before and after a change.

Method
------
* **Nearest-site allocation.** Every origin (output area, LSOA or postcode: the engine's
  origins) is assigned to its nearest open located site by the engine's travel model, the same
  nearest site the coverage figures use. A site's catchment population is the population of
  the origins assigned to it (chosen age band and year), so the catchments of a scenario add up
  to the population with a located site, every origin counted exactly once. Origins with no
  open located site at all are reported apart.
* **Deprivation of a catchment.** Each origin carries its LSOA's IMD decile (1 = most deprived
  10% in England); a catchment's split by decile and its share in the most deprived 20%
  (deciles 1-2) are population-weighted.
* **Travel.** Mean and 90th-percentile minutes to the assigned site, population-weighted (the
  90th percentile is the smallest time within which at least 90% of the catchment live).
* **Who travels further.** Against a comparison scenario, every origin whose assigned site
  changes gets its new site and the minutes added (negative when the new site is nearer).
* **Capacity (optional).** A site's capacity is a number of people of the chosen population
  (a register column named by ``layers.sites.capacity``, blank = unknown, or given per run).
  With at least one capacity, ``capacitated_assignment`` shares each origin's people among the
  open sites within the threshold so as to serve as many people as possible and, among the ways
  of doing that, to minimise total minutes travelled (two linear programs solved by HiGHS; a
  transport problem, so whole-number inputs give whole-number answers). People within the
  threshold of some open site but not served are "in a catchment but beyond capacity", each
  counted at their nearest site, so the sites' figures add up to the total (a site's "served"
  may include people whose nearest site is another, full one); people beyond the threshold of
  every open site are "not covered". Sites of unknown capacity are
  treated as unlimited, and the result says which sites those are.

Everything here is area-agnostic: sites, origins, populations and deciles come from the bundle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.errors import ScenarioError
from geo.results import weighted_quantile

if TYPE_CHECKING:
    from geo.engine import Engine
    from geo.results import Evaluation
    from geo.scenario import Scenario

MOST_DEPRIVED_DECILES = (1, 2)


def capacitated_assignment(
    minutes: np.ndarray, demand: np.ndarray, capacity: np.ndarray, reachable: np.ndarray
) -> np.ndarray:
    """People of each origin served by each site: ``served[i, j]``.

    ``minutes`` and ``reachable`` are origins x sites (``reachable[i, j]``: site j is within
    the threshold of origin i), ``demand`` the people per origin, ``capacity`` people per site
    (``inf`` = unlimited). First the most people are served; among the ways of serving that
    many, total minutes travelled are the least. Two linear programs (HiGHS).

    >>> minutes = np.array([[1.0, 5.0], [2.0, 3.0], [9.0, 1.0]])
    >>> reachable = minutes <= 6
    >>> capacitated_assignment(minutes, np.array([1.0, 1.0, 1.0]), np.array([1.0, 1.0]), reachable)
    array([[1., 0.],
           [0., 0.],
           [0., 1.]])
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    minutes = np.asarray(minutes, float)
    reachable = np.asarray(reachable, bool) & np.isfinite(minutes)
    demand = np.asarray(demand, float)
    capacity = np.asarray(capacity, float)
    n_origins, n_sites = minutes.shape
    if demand.shape != (n_origins,) or capacity.shape != (n_sites,) or reachable.shape != minutes.shape:
        raise ScenarioError("capacitated assignment: minutes, demand, capacity and reachable do not line up")
    if (demand < 0).any() or (capacity < 0).any() or not np.isfinite(demand).all():
        raise ScenarioError("capacitated assignment: demand and capacity must be 0 or more")
    rows, cols = np.nonzero(reachable & (demand[:, None] > 0))
    served = np.zeros((n_origins, n_sites))
    if len(rows) == 0:
        return served
    n_vars = len(rows)
    var = np.arange(n_vars)
    # each origin serves at most its demand; each site at most its (finite) capacity
    by_origin = coo_matrix((np.ones(n_vars), (rows, var)), shape=(n_origins, n_vars))
    limited = np.isfinite(capacity)
    site_row = np.full(n_sites, -1)
    site_row[limited] = np.arange(limited.sum())
    keep = limited[cols]
    by_site = coo_matrix((np.ones(keep.sum()), (site_row[cols[keep]], var[keep])), shape=(int(limited.sum()), n_vars))
    from scipy.sparse import vstack

    a_ub = vstack([by_origin, by_site]).tocsr()
    b_ub = np.concatenate([demand, capacity[limited]])
    first = linprog(-np.ones(n_vars), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if first.status != 0:
        raise ScenarioError(f"capacitated assignment: the solver stopped ({first.message})")
    most = -first.fun
    # second stage: the same number served (within rounding), least total minutes
    a_ub2 = vstack([a_ub, coo_matrix(-np.ones((1, n_vars)))]).tocsr()
    second = None
    for slack in (0.0, 1e-9, 1e-7):  # exactly as many, unless rounding makes that infeasible
        b_ub2 = np.concatenate([b_ub, [-(most - slack * max(1.0, most))]])
        second = linprog(minutes[rows, cols], A_ub=a_ub2, b_ub=b_ub2, bounds=(0, None), method="highs")
        if second.status == 0:
            break
    if second is None or second.status != 0:
        reason = "no answer" if second is None else second.message
        raise ScenarioError(f"capacitated assignment: the solver stopped ({reason})")
    served[rows, cols] = np.clip(second.x, 0, None)
    return served


@dataclass
class SiteLoad:
    """One open site's catchment."""

    site: str
    label: str
    population: float
    by_decile: dict[int, float]
    most_deprived_share: float | None  # of the catchment, in deciles 1-2 (None: no population or no measure)
    mean_minutes: float | None
    p90_minutes: float | None
    origins: int
    capacity: float | None = None  # None: unknown
    served: float | None = None  # with capacities: people served by the capacitated assignment
    # people whose nearest site this is who are served by no site (the sites' values add up to
    # the summary's beyond_capacity)
    beyond_capacity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "label": self.label,
            "population": round(self.population, 1),
            "origins": self.origins,
            "by_imd_decile": {str(k): round(v, 1) for k, v in self.by_decile.items()},
            "most_deprived_20pct_share": _round(self.most_deprived_share, 4),
            "mean_minutes": _round(self.mean_minutes, 1),
            "p90_minutes": _round(self.p90_minutes, 1),
            "capacity": self.capacity,
            "served": _round(self.served, 1),
            "beyond_capacity": _round(self.beyond_capacity, 1),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, digits)


@dataclass
class CapacitySummary:
    """Overall split of the population when capacities are known."""

    served: float
    beyond_capacity: float  # within the threshold of an open site, not served for lack of room
    not_covered: float  # beyond the threshold of every open site
    unknown_capacity: list[str]  # open sites treated as unlimited

    def to_dict(self) -> dict[str, Any]:
        return {
            "served": round(self.served, 1),
            "in_a_catchment_beyond_capacity": round(self.beyond_capacity, 1),
            "not_covered": round(self.not_covered, 1),
            "sites_of_unknown_capacity": self.unknown_capacity,
        }


@dataclass
class Catchments:
    """Each open site's catchment for one scenario (aligned with the engine's origins)."""

    scenario: str
    population_label: str
    mode: str
    threshold: dict[str, Any]
    assigned: np.ndarray  # site id per origin (None: no open located site)
    minutes: np.ndarray
    population: np.ndarray
    sites: list[SiteLoad]
    total: float
    with_a_site: float
    capacity: CapacitySummary | None = None

    def load(self, site: str) -> SiteLoad | None:
        return next((s for s in self.sites if s.site == site), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "population": self.population_label,
            "mode": self.mode,
            "threshold": self.threshold,
            "total": round(self.total, 1),
            "population_with_a_located_site": round(self.with_a_site, 1),
            "sites": [s.to_dict() for s in self.sites],
            "capacity": None if self.capacity is None else self.capacity.to_dict(),
        }


@dataclass
class CatchmentChange:
    """Catchments of ``base`` and ``alt``, and who is assigned a different site."""

    base: Catchments
    alt: Catchments
    changed: np.ndarray  # bool per origin: assigned site stands elsewhere (both have one)
    added_minutes: np.ndarray  # alt minus base minutes per origin (NaN where either has no site)
    origin_labels: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    @property
    def people_changing_site(self) -> float:
        return float(self.alt.population[self.changed].sum())

    def mean_added_minutes(self) -> float | None:
        people = self.alt.population[self.changed]
        if people.sum() <= 0:
            return None
        return float((self.added_minutes[self.changed] * people).sum() / people.sum())

    def site_rows(self) -> list[dict[str, Any]]:
        """One row per site open in either scenario: catchment before and after, and change."""
        ids = [s.site for s in self.base.sites] + [s.site for s in self.alt.sites if self.base.load(s.site) is None]
        rows = []
        for site in ids:
            before, after = self.base.load(site), self.alt.load(site)
            status = "open in both" if before and after else ("closes" if before else "opens")
            b = before.population if before else 0.0
            a = after.population if after else 0.0
            rows.append(
                {
                    "site": site,
                    "label": (after or before).label,  # type: ignore[union-attr]
                    "status": status,
                    "before": round(b, 1),
                    "after": round(a, 1),
                    "change": round(a - b, 1),
                    "most_deprived_20pct_share_after": _round(after.most_deprived_share, 4) if after else None,
                    "mean_minutes_after": _round(after.mean_minutes, 1) if after else None,
                    # of the catchment it has after the change, or had before it closes
                    "most_deprived_20pct_share": _round((after or before).most_deprived_share, 4),  # type: ignore[union-attr]
                    "mean_minutes": _round((after or before).mean_minutes, 1),  # type: ignore[union-attr]
                    "capacity": (after or before).capacity,  # type: ignore[union-attr]
                }
            )
        return rows

    def moves(self) -> list[dict[str, Any]]:
        """Origins whose site changes: where they went and the minutes added, most people first."""
        idx = np.nonzero(self.changed)[0]
        order = idx[np.argsort(-self.alt.population[idx], kind="stable")]
        return [
            {
                "origin": str(self.origin_labels[i]) if len(self.origin_labels) else int(i),
                "population": round(float(self.alt.population[i]), 1),
                "site_before": self.base.assigned[i],
                "site_after": self.alt.assigned[i],
                "minutes_before": round(float(self.base.minutes[i]), 1),
                "minutes_after": round(float(self.alt.minutes[i]), 1),
                "added_minutes": round(float(self.added_minutes[i]), 1),
            }
            for i in order
        ]

    def to_dict(self) -> dict[str, Any]:
        mean_added = self.mean_added_minutes()
        return {
            "base": self.base.to_dict(),
            "alt": self.alt.to_dict(),
            "sites": self.site_rows(),
            "people_whose_site_changes": round(self.people_changing_site, 1),
            "mean_added_minutes": None if mean_added is None else round(mean_added, 1),
            "origins_whose_site_changes": int(self.changed.sum()),
        }


def register_capacity(engine: Engine) -> dict[str, float]:
    """Capacities from the site register (sites with a number; blank = unknown, left out)."""
    sites = engine.bundle.sites
    if "capacity" not in sites.columns:
        return {}
    return {s: float(v) for s, v in sites["capacity"].items() if v == v}  # NaN: unknown


def catchments(
    engine: Engine, scenario: Scenario, capacity: dict[str, float] | None = None, **options: Any
) -> Catchments:
    """Each open site's catchment (nearest-site allocation) for ``scenario``; ``options`` as for
    ``Engine.evaluate`` (mode, minutes or km, detour, population). ``capacity`` (site id ->
    people) overrides the register's; with any capacity known, the capacitated assignment runs.

    >>> result = catchments(engine, engine.scenario("proposed_2020"))
    >>> round(sum(s.population for s in result.sites)) == round(result.with_a_site)
    True
    """
    ev = engine.evaluate(scenario, **options)
    capacities = {**register_capacity(engine), **(capacity or {})}
    for site, value in capacities.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ScenarioError(f"capacity of {site!r} must be a number of people, 0 or more")
    assigned = ev.nearest
    has_site = np.array([a is not None for a in assigned])
    # each origin's site and decile as small integers (comparing the object array of site ids,
    # and each decile in turn, was most of this function's time on every click)
    position = {site: k for k, site in enumerate(ev.open_ids)}
    site_code = np.array([position.get(a, -1) for a in assigned.tolist()], dtype=int)
    deciles = np.asarray(engine.origin_decile, dtype=float)
    decile_code = np.where(np.isin(deciles, range(1, 11)), np.nan_to_num(deciles), 0).astype(int)  # 0: none
    loads = []
    for k, site in enumerate(ev.open_ids):
        members = site_code == k
        people = ev.population[members]
        total = float(people.sum())
        member_deciles = decile_code[members]
        by_decile = {d: float(people[member_deciles == d].sum()) for d in np.unique(member_deciles).tolist() if d != 0}
        deprived = sum(by_decile.get(d, 0.0) for d in MOST_DEPRIVED_DECILES)
        loads.append(
            SiteLoad(
                site=site,
                label=engine.site_label(site, scenario) or site,
                population=total,
                by_decile=by_decile,
                # None: no population, or no deprivation measure in the bundle (never an invented 0)
                most_deprived_share=deprived / total if total > 0 and engine.deprivation_name else None,
                mean_minutes=float((ev.minutes[members] * people).sum() / total) if total > 0 else None,
                p90_minutes=weighted_quantile(ev.minutes[members], people, 0.9) if total > 0 else None,
                origins=int(members.sum()),
                capacity=capacities.get(site),
            )
        )
    result = Catchments(
        scenario=scenario.label,
        population_label=engine.bundle.population_fields[ev.population_field],
        mode=ev.mode,
        threshold=ev.threshold,
        assigned=assigned,
        minutes=ev.minutes,
        population=ev.population,
        sites=loads,
        total=ev.total,
        with_a_site=float(ev.population[has_site].sum()),
    )
    if any(load.capacity is not None for load in loads):
        _apply_capacity(engine, ev, result)
    return result


def _apply_capacity(engine: Engine, ev: Evaluation, result: Catchments) -> None:
    """Fill served / beyond capacity per site and overall from the capacitated assignment."""
    open_ids = [load.site for load in result.sites]
    minutes = open_site_route_m(engine, ev.scenario, ev.detour, open_ids) / ev.metres_per_minute
    limit = ev.threshold
    if limit.get("minutes") is not None:
        reachable = minutes <= limit["minutes"]
    else:
        reachable = minutes * ev.metres_per_minute <= limit["km"] * 1000.0
    capacity = np.array([load.capacity if load.capacity is not None else np.inf for load in result.sites])
    served = capacitated_assignment(minutes, ev.population, capacity, reachable)
    covered = reachable.any(axis=1)
    served_total = float(served.sum())
    in_reach = float(ev.population[covered].sum())
    # people of each origin served nowhere; a site's share of them is those whose nearest site
    # it is, so the sites' "beyond capacity" add up to the total (people are counted once)
    unserved = np.maximum(ev.population - served.sum(axis=1), 0.0)
    for j, load in enumerate(result.sites):
        load.served = float(served[:, j].sum())
        nearest_here = (result.assigned == load.site) & covered
        load.beyond_capacity = float(unserved[nearest_here].sum())
    result.capacity = CapacitySummary(
        served=served_total,
        beyond_capacity=max(0.0, in_reach - served_total),
        not_covered=float(ev.population[~covered].sum()),
        unknown_capacity=[load.site for load in result.sites if load.capacity is None],
    )


def open_site_route_m(engine: Engine, scenario: Scenario, detour: str, open_ids: list[str]) -> np.ndarray:
    """Origins x ``open_ids`` estimated route metres (straight-line metres with detour "none"):
    register sites where the register has them, moved and added sites where the scenario puts
    them. The same model as ``Engine.nearest_open``, so each row's minimum is its nearest site."""
    model = engine.straight_model if detour == "none" else engine.travel_model
    columns = []
    for site in open_ids:
        xy = site_xy(engine, scenario, site)
        columns.append(model.route_m(engine.origins.xy, np.array([xy]))[:, 0])
    return np.column_stack(columns) if columns else np.zeros((len(engine.origins.xy), 0))


def site_xy(engine: Engine, scenario: Scenario, site: str) -> tuple[float, float]:
    """Where ``site`` is in ``scenario``: moved and added sites where the scenario puts them."""
    added = {f"added:{a.label}": a for a in scenario.added}
    if site in scenario.moved_map:
        return engine.locate_added(scenario.moved_map[site])
    if site in added:
        return engine.locate_added(added[site])
    x, y = engine.site_xy[engine._site_col[site]]
    return float(x), float(y)


def nearest_stops(engine: Engine, scenario: Scenario, sites: list[str]) -> dict[str, dict[str, Any]]:
    """Each located site's nearest public transport stop by the travel model's estimated walking
    route, with the route metres and walking minutes ({} when the bundle has no stops).

    >>> stops = nearest_stops(engine, engine.scenario("proposed_2020"), ["hub_manor"])
    >>> stops["hub_manor"]["walk_m"] < 1000
    True
    """
    stops = engine.bundle.stops
    if stops is None or stops.empty:
        return {}
    located: dict[str, tuple[float, float]] = {}
    for site in sites:
        try:
            point = site_xy(engine, scenario, site)
        except (ValueError, KeyError, ScenarioError):  # unlocated: no distance to give
            continue
        if math.isfinite(point[0]) and math.isfinite(point[1]):
            located[site] = point
    # A point's nearest stop never changes (the stops and the travel model are fixed after
    # start-up), and the site table asks for the same register sites on every click: each point's
    # answer is kept, up to NEAREST_STOPS_KEPT points (then the oldest is let go).
    kept: dict[tuple[float, float], dict[str, Any]] = engine.__dict__.setdefault("_nearest_stop_cache", {})
    missing = sorted({xy for xy in located.values() if xy not in kept})
    if missing:
        xy = stops[["x", "y"]].to_numpy(float)
        walk = engine.modes.get("walk")
        where = np.array(missing, dtype=float)
        route = engine.travel_model.route_m(where, xy)  # every point to every stop at once
        nearest = np.argmin(route, axis=1)
        ids, names, indicators = (np.asarray(v) for v in (stops.index, stops["name"], stops["indicator"]))
        for i, (point, k) in enumerate(zip(missing, nearest)):
            kept[point] = {
                "stop_id": str(ids[k]),
                "name": names[k],
                "indicator": indicators[k],
                "straight_m": float(np.hypot(*(xy[k] - where[i]))),
                "walk_m": float(route[i, k]),
                "walk_minutes": float(route[i, k] / walk.metres_per_minute) if walk is not None else None,
            }
        while len(kept) > NEAREST_STOPS_KEPT:
            kept.pop(next(iter(kept)))
    return {site: dict(kept[point]) for site, point in located.items() if point in kept}


NEAREST_STOPS_KEPT = 4096  # points whose nearest stop is kept (the register's sites, added sites)


def compare_catchments(
    engine: Engine, base: Scenario, alt: Scenario, capacity: dict[str, float] | None = None, **options: Any
) -> CatchmentChange:
    """Catchments of ``base`` and ``alt`` and, for every origin whose assigned site changes,
    the new site and the minutes added.

    >>> change = compare_catchments(engine, engine.scenario("current_2020"), engine.scenario("proposed_2020"))
    >>> change.people_changing_site > 0
    True
    """
    before = catchments(engine, base, capacity=capacity, **options)
    after = catchments(engine, alt, capacity=capacity, **options)
    both = np.array([a is not None and b is not None for a, b in zip(before.assigned, after.assigned)], bool)
    # a family's site changes only when it stands elsewhere (not a new name at the same point)
    changed = engine.site_moves(before.assigned, base, after.assigned, alt)
    added = np.where(both, after.minutes - before.minutes, np.nan)
    return CatchmentChange(
        base=before, alt=after, changed=changed, added_minutes=added, origin_labels=engine.origins.label
    )
