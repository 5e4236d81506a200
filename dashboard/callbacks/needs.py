"""Needs page callbacks: indicator/level/weights -> map patch, metadata and ranked table;
a ward click -> the ward profile."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, dash_table, html

from dashboard import ids
from dashboard.figures import fmt, needs_patch, needs_trace_values
from dashboard.views import csv_safe_rows, indicator_meta, indicator_series, ward_profile
from geo.viewstate import from_store


def needs_update(engine, view: dict, names: dict):
    """(map patch, info card, table rows, table columns) for a needs view."""
    meta = indicator_meta(engine, view["ind"], view["w"])
    values = indicator_series(engine, view["ind"], view["level"], view["w"])
    trace = needs_trace_values(values, names[view["level"]], meta)
    patch = needs_patch(Patch(), view["level"], trace)
    ranked = values.dropna().sort_values(ascending=meta["direction"] == "lower")
    unit = meta["unit"] if len(meta["unit"]) <= 24 else ""  # long units are in the column header instead
    rows = [{"rank": i + 1, "area": names[view["level"]].get(code, code), "value": fmt(float(v), unit)}
            for i, (code, v) in enumerate(ranked.items())]
    missing = [names[view["level"]].get(c, c) for c in values.index[values.isna()]]
    rows += [{"rank": "—", "area": n, "value": "no published figure"} for n in missing]
    columns = [{"name": "Rank (1 = most need)", "id": "rank"}, {"name": "Area", "id": "area"},
               {"name": meta["label"] if unit else f"{meta['label']} ({meta['unit']})", "id": "value"}]
    return patch, info_card(meta), csv_safe_rows(rows), columns


def info_card(meta: dict):
    bench = []
    if meta["benchmark_area"] is not None:
        bench.append(html.Li(f"Area average: {fmt(meta['benchmark_area'], meta['unit'])}"))
    if meta["benchmark_england"] is not None:
        bench.append(html.Li(f"England: {fmt(meta['benchmark_england'], meta['unit'])}"))
    direction = {"higher": "Higher values mean more need.", "lower": "Lower values mean more need.",
                 "none": "Context (no need direction)."}[meta["direction"]]
    return dbc.Card(dbc.CardBody([
        html.H2(meta["label"], className="h6"),
        html.Dl([html.Dt("Unit"), html.Dd(meta["unit"]), html.Dt("Period"), html.Dd(meta["period"]),
                 html.Dt("Source"), html.Dd(meta["source"]), html.Dt("Coverage of areas"), html.Dd(meta["completeness"])],
                className="small mb-1"),
        html.P(direction, className="small mb-1"),
        html.Ul(bench, className="small mb-0") if bench else None,
    ]), className="shadow-sm")


def profile_panel(engine, ward_code: str, weights):
    profile = ward_profile(engine, ward_code, weights)
    if not profile:
        return html.P("No profile for this area.", className="text-muted")
    small = {"style_cell": {"fontSize": "0.8rem", "textAlign": "left", "whiteSpace": "normal", "fontFamily": "inherit",
                            "maxWidth": "9rem", "overflowWrap": "anywhere"},
             "style_header": {"fontWeight": "600"}, "style_table": {"overflowX": "auto", "maxWidth": "100%"}}
    sites = profile["sites"]
    return html.Div([
        html.H2(f"{profile['name']} ward", className="h5"),
        html.H3("Sites in this ward", className="h6"),
        html.Ul([html.Li(f"{s['name']} ({s['postcode']})") for s in sites], className="small") if sites
        else html.P("No located site in this ward.", className="small text-muted"),
        html.H3("Indicators", className="h6"),
        dash_table.DataTable(data=profile["indicators"], columns=[{"name": c, "id": c} for c in
                                                                  ("Indicator", "Value", "Period", "Source")],
                             page_size=12, **small),
        html.H3("LSOAs in this ward", className="h6 mt-2"),
        dash_table.DataTable(data=profile["lsoas"], columns=[{"name": c, "id": c} for c in profile["lsoas"][0]]
                             if profile["lsoas"] else [], page_size=10, sort_action="native", **small),
    ])


def register(app, engine) -> None:
    names = {"ward": dict(zip(engine.bundle.wards["code"], engine.bundle.wards["name"])),
             "lsoa": dict(zip(engine.bundle.lsoas["code"], engine.bundle.lsoas["name"]))}

    @app.callback(Output(ids.NEEDS_MAP, "figure"), Output(ids.INDICATOR_INFO, "children"),
                  Output(ids.NEEDS_TABLE, "data"), Output(ids.NEEDS_TABLE, "columns"),
                  Input(ids.NEEDS_VIEW, "data"), prevent_initial_call=True)
    def update(view):
        state, _ = from_store(engine, view)  # the store may have been tampered with
        return needs_update(engine, state, names)

    @app.callback(Output(ids.WARD_PROFILE, "children"), Input(ids.NEEDS_MAP, "clickData"),
                  State(ids.STATE, "data"), prevent_initial_call=True)
    def profile(click, state):
        points = click.get("points") if isinstance(click, dict) else None
        point = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
        code = point.get("location")
        if not isinstance(code, str):
            return html.P("Click a ward on the map.", className="text-muted")
        if code not in names["ward"]:
            assignment = engine.assignment.set_index("lsoa_code")["ward_code"]
            code = assignment.get(code)
        if code is None:
            return html.P("Click a ward on the map.", className="text-muted")
        return profile_panel(engine, code, from_store(engine, state)[0]["w"])
