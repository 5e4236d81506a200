"""Access page updates for a scenario change:

* ``access_map_update``: the map and headline figures (the fast path: per-origin arrays
  from ``Engine.evaluate``, a Patch of values and colours), returned by the state callback
  in the same response as the click;
* ``access_detail_update``: the charts and tables (full coverage results, Patches for the
  charts), a callback of its own that follows.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, ctx, html

from dashboard import ids
from dashboard.callbacks import only_when_shown
from dashboard.callbacks.catchments import site_load_data
from dashboard.callbacks.equality import equality_outputs, equality_panel
from dashboard.callbacks.ward import ward_card
from dashboard.figures import (
    ACCESS_TRACE,
    access_patch,
    access_values,
    curve_chart,
    curve_patch,
    decile_chart,
    decile_patch,
    outline_patch,
    site_styles,
    view_patch,
)
from dashboard.layouts.common import stat_card
from dashboard.links import csv_name, page_link
from dashboard.tables import plain_table, table_outputs, table_shown, table_update
from dashboard.views import (
    CURVE_GRID,
    added_points,
    csv_safe_rows,
    decile_rows,
    evaluations,
    headline,
    lost_rows,
    lsoa_added_minutes,
    lsoa_map_arrays,
    origin_header,
    scenario_outputs,
    threshold_label,
    ward_rows,
    ward_table_indicators,
)
from geo.errors import NeedsMapError
from geo.formatting import people, percent
from geo.population import lower_first
from geo.reports.briefing import uncounted_sites
from geo.results import range_bounds
from geo.viewstate import from_store

WARD_COLUMNS = [
    ("ward", "Ward"),
    ("need_index", "Need index"),
    ("population", "Population"),
    ("imd_decile_mean", "IMD decile (median over the ward's people)"),
    ("base_covered_pct", "% within: comparison"),
    ("alt_covered_pct", "% within: scenario"),
    ("losing_access", "Losing access"),
]
LOST_COLUMNS = [
    ("lsoa", "LSOA"),
    ("ward", "Ward"),
    ("population", "Population"),
    ("imd_decile", "IMD decile"),
    ("minutes_before", "Minutes before"),
    ("minutes_after", "Minutes after"),
    ("nearest_after", "Nearest open site after"),
]
CURVE_MARKS = [5, 10, 15, 20, 30, 45, 60]


def _range(h: dict, key: str, share: bool = False) -> str:
    """'range 4,184-9,982' across the travel range, or '' when the figures have none, or none
    to speak of (a figure that is 0 whatever the routes, or has no value)."""
    bounds = range_bounds(h.get("ranges", {}), key, share)
    if not bounds:
        return ""
    return f"range {bounds[0]}-{bounds[1]}"


def _lines(*parts: str):
    return [item for part in parts if part for item in (html.Br(), part)][1:]


def headline_cards(h: dict, limit: str):
    cards = [
        dbc.Col(
            stat_card(
                f"{h['alt_label']}: {h['pop_label']} within {limit}",
                people(h["alt_covered"]),
                _lines(f"{percent(h['alt_share'])} of {people(h['total'])}", _range(h, "alt_covered")),
                card_id="headline-alt",
            ),
            md=3,
        )
    ]
    if "base_label" in h:
        cards.insert(
            0,
            dbc.Col(
                stat_card(
                    f"{h['base_label']}: within {limit}",
                    people(h["base_covered"]),
                    _lines(f"{percent(h['base_share'])} of {people(h['total'])}", _range(h, "base_covered")),
                    card_id="headline-base",
                ),
                md=3,
            ),
        )
        cards.append(
            dbc.Col(
                stat_card(
                    "Losing access",
                    people(h["losing"]),
                    _lines(
                        f"{percent(h['losing_share_of_total'])} of all. Net change {h['change']:+,.0f}: "
                        f"{people(h['losing'])} lose access, {people(h['gaining'])} gain it",
                        _range(h, "losing"),
                    ),
                    colour="warning" if h["losing"] > 0 else "light",
                    card_id="headline-losing",
                ),
                md=3,
            )
        )
        if h.get("deprivation_label"):
            cards.append(
                dbc.Col(
                    stat_card(
                        "Of those, in the 20% most deprived areas",
                        people(h["losing_deprived"]),
                        _lines(
                            f"{percent(h['losing_deprived_share'])} of those losing access ({h['deprivation_label']} 1-2)",
                            _range(h, "losing_deprived_share", share=True),
                        ),
                        card_id="headline-deprived",
                    ),
                    md=3,
                )
            )
    mean = "no open site" if h["alt_mean"] != h["alt_mean"] or h["alt_mean"] == float("inf") else f"{h['alt_mean']:.1f}"
    base_mean = ""
    if "base_mean" in h and h["base_mean"] not in (float("inf"),):
        base_mean = f" (comparison {h['base_mean']:.1f})"
    note = _range_note(h)
    return html.Div(
        [
            dbc.Row(cards, className="g-2"),
            html.P(
                f"Mean minutes to the nearest open site: {mean}{base_mean}. {note}",
                className="small mt-1 mb-0",
                id="headline-mean",
            ),
        ]
    )


def _range_note(h: dict) -> str:
    factors = h.get("range_factors")
    if not factors:
        return "No range: straight-line distances." if not h.get("ranges") else ""
    return (
        f"Ranges show the same figures with every route {factors[0]:.2f} to {factors[1]:.2f} times as long: "
        "the travel model's error against official road distances (see About the data)."
    )


def unlocated_note(engine, alt, base):
    """Words next to the figures naming open sites that are not counted (no sourced location),
    in the scenario and in its comparison."""
    # one sentence for sites missing in both (the briefings' own words: geo.reports.briefing.uncounted_sites)
    parts = uncounted_sites(engine, (None if base is None else base.scenario, alt.scenario))
    if not parts:
        return None
    return dbc.Alert(
        [
            html.B("Not in these figures: "),
            " ".join(parts),
            " Give one a postcode with 'Place a site'.",
        ],
        color="secondary",
        className="py-2 small mb-2",
    )


def access_map_update(engine, view: dict, sites, role_labels, assets=None):
    """Map patch, headline cards, unlocated-site note, assumptions and the compact summary (the
    sticky line a phone keeps in view while the controls are changed) for a view."""
    try:
        alt, base = evaluations(engine, view)
        added = added_points(engine, view)
    except NeedsMapError as exc:
        return (
            Patch(),
            dbc.Alert(f"This scenario cannot be evaluated: {exc}", color="danger"),
            None,
            None,
            "This scenario cannot be evaluated.",
        )
    limit = threshold_label(view, engine)
    statuses = engine.site_statuses(alt.scenario, None if base is None else base.scenario)
    added_minutes = lsoa_added_minutes(engine, alt, base) if view["colour"] == "added" else None
    neighbours = assets.lsoa_neighbours if assets is not None else None
    values = access_values(*lsoa_map_arrays(engine, alt, base), view["colour"], limit, added_minutes, neighbours)
    patch = access_patch(
        Patch(),
        values,
        site_styles(sites, statuses, role_labels, values.get("numbers")),
        added,
        tiles=view.get("tiles", False),
    )
    if assets is not None:  # ward names, the found ward's extent, the chosen ward set's outlines
        view_patch(
            patch,
            assets.labels(view),
            assets.extent(engine, view),
            view.get("tiles", False),
            names_index=ACCESS_TRACE["ward_names"],
        )
        outline_patch(
            patch,
            list(engine.ward_sets),
            view["wards"],
            {k: w.codes for k, w in engine.ward_sets.items()},
            view.get("ward"),
        )
    unlocated = unlocated_note(engine, alt, base)
    notes = engine.assumptions(alt.scenario, alt.mode, alt.detour, alt.population_field)
    assumptions = html.Div([html.B("Assumptions: "), html.Ul([html.Li(a) for a in notes], className="mb-0")])
    h = headline(engine, view, alt, base)
    return patch, headline_cards(h, limit), unlocated, assumptions, compact_summary(h, limit)


def compact_summary(h: dict, limit: str) -> str:
    """One line: the scenario's figure and, with a comparison, those losing access."""
    line = f"{h['alt_label']}: {people(h['alt_covered'])} ({percent(h['alt_share'])}) within {limit}"
    if "base_label" in h:
        line += f" · losing access {people(h['losing'])}"
    return line


