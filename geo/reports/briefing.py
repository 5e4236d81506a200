"""Briefings for councillors: two A4 landscape pages as PDF, PNG or self-contained HTML.

``briefing_content`` gathers every number and sentence from the engine (pure data, so
tests compare it with the engine directly); ``render_briefing`` lays it out with
matplotlib (vector PDF with real, extractable text; PNG; HTML with the page inlined as
SVG, working with no server). Page 1 holds: title and date; what the scenario changes against
its comparison and the sites no figure counts; a map (the area's own boundaries, site symbols,
names placed so none overprints another, a legend; no web tiles); headline figures as counts and
percentages with their ranges; coverage by IMD decile; the five wards with the largest loss.
Page 2 (``notes_page``) holds every assumption, the method and the sources in full. Both carry
the view's short link and its QR code (``link_block``). The page toolkit here (``save_pages``,
``notes_page``, ``link_block``, ``place_labels``) serves the ward and options briefings too.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo.engine import METHOD_KINDS
from geo.errors import ScenarioError
from geo.formatting import people, percent
from geo.origins import origin_description
from geo.population import lower_first
from geo.readers import publisher
from geo.results import range_bounds
from geo.viewstate import NEED_INDEX, ViewState, scenario_of, threshold_kwargs, threshold_text, view_link

FORMATS = ("pdf", "png", "html")
PAGE_INCHES = (297 / 25.4, 210 / 25.4)  # A4 landscape
PNG_DPI = 150  # 1753 x 1240 pixels
MAX_NOTES = 7  # scenario lines and assumptions shown on the page
ROLE_MARKERS = {
    "current_centre": ("o", "#0072B2"),
    "proposed_hub": ("*", "#D55E00"),
    "proposed_outreach": ("D", "#009E73"),
    "venue": ("s", "#CC79A7"),
}
CLOSED_MARKER = ("x", "#555555")
ADDED_MARKER = ("^", "#E69F00")


@dataclass
class BriefingContent:
    """Every figure and sentence of one briefing page (plain data: tests compare it with the engine)."""

    title: str
    subtitle: str
    date: str
    scenario_lines: list[str]
    assumptions: list[str]
    headlines: list[tuple[str, str, str]]  # (label, count, percentage text)
    deciles: list[dict]
    top_wards: list[dict]
    base_label: str | None
    alt_label: str
    map_title: str
    link: str
    sources: list[str]
    method: list[str]
    numbers: dict = field(default_factory=dict)  # raw figures, for tests and callers
    equality: list[dict] = field(default_factory=list)  # largest differences (losing vs all), when asked
    kind: str = "access"  # "access" (who can reach a site) or "needs" (an indicator's map)
    ranked: list[list[str]] = field(default_factory=list)  # needs briefings: areas with the greatest need
    ranked_title: str = ""
    equality_note: str = ""
    decile_label: str = ""  # the deprivation decile's words; "" = the bundle has none (no chart)


def _short(name: str) -> str:
    return name.split(" (")[0]


def scenario_changes(engine, scenario, comparison) -> list[str]:
    """What a scenario changes, in sentences: against ``comparison`` when there is one (the
    sites that close, open, are placed elsewhere or are added), else against its starting preset.

    >>> scenario_changes(engine, engine.scenario("proposed_2020"), engine.scenario("current_2020"))[0][:60]
    'Against Current (2020): 15 sites close (Denbigh, Stopsley Ba'
    """
    reference = comparison
    if reference is None and not (scenario.opened or scenario.closed or scenario.added or scenario.moved):
        return [f"The sites of {scenario.label}, with no comparison."]
    if reference is None and scenario.base:
        reference = engine.scenario(scenario.base)
    statuses = engine.site_statuses(scenario, reference)
    names = {s: _short(engine.site_label(s)) for s in statuses}

    def listed(status):
        return [names[s] for s, v in statuses.items() if v == status]

    closes, opens = listed("closes"), listed("opens")
    against = f"Against {reference.label}: " if reference is not None else ""
    parts = []
    if closes:
        parts.append(f"{len(closes)} site{'s' * (len(closes) != 1)} close ({', '.join(closes)})")
    if opens:
        parts.append(f"{len(opens)} open ({', '.join(opens)})")
    lines = [against + "; ".join(parts) + "."] if parts else ([f"{against}no site opens or closes."] if against else [])
    for site, where in sorted(scenario.moved_map.items()):
        place = where.postcode or f"{where.lat:.5f}, {where.lon:.5f}"
        lines.append(f"{names[site]} is placed at {place} ({where.label}).")
    for added in scenario.added:
        lines.append(f"Added: {added.describe()}.")
    return lines


def uncounted_sites(engine, scenarios) -> list[str]:
    """Sentences naming the open sites of each scenario that no figure counts (no sourced location),
    once for sites the scenarios share."""
    by_sites: dict[tuple, list[str]] = {}
    for scenario in (s for s in scenarios if s is not None):
        missing = tuple(engine.unlocated_open(scenario))
        if missing and scenario.label not in by_sites.setdefault(missing, []):
            by_sites[missing].append(scenario.label)
    return [
        f"{' and '.join(labels)}: {len(missing)} open site{'s' * (len(missing) != 1)} not counted in any figure, "
        f"with no sourced location ({', '.join(engine.site_label(s) for s in missing)}); figures for the "
        "areas they serve are undercounts."
        for missing, labels in by_sites.items()
        if missing
    ]


def briefing_content(
    engine,
    state: ViewState,
    base_url: str = "http://127.0.0.1:8050/",
    today: _dt.date | None = None,
    equality: bool = False,
    store=None,
) -> BriefingContent:
    """Every figure and sentence of the briefing for a view state (see geo.viewstate); with
    ``equality`` and a comparison, the groups most over-represented among those losing access
    (``geo.equality``)."""
    today = today or _dt.date.today()
    alt_scn = scenario_of(engine, state, "alt")
    cmp_scn = scenario_of(engine, state, "cmp")
    kwargs = threshold_kwargs(state)
    pop_full = engine.bundle.population_fields[state["pop"]]
    pop_label = pop_full.split(" (")[0]
    limit = threshold_text(engine, state)
    wards = state.get("wards")
    if cmp_scn is not None:
        cmp = engine.compare(cmp_scn, alt_scn, wards=wards, **kwargs)
        alt, base = cmp.alt, cmp.base
        ranges = cmp.ranges
    else:
        cmp, alt, base = None, engine.coverage(alt_scn, wards=wards, **kwargs), None
        ranges = alt.ranges

    def between(key: str, share: bool = False) -> str:
        bounds = range_bounds(ranges, key, share)
        return f"; between {bounds[0]} and {bounds[1]}" if bounds else ""

    headlines = []
    numbers = {"alt_covered": alt.covered, "total": alt.total, "alt_share": alt.share_covered}
    if base is not None:
        headlines.append(
            (
                f"{base.scenario_label}: within reach",
                people(base.covered),
                f"{percent(base.share_covered)} of {people(base.total)}{between('base_covered')}",
            )
        )
    headlines.append(
        (
            f"{alt.scenario_label}: within reach",
            people(alt.covered),
            f"{percent(alt.share_covered)} of {people(alt.total)}{between('alt_covered')}",
        )
    )
    if cmp is not None:
        change = alt.covered - base.covered
        headlines.append(
            ("Change", f"{change:+,.0f}", f"{100 * change / alt.total:+.1f} percentage points" if alt.total else "")
        )
        share_all = percent(cmp.population_losing_access / alt.total if alt.total else math.nan)
        headlines.append(
            (
                "Losing access",
                people(cmp.population_losing_access),
                f"{share_all} of all {lower_first(pop_label)}{between('losing')}",
            )
        )
        if engine.deprivation_label:
            headlines.append(
                (
                    "Of those, in the 20% most deprived areas",
                    people(cmp.losing_in_most_deprived),
                    f"{percent(cmp.share_losing_in_most_deprived)} of those losing"
                    f"{between('losing_deprived_share', share=True)}",
                )
            )
        numbers.update(
            base_covered=base.covered,
            base_share=base.share_covered,
            change=change,
            losing=cmp.population_losing_access,
            losing_deprived=cmp.losing_in_most_deprived,
            losing_deprived_share=cmp.share_losing_in_most_deprived,
        )
        deciles = cmp.to_dict()["by_imd_decile"]
        wards = cmp.by_ward.sort_values(["losing_access", "ward_name"], ascending=[False, True])
        top_wards = [
            {
                "ward": r.ward_name,
                "losing": people(r.losing_access),
                "before": percent(r.base_share),
                "after": percent(r.alt_share),
            }
            for r in wards.itertuples()
            if r.losing_access > 0
        ][:5]
    else:
        deciles = [
            {"decile": r["decile"], "alt_share": r["share_covered"], "base_share": None}
            for r in alt.summary()["by_imd_decile"]
        ]
        top_wards = []

    located_open = [s for s in alt.open_sites if not s.startswith("added:")]
    lines = [
        f"Open ({len(located_open) + len(alt_scn.added)} counted): "
        + ", ".join(_short(engine.site_label(s)) for s in alt.open_sites)
        + "."
    ]
    if alt_scn.base and alt_scn.label != engine.bundle.scenarios[alt_scn.base]["label"]:
        # a built scenario: what it was built from (its changes against that are above, or below
        # when there is a comparison)
        lines.insert(0, f"Built from '{engine.bundle.scenarios[alt_scn.base]['label']}'.")
        if cmp_scn is not None:  # which sites it opens and closes against that preset
            lines[1:1] = [line for line in scenario_changes(engine, alt_scn, None) if line.startswith("Against")]
    if state.get("page") == "needs":
        # the unit and period are in the subtitle above: a title that fits on one line
        name = "need index" if state["ind"] == NEED_INDEX else engine.bundle.indicators[state["ind"]].label
        map_title = f"Map: {name} by {engine.level_words(state['level']).one}"
    else:
        map_title = (
            f"Map: minutes to the nearest open site, {alt.scenario_label} ({engine.modes[state['mode']].label.lower()})"
        )
    bundle = engine.bundle
    mode = engine.modes[state["mode"]]
    lines = scenario_changes(engine, alt_scn, cmp_scn) + lines + uncounted_sites(engine, (cmp_scn, alt_scn))
    method = [
        f"Population: {pop_full}. Origins: {origin_description(bundle, engine.origins.kind)} "
        f"({len(engine.origins.xy):,}).",
        f"{engine.travel_description(kwargs.get('detour') or engine.detour_name)} "
        f"{mode.label} at {mode.speed_kmh:g} km/h ({mode.source}). No public transport is modelled.",
        f"Wards: {engine.ward_sets[alt.ward_set].label}."
        + (
            f" Most deprived 20% = {bundle.small_area.many} in {engine.deprivation_name} 1-2 {engine.deprivation_scale}."
            if engine.deprivation_label
            else ""
        ),
    ]
    sources = [f"Area: {bundle.area_name}. {bundle.manifest['area'].get('vintage', '')}"] + list(
        bundle.manifest["area"].get("attribution", [])
    )
    if state.get("page") == "needs":
        weights = lower_first(engine.ward_weights_label)
        needs_method = [
            f"Ward values of figures by {bundle.small_area.one} are taken over the ward's {weights}, each counted "
            f"at the value of the {bundle.small_area.one} they live in: ranks and deciles are the median (an order has no mean), rates the mean, "
            "counts the sum; ward-only figures are as published.",
            "Deciles and ranks are as each indicator's unit says (1 = most deprived).",
        ]
        link = view_link(base_url, state, store)
        return _needs_content(engine, state, link, today, map_title, sources, needs_method)
    equality_rows, equality_note = [], ""
    if equality and cmp_scn is not None and engine.bundle.equality_tables:
        result = engine.equality(cmp_scn, alt_scn, **kwargs)
        equality_rows = result.largest_differences(5)
        car = result.headline_lines()
        equality_note = "Areas, not people: census shares of each area applied to its population. " + " ".join(
            f"{c['group']} ({'estimated, ' if c['estimate'] else ''}Census {c['census_year']}): "
            f"{percent(c['losing_share'])} of those losing access, {percent(c['all_share'])} of all."
            for c in car
        )
        numbers["equality"] = equality_rows
    title = (
        f"{alt.scenario_label} compared with {base.scenario_label}: who can reach a site within {limit}"
        if base is not None
        else f"{alt.scenario_label}: who can reach a site within {limit}"
    )
    return BriefingContent(
        title=title,
        date=today.strftime("%-d %B %Y"),
        subtitle=f"{bundle.area_name} · {lower_first(pop_full)} within {limit} of an open site",
        scenario_lines=lines,
        assumptions=[
            a.text
            for a in engine.assumption_items(alt.scenario, alt.mode, alt.detour, alt.population)
            if a.kind not in METHOD_KINDS
        ],
        headlines=headlines,
        deciles=deciles if engine.deprivation_label else [],
        decile_label=engine.deprivation_label or "",
        top_wards=top_wards,
        base_label=base.scenario_label if base is not None else None,
        alt_label=alt.scenario_label,
        map_title=map_title,
        link=view_link(base_url, state, store),
        sources=sources,
        method=method,
        numbers=numbers,
        equality=equality_rows,
        equality_note=equality_note,
    )


def _needs_content(
    engine, state: ViewState, link: str, today: _dt.date, map_title: str, sources: list[str], method: list[str]
) -> BriefingContent:
    """A needs briefing: the indicator's map, its greatest- and least-need areas against the
    area's and England's figures, what the figure is, and where it comes from."""
    ind, level = state["ind"], state["level"]
    wards = state.get("wards") if level == "ward" else None
    if ind == NEED_INDEX:
        values = engine.need_index(state["w"], level=level, ward_set=wards)
        label, unit, period, source, direction = (
            "Need index",
            "0-100, 100 = most need in the area",
            ", ".join(sorted({engine.bundle.indicators[k].period for k, v in state["w"].items() if v > 0})),
            "percentile ranks within the area, weighted",
            "higher",
        )
        bench_area = bench_england = None
        about = [
            f"The need index ranks the area's {engine.bundle.small_area.many} on each chosen indicator (percentile, 100 = most need) and "
            "takes the weighted mean: "
            + ", ".join(f"{engine.bundle.indicators[k].label} {v:g}" for k, v in state["w"].items() if v > 0)
            + "."
        ]
    else:
        spec = engine.bundle.indicators[ind]
        values = engine.indicator_values(ind, level, wards)
        label, unit, period, source, direction = spec.label, spec.unit, spec.period, spec.source, spec.direction
        bench_area, bench_england = spec.benchmark_area, spec.benchmark_england
        if unit.startswith("share"):  # shares read as percentages
            values, unit = values * 100, f"% of {unit.removeprefix('share of ')}"
            bench_area = None if bench_area is None else bench_area * 100
            bench_england = None if bench_england is None else bench_england * 100
        about = [f"Unit: {unit}. Period: {period}.", f"Source: {publisher(source)}."]
        if spec.completeness != "complete":
            about.append(
                "Only the areas the source names have a figure; the others are shown as 'no published "
                "figure', never as zero."
            )
    names = (
        engine.ward_sets[engine.check_ward_set(wards)].names
        if level == "ward"
        else dict(zip(engine.bundle.lsoas["code"], engine.bundle.lsoas["name"]))
        if level == "lsoa"
        else engine.bundle.current_lsoas.names
    )
    if level != "ward":  # say where an LSOA is: the ward of the chosen set holding most of it
        ward_names = engine.ward_sets[engine.check_ward_set(state.get("wards"))].names
        names = {c: f"{n} ({ward_names.get(engine.lsoa_ward(c, state.get('wards')), '')})" for c, n in names.items()}
    present = values.dropna().sort_values(ascending=direction == "lower")
    if ind != NEED_INDEX and engine.bundle.indicators[ind].aggregate in ("median", "sum"):
        # ranks and deciles are whole (a median is an observed one); counts are of whole people (a
        # ward's sum of an LSOA it shares is an estimate, so it is rounded)
        fmt = lambda v: f"{v:,.0f}"  # noqa: E731
    else:
        fmt = (lambda v: f"{v:,.1f}") if direction != "none" else _three_figures
    headlines = []
    if len(present):
        headlines.append(
            ("Greatest need" if direction != "none" else "Highest", fmt(present.iloc[0]), names[present.index[0]])
        )
        headlines.append(
            ("Least need" if direction != "none" else "Lowest", fmt(present.iloc[-1]), names[present.index[-1]])
        )
    if bench_area is not None:
        headlines.append((f"{engine.bundle.area_name} average", fmt(bench_area), unit))
    if bench_england is not None:
        headlines.append((engine.comparator, fmt(bench_england), unit))
    missing = int(values.isna().sum())
    if missing:
        about.append(f"{missing} of {len(values)} areas have no published figure.")
    ranked = [[names[c], fmt(v)] for c, v in list(present.items())[:8]]
    ranked_title = "Areas with the greatest need" if direction != "none" else "Areas with the highest values"
    where = engine.level_words(level).one
    return BriefingContent(
        title=f"Needs: {label} by {where}",
        date=today.strftime("%-d %B %Y"),
        subtitle=f"{engine.bundle.area_name} · "
        + (f"{label} ({unit}, {period})" if ind == NEED_INDEX else _indicator_label(engine, ind))
        + (f" · {engine.ward_sets[engine.check_ward_set(wards)].label}" if level == "ward" else ""),
        scenario_lines=about,
        assumptions=[],
        headlines=headlines,
        deciles=[],
        top_wards=[],
        base_label=None,
        alt_label="",
        map_title=map_title,
        link=link,
        sources=sources,
        method=method,
        numbers={"values": values},
        kind="needs",
        ranked=ranked,
        ranked_title=ranked_title,
    )


def _class_words(edges: np.ndarray, i: int, few: bool, whole: bool) -> str:
    """A map class in words: class i holds values from edges[i] up to (not including)
    edges[i + 1], the last one up to and including it; whole numbers (deciles, ranks) as
    the whole numbers it holds.

    >>> edges = np.array([1.0, 3.0, 5.0, 7.0, 8.0, 10.0])
    >>> [_class_words(edges, i, False, whole=True) for i in range(5)]
    ['1-2', '3-4', '5-6', '7', '8-10']
    >>> _class_words(np.array([0.5, 1.25, 2.0]), 0, False, whole=False)
    '0.5 to under 1.25'
    """
    low, high = edges[i], edges[i + 1]
    last = i == len(edges) - 2
    if few:  # one value per class
        return _three_figures(low)
    if whole:
        first, final = math.ceil(low), math.floor(high) if last else math.ceil(high) - 1
        return f"{first:,}" if first == final else f"{first:,}-{final:,}"
    low_words, high_words = _three_figures(low), _three_figures(high)
    return f"{low_words} to {high_words}" if last else f"{low_words} to under {high_words}"


def _three_figures(value: float) -> str:
    """Three significant figures, but never in scientific notation: a thousand or more is
    written in full.

    >>> _three_figures(0.12345), _three_figures(62.61), _three_figures(2197.4)
    ('0.123', '62.6', '2,197')
    """
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"


def _indicator_label(engine, ind: str) -> str:
    if ind == NEED_INDEX:
        return "need index (100 = most need in the area)"
    spec = engine.bundle.indicators[ind]
    unit = f"% of {spec.unit.removeprefix('share of ')}" if spec.unit.startswith("share") else spec.unit
    if unit.startswith("decile (") and unit.endswith(")"):  # "IMD 2019 decile (1 = most deprived ...; IoD 2019)"
        unit = unit.removeprefix("decile (").removesuffix(")")
    return f"{spec.label} ({unit}; {spec.period})"


# -- drawing -----------------------------------------------------------------------------
def _draw_polygons(ax, geoms, colours, edge="white", width=0.3):
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    patches, facecolours = [], []
    for geom, colour in zip(geoms, colours):
        for poly in getattr(geom, "geoms", [geom]):
            patches.append(Polygon(np.asarray(poly.exterior.coords), closed=True))
            facecolours.append(colour)
    ax.add_collection(PatchCollection(patches, facecolor=facecolours, edgecolor=edge, linewidth=width))


def _map_classes(engine, state, alt_origins):
    """Colour classes for the map: minutes to the nearest open site, or the chosen indicator."""
    from matplotlib import colormaps

    if state.get("page") == "needs":
        from geo.viewstate import NEED_INDEX as _NI

        wards = state.get("wards") if state["level"] == "ward" else None
        values = (
            engine.need_index(state["w"], level=state["level"], ward_set=wards)
            if state["ind"] == _NI
            else engine.indicator_values(state["ind"], state["level"], wards)
        )
        if state["ind"] != _NI and engine.bundle.indicators[state["ind"]].unit.startswith("share"):
            values = values * 100  # as the page says: percentages
        direction = "higher" if state["ind"] == _NI else engine.bundle.indicators[state["ind"]].direction
        present = values.dropna()
        if present.empty:  # e.g. a figure published for other wards than the chosen set
            reason = engine.unpublished_reason(state["ind"], wards) if state["ind"] != _NI else None
            return (
                state["level"],
                list(values.index),
                ["#d9d9d9"] * len(values),
                [(f"no published figure ({reason})" if reason else "no published figure", "#d9d9d9")],
            )
        few = len(present.unique()) <= 5
        if not few:
            edges = np.unique(np.quantile(present, [0, 0.2, 0.4, 0.6, 0.8, 1.0]))
        else:
            edges = np.unique(np.concatenate([present.unique(), [present.max() + 1e-9]]))
        cmap = colormaps["Blues"]
        n = max(len(edges) - 1, 1)
        labels: list[tuple[str, Any]] = []  # (legend text, colour)
        for i in range(n):
            shade = (i + 1) / (n + 1) if direction != "lower" else (n - i) / (n + 1)
            labels.append(
                (_class_words(edges, i, few, whole=bool((present == present.round()).all())), cmap(0.15 + 0.8 * shade))
            )
        codes = list(values.index)
        fills: list[Any] = []
        for code in codes:
            v = values[code]
            if np.isnan(v):
                fills.append("#d9d9d9")
            else:
                k = min(int(np.searchsorted(edges, v, side="right")) - 1, n - 1)
                fills.append(labels[max(k, 0)][1])
        if values.isna().any():
            labels.append(("no published figure", "#d9d9d9"))
        return state["level"], codes, fills, labels
    t = float(state["threshold"]) if state["unit"] == "minutes" else 20.0
    minute_edges = [0, t / 2, t, 1.5 * t, 2 * t, np.inf]
    cmap = colormaps["cividis_r"]
    labels = []
    for i in range(5):
        hi = minute_edges[i + 1]
        text = f"{minute_edges[i]:g}-{hi:g} min" if math.isfinite(hi) else f"over {minute_edges[i]:g} min"
        labels.append((text, cmap(0.1 + 0.85 * i / 4)))
    minutes = engine.lsoa_mean(alt_origins["minutes"].to_numpy(float), alt_origins["population"].to_numpy(float))
    fills = [
        labels[min(int(np.searchsorted(minute_edges, m, side="right")) - 1, 4)][1] if math.isfinite(m) else "#d9d9d9"
        for m in minutes
    ]
    return "lsoa", list(engine.bundle.lsoa_values.index), fills, labels


def _equality_block(fig, c: BriefingContent, x0: float, y: float, ink: str, muted: str) -> float:
    """The compact equality table (largest differences, losing vs all) as aligned text, since a
    matplotlib table grows past its axes; returns the y below it."""
    fig.text(
        x0,
        y,
        "Equality impact: largest differences among those losing access",
        fontsize=8.5,
        weight="bold",
        va="top",
        color=ink,
    )
    columns = [
        0.0,
        0.185,
        0.325,
        0.365,
        0.405,
        0.44,
    ]  # offsets from x0: group, characteristic, all, losing, points, flag
    header = ["Group", "Characteristic", "All", "Losing", "Points", "Flag"]
    y -= 0.022
    step = 0.013
    for k, text in enumerate(header):
        fig.text(x0 + columns[k], y, text, fontsize=6.3, va="top", weight="bold", color=ink)
    for r in c.equality[:3]:  # every word, wrapped in its column (the rest of the table: page 2)
        y -= step
        cells = [
            "\n".join(textwrap.wrap(r["group"], 40)),
            "\n".join(textwrap.wrap(f"{r['table'].split(' (')[0]}, {r['census_year']}", 28)),
            percent(r["all_share"]),
            percent(r["losing_share"]),
            f"{r['difference_pp']:+.1f}",
            "over-represented" if r["over_represented"] else "no",
        ]
        for k, text in enumerate(cells):
            fig.text(x0 + columns[k], y, text, fontsize=6.3, va="top", color=ink, linespacing=1.1)
        y -= 0.0105 * (max(cell.count("\n") for cell in cells))
    y -= step + 0.004
    wrapped = textwrap.wrap(
        c.equality_note + " Flag: over-represented = at least 5 points above, and 1.2 times, the share of all.", 140
    )
    fig.text(x0, y, "\n".join(wrapped), fontsize=5.8, va="top", color=muted, linespacing=1.2)
    return y - 0.011 * len(wrapped) - 0.014


def render_briefing(
    engine,
    state: ViewState,
    out: str | Path | None = None,
    fmt: str | None = None,
    base_url: str = "http://127.0.0.1:8050/",
    today: _dt.date | None = None,
    equality: bool = False,
    store=None,
) -> bytes:
    """Render the briefing as pdf (two pages), png (the pages one under the other) or html bytes
    (and write them to ``out`` if given). With ``store`` (``geo.store.ScenarioStore``) the link
    printed is the view's short link (``view_link``)."""
    if fmt is None:
        if out is None:
            raise ScenarioError("give a format or an output file name")
        fmt = Path(out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ScenarioError(f"briefing format {fmt!r}: use .pdf, .png or .html")
    content = briefing_content(engine, state, base_url, today, equality=equality, store=store)
    data = save_pages(
        [
            lambda: _page(engine, state, content),
            lambda: notes_page(content.title, content.date, paper_sections(content), content.link),
        ],
        fmt,
        content.title,
        content.link,
        lambda svg: _html(content, svg),
    )
    if out is not None:
        Path(out).write_bytes(data)
    return data


PAGE_STYLE: dict[Any, Any] = {
    "pdf.fonttype": 42,
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    # text people typed ("$\foo$", "£5$") is text: never parsed as mathematics
    "text.parse_math": False,
}


def warm_up() -> None:
    """Draw and save one small figure in the briefings' style, so that a process forked after
    this (a background job: the options' maps, a briefing) finds matplotlib's fonts, text layout
    and PNG writer ready. The first figure of a process cost about 350 ms more than the next, and
    every forked job paid it again (``dashboard.create_app`` calls this before workers fork).

    >>> warm_up()
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    with matplotlib.rc_context(PAGE_STYLE):
        fig = plt.figure(figsize=(3, 2))
        try:
            ax = fig.add_axes((0.1, 0.1, 0.8, 0.6))
            ax.add_collection(PatchCollection([Polygon(np.array([[0, 0], [1, 0], [1, 1]]))], facecolor="#cccccc"))
            ax.scatter([0.5], [0.5], marker="D", s=12)
            ax.set_axis_off()
            fig.text(0.1, 0.9, "Needs Map 0-9", fontsize=9, weight="bold")
            fig.text(0.1, 0.8, "minutes to the nearest open site", fontsize=6.3)
            fig.legend(handles=[], title="Mean minutes", fontsize=7, frameon=False)
            fig.savefig(io.BytesIO(), format="png", dpi=72)
        finally:
            plt.close(fig)


def save_pages(draws, fmt: str, title: str, link: str, html) -> bytes:
    """Draw the pages of a briefing (``draws``: one function per page, each returning a figure)
    and save them: a PDF of as many pages, a PNG of the pages one under the other, or HTML
    (``html`` gets the pages' SVGs). matplotlib's settings change only inside
    (``rc_context``), so a briefing never alters another plot in the process."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with matplotlib.rc_context(PAGE_STYLE):
        if fmt == "pdf":
            with PdfPages(buffer, metadata={"Title": title, "Subject": link}) as pdf:
                for draw in draws:
                    fig = draw()
                    try:
                        pdf.savefig(fig)
                    finally:
                        plt.close(fig)
        elif fmt == "png":
            images = []
            for draw in draws:
                fig = draw()
                try:
                    page = io.BytesIO()
                    fig.savefig(page, format="png", dpi=PNG_DPI)
                    page.seek(0)
                    images.append(plt.imread(page))
                finally:
                    plt.close(fig)
            gap = np.ones((8, images[0].shape[1], images[0].shape[2]), images[0].dtype)
            stacked = np.concatenate([part for image in images for part in (image, gap)][:-1])
            plt.imsave(buffer, stacked, format="png")
        else:
            svgs = []
            for draw in draws:
                fig = draw()
                try:
                    svg = io.StringIO()
                    fig.savefig(svg, format="svg")
                    svgs.append(svg.getvalue())
                finally:
                    plt.close(fig)
            buffer.write(html("".join(svg[svg.index("<svg") :] for svg in svgs)).encode("utf-8"))
    return buffer.getvalue()


def qr_code(fig, link: str, rect: tuple[float, float, float, float]) -> None:
    """A QR code of ``link`` (segno, error correction M, with its quiet zone) in ``rect``
    (figure fraction: left, bottom, width, height), so a reader with a phone opens the view."""
    import segno

    matrix = np.array([list(row) for row in segno.make(link, error="m", micro=False).matrix], dtype=float)
    matrix = np.pad(matrix, 4)  # the quiet zone scanners need
    ax = fig.add_axes(rect)
    ax.imshow(1.0 - matrix, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()


def link_block(fig, link: str, label: str = "Reopen this view", x: float = 0.02, y: float = 0.012):
    """The short link that reopens the view, with its QR code, at the foot of a page."""
    height = 0.085
    width = height * PAGE_INCHES[1] / PAGE_INCHES[0]
    qr_code(fig, link, (x, y, width, height))
    fig.text(x + width + 0.006, y + height * 0.62, label + ":", fontsize=7, color="#1f2933", va="bottom", weight="bold")
    fig.text(
        x + width + 0.006, y + height * 0.35, link, fontsize=7.5, color="#0b5394", va="bottom", url=link,
        family="DejaVu Sans Mono",
    )  # fmt: skip


def notes_page(
    title: str, date: str, sections: list[tuple[str, list[str]]], link: str, link_label: str = "Reopen this view"
):
    """A briefing's continuation page: every assumption, the method and the sources in full, in
    two columns, nothing cut (text that would not fit makes the columns' type smaller)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=PAGE_INCHES)
    ink, muted = "#1f2933", "#52606d"
    fig.text(0.02, 0.962, title, fontsize=12 if len(title) <= 110 else 10, weight="bold", color="#1f3b57", va="top")
    fig.text(0.02, 0.925, f"{date} · page 2 of 2: every assumption, the method and the sources", fontsize=9,
             va="top", color=muted)  # fmt: skip
    top, floor = 0.885, 0.115
    for size, width in ((7.2, 92), (6.4, 104), (5.6, 120), (4.8, 140)):
        step = size / 72 / PAGE_INCHES[1] * 1.32  # one line, in figure fraction
        blocks = [(h, ["\n".join(textwrap.wrap(line, width)) for line in lines]) for h, lines in sections if lines]
        heights = [2.8 * step + sum(step * (t.count("\n") + 1) + step * 0.35 for t in texts) for _, texts in blocks]
        columns: list[list[tuple[str, list[str]]]] = [[]]
        used = 0.0
        for block, h in zip(blocks, heights):
            if used + h > top - floor and columns[-1]:
                columns.append([])
                used = 0.0
            columns[-1].append(block)
            used += h
        if len(columns) <= 2:
            break
    for k, column in enumerate(columns[:2]):
        x, y = 0.02 + k * 0.49, top
        for heading, texts in column:
            fig.text(x, y, heading, fontsize=size + 1.5, weight="bold", va="top", color=ink)
            y -= 2.1 * step
            for text in texts:
                fig.text(x, y, text, fontsize=size, va="top", color=ink, linespacing=1.25)
                y -= step * (text.count("\n") + 1) + step * 0.35
            y -= 0.7 * step  # space before the next heading
    link_block(fig, link, link_label)
    return fig


def _html(content, svg: str) -> str:
    from html import escape

    svg = svg[svg.index("<svg") :]
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{escape(content.title)}</title>"
        "<style>body{margin:0;font-family:system-ui,sans-serif;background:#fff}"
        ".page{max-width:1170px;margin:auto}.page svg{width:100%;height:auto}"
        "p{margin:0.5rem 1rem}</style></head><body><div class='page'>"
        f"{svg}<p>Reopen this view in the dashboard: <a href='{escape(content.link)}'>{escape(content.link)}</a></p>"
        "</div></body></html>\n"
    )


def _page(engine, state: ViewState, c: BriefingContent):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    fig = plt.figure(figsize=PAGE_INCHES)
    ink, muted = "#1f2933", "#52606d"
    # A long title (a modified scenario) gets a smaller font so it stays on one line.
    fig.text(
        0.02,
        0.962,
        c.title,
        fontsize=14 if len(c.title) <= 90 else 11 if len(c.title) <= 120 else 9,
        weight="bold",
        color="#1f3b57",
        va="top",
    )
    fig.text(0.98, 0.905, c.date, fontsize=9, ha="right", va="top", color=muted)
    fig.text(0.02, 0.905, c.subtitle, fontsize=9, color=muted, va="top")

    # Map ---------------------------------------------------------------------------
    # With the equality table, the map moves up and the table sits between it and the legend.
    ax = fig.add_axes((0.015, 0.275, 0.49, 0.585) if c.equality else (0.015, 0.16, 0.49, 0.70))
    ax.set_axis_off()
    ax.set_aspect("equal")
    bundle = engine.bundle
    alt = engine.coverage(scenario_of(engine, state, "alt"), **threshold_kwargs(state))
    level, codes, fills, legend_classes = _map_classes(engine, state, alt.origins)
    ward_set = engine.ward_sets[engine.check_ward_set(state.get("wards"))]
    layer = {"lsoa": bundle.lsoas, "lsoa_current": getattr(bundle.current_lsoas, "wards", None)}.get(
        level, ward_set.wards
    )
    layer = layer.set_index("code").to_crs(bundle.projected_crs)
    _draw_polygons(ax, [layer.geometry[c_] for c_ in codes], fills, width=0.6 if level == "ward" else 0.2)
    # Outlines and names of the chosen ward set, so a councillor finds their own ward.
    wards = ward_set.wards.to_crs(bundle.projected_crs)
    _draw_polygons(ax, list(wards.geometry), ["none"] * len(wards), edge="#333333", width=0.7)
    for name, geom in zip(wards["name"], wards.geometry):
        point = geom.representative_point()
        ax.annotate(
            "\n".join(textwrap.wrap(name, 12)),
            (point.x, point.y),
            ha="center",
            va="center",
            fontsize=5,
            color="#3e4c59",
            style="italic",
            zorder=4,
            bbox=dict(boxstyle="round,pad=0.08", fc="white", ec="none", alpha=0.55),
        )
    minx, miny, maxx, maxy = wards.total_bounds
    ax.set_xlim(minx - 300, maxx + 300)
    ax.set_ylim(miny - 300, maxy + 300)
    comparison = scenario_of(engine, state, "cmp")
    statuses = engine.site_statuses(alt.scenario, comparison)
    open_ids = {s for s, status in statuses.items() if status in ("open", "opens")}
    role_labels = bundle.manifest["layers"]["sites"].get("roles", {})
    labels: list[tuple[float, float, str, bool]] = []  # x, y, text, open
    for site, row in bundle.located_sites.iterrows():
        # paper shows what is open and what closes against the comparison; a site in neither
        # scenario (a proposed hub in today's network) is not drawn at all
        if statuses[site] not in ("open", "opens", "closes"):
            continue
        marker, colour = ROLE_MARKERS.get(row["role"], ("o", "#56B4E9")) if site in open_ids else CLOSED_MARKER
        size = 120 if marker == "*" else 30
        ax.scatter(
            row["x"],
            row["y"],
            marker=marker,
            s=size,
            c=colour,
            edgecolors="white" if marker != "x" else None,
            linewidths=0.6,
            zorder=5,
        )
        # sites that close are named too, so a reader knows which centre the cross is
        text = _short(row["name"]) if site in open_ids else f"{_short(row['name'])} (closes)"
        labels.append((row["x"], row["y"], text, site in open_ids))
    for added in list(alt.scenario.added) + [m for _, m in alt.scenario.moved]:
        x, y = engine.locate_added(added)
        ax.scatter(x, y, marker=ADDED_MARKER[0], s=45, c=ADDED_MARKER[1], edgecolors="black", linewidths=0.5, zorder=6)
        labels.append((x, y, added.label, True))
    place_labels(ax, labels, ink)
    ax.set_title("\n".join(textwrap.wrap(c.map_title, 85)), fontsize=8.5, loc="left", color=ink)
    handles: list[Any] = [Patch(facecolor=col, edgecolor="#999", label=lab) for lab, col in legend_classes]
    handles += [
        Line2D(
            [],
            [],
            marker=ROLE_MARKERS[r][0],
            color="none",
            markerfacecolor=ROLE_MARKERS[r][1],
            markeredgecolor="white",
            markersize=8 if r == "proposed_hub" else 6,
            label=role_labels.get(r, r),
        )
        for r in ROLE_MARKERS
        if r in set(bundle.sites["role"])
    ]
    handles += [
        *(
            [
                Line2D(
                    [],
                    [],
                    marker="x",
                    color=CLOSED_MARKER[1],
                    linestyle="none",
                    markersize=5,
                    label=f"Closes (open in {comparison.label})",
                )
            ]
            if comparison is not None and "closes" in statuses.values()
            else []
        ),
        Line2D(
            [],
            [],
            marker="^",
            color="none",
            markerfacecolor=ADDED_MARKER[1],
            markeredgecolor="black",
            markersize=6,
            label="Added or moved",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.015, 0.075),
        ncol=3,
        fontsize=6.5,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.0,
    )

    # Headline figures ---------------------------------------------------------------------
    x0, width, gap = 0.52, 0.46, 0.006
    n = len(c.headlines)
    box_w = min((width - gap * (n - 1)) / n, 0.11)
    for i, (label, count, pct) in enumerate(c.headlines):
        bx = x0 + i * (box_w + gap)
        highlight = label.startswith("Losing")
        fig.add_artist(
            Rectangle(
                (bx, 0.742),
                box_w,
                0.138,
                transform=fig.transFigure,
                facecolor="#fff3cd" if highlight else "#f1f4f8",
                edgecolor="#c9d2dc",
                linewidth=0.6,
            )
        )
        chars = int(box_w * PAGE_INCHES[0] * 72 / (6.3 * 0.58))  # characters that fit the box at 6.3 pt
        fig.text(bx + 0.005, 0.872, "\n".join(textwrap.wrap(label, chars)), fontsize=6.3, va="top", color=muted)
        fig.text(bx + 0.005, 0.811, count, fontsize=14, weight="bold", color="#1f3b57", va="bottom")
        fig.text(bx + 0.005, 0.806, "\n".join(textwrap.wrap(pct, chars)), fontsize=6.3, va="top", color=ink)

    # Scenario in plain words --------------------------------------------------------------
    y = 0.728
    fig.text(
        x0,
        y,
        "About this figure" if c.kind == "needs" else "The scenario",
        fontsize=8.5,
        weight="bold",
        va="top",
        color=ink,
    )
    y -= 0.022
    notes = c.scenario_lines + [
        f"Assumption: {a}"
        for a in c.assumptions  # the method's own assumptions are under Method
    ]
    if len(notes) > MAX_NOTES:  # page 1 has room for so much; page 2 has them all
        notes = notes[: MAX_NOTES - 1] + [f"{len(notes) - MAX_NOTES + 1} more lines on the scenario: page 2."]
    for line in notes:
        wrapped = textwrap.wrap(line, 105, max_lines=3, placeholder=" ... (in full on page 2)")
        fig.text(x0, y, "\n".join(wrapped), fontsize=6.6, va="top", color=ink, linespacing=1.3)
        y -= 0.0165 * len(wrapped) + 0.004

    # Charts start below the scenario text, however long it is.
    top = min(0.598, y - 0.008)

    if c.kind == "needs":
        _ranked_block(fig, c, x0, top, ink)
    else:
        _access_blocks(fig, c, x0, top, ink, muted)
    _method_and_link(fig, c, x0, top, ink, muted)
    return fig


def _ranked_block(fig, c: BriefingContent, x0: float, top: float, ink: str) -> None:
    """Needs briefings: the areas with the greatest need (or highest values), with their values."""
    fig.text(x0, top, c.ranked_title, fontsize=8.5, weight="bold", va="top", color=ink)
    y = top - 0.024
    for rank, (name, value) in enumerate(c.ranked, start=1):
        fig.text(x0, y, f"{rank}. {name}", fontsize=7, va="top", color=ink)
        fig.text(x0 + 0.25, y, value, fontsize=7, va="top", color=ink)
        y -= 0.0175


def _access_blocks(fig, c: BriefingContent, x0: float, top: float, ink: str, muted: str) -> None:
    """Access briefings: coverage by deprivation and the wards with the largest loss."""
    if c.decile_label:
        _decile_chart(fig, c, x0, top, ink)
    _wards_block(fig, c, x0, top, ink, muted)


def _decile_chart(fig, c: BriefingContent, x0: float, top: float, ink: str) -> None:
    """Coverage by deprivation decile (only when the bundle has a deprivation measure)."""
    cax = fig.add_axes([x0 + 0.035, top - 0.198, 0.20, 0.15])
    deciles = [r["decile"] for r in c.deciles]
    xs = np.arange(len(deciles))
    if c.base_label is not None:
        cax.bar(xs - 0.2, [100 * (r["base_share"] or 0) for r in c.deciles], 0.4, color="#9aa5b1", label=c.base_label)
        cax.bar(xs + 0.2, [100 * (r["alt_share"] or 0) for r in c.deciles], 0.4, color="#0072B2", label=c.alt_label)
    else:
        cax.bar(xs, [100 * (r["alt_share"] or 0) for r in c.deciles], 0.6, color="#0072B2", label=c.alt_label)
    cax.set_xticks(xs, [str(d_) for d_ in deciles], fontsize=6.5)
    cax.set_ylim(0, 100)
    cax.set_ylabel("% within reach", fontsize=6.5)
    cax.set_xlabel(c.decile_label, fontsize=6.5)
    cax.tick_params(labelsize=6.5)
    cax.spines[["top", "right"]].set_visible(False)
    cax.legend(fontsize=6, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2)
    fig.text(x0, top, "Coverage by deprivation", fontsize=8.5, weight="bold", va="top", color=ink)


def _wards_block(fig, c: BriefingContent, x0: float, top: float, ink: str, muted: str) -> None:
    """The five wards with the largest loss."""
    wx = x0 + 0.27
    fig.text(wx, top, "Wards with the largest loss", fontsize=8.5, weight="bold", va="top", color=ink)
    if c.top_wards:
        header = ["Ward", "Losing", "Before", "After"]
        rows = [[w["ward"], w["losing"], w["before"], w["after"]] for w in c.top_wards]
        tax = fig.add_axes([wx, top - 0.198, 0.19, 0.17])
        tax.set_axis_off()
        table = tax.table(
            cellText=rows,
            colLabels=header,
            loc="upper left",
            cellLoc="left",
            colLoc="left",
            colWidths=[0.40, 0.2, 0.2, 0.2],
        )
        table.auto_set_font_size(False)
        table.set_fontsize(6.8)
        table.scale(1, 1.35)
        for (r, _), cell in table.get_celld().items():
            cell.set_edgecolor("#d5dbe1")
            if r == 0:
                cell.set_text_props(weight="bold")
    else:
        fig.text(
            wx,
            top - 0.028,
            "No ward loses access in this comparison." if c.base_label else "Choose a comparison to see losses.",
            fontsize=7,
            va="top",
            color=muted,
        )


def _method_and_link(fig, c: BriefingContent, x0: float, top: float, ink: str, muted: str) -> None:
    """The foot of page 1: the equality table when asked for, where the rest is, and the link."""
    if c.equality:
        _equality_block(fig, c, 0.02, 0.268, ink, muted)
    fig.text(
        x0,
        0.125,
        "Every assumption, the method and the sources in full: page 2.",
        fontsize=7.5,
        va="top",
        color=ink,
        weight="bold",
    )
    link_block(fig, c.link, x=x0)
    return fig


def place_labels(ax, labels: list[tuple[float, float, str, bool]], ink: str, size: float = 6.0) -> None:
    """Site names beside their markers, moved apart until none overprints another or a marker
    (adjustText), each joined to its marker by a thin line when moved. ``labels``: x, y, text,
    and whether the site is open (a closing site's name is greyer)."""
    from adjustText import adjust_text

    if not labels:
        return
    texts = [
        ax.text(
            x,
            y,
            text,
            fontsize=size if is_open else size * 0.85,
            color=ink if is_open else "#52606d",
            zorder=6,
            bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.8),
        )
        for x, y, text, is_open in labels
    ]
    xs, ys = [x for x, *_ in labels], [y for _, y, *_ in labels]
    adjust_text(
        texts,
        x=xs,
        y=ys,
        ax=ax,
        expand=(1.15, 1.35),
        arrowprops=dict(arrowstyle="-", color="#7b8794", lw=0.4),
        iter_lim=400,
    )
    # a name that still reaches past the map's edge (the page's edge, near a border) is moved in
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    to_data = ax.transData.inverted()
    for text in texts:
        box = text.get_window_extent(renderer)
        dx = max(frame.x0 - box.x0, 0.0) - max(box.x1 - frame.x1, 0.0)
        dy = max(frame.y0 - box.y0, 0.0) - max(box.y1 - frame.y1, 0.0)
        if dx or dy:
            x, y = ax.transData.transform(text.get_position())
            text.set_position(to_data.transform((x + dx, y + dy)))


def paper_sections(c: BriefingContent) -> list[tuple[str, list[str]]]:
    """What page 2 holds: the scenario, its assumptions, the method and the sources, in full."""
    return [
        ("The scenario", c.scenario_lines),
        ("Assumptions", c.assumptions),
        (
            "Equality: the largest differences among those losing access",
            [
                f"{r['group']} ({r['table'].split(' (')[0]}, Census {r['census_year']}): {percent(r['losing_share'])} of "
                f"those losing access, {percent(r['all_share'])} of all ({r['difference_pp']:+.1f} points)"
                + ("; over-represented." if r["over_represented"] else ".")
                for r in c.equality
            ],
        ),
        ("Equality: how it is estimated", [c.equality_note] if c.equality_note else []),
        ("Method", c.method),
        ("Sources and attribution", c.sources),
    ]


def link_footer(fig, link: str, lines: list[str] | None = None) -> None:
    """The link that reopens the view, at the foot of a briefing page (a live link in the PDF)."""
    lines = lines or textwrap.wrap(link, 210, break_on_hyphens=False)
    fig.text(
        0.02, 0.012, "\n".join(lines), fontsize=5.8, color="#0b5394", va="bottom", url=link, family="DejaVu Sans Mono"
    )
