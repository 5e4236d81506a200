"""2. The scenario callback through the Dash server (Flask test client), against a naive
build that recomputes distances with geopandas on every click and returns a whole new
figure with the boundary GeoJSON."""

from __future__ import annotations

import json
import random

import dash
import numpy as np
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from benchmarks.common import Row, luton_engine, median_p95, ms, timings


def _callback_key(app, first_output: str) -> str:
    for key in app.callback_map:
        if key.lstrip(".").startswith(first_output):
            return key
    raise KeyError(first_output)


def _request(key: str, input_id: str, value) -> dict:
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1].split("@")[0]}
               for part in key.strip(".").split("...")]
    return {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
            "inputs": [{"id": input_id, "property": "data", "value": value}],
            "changedPropIds": [f"{input_id}.data"], "state": []}


def naive_app(engine) -> dash.Dash:
    """What a straightforward Dash app does on every click: distances from scratch with
    geopandas for the scenario and its comparison, and a whole new map figure with the
    boundary GeoJSON, plus the same headline figures."""
    import geopandas as gpd

    bundle = engine.bundle
    lsoas = bundle.lsoas.copy()
    sites = bundle.located_sites
    pop = engine.origin_population["age_0_15"]
    speed = engine.modes["walk"].metres_per_minute
    app = dash.Dash(__name__)
    app.layout = html.Div([dcc.Store(id="scenario"), dcc.Graph(id="map"), html.Div(id="headline")])

    def minutes_to_nearest(open_ids):
        origins = gpd.GeoSeries(gpd.points_from_xy(bundle.origin_xy[:, 0], bundle.origin_xy[:, 1]),
                                crs=bundle.projected_crs)
        chosen = sites.loc[[s for s in open_ids if s in sites.index]]
        points = gpd.GeoSeries(gpd.points_from_xy(chosen["x"], chosen["y"]), crs=bundle.projected_crs)
        dist = np.column_stack([origins.distance(p) for p in points])  # recomputed on every click
        return engine.detour.network_m(dist.min(axis=1)) / speed, chosen

    @app.callback(Output("map", "figure"), Output("headline", "children"), Input("scenario", "data"))
    def update(scenario):
        alt, chosen = minutes_to_nearest(scenario["alt"])
        base, _ = minutes_to_nearest(scenario["base"])
        geojson = json.loads(lsoas.to_json())
        fig = go.Figure(go.Choropleth(geojson=geojson, locations=lsoas["code"], z=alt,
                                      featureidkey="properties.code"))
        fig.add_trace(go.Scattergeo(lon=chosen["lon"], lat=chosen["lat"], mode="markers"))
        fig.update_geos(fitbounds="locations", visible=False)
        covered_alt, covered_base = alt <= 20, base <= 20
        losing = pop[covered_base & ~covered_alt].sum()
        return fig, html.Div([html.P(f"Scenario: {pop[covered_alt].sum():,.0f}"),
                              html.P(f"Comparison: {pop[covered_base].sum():,.0f}"), html.P(f"Losing: {losing:,.0f}")])

    return app


def run() -> list[Row]:
    from dashboard import create_app
    from dashboard.callbacks.state import ACCESS_KEYS
    from geo.viewstate import default_state

    engine = luton_engine()
    app = create_app(engine=engine)
    client = app.server.test_client()
    client.get("/")
    map_key = _callback_key(app, "access-map.figure...access-headlines")
    detail_key = _callback_key(app, "access-decile-chart.figure")
    state = default_state(engine)  # Proposed (2020) compared with Current (2020), 20-minute walk
    view = {k: state[k] for k in ACCESS_KEYS}
    proposed = engine.bundle.scenarios["proposed_2020"]["sites"]
    current = engine.bundle.scenarios["current_2020"]["sites"]
    rng = random.Random(2)
    sizes = {"map": [], "detail": []}

    def post(key, name):
        view["close"] = [rng.choice(proposed)]  # a site toggle
        response = client.post("/_dash-update-component", json=_request(key, "access-view", view))
        assert response.status_code == 200, response.data[:300]
        sizes[name].append(len(response.data))

    map_t = timings(lambda: post(map_key, "map"), 100)
    detail_t = timings(lambda: post(detail_key, "detail"), 100)
    naive = naive_app(engine)
    naive_client = naive.server.test_client()
    naive_client.get("/")
    naive_key = _callback_key(naive, "map.figure")
    naive_sizes = []

    def baseline():
        closed = rng.choice(proposed)
        scenario = {"alt": [s for s in proposed if s != closed], "base": current}
        response = naive_client.post("/_dash-update-component", json=_request(naive_key, "scenario", scenario))
        assert response.status_code == 200, response.data[:300]
        naive_sizes.append(len(response.data))

    naive_t = timings(baseline, 100)
    med, p95 = median_p95(map_t)
    d_med, d_p95 = median_p95(detail_t)
    n_med, n_p95 = median_p95(naive_t)
    ratio = n_med / med
    size, d_size, n_size = (float(np.median(v)) for v in (sizes["map"], sizes["detail"], naive_sizes))
    return [
        Row("2. server", "site toggle: map + headline callback", f"median {ms(med)}, p95 {ms(p95)}"),
        Row("2. server", "same update, naive build (geopandas + full figure)", f"median {ms(n_med)}, p95 {ms(n_p95)}"),
        Row("2. server", "speed-up over naive (map + headline)", f"{ratio:.1f}x", ">= 10x", ratio >= 10),
        Row("2. server", "response per update: map + headline", f"{size / 1024:.1f} KB", "<= 20 KB", size <= 20 * 1024),
        Row("2. server", "response per update: naive", f"{n_size / 1024:.1f} KB"),
        Row("2. server", "charts and tables callback (runs alongside)", f"median {ms(d_med)}, p95 {ms(d_p95)}; "
            f"{d_size / 1024:.1f} KB"),
    ]
