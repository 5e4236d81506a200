"""Needs page: choropleth of any indicator at ward or small-area (LSOA) level, with its metadata and a
ward profile on click.

Needs page callbacks: indicator/level/weights -> map patch, metadata and ranked table;
a ward click -> the ward profile.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, ctx, dcc, html

from dashboard import ids
from dashboard.callbacks import only_when_shown
from dashboard.callbacks.ward import brief_button
from dashboard.deferred import Deferred
from dashboard.figures import FOUND_WARD_LINE, fmt, needs_patch, needs_trace_index, shown_value, view_patch
from dashboard.layouts.common import MAP_CONFIG, labelled, ward_finder
from dashboard.links import csv_name, page_link
from dashboard.maps import area_names, missing_text, needs_values
from dashboard.tables import dom_id, table_block, table_outputs, table_shown, table_update
from dashboard.views import csv_safe_rows, indicator_meta, indicator_series, map_note, ward_profile
from geo.formatting import upper_first
from geo.viewstate import from_store


def layout(engine, state, figure, indicator_options, ranked: dict | None = None, info=None) -> html.Div:
    weights = state["w"]
    candidates = engine.need_index_candidates()
    # Number boxes rather than sliders: native inputs with a label, typed or stepped with the
    # arrow keys (Dash's slider thumb has no accessible name).
    sliders = [
        labelled(
            f"Weight: {engine.bundle.indicators[i].label}",
            dbc.Input(
                type="number",
                min=0,
                max=1,
                step=0.05,
                value=float(weights.get(i, 0)),
                id={"type": ids.WEIGHTS, "indicator": i},
                debounce=True,
                size="sm",
                style={"maxWidth": "7rem"},
            ),
            dom_id({"type": ids.WEIGHTS, "indicator": i}),
        )
        for i in candidates
    ]
    controls = dbc.Card(
        dbc.CardBody(
            [
                ward_finder(engine, "needs"),
                labelled(
                    "Indicator",
                    dbc.Select(options=indicator_options, value=state["ind"], id=ids.INDICATOR),
                    ids.INDICATOR,
                ),
                labelled(
                    "Level",
                    dbc.RadioItems(
                        options=[
                            {"label": "Wards", "value": "ward"},
                            {"label": engine.bundle.small_area.level, "value": "lsoa"},
                        ]
                        + (
                            [{"label": engine.bundle.current_lsoas.label, "value": "lsoa_current"}]
                            if "lsoa_current" in engine.levels
                            else []
                        ),
                        value=state["level"],
                        id=ids.LEVEL,
                        name=ids.LEVEL,
                        inline=True,
                    ),
                    ids.LEVEL,
                    level_help(engine),
                ),
                labelled(
                    "Ward boundaries",
                    dbc.Select(
                        id=ids.NEEDS_WARD_SET,
                        value=state["wards"],
                        options=[
                            {"label": ward_set.label, "value": set_id} for set_id, ward_set in engine.ward_sets.items()
                        ],
                    ),
                    ids.NEEDS_WARD_SET,
                    "Figures published by ward exist only for the wards they were published for; "
                    f"figures of the {engine.bundle.small_area.many} are carried to any ward set through its "
                    "output areas.",
                )
                if len(engine.ward_sets) > 1
                else None,
                html.Details(
                    [
                        html.Summary("Need index weights", className="fw-semibold mb-2"),
                        *sliders,
                        dbc.FormText(
                            "The need index ranks areas within the area on each indicator (percentile, "
                            "oriented so 100 = most need) and takes the weighted mean."
                        ),
                    ],
                    open=False,
                    # a bundle with no need index ([need_index] weights) offers none to weigh
                    style=None if engine.has_need_index else {"display": "none"},
                ),
            ]
        ),
        className="shadow-sm",
    )
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col([controls, html.Div(info, id=ids.INDICATOR_INFO, className="mt-3")], lg=3, md=12),
                    dbc.Col(
                        [
                            html.P(
                                map_note(engine, state["ind"], state["level"]),
                                id=ids.NEEDS_MAP_NOTE,
                                className="small text-muted mb-1",
                            ),
                            dcc.Graph(id=ids.NEEDS_MAP, figure=figure, config=MAP_CONFIG, className="nm-map"),
                            html.H2("Areas ranked by this indicator", className="h6 mt-3"),
                            # after the map: a county's table of hundreds of rows delayed its first paint
                            Deferred(
                                table_block(ids.NEEDS_TABLE, "Areas ranked by this indicator", ranked, filterable=True)
                            ),
                        ],
                        lg=6,
                        md=12,
                    ),
                    dbc.Col(
                        html.Div(
                            id=ids.WARD_PROFILE,
                            children=html.P(
                                "Click a ward on the map, or find it by name or postcode, to see its profile: every indicator "
                                f"with its source, the {engine.bundle.small_area.many} in it, the sites in it, and its "
                                "one-page briefing.",
                                className="text-muted",
                            ),
                        ),
                        lg=3,
                        md=12,
                    ),
                ]
            ),
        ]
    )


def level_help(engine) -> str:
    """What each map level shows, in the bundle's words."""
    small = engine.bundle.small_area
    words = f"Ward-only figures have no values by {small.one}."
    if "lsoa_current" in engine.levels:
        current = engine.bundle.current_lsoas.label
        words += (
            f" {current} take the figures of the {small.level} they came from: a split area keeps its "
            "rates and shares counts by residents."
        )
        if any(s.level == "lsoa_current" for s in engine.bundle.indicators.values()):
            words += f" Figures published for {current} are shown by those, as published."
    return words


