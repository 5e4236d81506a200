"""The Access page's site table: each site's catchment before and after the change, how deprived
it is, its capacity where known, and its nearest bus stop (``geo.catchments``)."""

from __future__ import annotations

from dashboard.views import csv_safe_rows
from geo.catchments import catchments, compare_catchments, nearest_stops
from geo.errors import NeedsMapError
from geo.viewstate import scenario_of, threshold_kwargs

COLUMNS = [
    ("site", "Site"),
    ("status", "Status"),
    ("before", "Nearest site for, before"),
    ("after", "Nearest site for, after"),
    ("change", "Change"),
    ("deprived_pct", "Of its catchment, in the most deprived 20% (%)"),
    ("mean_minutes", "Mean minutes to it"),
    ("capacity", "Capacity"),
    ("served", "Served (capacities set: see the line below)"),
    ("stop", "Nearest bus stop"),
    ("stop_walk_m", "Walk to it (m)"),
]


def capacity_summary(result) -> str:
    """One line on who is served when capacities are set (empty without any)."""
    c = result.capacity
    if c is None:
        return ""
    unknown = (
        f" Sites with no capacity set count as unlimited ({len(c.unknown_capacity)})." if c.unknown_capacity else ""
    )
    return (
        f"With the capacities set: served {c.served:,.0f}; in a catchment but beyond capacity "
        f"{c.beyond_capacity:,.0f}; not covered (beyond the threshold of every open site) {c.not_covered:,.0f}. "
        "Served: given a place at a site within the threshold, the most people possible and then the least "
        "travel, no site over its capacity (so a site may serve people whose nearest site is full). Beyond "
        "capacity: within reach of a site but given no place; each site's figure counts those whose nearest "
        "site it is, so the sites' figures add up to the total." + unknown
    )


def site_load_data(engine, state: dict) -> tuple[dict, str]:
    """The table store's content (one row per site open in the scenario or its comparison) and
    the capacity line, for a checked view state (``geo.viewstate.from_store``)."""
    travel = threshold_kwargs(state)
    capacity = state.get("cap") or {}
    summary = ""
    try:
        alt = scenario_of(engine, state, "alt")
        base = scenario_of(engine, state, "cmp")
        if base is not None:
            change = compare_catchments(engine, base, alt, capacity=capacity, **travel)
            rows = change.site_rows()
            summary = capacity_summary(change.alt)
            used = {s.site: s for s in change.alt.sites}
        else:
            result = catchments(engine, alt, capacity=capacity, **travel)
            summary = capacity_summary(result)
            used = {s.site: s for s in result.sites}
            rows = [
                {
                    "site": s.site,
                    "label": s.label,
                    "status": "open",
                    "before": None,
                    "after": round(s.population, 1),
                    "change": None,
                    "most_deprived_20pct_share": s.most_deprived_share,
                    "mean_minutes": s.mean_minutes,
                    "capacity": s.capacity,
                }
                for s in result.sites
            ]
    except NeedsMapError:
        return {"columns": [], "rows": [], "empty": "This scenario cannot be evaluated (see the message above)."}, ""
    stops = nearest_stops(engine, alt, [r["site"] for r in rows])
    if base is not None:  # closing sites are where the comparison has them
        stops.update(
            {k: v for k, v in nearest_stops(engine, base, [r["site"] for r in rows]).items() if k not in stops}
        )
    out = []
    for r in rows:
        stop = stops.get(r["site"])
        share = r["most_deprived_20pct_share"]
        out.append(
            {
                "site": r["label"],
                "status": r["status"],
                "before": None if r["before"] is None else round(r["before"]),
                "after": round(r["after"]),
                "change": None if r["change"] is None else round(r["change"]),
                "deprived_pct": None if share is None else round(100 * share, 1),
                "mean_minutes": None if r["mean_minutes"] is None else round(r["mean_minutes"], 1),
                "capacity": "unknown" if r["capacity"] is None else round(r["capacity"]),
                "served": None
                if r["site"] not in used or used[r["site"]].served is None
                else round(used[r["site"]].served),
                "stop": None if stop is None else f"{stop['name']} ({stop['indicator']})".replace(" ()", ""),
                "stop_walk_m": None if stop is None else round(stop["walk_m"]),
            }
        )
    columns = [
        (k, n)
        for k, n in COLUMNS
        if (base is not None or k not in ("before", "change"))
        and (summary or k != "served")
        and (engine.deprivation_name is not None or k != "deprived_pct")  # no measure, no column
        and (engine.bundle.stops is not None or k not in ("stop", "stop_walk_m"))  # no stops, no column
    ]
    return {
        "columns": [{"id": k, "name": n} for k, n in columns],
        "rows": csv_safe_rows(out),
        "csv": {
            "filename": "needs-map-site-catchments.csv",
            "about": [
                f"Needs Map ({engine.bundle.area_name}): each area counted at its nearest open site",
                f"Scenario: {alt.label}" + (f"; compared with {base.label}" if base is not None else ""),
            ]
            + (
                [f"Bus stops: {engine.bundle.stops_source}; walk = estimated route"]
                if engine.bundle.stops is not None
                else []
            )
            + ([summary] if summary else []),
        },
    }, summary
