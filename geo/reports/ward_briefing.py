"""The ward briefing for a councillor (two A4 pages): their ward's needs against the area and England,
the sites in and near it, and what the scenario does to its families.

``ward_briefing_content`` gathers every figure from the engine (plain data, for tests);
``render_ward_briefing`` lays it out on an A4 landscape page (PDF, PNG or HTML) with a map
of the ward and its neighbours: LSOAs coloured by minutes to the nearest open site, every
ward named, every site labelled, each site said to be open, opening, closing or moved against the
comparison; a second page holds every assumption, the method and the sources.

People are counted where their origin lies (``geo.engine``): an origin belongs to the ward
of the chosen ward set whose polygon holds its point.
"Further to travel" is the population-weighted mean of the added minutes over the ward's
people whose nearest open site changes between the comparison and the scenario.
"""

from __future__ import annotations

import datetime as _dt
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.area_views import weighted_median
from geo.engine import METHOD_KINDS
from geo.errors import ScenarioError
from geo.formatting import NO_FIGURE, people, percent, upper_first
from geo.population import lower_first
from geo.reports.briefing import (
    ADDED_MARKER,
    CLOSED_MARKER,
    FORMATS,
    PAGE_INCHES,
    ROLE_MARKERS,
    _draw_polygons,
    _html,
    _short,
    link_block,
    notes_page,
    place_labels,
    save_pages,
    scenario_changes,
    uncounted_sites,
)
from geo.results import range_bounds, travel_ranges
from geo.viewstate import ViewState, scenario_of, threshold_kwargs, threshold_text, view_link

NEAR_M = 1500.0  # sites this close to the ward's boundary are listed as "near"
NEEDS_ON_PAGE_1, SITES_ON_PAGE_1 = 12, 8  # the rest of each list is on page 2, never cut
UNLISTED = " †"  # a gap of 0 because the source does not list the ward below the average


@dataclass
class WardBriefingContent:
    """Every figure and sentence of a ward briefing (plain data)."""

    ward_code: str
    ward_name: str
    set_label: str
    title: str
    subtitle: str
    date: str
    headlines: list[tuple[str, str, str]]
    needs: list[dict]  # indicator, ward, area, England
    sites: list[dict]  # name, role, where, status
    method: list[str]
    link: str
    numbers: dict = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)  # what the scenario changes (sites closing, opening...)
    uncounted: list[str] = field(default_factory=list)  # open sites no figure counts, and why
    assumptions: list[str] = field(default_factory=list)
    comparator: str = "national"  # the bundle's comparator for benchmarks ([area] comparator, e.g. England)
    sources: list[str] = field(default_factory=list)


def _mean(values: np.ndarray, weights: np.ndarray) -> float:
    finite = np.isfinite(values)
    total = weights[finite].sum()
    return float((values[finite] * weights[finite]).sum() / total) if total > 0 else math.nan


def ward_numbers(engine, state: ViewState, ward_code: str) -> dict:
    """The ward's figures for a view state: population, covered before and after, losing
    access, mean minutes, and the added minutes of those whose nearest site changes."""
    set_id = engine.check_ward_set(state.get("wards"))
    codes = engine.ward_sets[set_id].codes
    if ward_code not in codes:
        raise ScenarioError(f"ward {ward_code!r} is not in {engine.ward_sets[set_id].label}")
    inside = engine.origin_ward_index_by_set[set_id] == codes.index(ward_code)
    kwargs = threshold_kwargs(state)
    alt = engine.evaluate(scenario_of(engine, state, "alt"), **kwargs)
    cmp_scenario = scenario_of(engine, state, "cmp")
    base = engine.evaluate(cmp_scenario, **kwargs) if cmp_scenario is not None else None
    pop = alt.population[inside]
    out = {
        "population": float(pop.sum()),
        "alt_covered": float(pop[alt.covered[inside]].sum()),
        "alt_mean_minutes": _mean(alt.minutes[inside], pop),
        "alt_label": alt.scenario.label,
    }
    if base is not None:
        lost = base.covered[inside] & ~alt.covered[inside]
        changed = engine.site_moves(base.nearest, base.scenario, alt.nearest, alt.scenario)[inside]
        added = alt.minutes[inside] - base.minutes[inside]
        out.update(
            base_covered=float(pop[base.covered[inside]].sum()),
            losing=float(pop[lost].sum()),
            base_mean_minutes=_mean(base.minutes[inside], pop),
            base_label=base.scenario.label,
            changed_population=float(pop[changed].sum()),
            added_minutes=_mean(added[changed], pop[changed]) if changed.any() else 0.0,
        )
    # each figure's range across the travel model's error, over the ward's people only
    out["ranges"] = travel_ranges(
        alt.subset(inside), None if base is None else base.subset(inside), engine.origin_decile[inside]
    )
    return out


