"""2. The scenario callback through the Dash server (Flask test client), against a naive
build that recomputes distances with geopandas on every click and returns a whole new
figure with the boundary GeoJSON."""

from __future__ import annotations

import json
import random

import dash
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from benchmarks.common import ROOT, Row, luton_engine, median_p95, ms, timings


def _callback_key(app, first_output: str) -> str:
    for key in app.callback_map:
        if key.lstrip(".").startswith(first_output):
            return key
    raise KeyError(first_output)


def _request(key: str, input_id: str, value) -> dict:
    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1].split("@")[0]} for part in key.strip(".").split("...")
    ]
    return {
        "output": key,
        "outputs": outputs if key.startswith("..") else outputs[0],
        "inputs": [{"id": input_id, "property": "data", "value": value}],
        "changedPropIds": [f"{input_id}.data"],
        "state": [],
    }


def naive_app(engine, checklist: bool = False) -> dash.Dash:
    """What a straightforward Dash app does on every click: distances from scratch with
    geopandas for the scenario and its comparison, and a whole new map figure with the
    boundary GeoJSON, plus the same headline figures. ``checklist``: the scenario's sites are
    chosen with a checklist (one box per site of the current scenario), as a user would in the
    browser benchmark; else from a store the server benchmark posts to."""
    import geopandas as gpd

    bundle = engine.bundle
    lsoas = bundle.lsoas.copy()
    sites = bundle.located_sites
    # the app's defaults: its origins (output areas) and population (under-fives, mid-2019)
    pop = engine.origin_population[engine.default_population]
    origin_xy, origin_lsoa = engine.origins.xy, np.asarray(engine.origins.lsoa_code)
    speed = engine.modes["walk"].metres_per_minute
    # the world outline plotly's geo maps fetch, from the app's own copy (no internet here);
    # none of the app's scripts (assets_ignore)
    app = dash.Dash(__name__, assets_folder=str(ROOT / "dashboard" / "assets"), assets_ignore=".*")
    # the comparison scenario: Luton's current sites, or a built bundle's first (all_open)
    scenarios = engine.bundle.scenarios
    current_sites = list(scenarios.get("current_2020", next(iter(scenarios.values())))["sites"])
    app.layout = html.Div(
        [
            dcc.Checklist(id="sites", options=current_sites, value=current_sites)
            if checklist
            else dcc.Store(id="scenario"),
            dcc.Graph(id="map", config={"topojsonURL": "/assets/topojson/"}),
            html.Div(id="headline"),
        ]
    )

    def minutes_to_nearest(open_ids):
        origins = gpd.GeoSeries(gpd.points_from_xy(origin_xy[:, 0], origin_xy[:, 1]), crs=bundle.projected_crs)
        chosen = sites.loc[[s for s in open_ids if s in sites.index]]
        points = gpd.GeoSeries(gpd.points_from_xy(chosen["x"], chosen["y"]), crs=bundle.projected_crs)
        dist = np.column_stack([origins.distance(p) for p in points])  # recomputed on every click
        return engine.detour.network_m(dist.min(axis=1)) / speed, chosen

    @app.callback(
        Output("map", "figure"),
        Output("headline", "children"),
        Input("sites", "value") if checklist else Input("scenario", "data"),
    )
    def update(scenario):
        if checklist:
            scenario = {"alt": scenario, "base": current_sites}
        alt, chosen = minutes_to_nearest(scenario["alt"])
        base, _ = minutes_to_nearest(scenario["base"])
        geojson = json.loads(lsoas.to_json())
        by_lsoa = pd.Series(alt).groupby(origin_lsoa).mean().reindex(lsoas["code"])  # an LSOA's mean minutes
        fig = go.Figure(
            go.Choropleth(
                geojson=geojson, locations=lsoas["code"], z=by_lsoa.to_numpy(), featureidkey="properties.code"
            )
        )
        fig.add_trace(go.Scattergeo(lon=chosen["lon"], lat=chosen["lat"], mode="markers"))
        fig.update_geos(fitbounds="locations", visible=False)
        covered_alt, covered_base = alt <= 20, base <= 20
        losing = pop[covered_base & ~covered_alt].sum()
        return fig, html.Div(
            [
                html.P(f"Scenario: {pop[covered_alt].sum():,.0f}"),
                html.P(f"Comparison: {pop[covered_base].sum():,.0f}"),
                html.P(f"Losing: {losing:,.0f}"),
            ]
        )

    return app


