"""8. Catchments and options (issue 14): the map layers' server time and payload per click, side
by side with the minutes layer, and an appraisal of six options."""

from __future__ import annotations

import json
import time

from benchmarks.common import Row, luton_engine, median_p95, ms

REPEATS = 40


def run() -> list[Row]:
    import plotly

    from dashboard.maps import MapAssets
    from dashboard.pages.access import access_map_update
    from geo.appraisal import appraise, preset
    from geo.options import from_state
    from geo.viewstate import default_state

    engine = luton_engine(None)  # the app's own origins (output areas)
    assets = MapAssets.of(engine)
    sites = engine.bundle.located_sites
    roles = engine.bundle.manifest["layers"]["sites"].get("roles", {})
    rows = []
    open_now = engine.open_site_ids(engine.scenario("proposed_2020"))
    toggles = [s for s in sites.index if s not in open_now][:REPEATS]
    for colour in ("minutes", "catchment", "added"):
        times, sizes = [], []
        for k in range(REPEATS):
            view = {**default_state(engine), "page": "access", "colour": colour, "open": [toggles[k % len(toggles)]]}
            started = time.perf_counter()
            patch = access_map_update(engine, view, sites, roles, assets)[0]
            body = json.dumps(patch.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
            times.append(time.perf_counter() - started)
            sizes.append(len(body))
        med, p95 = median_p95(times)
        goal = "< 10 ms; < 20 KB" if colour != "minutes" else ""
        met = (med * 1000 < 10 and max(sizes) < 20_000) if colour != "minutes" else None
        rows.append(
            Row(
                "8. options",
                f"site toggle, map layer '{colour}': server time and map payload",
                f"median {ms(med)}, p95 {ms(p95)}; {max(sizes) / 1000:.1f} KB",
                goal,
                met,
            )
        )
    base = default_state(engine)
    variants = [
        preset(engine, "current_2020"),
        preset(engine, "proposed_2020"),
        from_state(engine, "hub_lu4_0pe", "", {**base, "move": {"hub_leagrave_tbc": "Hub@LU4 0PE"}}, "file"),
        from_state(engine, "plus_the_mall", "", {**base, "open": ["the_mall"]}, "file"),
        from_state(engine, "plus_denbigh", "", {**base, "open": ["denbigh"]}, "file"),
        from_state(engine, "current_minus_foxdell", "", {**base, "base": "current_2020", "close": ["foxdell"]}, "file"),
    ]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        appraise(engine, variants, minutes=20)
        times.append(time.perf_counter() - started)
    med, p95 = median_p95(times)
    rows.append(Row("8. options", "appraisal of six options", f"median {ms(med)}, p95 {ms(p95)}", "< 1 s", med < 1.0))
    return rows