def needs_update(engine, view: dict, names: dict, link: str | None = None, assets=None):
    """(map patch, info card, ranked-table data) for a needs view (``dashboard.tables``)."""
    meta = indicator_meta(engine, view["ind"], view["w"])
    set_id = engine.check_ward_set(view.get("wards"))
    level = view["level"]
    names_here = area_names(engine, level, set_id)
    trace = needs_values(engine, view, set_id, level)
    why = missing_text(engine, view, set_id)
    patch = needs_patch(
        Patch(),
        list(engine.ward_sets),
        level,
        set_id,
        trace,
        [f"<b>{n}</b><br>{why}" for n in names_here.values()] if level == "ward" else None,
        n_traces=2 * len(engine.ward_sets) + len(engine.levels) - 1,
    )
    if assets is not None:  # ward names and the found ward's extent
        view_patch(patch, assets.labels(view), assets.extent(engine, view), view.get("tiles", False))
    if level == "ward":  # the found ward outlined, as on the Access map (both basemaps)
        values_index = needs_trace_index(list(engine.ward_sets), level, set_id)[1]
        found = view.get("ward")
        line = patch["data"][values_index]["marker"]["line"]
        line["color"] = (
            [FOUND_WARD_LINE[0] if c == found else "white" for c in trace["locations"]] if found else "white"
        )
        line["width"] = [FOUND_WARD_LINE[1] if c == found else 1.0 for c in trace["locations"]] if found else 1.0
    values = indicator_series(engine, view["ind"], level, view["w"], set_id)
    ranked = values.dropna().sort_values(ascending=meta["direction"] == "lower")
    unit = meta["unit"] if len(meta["unit"]) <= 24 else ""  # long units are in the column header instead
    rows = [
        {"rank": i + 1, "area": names_here.get(code, code), "value": fmt(shown_value(float(v), meta), unit)}
        for i, (code, v) in enumerate(ranked.items())
    ]
    reason = (
        engine.unpublished_reason(view["ind"], set_id)
        if level == "ward" and view["ind"] in engine.bundle.indicators
        else None
    )
    missing = [names_here.get(c, c) for c in values.index[values.isna()]]
    rows += [
        {"rank": "—", "area": n, "value": f"no published figure ({reason})" if reason else "no published figure"}
        for n in missing
    ]
    area_label = {
        "ward": engine.ward_sets[set_id].label,
        "lsoa": engine.bundle.small_area.level,
        "lsoa_current": getattr(engine.bundle.current_lsoas, "label", ""),
    }[level]
    definition = engine.ward_value_definition(view["ind"]) if level == "ward" else None
    value_header = meta["label"] if unit else f"{meta['label']} ({meta['unit']})"
    columns = [
        {"name": "Rank (1 = highest)" if meta["direction"] == "none" else "Rank (1 = most need)", "id": "rank"},
        {"name": area_label, "id": "area"},
        {"name": f"{value_header}: {definition}" if definition else value_header, "id": "value"},
    ]
    csv_about = {
        "filename": csv_name("needs", view["ind"], level, set_id if level == "ward" else ""),
        "about": [
            f"Needs Map: areas ranked by {meta['label']} ({meta['unit']}, {meta['period']})",
            f"Areas: {area_label}",
            *([f"Ward value: {definition}"] if definition else []),
            f"Source: {meta['source']}",
            f"Link: {link or ''}",
        ],
    }
    return patch, info_card(meta), {"columns": columns, "rows": csv_safe_rows(rows), "csv": csv_about}


def info_card(meta: dict):
    bench = []
    if meta["benchmark_area"] is not None:
        bench.append(html.Li(f"Area average: {fmt(meta['benchmark_area'], meta['unit'])}"))
    if meta["benchmark_england"] is not None:
        bench.append(html.Li(f"{meta['comparator']}: {fmt(meta['benchmark_england'], meta['unit'])}"))
    direction = {
        "higher": "Higher values mean more need.",
        "lower": "Lower values mean more need.",
        "none": "Context (no need direction).",
    }[meta["direction"]]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2(meta["label"], className="h6"),
                html.Dl(
                    [
                        html.Dt("Unit"),
                        html.Dd(meta["unit"]),
                        html.Dt("Period"),
                        html.Dd(meta["period"]),
                        html.Dt("Source"),
                        html.Dd(meta["source"]),
                        html.Dt("Coverage of areas"),
                        html.Dd(meta["completeness"]),
                    ],
                    className="small mb-1",
                ),
                html.P(direction, className="small mb-1"),
                html.Ul(bench, className="small mb-0") if bench else None,
            ]
        ),
        className="shadow-sm",
    )


