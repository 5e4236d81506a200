"""The options briefing (two A4 pages, PDF, PNG or HTML): the appraisal table and a small map per
option, minutes to the nearest open site by LSOA on one colour scale, so the options can be
compared at a glance. Made by ``python -m geo appraise --out`` and the Options page."""

from __future__ import annotations

import datetime as _dt
import math
import textwrap
from pathlib import Path

import numpy as np

from geo.appraisal import Appraisal, Option
from geo.errors import ScenarioError
from geo.formatting import NO_FIGURE, minutes, people, percent, signed
from geo.reports.briefing import FORMATS, PAGE_INCHES, ROLE_MARKERS, _draw_polygons, notes_page, qr_code, save_pages
from geo.viewstate import threshold_text


def table_rows(appraisal: Appraisal) -> list[list[str]]:
    """The table as text, one row per option (also the HTML version's table).

    >>> from geo.appraisal import appraise, preset
    >>> a = appraise(engine, [preset(engine, "current_2020"), preset(engine, "proposed_2020")])
    >>> table_rows(a)[1][:3]
    ['Proposed (2020)', '4', '6,568 (38.2%)']
    """
    rows = []
    for r in appraisal.rows:
        low_high = r["covered_range"]
        rows.append(
            _shown(
                appraisal,
                [
                    r["label"] + (" (baseline)" if r["is_baseline"] else ""),
                    str(r["open_sites"]),
                    f"{people(r['covered'])} ({percent(r['share_covered'])})",
                    NO_FIGURE if low_high is None else f"{people(low_high[0])}-{people(low_high[1])}",
                    signed(r["change_vs_baseline"]),
                    people(r["losing_access"]),
                    percent(r["losing_most_deprived_20pct_share"]),
                    minutes(r["mean_minutes"]),
                    f"{_short(r['busiest_site'])}: {people(r['busiest_site_population'])}"
                    if r["busiest_site"]
                    else NO_FIGURE,
                    people(r["beyond_capacity"]) if r["beyond_capacity"] is not None else "unknown",
                ],
            )
        )
    return rows


HEADERS = [
    "Option",
    "Open sites",
    "Within reach",
    "Range (travel model)",
    "Change",
    "Losing access",
    "of them most deprived 20%",
    "Mean minutes",
    "Busiest site (nearest for)",
    "Beyond capacity",
]


DEPRIVATION_COLUMN = HEADERS.index("of them most deprived 20%")


def _shown(appraisal: Appraisal, cells: list) -> list:
    """The cells (or headers, or widths) of the columns shown: no deprivation column for a
    bundle with no deprivation measure (never an invented 0%)."""
    return cells if appraisal.deprivation else cells[:DEPRIVATION_COLUMN] + cells[DEPRIVATION_COLUMN + 1 :]


def headers(appraisal: Appraisal) -> list[str]:
    """The table's column headers for this appraisal (``table_rows`` gives its cells)."""
    return _shown(appraisal, HEADERS)


def _short(name: str | None) -> str:
    return (name or "").split(" (")[0]


