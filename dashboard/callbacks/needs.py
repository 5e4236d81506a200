"""Needs page callbacks: indicator/level/weights -> map patch, metadata and ranked table;
a ward click -> the ward profile."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, ctx, html

from dashboard import ids
from dashboard.callbacks import only_when_shown
from dashboard.callbacks.ward import brief_button
from dashboard.figures import FOUND_WARD_LINE, fmt, needs_patch, needs_trace_index, shown_value, view_patch
from dashboard.links import csv_name, page_link
from dashboard.maps import area_names, missing_text, needs_values
from dashboard.tables import table_block, table_outputs, table_shown, table_update
from dashboard.views import csv_safe_rows, indicator_meta, indicator_series, map_note, ward_profile
from geo.formatting import upper_first
from geo.viewstate import from_store


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