def access_detail_update(engine, view: dict, link: str | None = None, whole_charts: bool = False):
    """Chart patches (``whole_charts``: whole figures, for charts not drawn yet), tables and
    text alternatives for a view."""
    try:
        out = scenario_outputs(engine, view)
    except NeedsMapError:
        empty = {"columns": [], "rows": [], "empty": "This scenario cannot be evaluated (see the message above)."}
        return Patch(), Patch(), empty, empty, None, None  # the map callback shows the message
    alt = out["alt"]
    rows, base_label = decile_rows(out)
    threshold = view["threshold"] if view["unit"] == "minutes" else None
    if whole_charts:
        decile = decile_chart(rows, base_label, alt.scenario_label, engine.deprivation_label or "")
        curve = curve_chart(CURVE_GRID, out["base_curve"], out["alt_curve"], base_label, alt.scenario_label, threshold)
    else:
        decile = decile_patch(Patch(), rows, base_label, alt.scenario_label)
        curve = curve_patch(Patch(), out["base_curve"], out["alt_curve"], base_label, alt.scenario_label, threshold)
    # text alternatives of the two charts: one block of HTML each (a component per cell was a
    # third of this callback's server time)
    decile_text = plain_table(
        [engine.deprivation_label or "Deprivation decile", base_label or "", alt.scenario_label],
        [[r["decile"], percent(r["base_share"]) if base_label else "", percent(r["alt_share"])] for r in rows],
        "Share within the threshold by IMD decile",
    )
    base_curve = out["base_curve"]
    curve_text = plain_table(
        ["Within"] + ([base_label] if base_label else []) + [alt.scenario_label],
        [
            [f"{m} min"] + ([percent(base_curve[m])] if base_label else []) + [percent(out["alt_curve"][m])]
            for m in CURVE_MARKS
        ],
        "Share of the population within each number of minutes",
    )
    wards = csv_safe_rows(ward_rows(engine, out, view.get("w")))
    limit = threshold_label(view, engine)
    names = {
        "population": alt.population_label,
        "ward": engine.ward_sets[alt.ward_set].label,
        "base_covered_pct": f"% within {limit}: {base_label}" if base_label else "",
        "alt_covered_pct": f"% within {limit}: {alt.scenario_label}",
        "losing_access": f"Losing access ({alt.population_label})",
    }
    extra = [
        (
            i,
            engine.bundle.indicators[i].short_label
            + (" (%)" if engine.bundle.indicators[i].unit.startswith("share") else ""),
        )
        for i in ward_table_indicators(engine)
    ]
    ward_cols = [
        {"name": names.get(i) or n, "id": i}
        for i, n in WARD_COLUMNS[:4] + extra + WARD_COLUMNS[4:]
        if wards and i in wards[0]
    ]
    lost = csv_safe_rows(lost_rows(engine, out))
    headers = {"population": alt.population_label, "lsoa": origin_header(engine)}
    headers["imd_decile"] = engine.deprivation_name or ""
    # no deprivation measure, no deprivation column
    lost_cols = [
        {"name": headers.get(i, n), "id": i}
        for i, n in LOST_COLUMNS
        if i != "imd_decile" or engine.deprivation_name is not None
    ]
    about = csv_about(engine, view, alt, base_label, link)
    settings = f"{view['mode']}-{view['threshold']:g}{'min' if view['unit'] == 'minutes' else 'km'}"
    ward_data = {
        "columns": ward_cols,
        "rows": wards,
        "csv": {
            "filename": csv_name("wards", alt.scenario_label, f"vs-{base_label}" if base_label else "", settings),
            "about": about,
        },
    }
    lost_data = {
        "columns": lost_cols if lost else [],
        "rows": lost,
        "empty": "No area loses access in this comparison."
        if base_label
        else "Choose a comparison ('Compare against') to see the areas that lose access.",
        "csv": {
            "filename": csv_name("losing-access", alt.scenario_label, f"vs-{base_label}", settings),
            "about": about,
        },
    }
    return decile, curve, ward_data, lost_data, decile_text, curve_text


