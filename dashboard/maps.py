"""Whole map figures for a view state: built at start-up, and again only when the user
switches the basemap (the one time geometry is sent after the first page)."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.figures import (access_figure, access_values, area_geojson, curve_chart, decile_chart, needs_figure,
                               needs_trace_values, site_styles)
from dashboard.views import (lsoa_map_arrays, CURVE_GRID, added_points, decile_rows, evaluations, indicator_meta, indicator_series,
                             scenario_outputs, threshold_label)


@dataclass(frozen=True)
class MapAssets:
    """Boundary GeoJSON and names, prepared once per app."""

    ward_geojson: dict
    lsoa_geojson: dict
    ward_names: dict
    lsoa_names: dict
    bounds: tuple
    lsoa_hover: list  # "<b>LSOA name</b> (ward)", static hover text of the access map

    @classmethod
    def of(cls, engine) -> "MapAssets":
        bundle = engine.bundle
        ward_names = dict(zip(bundle.wards["code"], bundle.wards["name"]))
        lsoa_names = dict(zip(bundle.lsoas["code"], bundle.lsoas["name"]))
        ward_of = engine.assignment.set_index("lsoa_code")["ward_code"]
        hover = [f"<b>{lsoa_names[c]}</b> ({ward_names.get(ward_of.get(c), '')})" for c in bundle.lsoas["code"]]
        return cls(area_geojson(bundle.wards), area_geojson(bundle.lsoas), ward_names, lsoa_names,
                   tuple(bundle.wards.total_bounds), hover)


def needs_map(engine, assets: MapAssets, state: dict):
    meta = indicator_meta(engine, state["ind"], state["w"])
    ward_view = needs_trace_values(indicator_series(engine, state["ind"], "ward", state["w"]), assets.ward_names, meta)
    if engine.bundle.indicators.get(state["ind"]) is None or engine.bundle.indicators[state["ind"]].level == "lsoa":
        lsoa_values = indicator_series(engine, state["ind"], "lsoa", state["w"])
    else:  # a ward-only indicator: the LSOA trace is hidden; fill it with the need index
        lsoa_values = engine.need_index(state["w"])
    lsoa_view = needs_trace_values(lsoa_values, assets.lsoa_names, meta)
    return needs_figure(assets.ward_geojson, assets.lsoa_geojson, assets.ward_names, assets.lsoa_names, state["level"],
                        ward_view, lsoa_view, tiles=state.get("tiles", False), bounds=assets.bounds)


def access_map(engine, assets: MapAssets, state: dict):
    bundle = engine.bundle
    alt, base = evaluations(engine, state)
    role_labels = bundle.manifest["layers"]["sites"].get("roles", {})
    open_ids = set(engine.open_site_ids(alt.scenario)) - set(state["move"])
    values = access_values(*lsoa_map_arrays(engine, alt, base), state["colour"], threshold_label(state, engine))
    return access_figure(assets.lsoa_geojson, assets.ward_geojson, bundle.lsoas["code"], bundle.wards["code"], values,
                         bundle.located_sites, site_styles(bundle.located_sites, open_ids, role_labels),
                         added_points(engine, state), tiles=state.get("tiles", False), bounds=assets.bounds,
                         lsoa_text=assets.lsoa_hover)


def access_charts(engine, state: dict):
    """The decile chart and the cumulative curve for a state (later updated by Patch)."""
    out = scenario_outputs(engine, state)
    rows, base_label = decile_rows(out)
    alt_label = out["alt"].scenario_label
    return (decile_chart(rows, base_label, alt_label),
            curve_chart(CURVE_GRID, out["base_curve"], out["alt_curve"], base_label, alt_label,
                        state["threshold"] if state["unit"] == "minutes" else None))
