"""Whole map figures for a view state: built at start-up, and again only when the user
switches the basemap (the one time geometry is sent after the first page)."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.figures import access_figure, access_values, area_geojson, needs_figure, needs_trace_values, site_styles
from dashboard.views import added_points, indicator_meta, indicator_series, scenario_outputs, threshold_label


@dataclass(frozen=True)
class MapAssets:
    """Boundary GeoJSON and names, prepared once per app."""

    ward_geojson: dict
    lsoa_geojson: dict
    ward_names: dict
    lsoa_names: dict
    bounds: tuple

    @classmethod
    def of(cls, bundle) -> "MapAssets":
        return cls(area_geojson(bundle.wards), area_geojson(bundle.lsoas),
                   dict(zip(bundle.wards["code"], bundle.wards["name"])),
                   dict(zip(bundle.lsoas["code"], bundle.lsoas["name"])), tuple(bundle.wards.total_bounds))


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
    out = scenario_outputs(engine, state)
    role_labels = bundle.manifest["layers"]["sites"].get("roles", {})
    open_ids = set(engine.open_site_ids(out["alt"].scenario)) - set(state["move"])
    values = access_values(out["comparison"] or out["alt"], state["colour"], threshold_label(state, engine))
    return access_figure(assets.lsoa_geojson, assets.ward_geojson, bundle.lsoas["code"], bundle.wards["code"], values,
                         bundle.located_sites, site_styles(bundle.located_sites, open_ids, role_labels),
                         added_points(engine, state), tiles=state.get("tiles", False), bounds=assets.bounds)