def profile_panel(engine, ward_code: str, weights, ward_set: str | None = None):
    profile = ward_profile(engine, ward_code, weights, ward_set)
    if not profile:
        return html.P("No profile for this area.", className="text-muted")
    sites = profile["sites"]
    name = profile["name"]
    many = profile["lsoa_words"].many
    about = [f"Needs Map: ward profile of {name} ({profile['set_label']})"]
    indicators = {
        "columns": [{"name": c, "id": c} for c in ("Indicator", "Value", "Period", "Source")],
        "rows": csv_safe_rows(profile["indicators"]),
        "csv": {"filename": csv_name("ward-profile", name, "indicators"), "about": about},
    }
    lsoas = {
        "columns": [{"name": c, "id": c} for c in profile["lsoas"][0]] if profile["lsoas"] else [],
        "rows": csv_safe_rows(profile["lsoas"]),
        "empty": f"No {profile['lsoa_words'].one} in this ward.",
        "csv": {"filename": csv_name("ward-profile", name, "lsoas"), "about": about},
    }
    return html.Div(
        [
            html.H2(f"{name} ward", className="h5"),
            html.P(profile["set_label"], className="small text-muted mb-2"),
            brief_button(ward_code, name, "needs"),
            html.H3("Sites in this ward", className="h6"),
            html.Ul([html.Li(f"{s['name']} ({s['postcode']})") for s in sites], className="small")
            if sites
            else html.P("No located site in this ward.", className="small text-muted"),
            *([html.P(unlocated_sentence(engine), className="small")] if engine.bundle.unlocated_site_ids else []),
            html.H3("Indicators", className="h6"),
            table_block("profile-indicators", f"Indicators of {name}", indicators, max_height="24rem"),
            html.H3(f"{upper_first(many)} in this ward", className="h6 mt-2"),
            table_block("profile-lsoas", f"{upper_first(many)} in {name}", lsoas, max_height="18rem"),
        ],
        **{"aria-live": "polite"},
    )


def unlocated_sentence(engine) -> str:
    """The register's sites with no sourced location: no ward can be said to hold them, and
    no figure counts them."""
    names = [engine.bundle.sites.at[s, "name"] for s in engine.bundle.unlocated_site_ids]
    return (
        f"Not placed in any ward, and not counted in any figure: {len(names)} site"
        f"{'s' * (len(names) != 1)} of the register with no sourced location ({', '.join(names)}). "
        "One of them may be in this ward."
    )


def register(app, engine, assets=None, store=None) -> None:
    names = {"lsoa": dict(zip(engine.bundle.lsoas["code"], engine.bundle.lsoas["name"]))}

    @app.callback(
        output={
            "figure": Output(ids.NEEDS_MAP, "figure"),
            "info": Output(ids.INDICATOR_INFO, "children"),
            "table": table_outputs(ids.NEEDS_TABLE),
            "note": Output(ids.NEEDS_MAP_NOTE, "children"),
        },
        inputs={"view": Input(ids.NEEDS_VIEW, "data"), "page": Input(ids.PAGE_VIEW, "data")},
        state={"full_state": State(ids.STATE, "data"), "table": table_shown(ids.NEEDS_TABLE)},
        prevent_initial_call=True,
    )
    def update(view, page, full_state, table):
        only_when_shown(page, "needs")
        state, _ = from_store(engine, view)  # the store may have been tampered with
        figure, info, ranked = needs_update(engine, state, names, page_link(engine, full_state, store), assets)
        return {
            "figure": figure,
            "info": info,
            "table": table_update(ids.NEEDS_TABLE, ranked, table),
            "note": map_note(engine, state["ind"], state["level"]),
        }

    @app.callback(
        Output(ids.WARD_PROFILE, "children"),
        Input(ids.NEEDS_MAP, "clickData"),
        Input(ids.NEEDS_VIEW, "data"),
        Input(ids.PAGE_VIEW, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def profile(click, _view, page, state):
        only_when_shown(page, "needs")
        # Also runs when the view changes (weights, ward set): the profile follows, and a ward of
        # the other ward set is not shown as if it were one of this set.
        state = from_store(engine, state)[0]
        set_id = engine.check_ward_set(state.get("wards"))
        if ctx.triggered_id in (ids.NEEDS_VIEW, ids.PAGE_VIEW) and state.get("ward"):
            return profile_panel(engine, state["ward"], state["w"], set_id)  # the ward finder's ward
        points = click.get("points") if isinstance(click, dict) else None
        point = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
        code = point.get("location")
        set_id = engine.check_ward_set(state.get("wards"))
        if not isinstance(code, str):
            return html.P("Click a ward on the map.", className="text-muted")
        if code not in engine.ward_sets[set_id].names:  # an LSOA: the ward of the set holding most of it
            code = engine.lsoa_ward(code, set_id)
        if code is None or code not in engine.ward_sets[set_id].names:
            return html.P("Click a ward on the map.", className="text-muted")
        return profile_panel(engine, code, state["w"], set_id)
