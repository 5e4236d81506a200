"""The Access map's instant preview: what the browser needs to recolour the map itself the
moment a site is switched on or off, before the server's answer arrives.

Why: a site toggle's server work is a few milliseconds, but the round trip through Dash (gather
every input, send, apply every output, redraw the figure) costs the browser 100-200 ms. The
arithmetic behind the map is small: for each origin, the nearest open site in a fixed
origin x site matrix of route metres; for each LSOA, the population-weighted mean of its
origins' minutes. ``preview_kernel`` sends that matrix (to the centimetre), the origin
populations and the LSOA of each origin once per travel mode, population and comparison, and
``assets/map_preview.js`` redoes the arithmetic in the browser and restyles the map (Plotly.restyle:
new colours, no new geometry) within a frame or two of the click.

The server stays the source of every figure: its answer to the same click follows in the same
round trip and replaces the preview's values (they agree to 0.1 minute; the centimetre
rounding of the matrix can only move a value that sits on a rounding boundary). The preview
covers the "minutes" and "change" colourings of register sites; with sites added or moved by
the user, the catchment and added-minutes layers, the street basemap, or an engine without a
dense matrix (very large areas) there is no kernel and the map waits for the server as before.
"""

from __future__ import annotations

import numpy as np

from dashboard.figures import site_styles
from geo.errors import NeedsMapError
from geo.viewstate import scenario_of, threshold_kwargs

PREVIEW_COLOURS = ("minutes", "change")
KERNEL_KEYS = ("mode", "pop", "cmp", "colour", "add", "move", "tiles")


def kernel_key(state: dict) -> tuple:
    """What the kernel depends on: when none of these changes, the browser keeps the one it has."""
    return tuple(repr(state.get(k)) for k in KERNEL_KEYS)


def _full(values) -> list:
    """Floats at full precision (what the server computes with); inf and NaN as null."""
    out = np.asarray(values, float)
    return [None if not np.isfinite(v) else float(v) for v in out]


def preview_kernel(engine, state: dict, sites, role_labels: dict) -> dict | None:
    """The arrays the browser needs to recolour the Access map for any set of open register
    sites under this view's mode, population and comparison; None where there is no preview
    (see the module docstring). ``sites``: the located sites in the map's marker order.
    """
    index = engine.index
    if (
        state["colour"] not in PREVIEW_COLOURS
        or state["add"]
        or state["move"]
        or state.get("tiles")
        or index.route is None
        or index.straight is None
    ):
        return None
    base_lsoa_minutes = None
    try:
        cmp = scenario_of(engine, state, "cmp")
        if cmp is not None:  # the comparison's per-LSOA minutes, as the server's own map has them
            base = engine.evaluate(cmp, **threshold_kwargs(state))
            base_lsoa_minutes = engine.lsoa_mean(base.minutes, base.population)
    except NeedsMapError:  # the map callback explains it; no preview for a view that cannot be evaluated
        return None
    matrix = index.route if engine.detour_name != "none" else index.straight
    population = np.asarray(engine.origin_population[state["pop"]], float)
    lsoa_index = engine.origin_lsoa_index
    # each LSOA's most populous origin (its site names the LSOA in the hover), as lsoa_main_site
    order = np.lexsort((-population, lsoa_index))
    first = np.unique(lsoa_index[order], return_index=True)[1]
    main = np.full(len(engine.bundle.lsoa_values), -1)
    main[lsoa_index[order][first]] = order[first]
    # each marker as it looks when its box is ticked or not: against the comparison, a site it
    # has open "closes" when unticked, any other is "not in this scenario" (Engine.site_statuses)
    cmp_open = set() if cmp is None else set(engine.open_site_ids(cmp))
    open_styles = site_styles(
        sites, {s: "open" if cmp is None or s in cmp_open else "opens" for s in sites.index}, role_labels
    )
    closed_styles = site_styles(
        sites, {s: "closes" if s in cmp_open else "not_in_scenario" for s in sites.index}, role_labels
    )
    return {
        "key": list(kernel_key(state)),
        "colour": state["colour"],
        "sites": list(engine.site_ids),  # the matrix's columns
        "labels": [engine.site_label(s) for s in engine.site_ids],
        "metres_per_minute": engine.modes[state["mode"]].metres_per_minute,
        "route_cm": np.round(matrix * 100).astype(np.int64).ravel().tolist(),  # origin-major
        "population": population.tolist(),
        "origin_lsoa": lsoa_index.tolist(),
        "lsoa_main_origin": main.tolist(),
        "lsoa_count": len(engine.bundle.lsoa_values),
        "base_lsoa_minutes": None if base_lsoa_minutes is None else _full(base_lsoa_minutes),
        "marker_sites": list(sites.index),
        "marker_open": {k: open_styles[k] for k in ("marker_symbol", "marker_color", "marker_size", "text")},
        "marker_closed": {k: closed_styles[k] for k in ("marker_symbol", "marker_color", "marker_size", "text")},
    }