def _need_rows(engine, state: ViewState, ward_code: str, set_id: str) -> list[dict]:
    """Indicators for the ward against the whole area and England, each as the map, the table
    and the profile give it (``Engine.ward_value_definition``), and the number of the ward's
    LSOAs (those with half or more of their residents in it) in England's most deprived 10%."""
    table = engine.ward_table(set_id)
    values = engine.bundle.lsoa_values
    weights = values[engine.default_population]
    rows = []
    decile = engine.deprivation_indicator
    if decile:
        # counted among the LSOAs the measure is published for (current ones for IoD 2025)
        level = engine.bundle.indicators[decile].level
        deciles = (engine.bundle.current_lsoa_values if level == "lsoa_current" else values)[decile]
        in_ward = [c for c, share, _ in engine.ward_lsoas(ward_code, set_id, level) if share >= 0.5]
        ward_low = int((deciles.loc[in_ward] == 1).sum()) if in_ward else 0
        rows.append(
            {
                "indicator": f"{upper_first(engine.level_words(level).many)} in the most deprived 10% of "
                f"{engine.comparator} "
                f"({engine.bundle.indicators[decile].label} 1)",
                "ward": f"{ward_low} of {len(in_ward)}",
                "area": f"{int((deciles == 1).sum())} of {len(deciles)}",
                "england": "10%",
            }
        )
        # the ward's decile as the map, table and profile give it (Engine.ward_value_definition)
        everyone = engine.origin_population[engine.default_population]
        rows.append(
            {
                "indicator": f"{engine.bundle.indicators[decile].label} ({engine.ward_value_definition(decile)})",
                "ward": _fmt(table.at[ward_code, decile]),
                "area": _fmt(weighted_median(engine.origin_decile, everyone)),
                "england": "—",
            }
        )
    for ind, spec in engine.bundle.indicators.items():
        if spec.direction == "none" or spec.aggregate == "median" or spec.unit.startswith("flag"):
            continue
        value = table.at[ward_code, ind] if ind in table.columns else math.nan
        if pd.isna(value):
            continue
        if spec.level == "lsoa":
            area = float(np.average(values[ind], weights=weights))
        elif spec.level == "lsoa_current":  # over origins, as the ward's own value
            by_origin = engine.origin_values([ind])[ind].to_numpy(float)
            area = float(np.average(by_origin, weights=engine.origin_population[engine.default_population]))
        else:
            area = spec.benchmark_area if spec.benchmark_area is not None else math.nan
        scale, unit = (100.0, "%") if spec.unit.startswith("share") else (1.0, "")
        shown = _fmt(value * scale, unit)
        if spec.derived_from and value == 0 and pd.isna(table.at[ward_code, spec.derived_from]):
            shown = f"0{UNLISTED}"  # the source lists every ward below the average: this one is not
        rows.append(
            {
                "indicator": spec.label if spec.period in spec.label else f"{spec.label} ({spec.period})",
                "ward": shown,
                "area": _fmt(area * scale, unit),
                "england": _fmt(spec.benchmark_england * scale, unit) if spec.benchmark_england is not None else "—",
            }
        )
    return rows