def click_requests(app, engine, state: dict, rng):
    """Bodies for a site toggle as the browser sends it: the state callback (which returns the
    map and headline patch) and then the callback that fills the Access page's other panels."""
    from benchmarks.dash_requests import CallbackRequests
    from dashboard.callbacks.state import ACCESS_KEYS, effective_open
    from dashboard.pages.access import checklist_values, site_groups

    sync = CallbackRequests(app, "url.search")
    detail = CallbackRequests(app, "access-decile-chart.figure")
    groups = site_groups(engine)
    group_ids = [
        json.dumps({"group": g, "type": "access-site-checklist"}, sort_keys=True, separators=(",", ":")) for g in groups
    ]
    controls = {
        ("access-base", "value"): state["base"],
        ("access-compare", "value"): state["cmp"],
        ("access-mode", "value"): state["mode"],
        ("access-threshold", "value"): state["threshold"],
        ("access-threshold-unit", "value"): state["unit"],
        ("access-population", "value"): state["pop"],
        ("access-colour-by", "value"): state["colour"],
        ("url", "search"): "?page=access",
        # the browser is on the Access page, its map drawn (else the map patch and the charts
        # and tables wait for the page to be shown)
        ("access-map-drawn", "data"): True,
    }

    def toggle(current: dict):
        open_now = set(effective_open(engine, current))
        site = rng.choice(sorted(s for s in engine.site_ids))
        wanted = open_now ^ {site}
        values = dict(controls)
        values[("view-state", "data")] = current
        for gid, vals in zip(group_ids, checklist_values(engine, sorted(open_now), groups)):
            values[(gid, "value")] = vals
        changed_group = next(g for g, opts in zip(group_ids, groups.values()) if site in [o["value"] for o in opts])
        new_vals = checklist_values(engine, sorted(wanted), groups)
        values[(changed_group, "value")] = new_vals[group_ids.index(changed_group)]
        return sync.body(values, [f"{changed_group}.value"])

    def details(view: dict):
        return detail.body({("access-view", "data"): view, ("page-view", "data"): "access"}, ["access-view.data"])

    return toggle, details, ACCESS_KEYS


def run() -> list[Row]:
    from dashboard import create_app
    from geo.viewstate import default_state

    engine = luton_engine()
    app = create_app(engine=engine)
    client = app.server.test_client()
    client.get("/")
    state = default_state(engine)  # Proposed (2020) compared with Current (2020), 20-minute walk
    state["page"] = "access"
    rng = random.Random(2)
    toggle, details, access_keys = click_requests(app, engine, state, rng)
    sizes = {"click": [], "detail": []}
    current = {"state": state}

    # Each request's body is made before the clock starts (the browser's work, not the server's);
    # the response is read after it stops.
    answers: dict = {}

    def post(kind: str):
        def send(body) -> None:
            answers[kind] = client.post("/_dash-update-component", json=body)

        return send

    def read(kind: str):
        """The last answer of this kind, if any: checked, its size kept, its JSON returned."""
        response = answers.pop(kind, None)
        if response is None:
            return None
        assert response.status_code == 200, response.data[:300]
        sizes[kind].append(len(response.data))
        return json.loads(response.data)

    def next_click():
        answer = read("click")
        if answer is not None:
            current["state"] = answer["response"]["view-state"]["data"]
        return toggle(current["state"])

    def next_detail():
        read("detail")
        return details({k: current["state"][k] for k in access_keys})

    click_t = timings(post("click"), 100, prepare=next_click)
    next_click()  # the last answer read
    detail_t = timings(post("detail"), 100, prepare=next_detail)
    next_detail()
    naive = naive_app(engine)
    naive_client = naive.server.test_client()
    naive_client.get("/")
    naive_key = _callback_key(naive, "map.figure")
    naive_sizes = []
    proposed = engine.bundle.scenarios["proposed_2020"]["sites"]
    current_sites = engine.bundle.scenarios["current_2020"]["sites"]

    def baseline(body):
        response = naive_client.post("/_dash-update-component", json=body)
        assert response.status_code == 200, response.data[:300]
        naive_sizes.append(len(response.data))

    def next_baseline():
        closed = rng.choice(proposed)
        scenario = {"alt": [s for s in proposed if s != closed], "base": current_sites}
        return _request(naive_key, "scenario", scenario)

    naive_t = timings(baseline, 100, prepare=next_baseline)
    med, p95 = median_p95(click_t)
    d_med, d_p95 = median_p95(detail_t)
    n_med, n_p95 = median_p95(naive_t)
    ratio = n_med / med
    size, d_size, n_size = (float(np.median(v)) for v in (sizes["click"], sizes["detail"], naive_sizes))
    return [
        Row(
            "2. server",
            "site toggle: state callback returning the map + headline patch",
            f"median {ms(med)}, p95 {ms(p95)}",
        ),
        Row("2. server", "same update, naive build (geopandas + full figure)", f"median {ms(n_med)}, p95 {ms(n_p95)}"),
        Row("2. server", "speed-up over naive", f"{ratio:.1f}x", ">= 10x", ratio >= 10),
        Row("2. server", "response per site toggle", f"{size / 1024:.1f} KB", "<= 20 KB", size <= 20 * 1024),
        Row("2. server", "response per update, naive", f"{n_size / 1024:.1f} KB"),
        Row(
            "2. server",
            "then: the Access page's panels callback (charts, tables, site table, ward card, equality)",
            f"median {ms(d_med)}, p95 {ms(d_p95)}; {d_size / 1024:.1f} KB",
        ),
    ]