def render_options_briefing(
    engine,
    appraisal: Appraisal,
    options: list[Option],
    out: str | Path | None = None,
    fmt: str | None = None,
    links: dict[str, str] | None = None,
    today: _dt.date | None = None,
    **travel,
) -> bytes:
    """The options briefing as pdf, png or html bytes (written to ``out`` when given).
    ``links`` maps an option name to the link that reopens it; ``travel`` as for the appraisal."""
    if fmt is None:
        if out is None:
            raise ScenarioError("give a format or an output file name")
        fmt = Path(out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ScenarioError(f"options briefing format {fmt!r}: use .pdf, .png or .html")
    today = today or _dt.date.today()
    by_time = appraisal.threshold.get("minutes")
    limit = threshold_text(  # the journey in the bundle's words, as on the dashboard
        engine,
        {
            "unit": "minutes" if by_time is not None else "km",
            "mode": appraisal.mode,
            "threshold": by_time if by_time is not None else appraisal.threshold["km"],
        },
    )
    baseline = next(r["label"] for r in appraisal.rows if r["is_baseline"])
    title = f"Options appraisal: {len(options)} options against {baseline}"
    subtitle = f"{appraisal.population_label} within {limit} of an open site, {engine.bundle.area_name}"
    links = links or {}

    def draw():
        return _page(engine, appraisal, options, title, subtitle, today, links, travel)

    def draw_links():
        return _links_page(engine, options, title, today, links, travel)

    def html(svg: str) -> str:
        from html import escape

        head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in headers(appraisal))
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table_rows(appraisal)
        )
        link_items = "".join(
            f"<li>{escape(o.label)}: <a href='{escape(links[o.name])}'>{escape(links[o.name])}</a></li>"
            for o in options
            if o.name in links
        )
        return (
            f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            "<style>body{margin:0;font-family:system-ui,sans-serif}.page{max-width:1170px;margin:auto}"
            ".page svg{width:100%;height:auto}table{border-collapse:collapse;margin:1rem}"
            "td,th{border:1px solid #ccc;padding:0.2rem 0.4rem;font-size:0.85rem}</style></head><body>"
            f"<div class='page'>{svg}<table><caption>{escape(title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><ul>{link_items}</ul></div></body></html>\n"
        )

    data = save_pages([draw, draw_links], fmt, title, next(iter(links.values()), ""), html)
    if out is not None:
        Path(out).write_bytes(data)
    return data


def _draw_map(ax, engine, option: Option, travel: dict, geoms, wards, edges, colours) -> None:
    """One option's map: LSOAs coloured by mean minutes to the nearest open site, ward outlines,
    the open sites (added or moved ones as diamonds)."""
    bundle = engine.bundle
    # no ticks at all (the axes are hidden): else placing the title made ~200 tick objects per map,
    # a quarter of the drawing time
    ax.set_xticks([])
    ax.set_yticks([])
    ev = engine.evaluate(option.scenario, **travel)
    minutes = engine.lsoa_mean(ev.minutes, ev.population)
    fills = [
        colours[min(int(np.searchsorted(edges, m, side="right")) - 1, 4)] if math.isfinite(m) else "#d9d9d9"
        for m in minutes
    ]
    _draw_polygons(ax, geoms, fills, width=0.15)
    _draw_polygons(ax, list(wards.geometry), ["none"] * len(wards), edge="#333333", width=0.4)
    open_ids = set(engine.open_site_ids(option.scenario)) - set(option.scenario.moved_map)
    by_style: dict[tuple[str, str], list[tuple[float, float]]] = {}  # one scatter per marker and colour
    for site, row in bundle.located_sites.iterrows():
        if site in open_ids:
            by_style.setdefault(ROLE_MARKERS.get(row["role"], ("o", "#56B4E9")), []).append((row["x"], row["y"]))
    for (marker, colour), points in by_style.items():
        xs, ys = zip(*points)
        ax.scatter(
            xs, ys, marker=marker, s=40 if marker == "*" else 14, c=colour, edgecolors="black", linewidths=0.4, zorder=5
        )
    placed = [engine.locate_added(where) for where in [*option.scenario.moved_map.values(), *option.scenario.added]]
    if placed:
        xs, ys = zip(*placed)
        ax.scatter(xs, ys, marker="D", s=18, c="#D55E00", edgecolors="black", linewidths=0.4, zorder=6)


def _map_scale(threshold: dict):
    from matplotlib import colormaps

    t = threshold.get("minutes") or 20.0
    edges = [0, t / 2, t, 1.5 * t, 2 * t, np.inf]
    cmap = colormaps["cividis_r"]
    classes = [
        (f"{edges[i]:g}-{edges[i + 1]:g} min" if math.isfinite(edges[i + 1]) else f"over {edges[i]:g} min")
        for i in range(5)
    ]
    return edges, classes, [cmap(0.1 + 0.85 * i / 4) for i in range(5)]


