"""View models: engine calls shaped for the dashboard (labels, metadata, table rows).

Thin on purpose: every number comes from ``geo``; this module only picks and labels.
"""

from __future__ import annotations

import math
import re
import weakref
from html import escape as html_escape

import numpy as np
import pandas as pd

from dashboard.figures import fmt
from geo.formatting import percent_number, upper_first
from geo.population import lower_first
from geo.readers import publisher
from geo.results import cumulative_share, headline_numbers, travel_ranges
from geo.viewstate import NEED_INDEX, scenario_of, threshold_kwargs, threshold_text

CURVE_GRID = np.arange(0, 61, 1.0)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @ ...) gets a leading
    apostrophe, so CSV downloads of the tables cannot carry formulas (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # a signed number, perhaps with a unit in letters or % ("-2.5 pts", "+18,750"); nothing
        # a spreadsheet could read as a function call or reference ("+1 SUM(A1)")
        if value[0] in "+-" and re.fullmatch(r"[+-]\d[\d,]*(\.\d+)?( ?[A-Za-z%]+)*", value):
            return value
        return "'" + value
    return value


def csv_safe_rows(rows: list[dict]) -> list[dict]:
    return [{k: csv_safe(v) for k, v in row.items()} for row in rows]


def map_note(engine, indicator: str, level: str) -> str:
    """How to read the Needs map's colours for this indicator and level.

    >>> map_note(engine, "imd_rank", "ward")
    'Darker = more need. Grey = no published figure for that ward (never zero). Click a ward for its profile.'
    """
    spec = engine.bundle.indicators.get(indicator)
    darker = "Darker = a higher value" if spec is not None and spec.direction == "none" else "Darker = more need"
    if level == "ward":
        return f"{darker}. Grey = no published figure for that ward (never zero). Click a ward for its profile."
    words = engine.level_words(level)
    return (
        f"{darker}. {upper_first(words.many)} with no published figure are left blank (never zero). "
        f"Click one of the {words.many} for the profile of the ward holding most of it."
    )


def indicator_meta(engine, ind: str, weights: dict | None = None) -> dict:
    if ind == NEED_INDEX:
        w = weights or {}
        total = sum(w.values()) or 1
        parts = ", ".join(f"{engine.bundle.indicators[k].label} {100 * v / total:.0f}%" for k, v in w.items() if v > 0)
        return {
            "id": ind,
            "label": "Need index",
            "unit": "0-100, 100 = most need in the area",
            "short_unit": "Need index",
            "period": need_index_period(engine, w),
            "direction": "higher",
            "level": "lsoa",
            "counts": False,
            "source": f"Composite of percentile ranks within the area: {parts}",
            "completeness": f"Complete for every {engine.bundle.small_area.one} and ward.",
            "benchmark_area": None,
            "benchmark_england": None,
            "comparator": engine.comparator,
        }
    spec = engine.bundle.indicators[ind]
    completeness = {
        "complete": "Every area has a value.",
        "listed": "Only the wards the source names have a figure; the others are shown as 'no published figure'.",
        "unlisted_zero": "Wards the source does not name are a known 0.",
    }[spec.completeness]
    if spec.completeness_note:
        completeness = spec.completeness_note
    scale = share_scale(spec)
    unit = f"% of {spec.unit.removeprefix('share of ')}" if scale != 1 else spec.unit
    short = unit if len(unit) <= 24 else spec.label.split(" (")[0][:24]
    bench = {
        k: None if v is None else v * scale
        for k, v in (("benchmark_area", spec.benchmark_area), ("benchmark_england", spec.benchmark_england))
    }
    return {
        "comparator": engine.comparator,
        "id": ind,
        "label": spec.label,
        "unit": unit,
        "short_unit": short,
        "period": spec.period,
        "direction": spec.direction,
        "level": spec.level,
        "counts": spec.aggregate == "sum",  # of whole people: a ward's share of an LSOA is rounded
        "source": publisher(spec.source),
        "completeness": completeness,
        **bench,
    }


def share_scale(spec) -> float:
    """Shares (0-1) are shown as percentages: 100 for them, 1 for everything else."""
    return 100.0 if spec.unit.startswith("share") else 1.0


def indicator_series(engine, ind: str, level: str, weights: dict | None, ward_set: str | None = None) -> pd.Series:
    if ind == NEED_INDEX:
        return engine.need_index(weights, level=level, ward_set=ward_set if level == "ward" else None)
    values = engine.indicator_values(ind, level, ward_set if level == "ward" else None)
    return values * share_scale(engine.bundle.indicators[ind])


def indicator_options(engine) -> list[dict]:
    """Dropdown options grouped by source level; ward-only ones say so."""
    opts = (
        [{"label": "Need index (composite, adjustable weights)", "value": NEED_INDEX}] if engine.has_need_index else []
    )
    for ind, spec in engine.bundle.indicators.items():
        suffix = " (ward only)" if spec.level == "ward" else ""
        opts.append({"label": f"{spec.label}{suffix} · {spec.period}", "value": ind})
    return opts


def need_index_period(engine, weights: dict | None) -> str:
    """The need index's period: the periods of its weighted parts, from the bundle ("IoD 2019")."""
    used = weights if weights is not None else engine.bundle.manifest.get("need_index", {}).get("weights", {})
    return ", ".join(sorted({engine.bundle.indicators[k].period for k, v in used.items() if v > 0}))


def need_index_row(engine, value: float, weights: dict | None) -> dict:
    """The ward profile's need-index row."""
    return {
        "Indicator": "Need index",
        "Value": f"{value:.1f}",
        "Period": need_index_period(engine, weights),
        "Source": "Composite (see About the data)",
    }


def ward_profile(engine, ward_code: str, weights: dict | None, ward_set: str | None = None) -> dict:
    """Everything the Needs page shows for one ward of a ward set: indicators with their
    source (or why there is none), the LSOAs with a part in it, and the sites in it."""
    set_id = engine.check_ward_set(ward_set)
    table = engine.ward_table(set_id)
    if ward_code not in table.index:
        return {}
    rows = []
    if engine.has_need_index:
        need = engine.need_index(weights, level="ward", ward_set=set_id)
        rows.append(need_index_row(engine, need[ward_code], weights))
    for ind, spec in engine.bundle.indicators.items():
        reason = engine.unpublished_reason(ind, set_id)
        value = table.at[ward_code, ind] if ind in table.columns else float("nan")
        definition = engine.ward_value_definition(ind)
        if reason:
            shown = f"no published figure ({reason})"
        elif pd.isna(value):
            shown = "no published figure"
        elif spec.derived_from and value == 0 and pd.isna(table.at[ward_code, spec.derived_from]):
            # a gap of 0 the source implies (it lists every ward below the average), not a measurement
            shown = f"0 {spec.unit} (not listed among the wards below the average: {spec.completeness_note})"
        else:
            # the same number and definition as the map's hover, the ranked table and the briefings
            shown = (
                f"{100 * value:.1f}% ({spec.unit.removeprefix('share of ')})"
                if spec.unit.startswith("share")
                else fmt(round(value) if spec.aggregate == "sum" else value, spec.unit)
            ) + (f"; {definition}" if definition else "")
        rows.append({"Indicator": spec.label, "Value": shown, "Period": spec.period, "Source": publisher(spec.source)})
    population = engine.default_population
    decile = engine.deprivation_indicator
    # The LSOAs of the deprivation measure: the current ones where it is published for those.
    level = "lsoa_current" if decile and engine.bundle.indicators[decile].level == "lsoa_current" else "lsoa"
    if level == "lsoa_current":
        lsoa_names = engine.bundle.current_lsoas.names
        values = engine.values_on_current_lsoas({population: "sum"})
        values[decile] = engine.bundle.current_lsoa_values[decile]
    else:
        lsoa_names = _lsoa_names(engine)
        values = engine.bundle.lsoa_values
    words = engine.level_words(level)
    lsoas = []
    for code, share, of in engine.ward_lsoas(ward_code, set_id, level):
        row = {
            upper_first(words.one): code,
            "Name": lsoa_names[code],
            f"Share of {words.one} {of} in ward": f"{100 * share:.1f}%",
        }
        if decile:
            row[engine.deprivation_name or "Deprivation decile"] = int(values.at[code, decile])
        row[engine.bundle.population_fields[population]] = round(float(values.at[code, population]))
        lsoas.append(row)
    ward_set_ = engine.ward_sets[set_id]
    return {
        "name": ward_set_.names[ward_code],
        "set_label": ward_set_.label,
        "indicators": rows,
        "lsoas": lsoas,
        "lsoa_words": words,  # what the listed small areas are called
        "sites": engine.sites_in_ward(ward_code, set_id),
    }


def threshold_label(state: dict, engine) -> str:
    return threshold_text(engine, state)


def scenario_outputs(engine, state: dict) -> dict:
    """Everything the Access page shows for a state: the scenario's coverage and, when a
    comparison is chosen, the comparison."""
    alt_scenario = scenario_of(engine, state, "alt")
    cmp_scenario = scenario_of(engine, state, "cmp")
    kwargs = threshold_kwargs(state)
    wards = state.get("wards")
    if cmp_scenario is None:
        alt = engine.coverage(alt_scenario, wards=wards, **kwargs)
        comparison = None
    else:
        comparison = engine.compare(cmp_scenario, alt_scenario, wards=wards, **kwargs)
        alt = comparison.alt
    return {
        "alt": alt,
        "comparison": comparison,
        "alt_curve": cumulative_share(alt, CURVE_GRID),
        "base_curve": None if comparison is None else cumulative_share(comparison.base, CURVE_GRID),
    }


def decile_rows(out: dict) -> tuple[list[dict], str | None]:
    """Coverage share by IMD decile for the scenario and its comparison, and the comparison's label."""
    cmp, alt = out["comparison"], out["alt"]
    if cmp is not None:
        frame = cmp.by_imd_decile
        rows = [
            {"decile": int(d), "base_share": b, "alt_share": a}
            for d, b, a in zip(frame["decile"], frame["base_share"], frame["alt_share"])
        ]
        return rows, cmp.base.scenario_label
    frame = alt.by_imd_decile
    return [
        {"decile": int(d), "base_share": None, "alt_share": a} for d, a in zip(frame["decile"], frame["share_covered"])
    ], None


def evaluations(engine, state: dict):
    """The scenario's and the comparison's per-origin arrays (the fast path of a click)."""
    kwargs = threshold_kwargs(state)
    alt = engine.evaluate(scenario_of(engine, state, "alt"), **kwargs)
    cmp_scenario = scenario_of(engine, state, "cmp")
    base = None if cmp_scenario is None else engine.evaluate(cmp_scenario, **kwargs)
    return alt, base


def headline(engine, state: dict, alt, base) -> dict:
    h = headline_numbers(alt, base, engine.origin_decile)
    h["ranges"] = travel_ranges(alt, base, engine.origin_decile)
    h["range_factors"] = alt.range_factors
    h["pop_label"] = lower_first(engine.bundle.population_fields[state["pop"]])
    h["alt_label"] = alt.scenario.label
    h["deprivation_label"] = engine.deprivation_name  # None: no deprivation card
    if base is not None:
        h["base_label"] = base.scenario.label
    return h


def lsoa_map_arrays(engine, alt, base):
    """(minutes, site names, comparison minutes) per LSOA for the access map: population-weighted
    means over each LSOA's origins, and the site of its most populous origin."""
    minutes = engine.lsoa_mean(alt.minutes, alt.population)
    names = site_names(engine, engine.lsoa_main_site(alt.nearest, alt.population))
    base_minutes = None if base is None else engine.lsoa_mean(base.minutes, base.population)
    return minutes, names, base_minutes


def lsoa_added_minutes(engine, alt, base):
    """Per LSOA, the population-weighted minutes added for the origins whose nearest site
    changes from the comparison to the scenario (NaN where none change, or no comparison)."""
    if base is None:
        return None
    changed = engine.site_moves(base.nearest, base.scenario, alt.nearest, alt.scenario)
    weight = np.where(changed, alt.population, 0.0)
    added = np.where(changed, alt.minutes - base.minutes, 0.0)
    return engine.lsoa_mean(added, weight)


def site_names(engine, nearest) -> list:
    labels = {s: engine.site_label(s) for s in set(nearest)}
    return [labels[s] for s in nearest]


def ward_table_indicators(engine) -> list[str]:
    """Indicator columns of the Access page's ward table, from the manifest's [dashboard] section."""
    listed = engine.bundle.manifest.get("dashboard", {}).get("ward_table", [])
    return [i for i in listed if i in engine.bundle.indicators]


# The per-ward columns that do not depend on the scenario (name, need index, indicators), per
# engine, ward set and need weights: rebuilding them from pandas was most of ward_rows' time on
# every click. Weights come from users, so each engine's cache is kept small.
_WARD_STATIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_WARD_STATIC_LIMIT = 64


def _ward_static_rows(engine, ward_set: str | None, weights: dict | None) -> dict[str, dict]:
    cache = _WARD_STATIC.setdefault(engine, {})
    key = (ward_set, None if weights is None else tuple(sorted(weights.items())))
    cached = cache.get(key)
    if cached is not None:
        return cached
    table = engine.ward_table(ward_set)
    need = engine.need_index(weights, level="ward", ward_set=ward_set).to_dict() if engine.has_need_index else {}
    indicators = ward_table_indicators(engine)
    columns = [c for c in [engine.deprivation_indicator, *indicators] if c and c in table.columns]
    values = table[columns].to_dict("index")
    rows: dict[str, dict] = {}
    for code in table.index:
        row: dict = {"need_index": round(float(need[code]), 1)} if need else {}
        if engine.deprivation_indicator:
            # the ward's decile as the map, profile and briefings give it (a median: a decile)
            row["imd_decile_mean"] = round(float(values[code][engine.deprivation_indicator]))
        for ind in indicators:
            value = values[code].get(ind, float("nan"))
            spec = engine.bundle.indicators[ind]
            # None (blank in the table and CSV) where the source publishes no figure for the ward;
            # flags read "yes"/"no", shares as percentages
            if pd.isna(value):
                row[ind] = None
            elif spec.unit.startswith("flag"):
                row[ind] = "yes" if value else "no"
            elif spec.unit.startswith("share"):
                row[ind] = round(100 * float(value), 1)
            else:
                row[ind] = round(float(value), 3)
        rows[code] = row
    if len(cache) >= _WARD_STATIC_LIMIT:
        cache.clear()
    cache[key] = rows
    return rows


def ward_rows(engine, out: dict, weights: dict | None) -> list[dict]:
    """One row per ward for the Access page's ward table: name, need index, indicators, population
    and coverage (with a comparison: both shares and those losing access)."""
    alt, cmp = out["alt"], out["comparison"]
    static = _ward_static_rows(engine, alt.ward_set or None, weights)
    frame = cmp.by_ward if cmp is not None else alt.by_ward
    shares = ["base_share", "alt_share", "losing_access"] if cmp is not None else ["share_covered"]
    columns = [frame[c].to_numpy().tolist() for c in ["ward_code", "ward_name", "total", *shares]]
    rows = []
    for code, name, total, *share in zip(*columns):
        # the table's column order: ward, need index, population, then the indicators
        row = {"ward": name, **({"need_index": static[code]["need_index"]} if "need_index" in static[code] else {})}
        row["population"] = round(total)
        row.update(static[code])
        if cmp is not None:
            row.update(
                {
                    "base_covered_pct": percent_number(share[0]),
                    "alt_covered_pct": percent_number(share[1]),
                    "losing_access": round(share[2]),
                }
            )
        else:
            row["alt_covered_pct"] = percent_number(share[0])
        rows.append(row)
    return rows


# The lost-access table's first column, named for what the engine's origins are.
ORIGIN_HEADERS = {"output_areas": "Output area (its {one})", "lsoa": "{One}", "postcode": "Postcode (its {one})"}


def origin_header(engine) -> str:
    """The lost-access table's first column: what the engine's origins are, in the bundle's words.

    >>> origin_header(engine)
    'Output area (its LSOA)'
    """
    one = engine.bundle.small_area.one
    return ORIGIN_HEADERS.get(engine.origins.kind, "Area").format(one=one, One=upper_first(one))


def lost_rows(engine, out: dict) -> list[dict]:
    """The areas losing access in the comparison, most people first (ties in the origins' order).

    Read from the comparison's arrays (``Comparison.columns``), not its ``lost`` frame: building
    and sorting that frame was half of this table's time on every click.
    """
    cmp = out["comparison"]
    if cmp is None:
        return []
    names = _lsoa_names(engine)
    columns = cmp.columns
    where = np.flatnonzero(cmp.lost_mask)
    population = columns["population"][where].astype(float)
    order = where[np.argsort(-population, kind="stable")]
    fields = ("lsoa_code", "origin", "ward_name", "population", "imd_decile", "base_minutes", "alt_minutes")
    picked = [np.asarray(columns[f])[order].tolist() for f in fields] + [
        np.asarray(columns["alt_site_name"], dtype=object)[order].tolist()
    ]
    rows = []
    for code, origin, ward, people, decile, before, after, site in zip(*picked):
        rows.append(
            {
                "lsoa": f"{origin} (in {names.get(code, code)})" if origin != code else names.get(code, code),
                "ward": ward,
                "population": round(people),
                "imd_decile": None if decile is None or decile != decile else int(decile),  # NaN != NaN
                "minutes_before": _round(before),
                "minutes_after": _round(after),
                "nearest_after": site,
            }
        )
    return rows


_LSOA_NAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lsoa_names(engine) -> dict[str, str]:
    """Code -> name of the bundle's small areas (made once per engine, kept beside it)."""
    names = _LSOA_NAMES.get(engine)
    if names is None:
        names = _LSOA_NAMES[engine] = dict(zip(engine.bundle.lsoas["code"], engine.bundle.lsoas["name"]))
    return names


def _round(v):
    return None if v is None or not math.isfinite(v) else round(float(v), 1)


def added_points(engine, state: dict) -> dict:
    """Map points for added and moved sites, with the name each has in the catchment layer's
    colour bar (``names``: the label of an added site, the register name of a moved one)."""
    lon, lat, text, custom, names = [], [], [], [], []
    items = [("Added", spec, None) for spec in state["add"]] + [
        (f"Moved: {engine.site_label(site)}", spec, site) for site, spec in sorted(state["move"].items())
    ]
    for kind, spec, moved in items:
        scenario = engine.scenario(None, add=[spec])
        site = scenario.added[0]
        x, y = engine.locate_added(site)
        lo, la = engine.bundle.to_lonlat(x, y)
        lon.append(lo)
        lat.append(la)
        outside = f"<br>outside {engine.bundle.area_name}" if engine.bundle.outside_boundary(x, y) else ""
        # a user's label is text, never markup in the hover (plotly renders some HTML tags)
        label, kind = html_escape(site.label), html_escape(kind)
        text.append(f"<b>{label}</b><br>{kind} · {site.postcode or f'{site.lat:.5f}, {site.lon:.5f}'}{outside}")
        custom.append(None)
        names.append(engine.site_label(moved) if moved else site.label)
    return {"lon": lon, "lat": lat, "text": text, "customdata": custom, "names": names}
