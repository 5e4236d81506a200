"""Access and scenarios page: site scenario controls, coverage map, headline figures,
charts with text alternatives, and tables."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.layouts import equality, optimise, saved
from dashboard.layouts.common import MAP_CONFIG, examples, labelled, legend, ward_finder
from dashboard.tables import table_block


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
                                        [
                                            html.H2("Coverage by deprivation", className="h6"),
                                            dcc.Graph(
                                                id=ids.DECILE_CHART, figure=charts[0], config={"displayModeBar": False}
                                            ),
                                            html.Details(
                                                [
                                                    html.Summary("Chart as a table", className="small"),
                                                    html.Div(id=ids.DECILE_TEXT),
                                                ]
                                            ),
                                        ],
                                        md=6,
                                        # a bundle with no deprivation measure shows no deprivation figure
                                        style={"display": "none"} if engine.deprivation_label is None else None,
                                    ),
                                    dbc.Col(
                                        [
                                            html.H2("Share within t minutes", className="h6"),
                                            dcc.Graph(
                                                id=ids.CURVE_CHART, figure=charts[1], config={"displayModeBar": False}
                                            ),
                                            html.Details(
                                                [
                                                    html.Summary("Chart as a table", className="small"),
                                                    html.Div(id=ids.CURVE_TEXT),
                                                ]
                                            ),
                                        ],
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