def csv_about(engine, view: dict, alt, base_label: str | None, link: str | None) -> list[str]:
    """The header block of the Access page's CSV files: scenario, settings, population, data, link."""
    bundle = engine.bundle
    lines = [
        f"Needs Map ({bundle.area_name}): {alt.scenario_label}"
        + (f" compared with {base_label}" if base_label else ""),
        f"Open sites: {', '.join(engine.site_label(s) for s in alt.open_sites)}",
        f"Threshold: {threshold_label(view, engine)}; population: {lower_first(alt.population_label)}; "
        f"wards: {engine.ward_sets[alt.ward_set].label}",
        f"Travel model: {engine.travel_description(engine.detour_name)}",
        f"Data: {bundle.manifest['area'].get('vintage', '')}",
    ]
    if link:
        lines.append(f"Link: {link}")
    return lines


def register(app, engine, store=None) -> None:
    # The map and headline figures are updated by the state callback (callbacks/state.py), in
    # the same response as the click; this one callback fills every other panel of the page
    # after it (charts, tables rendered as shown, site loads, the ward card, the equality
    # section), so that a click is two requests, whatever the page holds.
    equality = bool(engine.bundle.equality_tables)  # the section exists only then
    outputs: dict = {
        "decile": Output(ids.DECILE_CHART, "figure"),
        "curve": Output(ids.CURVE_CHART, "figure"),
        "decile_text": Output(ids.DECILE_TEXT, "children"),
        "curve_text": Output(ids.CURVE_TEXT, "children"),
        "wards": table_outputs(ids.WARD_TABLE),
        "lost": table_outputs(ids.LOST_TABLE),
        "sites": table_outputs(ids.SITES_LOAD_TABLE),
        "capacity": Output(ids.SITES_CAPACITY_SUMMARY, "children"),
        "ward_card": Output(ids.ACCESS_WARD_CARD, "children"),
    }
    states: dict = {
        "full_state": State(ids.STATE, "data"),
        "wards": table_shown(ids.WARD_TABLE),
        "lost": table_shown(ids.LOST_TABLE),
        "sites": table_shown(ids.SITES_LOAD_TABLE),
    }
    if equality:
        outputs["equality"] = equality_outputs()
        states["equality_table"] = State(ids.EQUALITY_TABLE, "value")

    @app.callback(
        output=outputs,
        inputs={"view": Input(ids.ACCESS_VIEW, "data"), "page": Input(ids.PAGE_VIEW, "data")},
        state=states,
        prevent_initial_call=True,
    )
    def update_panels(view, page, full_state, wards, lost, sites, equality_table=None):
        only_when_shown(page, "access")
        state, _ = from_store(engine, view)  # the store may have been tampered with
        # the page has just been shown: the charts may not be drawn yet (the layout starts them empty)
        shown = any(p.startswith(ids.PAGE_VIEW + ".") for p in ctx.triggered_prop_ids)
        decile, curve, ward_data, lost_data, decile_text, curve_text = access_detail_update(
            engine, state, page_link(engine, full_state, store), whole_charts=shown
        )
        site_data, capacity = site_load_data(engine, state)
        out = {
            "decile": decile,
            "curve": curve,
            "decile_text": decile_text,
            "curve_text": curve_text,
            "wards": table_update(ids.WARD_TABLE, ward_data, wards),
            "lost": table_update(ids.LOST_TABLE, lost_data, lost),
            "sites": table_update(ids.SITES_LOAD_TABLE, site_data, sites),
            "capacity": capacity,
            "ward_card": ward_card(engine, state),
        }
        if equality:
            out["equality"] = equality_panel(engine, state, equality_table)
        return out