def _fmt(value, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return NO_FIGURE
    if abs(value - round(value)) < 1e-9 and not unit:
        return f"{value:,.0f}"  # a count
    return f"{value:,.1f}{unit}"


def _sites(engine, state: ViewState, ward_code: str, set_id: str) -> list[dict]:
    """Register sites in the ward or within NEAR_M of it, and added or moved ones, with status."""
    import shapely

    wards = engine.ward_sets[set_id].wards.set_index("code").to_crs(engine.bundle.projected_crs)
    ward = wards.geometry[ward_code]
    scenario = scenario_of(engine, state, "alt")
    statuses = engine.site_statuses(scenario, scenario_of(engine, state, "cmp"))
    roles = engine.bundle.manifest["layers"]["sites"].get("roles", {})
    out = []
    for site, row in engine.bundle.located_sites.iterrows():
        point = shapely.Point(row["x"], row["y"])
        distance = ward.distance(point)
        # a site in neither scenario (a proposed hub in today's network) is not listed: it
        # neither serves the ward nor closes in it
        if distance > NEAR_M or statuses[site] == "not_in_scenario":
            continue
        where = "in the ward" if distance == 0 else f"{distance / 1000:.1f} km outside"
        status = statuses[site]
        out.append(
            {
                "name": _short(row["name"]),
                "role": roles.get(row["role"], row["role"]),
                "where": where,
                "status": status,
                "x": row["x"],
                "y": row["y"],
                "site_role": row["role"],
            }
        )
    for added in list(scenario.added) + [m for _, m in scenario.moved]:
        x, y = engine.locate_added(added)
        distance = ward.distance(shapely.Point(x, y))
        if distance <= NEAR_M:
            out.append(
                {
                    "name": added.label,
                    "role": "added or moved by the user",
                    "where": "in the ward" if distance == 0 else f"{distance / 1000:.1f} km outside",
                    "status": "open",
                    "x": x,
                    "y": y,
                    "site_role": "added",
                }
            )
    return sorted(out, key=lambda s: (s["where"] != "in the ward", s["status"] not in ("open", "opens"), s["name"]))


def ward_briefing_content(
    engine,
    state: ViewState,
    ward: str,
    base_url: str = "http://127.0.0.1:8050/",
    today: _dt.date | None = None,
    store=None,
) -> WardBriefingContent:
    """Every figure of a ward briefing; ``ward`` is a ward name, code or postcode (``Engine.find_ward``)."""
    set_id = engine.check_ward_set(state.get("wards"))
    code = engine.find_ward(ward, set_id)
    name = engine.ward_sets[set_id].names[code]
    numbers = ward_numbers(engine, state, code)
    limit = threshold_text(engine, state)
    pop_label = lower_first(engine.bundle.population_fields[state["pop"]])
    total = numbers["population"]

    def share(v):
        return percent(v / total) if total else NO_FIGURE

    def between(key: str) -> str:
        bounds = range_bounds(numbers["ranges"], key)
        return f"; between {bounds[0]} and {bounds[1]}" if bounds else ""

    headlines = [(f"{pop_label[:1].upper() + pop_label[1:]} in {name}", people(total), engine.ward_sets[set_id].label)]
    if "base_covered" in numbers:
        headlines.append(
            (
                f"{numbers['base_label']}: within {limit}",
                people(numbers["base_covered"]),
                f"{share(numbers['base_covered'])} of the ward{between('base_covered')}",
            )
        )
    headlines.append(
        (
            f"{numbers['alt_label']}: within {limit}",
            people(numbers["alt_covered"]),
            f"{share(numbers['alt_covered'])} of the ward{between('alt_covered')}",
        )
    )
    if "losing" in numbers:
        headlines.append(
            ("Losing access", people(numbers["losing"]), f"{share(numbers['losing'])} of the ward{between('losing')}")
        )
        if numbers["changed_population"]:
            further = (
                f"+{numbers['added_minutes']:.1f} min",
                f"on average, for the {people(numbers['changed_population'])} whose nearest site changes",
            )
        else:  # nobody's nearest open site changes (or no site is open to change to)
            further = ("none", "nobody here moves to another open site")
        headlines.append(("Further to travel", *further))
    state = {**state, "ward": code, "page": "access"}
    title = (
        f"{name} ward: {numbers['alt_label']} compared with {numbers['base_label']}"
        if "base_label" in numbers
        else f"{name} ward: {numbers['alt_label']}"
    )
    mode = engine.modes[state["mode"]]
    method = [
        f"Population: {engine.bundle.population_fields[state['pop']]}, counted where it lives (output areas "
        f"or {engine.bundle.small_area.many}, in the ward that holds them).",
        f"{engine.travel_description(engine.detour_name)} {mode.label} at {mode.speed_kmh:g} km/h. No public "
        "transport is modelled.",
        f"Ward needs: each figure by {engine.bundle.small_area.one} is taken over the ward's {pop_label}, each "
        f"counted at the value of the {engine.bundle.small_area.one} they live in (deciles: the median; rates: the mean); ward-only figures are as published. "
        f"{engine.bundle.area_name} and {engine.comparator} figures are the published benchmarks where there are any.",
    ]
    alt_scn, cmp_scn = scenario_of(engine, state, "alt"), scenario_of(engine, state, "cmp")
    items = engine.assumption_items(alt_scn, state["mode"], engine.detour_name, state["pop"])
    bundle = engine.bundle
    return WardBriefingContent(
        comparator=engine.comparator,
        ward_code=code,
        ward_name=name,
        set_label=engine.ward_sets[set_id].label,
        title=title,
        subtitle=f"{engine.bundle.area_name} · {pop_label} within {limit} of an open site",
        date=(today or _dt.date.today()).strftime("%-d %B %Y"),
        headlines=headlines,
        needs=_need_rows(engine, state, code, set_id),
        sites=_sites(engine, state, code, set_id),
        method=method,
        link=view_link(base_url, state, store),
        numbers=numbers,
        changes=scenario_changes(engine, alt_scn, cmp_scn),
        uncounted=uncounted_sites(engine, (cmp_scn, alt_scn)),
        assumptions=[a.text for a in items if a.kind not in METHOD_KINDS + ("unlocated",)],
        sources=[f"Area: {bundle.area_name}. {bundle.manifest['area'].get('vintage', '')}"]
        + list(bundle.manifest["area"].get("attribution", [])),
    )


def render_ward_briefing(
    engine,
    state: ViewState,
    ward: str,
    out: str | Path | None = None,
    fmt: str | None = None,
    base_url: str = "http://127.0.0.1:8050/",
    today: _dt.date | None = None,
    store=None,
) -> bytes:
    """Render a ward briefing as pdf (two pages: the ward, then every assumption, the method and
    the sources), png or html bytes (and write them to ``out`` if given); with ``store`` the
    link is the view's short link.

    >>> render_ward_briefing(engine, state, "Saints", "saints.pdf")  # doctest: +SKIP
    """
    if fmt is None:
        if out is None:
            raise ScenarioError("give a format or an output file name")
        fmt = Path(out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ScenarioError(f"briefing format {fmt!r}: use .pdf, .png or .html")
    content = ward_briefing_content(engine, state, ward, base_url, today, store)
    sections = [
        (
            f"More needs figures (ward; area; {content.comparator})",
            [f"{r['indicator']}: {r['ward']}; {r['area']}; {r['england']}" for r in content.needs[NEEDS_ON_PAGE_1:]],
        ),
        (
            f"More sites in and within {NEAR_M / 1000:g} km of the ward",
            [f"{s['name']} — {s['role']}, {s['where']}: {s['status']}" for s in content.sites[SITES_ON_PAGE_1:]],
        ),
        ("What the scenario changes", content.changes),
        ("Sites not counted", content.uncounted),
        ("Assumptions", content.assumptions),
        ("Method", content.method),
        ("Sources and attribution", content.sources),
    ]
    data = save_pages(
        [
            lambda: _page(engine, state, content),
            lambda: notes_page(content.title, content.date, sections, content.link),
        ],
        fmt,
        content.title,
        content.link,
        lambda svg: _html(content, svg),
    )
    if out is not None:
        Path(out).write_bytes(data)
    return data


def _needs_block(fig, c: WardBriefingContent, area_name: str, x0: float, ink: str) -> float:
    """The ward's needs against the area and England; returns the y below the table."""
    y = 0.715
    fig.text(
        x0, y, f"Needs: {c.ward_name} against {area_name} and {c.comparator}", fontsize=8.5, weight="bold", va="top"
    )
    y -= 0.024
    cols = [x0, x0 + 0.29, x0 + 0.35, x0 + 0.41]
    for k, text in enumerate(["Indicator", c.ward_name[:14], area_name, c.comparator]):
        fig.text(cols[k], y, text, fontsize=6.5, weight="bold", va="top", color=ink)
    for row in c.needs[:NEEDS_ON_PAGE_1]:
        y -= 0.0165
        wrapped = textwrap.wrap(row["indicator"], 66)
        fig.text(cols[0], y, "\n".join(wrapped), fontsize=6.3, va="top", color=ink, linespacing=1.15)
        for k, key in enumerate(("ward", "area", "england"), start=1):
            fig.text(cols[k], y, row[key], fontsize=6.3, va="top", color=ink)
        y -= 0.0125 * (len(wrapped) - 1)
    more = len(c.needs) - NEEDS_ON_PAGE_1
    notes = [f"{more} more figure{'s' * (more != 1)} on page 2."] if more > 0 else []
    if any(r["ward"].endswith(UNLISTED) for r in c.needs):
        notes.append(f"{UNLISTED.strip()} Not listed among the wards below the average (the source lists all of them).")
    for note in notes:
        y -= 0.0165
        fig.text(cols[0], y, note, fontsize=6.1, va="top", color=ink)
    return y


def _page(engine, state: ViewState, c: WardBriefingContent):
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    fig = plt.figure(figsize=PAGE_INCHES)
    ink, muted = "#1f2933", "#52606d"
    fig.text(0.02, 0.962, c.title, fontsize=14 if len(c.title) <= 90 else 11, weight="bold", color="#1f3b57", va="top")
    fig.text(0.02, 0.905, f"{c.subtitle} · {c.set_label}", fontsize=9, color=muted, va="top")
    fig.text(0.98, 0.905, c.date, fontsize=9, ha="right", va="top", color=muted)

    # Map: the ward and its surroundings ---------------------------------------------------
    bundle = engine.bundle
    set_id = engine.check_ward_set(state.get("wards"))
    wards = engine.ward_sets[set_id].wards.set_index("code").to_crs(bundle.projected_crs)
    ward = wards.geometry[c.ward_code]
    minx, miny, maxx, maxy = ward.buffer(NEAR_M).bounds
    ax = fig.add_axes((0.015, 0.12, 0.49, 0.74))
    ax.set_axis_off()
    ax.set_aspect("equal")
    alt = engine.evaluate(scenario_of(engine, state, "alt"), **threshold_kwargs(state))
    minutes = engine.lsoa_mean(alt.minutes, alt.population)
    t = float(state["threshold"]) if state["unit"] == "minutes" else 20.0
    edges = [0, t / 2, t, 1.5 * t, 2 * t, np.inf]
    cmap = colormaps["cividis_r"]
    classes = [cmap(0.1 + 0.85 * i / 4) for i in range(5)]
    lsoas = bundle.lsoas.to_crs(bundle.projected_crs)
    fills = [
        classes[min(int(np.searchsorted(edges, m, side="right")) - 1, 4)] if np.isfinite(m) else "#d9d9d9"
        for m in minutes
    ]
    _draw_polygons(ax, list(lsoas.geometry), fills, width=0.2)
    _draw_polygons(ax, list(wards.geometry), ["none"] * len(wards), edge="#333333", width=0.7)
    _draw_polygons(ax, [ward], ["none"], edge="#d55e00", width=2.4)
    for name, geom in zip(wards["name"], wards.geometry):
        point = geom.representative_point()
        if minx <= point.x <= maxx and miny <= point.y <= maxy:
            ax.annotate(
                "\n".join(textwrap.wrap(name, 12)),
                (point.x, point.y),
                ha="center",
                va="center",
                fontsize=8 if name == c.ward_name else 6.5,
                weight="bold" if name == c.ward_name else None,
                color=ink,
                style="italic",
                zorder=4,
                bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.7),
            )
    labels: list[tuple[float, float, str, bool]] = []
    for s in c.sites:
        if s["site_role"] == "added":
            marker, colour = ADDED_MARKER
        elif s["status"] in ("open", "opens"):
            marker, colour = ROLE_MARKERS.get(s["site_role"], ("o", "#56B4E9"))
        else:
            marker, colour = CLOSED_MARKER
        ax.scatter(
            s["x"],
            s["y"],
            marker=marker,
            s=110 if marker == "*" else 40,
            c=colour,
            zorder=5,
            edgecolors="white" if marker != "x" else None,
            linewidths=0.6,
        )
        label = s["name"] + ("" if s["status"] == "open" else f" ({s['status']})")
        labels.append((s["x"], s["y"], label, s["status"] in ("open", "opens")))
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    place_labels(ax, labels, ink, size=6.5)
    ax.set_title(
        f"Map: {c.ward_name} (orange outline) and its neighbours; minutes to the nearest open site",
        fontsize=8.5,
        loc="left",
        color=ink,
    )
    classes_text = [
        f"{edges[i]:g}-{edges[i + 1]:g} min" if math.isfinite(edges[i + 1]) else f"over {edges[i]:g} min"
        for i in range(5)
    ]
    handles: list[Any] = [Patch(facecolor=col, edgecolor="#999", label=lab) for lab, col in zip(classes_text, classes)]
    handles += [
        *(
            [Line2D([], [], marker="x", color=CLOSED_MARKER[1], linestyle="none", markersize=5, label="Closes")]
            if any(s["status"] == "closes" for s in c.sites)
            else []
        ),
        Line2D(
            [],
            [],
            marker="o",
            color="none",
            markerfacecolor=ROLE_MARKERS["current_centre"][1],
            markersize=6,
            label="Open site",
        ),
    ]
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.015, 0.06), ncol=4, fontsize=6.5, frameon=False)

    # Headline boxes ----------------------------------------------------------------------
    x0, width, gap = 0.52, 0.088, 0.006
    for i, (label, value, detail) in enumerate(c.headlines[:5]):
        x = x0 + i * (width + gap)
        fig.add_artist(
            Rectangle(
                (x, 0.745),
                width,
                0.145,
                transform=fig.transFigure,
                facecolor="#fff4d6" if label == "Losing access" else "#f0f4f8",
                edgecolor="#c5d0db",
                linewidth=0.6,
            )
        )
        fig.text(x + 0.005, 0.882, "\n".join(textwrap.wrap(label, 22)[:3]), fontsize=6.5, va="top", color=muted)
        fig.text(x + 0.005, 0.822, value, fontsize=13, weight="bold", va="top", color="#1f3b57")
        fig.text(x + 0.005, 0.787, "\n".join(textwrap.wrap(detail, 24)[:3]), fontsize=6, va="top", color=ink)

    y = _needs_block(fig, c, bundle.area_name, x0, ink)

    # Sites in and near ---------------------------------------------------------------------
    y -= 0.035
    fig.text(
        x0, y, f"Sites in and within {NEAR_M / 1000:g} km of the ward", fontsize=8.5, weight="bold", va="top", color=ink
    )
    for s in c.sites[:SITES_ON_PAGE_1]:
        y -= 0.0165
        fig.text(
            x0,
            y,
            f"{s['name']} — {s['role']}, {s['where']}: {s['status']}",
            fontsize=6.3,
            va="top",
            color=ink if s["status"] in ("open", "opens") else muted,
        )
    if not c.sites:
        y -= 0.0165
        fig.text(x0, y, "No located site in or near the ward.", fontsize=6.3, va="top", color=muted)
    if len(c.sites) > SITES_ON_PAGE_1:
        y -= 0.0165
        more = len(c.sites) - SITES_ON_PAGE_1
        fig.text(x0, y, f"{more} more site{'s' * (more != 1)} on page 2.", fontsize=6.3, va="top")

    # What the scenario changes, and what no figure counts ------------------------------------
    y -= 0.035
    fig.text(x0, y, "What the scenario changes", fontsize=8.5, weight="bold", va="top", color=ink)
    y -= 0.022
    for line in c.changes + c.uncounted:
        wrapped = textwrap.wrap(line, 110)
        if y - 0.0135 * len(wrapped) < 0.125:  # the rest is on page 2, never over the link
            fig.text(x0, y, "In full on page 2.", fontsize=6, va="top", color=ink)
            break
        fig.text(x0, y, "\n".join(wrapped), fontsize=6, va="top", color=ink, linespacing=1.25)
        y -= 0.0135 * len(wrapped) + 0.004
    fig.text(
        x0, 0.115, "Every assumption, the method and the sources in full: page 2.", fontsize=7.5, va="top",
        color=ink, weight="bold",
    )  # fmt: skip
    link_block(fig, c.link, x=x0)
    return fig
