"""Access and scenarios page: site scenario controls, coverage map, headline figures,
charts with text alternatives, and tables.

Access page updates for a scenario change:

* ``access_map_update``: the map and headline figures (the fast path: per-origin arrays
  from ``Engine.evaluate``, a Patch of values and colours), returned by the state callback
  in the same response as the click;
* ``access_detail_update``: the charts and tables (full coverage results, Patches for the
  charts), a callback of its own that follows.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, ctx, dcc, html

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
from dashboard.layouts import equality, optimise, saved
from dashboard.layouts.common import MAP_CONFIG, examples, labelled, legend, stat_card, ward_finder
from dashboard.links import csv_name, page_link
from dashboard.tables import plain_table, table_block, table_outputs, table_shown, table_update
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


def site_groups(engine) -> dict[str, list[dict]]:
    roles = engine.bundle.manifest["layers"]["sites"].get("roles", {})
    groups: dict[str, list[dict]] = {}
    for site, row in engine.bundle.sites.iterrows():
        group = row["group"] or roles.get(row["role"], row["role"])
        note = "" if row["located"] else " (no location: not counted)"
        groups.setdefault(group, []).append({"label": f" {row['name']}{note}", "value": site})
    return groups


def checklist_values(engine, open_ids: list[str], groups: dict) -> list[list[str]]:
    return [[o["value"] for o in opts if o["value"] in open_ids] for opts in groups.values()]


def layout(engine, state, figure, legend_items, open_ids, charts) -> html.Div:
    example = examples(engine)  # placeholders from the bundle's own ward, postcode and point
    scen_opts = [{"label": s["label"], "value": k} for k, s in engine.bundle.scenarios.items()]
    groups = site_groups(engine)
    values = checklist_values(engine, open_ids, groups)
    checklists = [
        html.Fieldset(
            [
                html.Legend(group, className="small fw-semibold mb-1 mt-2"),
                dbc.Checklist(
                    options=opts, value=val, id={"type": ids.SITE_CHECKLIST, "group": group}, className="small"
                ),
            ]
        )
        for (group, opts), val in zip(groups.items(), values)
    ]
    # Sites whose placement is an assumption (e.g. a hub "to be agreed"), then sites with no sourced location.
    placeable = engine.placeable_sites() + [
        {"site": s, "name": f"{engine.site_label(s)} (no sourced location)"} for s in engine.bundle.unlocated_site_ids
    ]
    candidates = [
        {"label": f"{r['name']} ({r['postcode']})", "value": f"{r['name'][:60]}@{r['postcode']}"}
        for _, r in engine.bundle.located_sites.iterrows()
    ]
    modes = [
        {"label": f"{m.label} ({m.speed_kmh:g} km/h{', assumed' if m.assumption else ''})", "value": k}
        for k, m in engine.modes.items()
    ]
    scenario_card = dbc.Card(
        dbc.CardBody(
            [
                ward_finder(engine, "access"),
                *(
                    [
                        dbc.Alert(
                            [
                                "This bundle has no sites yet. Add one with 'Add a site' below, or rebuild the "
                                "bundle with the council's register: ",
                                html.Code("python -m geo build-bundle AREA --out DIR --sites FILE.csv"),
                                " (see the README).",
                            ],
                            color="info",
                            id="no-sites-notice",
                        )
                    ]
                    if engine.bundle.sites.empty
                    else []
                ),
                html.H2("Scenario", className="h6"),
                labelled(
                    "Start from",
                    dbc.RadioItems(
                        # "none" is every bundle's empty start; a built bundle also names it
                        options=scen_opts
                        + ([] if "none" in engine.bundle.scenarios else [{"label": "No sites", "value": "none"}]),
                        value=state["base"],
                        id=ids.BASE,
                        name=ids.BASE,
                    ),
                    ids.BASE,
                ),
                html.Details(
                    [
                        html.Summary("Open or close sites", className="fw-semibold"),
                        dbc.FormText("Tick to open, untick to close; or click a site on the map."),
                        *checklists,
                    ],
                    open=False,
                    className="mb-3",
                ),
                html.Details(
                    [
                        html.Summary("Place a site", className="fw-semibold"),
                        dbc.FormText(
                            "Place a site whose location is an assumption"
                            + (
                                f" ({', '.join(p['name'].split(' (')[0] for p in engine.placeable_sites())})"
                                if engine.placeable_sites()
                                else ""
                            )
                            + ", or give an unlocated site a postcode."
                        ),
                        labelled(
                            "Site to place",
                            dbc.Select(
                                options=[{"label": p["name"], "value": p["site"]} for p in placeable],
                                value=placeable[0]["site"] if placeable else None,
                                id=ids.MOVE_SITE,
                            ),
                            ids.MOVE_SITE,
                        ),
                        labelled(
                            "Place at a candidate site",
                            dbc.Select(
                                options=[
                                    {"label": "None: use the postcode or lat,lon below", "value": ""},
                                    *candidates,
                                ],
                                placeholder="Choose a candidate site…",
                                id=ids.MOVE_WHERE,
                            ),
                            ids.MOVE_WHERE,
                        ),
                        labelled(
                            "…or a postcode or lat,lon",
                            dbc.Input(id=ids.MOVE_WHERE_TEXT, placeholder=f"e.g. {example['postcode']}", type="text"),
                            ids.MOVE_WHERE_TEXT,
                        ),
                        dbc.Button("Place", id=ids.MOVE_BUTTON, size="sm", color="primary", className="me-2"),
                        dbc.Button(
                            "Back to the default", id=ids.MOVE_RESET, size="sm", color="secondary", outline=True
                        ),
                        html.Div(id=ids.MOVE_ERROR, className="text-danger small mt-1", role="alert"),
                    ],
                    open=True,
                    className="mb-3",
                    # nothing to place (no assumed or unlocated site): the section would be an empty list
                    style=None if placeable else {"display": "none"},
                ),
                html.Details(
                    [
                        html.Summary("Site capacities (optional)", className="fw-semibold"),
                        html.P(
                            "People of the chosen population a site can serve, for this scenario. With any "
                            "capacity set, the site table shows who is served, who is in a catchment but beyond "
                            "capacity, and who is not covered. No capacities have been published for these sites.",
                            className="small text-muted mb-2",
                        ),
                        labelled(
                            "Site",
                            dbc.Select(
                                id=ids.CAP_SITE,
                                options=[
                                    {"label": row["name"].split(" (")[0], "value": site}
                                    for site, row in engine.bundle.located_sites.iterrows()
                                ],
                                placeholder="Choose a site…",
                            ),
                            ids.CAP_SITE,
                        ),
                        labelled(
                            "Capacity (people)",
                            dbc.Input(id=ids.CAP_VALUE, type="number", min=0, step=1),
                            ids.CAP_VALUE,
                        ),
                        dbc.Button("Set capacity", id=ids.CAP_SET, size="sm", color="primary", className="me-2"),
                        dbc.Button("Clear capacities", id=ids.CAP_CLEAR, size="sm", color="secondary", outline=True),
                        html.Div(id=ids.CAP_ERROR, className="text-danger small mt-1", role="alert"),
                        html.Ul(id=ids.CAP_LIST, className="small mt-2"),
                    ],
                    open=False,
                    className="mb-3",
                ),
                html.Details(
                    [
                        html.Summary("Add a site", className="fw-semibold"),
                        labelled(
                            "Name", dbc.Input(id=ids.ADD_LABEL, placeholder="e.g. New hub", type="text"), ids.ADD_LABEL
                        ),
                        labelled(
                            "Postcode or lat,lon",
                            dbc.Input(
                                id=ids.ADD_WHERE,
                                placeholder=f"e.g. {example['postcode']} or {example['point']}",
                                type="text",
                            ),
                            ids.ADD_WHERE,
                        ),
                        dbc.Button("Add site", id=ids.ADD_BUTTON, size="sm", color="primary", className="me-2"),
                        dbc.Button(
                            "Remove added sites", id=ids.CLEAR_ADDED, size="sm", color="secondary", outline=True
                        ),
                        html.Div(id=ids.ADD_ERROR, className="text-danger small mt-1", role="alert"),
                        html.Ul(id=ids.ADDED_LIST, className="small mt-2"),
                    ],
                    open=False,
                ),
            ]
        ),
        className="shadow-sm mb-3",
    )
    travel_card = dbc.Card(
        dbc.CardBody(
            [
                html.H2("Travel and comparison", className="h6"),
                labelled(
                    "Mode", dbc.RadioItems(options=modes, value=state["mode"], id=ids.MODE, name=ids.MODE), ids.MODE
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            labelled(
                                "Threshold",
                                dbc.Input(
                                    id=ids.THRESHOLD, type="number", step="any", value=state["threshold"], debounce=True
                                ),
                                ids.THRESHOLD,
                            ),
                            width=6,
                        ),
                        dbc.Col(
                            labelled(
                                "Unit",
                                dbc.Select(
                                    id=ids.THRESHOLD_UNIT,
                                    value=state["unit"],
                                    options=[{"label": "minutes", "value": "minutes"}, {"label": "km", "value": "km"}],
                                ),
                                ids.THRESHOLD_UNIT,
                            ),
                            width=6,
                        ),
                    ]
                ),
                html.Div(id=ids.THRESHOLD_ERROR, className="text-danger small mb-2 empty-hide", role="alert"),
                labelled(
                    "Population",
                    dbc.Select(
                        id=ids.POPULATION,
                        value=state["pop"],
                        options=[{"label": v, "value": k} for k, v in engine.bundle.population_fields.items()],
                    ),
                    ids.POPULATION,
                ),
                labelled(
                    "Report by wards",
                    dbc.Select(
                        id=ids.WARD_SET,
                        value=state["wards"],
                        options=[{"label": w.label, "value": k} for k, w in engine.ward_sets.items()],
                    ),
                    ids.WARD_SET,
                ),
                labelled(
                    "Compare against",
                    dbc.Select(
                        id=ids.COMPARE,
                        value=state["cmp"],
                        # "none" here means no comparison (links say cmp=none); a bundle's own
                        # "No sites" scenario (id "none") is a starting point, not a comparison
                        options=[o for o in scen_opts if o["value"] != "none"]
                        + [{"label": "No comparison", "value": "none"}],
                    ),
                    ids.COMPARE,
                ),
                labelled(
                    "Colour the map by",
                    dbc.RadioItems(
                        options=[
                            {"label": "Minutes to nearest open site", "value": "minutes"},
                            {"label": "Change against the comparison", "value": "change"},
                            {"label": "Catchments: each area's nearest open site", "value": "catchment"},
                            {"label": "Minutes added where the nearest site changes", "value": "added"},
                        ],
                        value=state["colour"],
                        id=ids.COLOUR_BY,
                        name=ids.COLOUR_BY,
                    ),
                    ids.COLOUR_BY,
                ),
            ]
        ),
        className="shadow-sm",
    )
    return html.Div(
        [
            # On a narrow screen: a one-line summary that stays in view (sticky), then the controls,
            # then the figures, so a change to the scenario shows its effect without scrolling back.
            html.Div(id=ids.HEADLINE_COMPACT, className="nm-compact d-lg-none", **{"aria-hidden": "true"}),
            dbc.Row(
                [
                    dbc.Col(
                        [scenario_card, travel_card, saved.panel(), optimise.panel(engine)],
                        lg=3,
                        md=12,
                        className="order-1 mb-3",
                    ),
                    dbc.Col(
                        [
                            html.Div(id=ids.HEADLINES, className="mb-2", **{"aria-live": "polite"}),
                            html.Div(id=ids.UNLOCATED, className="small"),
                            html.Div(id=ids.ACCESS_WARD_CARD, **{"aria-live": "polite"}),
                            legend(legend_items),
                            dcc.Graph(id=ids.ACCESS_MAP, figure=figure, config=MAP_CONFIG, className="nm-map"),
                            html.Div(id=ids.ASSUMPTIONS, className="small text-muted mb-3"),
                            dbc.Row(
                                [
                                    dbc.Col(
                                        chart_with_table(
                                            "Coverage by deprivation", ids.DECILE_CHART, charts[0], ids.DECILE_TEXT
                                        ),
                                        md=6,
                                        # a bundle with no deprivation measure shows no deprivation figure
                                        style={"display": "none"} if engine.deprivation_label is None else None,
                                    ),
                                    dbc.Col(
                                        chart_with_table(
                                            "Share within t minutes", ids.CURVE_CHART, charts[1], ids.CURVE_TEXT
                                        ),
                                        md=6,
                                    ),
                                ]
                            ),
                            html.H2("Wards", className="h6 mt-3"),
                            table_block(ids.WARD_TABLE, "Coverage by ward", filterable=True),
                            html.H2("Areas that lose access", className="h6 mt-4"),
                            table_block(ids.LOST_TABLE, "Areas that lose access", filterable=True),
                            html.H2("Sites and the families they would serve", className="h6 mt-4"),
                            html.P(
                                "Each area is counted at its nearest open site (its catchment). Capacity is shown "
                                "where the site register records one."
                                + (
                                    f" Bus stops: {engine.bundle.stops_source}; the walk is the travel model's estimated route."
                                    if engine.bundle.stops is not None
                                    else ""
                                ),
                                className="small text-muted mb-1",
                            ),
                            html.P(id=ids.SITES_CAPACITY_SUMMARY, className="small mb-1"),
                            table_block(ids.SITES_LOAD_TABLE, "Sites and the families they would serve"),
                            equality.section(engine),
                        ],
                        lg=9,
                        md=12,
                        className="order-2 mb-3",
                    ),
                ]
            ),
        ]
    )


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


def chart_with_table(title: str, chart_id: str, figure, text_id: str) -> list:
    """A chart under its heading, with its text alternative (a table) in a disclosure below it."""
    return [
        html.H2(title, className="h6"),
        dcc.Graph(id=chart_id, figure=figure, config={"displayModeBar": False}),
        html.Details([html.Summary("Chart as a table", className="small"), html.Div(id=text_id)]),
    ]


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