def _map_layers(engine):
    bundle = engine.bundle
    lsoas = bundle.lsoas.set_index("code").to_crs(bundle.projected_crs)
    geoms = [lsoas.geometry[c] for c in bundle.lsoa_values.index]
    wards = engine.ward_sets[engine.check_ward_set(None)].wards.to_crs(bundle.projected_crs)
    return geoms, wards


def maps_png(engine, appraisal: Appraisal, options: list[Option], **travel) -> bytes:
    """The small multiples alone, as a PNG (the Options page shows it under the table)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from geo.reports.briefing import PAGE_STYLE

    edges, classes, colours = _map_scale(appraisal.threshold)
    geoms, wards = _map_layers(engine)
    minx, miny, maxx, maxy = wards.total_bounds
    per_row = min(len(options), 3)
    n_rows = math.ceil(len(options) / per_row)
    buffer = io.BytesIO()
    with matplotlib.rc_context(PAGE_STYLE):
        fig = plt.figure(figsize=(3.6 * per_row, 3.2 * n_rows + 0.5))
        try:
            for k, option in enumerate(options):
                ax = fig.add_subplot(n_rows, per_row, k + 1)
                ax.set_axis_off()
                ax.set_aspect("equal")
                _draw_map(ax, engine, option, travel, geoms, wards, edges, colours)
                ax.set_xlim(minx - 300, maxx + 300)
                ax.set_ylim(miny - 300, maxy + 300)
                ax.set_title("\n".join(textwrap.wrap(option.label, 40)[:2]), fontsize=9)
            fig.legend(
                handles=[Patch(facecolor=c, edgecolor="none", label=t_) for c, t_ in zip(colours, classes)],
                loc="lower center",
                ncol=5,
                fontsize=8,
                frameon=False,
            )
            fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.12 / n_rows, wspace=0.05, hspace=0.15)
            fig.savefig(buffer, format="png", dpi=110)
        finally:
            plt.close(fig)
    return buffer.getvalue()


def _page(engine, appraisal: Appraisal, options: list[Option], title, subtitle, today, links, travel):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig = plt.figure(figsize=PAGE_INCHES)
    ink, muted = "#1f2933", "#52606d"
    fig.text(0.02, 0.965, title, fontsize=14, weight="bold", color="#1f3b57", va="top")
    fig.text(0.02, 0.925, subtitle, fontsize=9, color=muted, va="top")
    fig.text(0.98, 0.925, f"{today:%d %B %Y}", fontsize=9, color=muted, va="top", ha="right")

    # The table ----------------------------------------------------------------------
    rows = table_rows(appraisal)
    widths = _shown(appraisal, [0.17, 0.055, 0.095, 0.095, 0.065, 0.075, 0.09, 0.06, 0.19, 0.07])
    if not appraisal.deprivation:  # the freed width to the option names
        widths[0] += 0.09
    lefts = np.concatenate([[0.02], 0.02 + np.cumsum(widths)[:-1]])
    top = 0.885
    for x, w, header in zip(lefts, widths, headers(appraisal)):
        fig.text(
            x,
            top,
            "\n".join(textwrap.wrap(header, max(8, int(w * 150)))),
            fontsize=7,
            weight="bold",
            color=ink,
            va="top",
        )
    y = top - 0.045
    for row in rows:  # every word of every cell, wrapped: a row is as tall as its longest cell
        cells = ["\n".join(textwrap.wrap(cell, max(8, int(w * 170)))) for w, cell in zip(widths, row)]
        for x, cell in zip(lefts, cells):
            fig.text(x, y, cell, fontsize=7, color=ink, va="top", linespacing=1.15)
        y -= 0.016 + 0.0135 * max(cell.count("\n") + 1 for cell in cells)

    # Small multiples: minutes to the nearest open site, one colour scale --------------
    edges, classes, colours = _map_scale(appraisal.threshold)
    geoms, wards = _map_layers(engine)
    minx, miny, maxx, maxy = wards.total_bounds
    n = len(options)
    # bottom up: where the links are, method, legend, then the maps up to the table
    method_bottom = 0.045
    legend_bottom = method_bottom + 0.03
    maps_bottom = legend_bottom + 0.05
    map_top = y - 0.01
    per_row = n if n <= 3 else 3
    n_rows = 1 if n <= 3 else 2
    width = 0.96 / per_row
    height = (map_top - maps_bottom) / n_rows
    for k, option in enumerate(options):
        row_k, col_k = divmod(k, per_row)
        ax = fig.add_axes(
            (0.02 + col_k * width, maps_bottom + (n_rows - 1 - row_k) * height, width * 0.96, height * 0.92)
        )
        ax.set_axis_off()
        ax.set_aspect("equal")
        _draw_map(ax, engine, option, travel, geoms, wards, edges, colours)
        ax.set_xlim(minx - 300, maxx + 300)
        ax.set_ylim(miny - 300, maxy + 300)
        ax.set_title(
            "\n".join(textwrap.wrap(option.label, 34)), fontsize=8 if len(option.label) <= 68 else 6.5, color=ink
        )
    fig.legend(
        handles=[Patch(facecolor=c, edgecolor="none", label=t_) for c, t_ in zip(colours, classes)],
        loc="lower left",
        bbox_to_anchor=(0.02, legend_bottom),
        ncol=5,
        fontsize=7,
        frameon=False,
        title=f"Mean minutes to the nearest open site, by {engine.bundle.small_area.one} (open sites marked; "
        "diamonds: added or moved)",
        title_fontsize=7,
    )
    method = (
        "Nearest open located site by the bundle's travel model; every option measured with the same travel "
        "settings. Range: the travel model's 10th-90th percentile error. Change: within reach, against the baseline "
        "(those who gain access minus those who lose it). Busiest site: the largest nearest-site catchment. Beyond "
        "capacity: 'unknown' where no capacity is set; capacities set apply to every option alike. Sites without a "
        "sourced location are left out."
    )
    fig.text(0.02, method_bottom, "\n".join(textwrap.wrap(method, 230)), fontsize=6, color=muted, va="bottom")
    fig.text(
        0.02, 0.015, "Each option's link and QR code, its assumptions, the method and the sources: page 2.",
        fontsize=7.5, color=ink, va="bottom", weight="bold",
    )  # fmt: skip
    return fig


def _links_page(engine, options: list[Option], title: str, today, links: dict[str, str], travel: dict):
    """Page 2: every option's full name, short link and QR code, then its assumptions, the
    method and the sources (``notes_page`` with a row of QR codes across its foot)."""
    bundle = engine.bundle
    mode = travel.get("mode") or engine.default_mode
    sections = [
        (
            "Options and their links",
            [f"{k}. {o.label}: {links.get(o.name, 'no link')}" for k, o in enumerate(options, 1)],
        )
    ]
    for k, option in enumerate(options, 1):
        items = engine.assumption_items(option.scenario, mode, engine.detour_name, engine.default_population)
        sections.append((f"{k}. {option.label}: assumptions", [a.text for a in items if a.kind not in ("travel_mode",
                         "route_model", "origins")] or ["None beyond the method."]))  # fmt: skip
    sections.append(("Method", [a.text for a in items if a.kind in ("travel_mode", "route_model", "origins")]))
    sections.append(
        (
            "Sources and attribution",
            [f"Area: {bundle.area_name}. {bundle.manifest['area'].get('vintage', '')}"]
            + list(bundle.manifest["area"].get("attribution", [])),
        )
    )
    first = next(iter(links.values()), "")
    fig = notes_page(title, f"{today:%-d %B %Y}", sections, first, "1. Reopen option 1")
    # a QR code for every option after the first (whose code is the page's own, bottom left)
    size = 0.085
    width = size * PAGE_INCHES[1] / PAGE_INCHES[0]
    for k, option in enumerate(options[1:], 2):
        if option.name in links:
            x = 0.36 + (k - 2) * 0.125
            qr_code(fig, links[option.name], (x, 0.012, width, size))
            fig.text(x + width + 0.004, 0.05, f"{k}.", fontsize=9, weight="bold", va="center")
    return fig
