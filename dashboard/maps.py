"""Whole map figures for a view state: built at start-up, and again only when the user
switches the basemap (the one time geometry is sent after the first page)."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.figures import (
    access_figure,
    access_values,
    area_geojson,
    geo_extent,
    needs_figure,
    needs_trace_values,
    site_styles,
)
from dashboard.views import (
    added_points,
    evaluations,
    indicator_meta,
    indicator_series,
    lsoa_added_minutes,
    lsoa_map_arrays,
    threshold_label,
)
from geo.geometry import neighbour_pairs


@dataclass(frozen=True)
class MapAssets:
    """Boundary GeoJSON and names, prepared once per app."""

    ward_geojson: dict  # the primary ward set (the Access map's outlines)
    lsoa_geojson: dict
    ward_names: dict
    lsoa_names: dict
    bounds: tuple
    lsoa_hover: list  # "<b>LSOA name</b> (ward)", static hover text of the access map
    ward_set_geojson: dict  # ward set id -> GeoJSON (the Needs map draws every set; one is shown)
    current_lsoa_geojson: dict | None  # the bundle's current LSOAs (a Needs map level), if any
    ward_label_points: dict  # ward set id -> {"lon", "lat", "text"}: where each ward's name is written
    lsoa_neighbours: list  # pairs of LSOA positions sharing a boundary (catchment colours)
    # ward set id -> whether some ward lacks a value of some indicator: only then does the Needs
    # map draw its grey "no published figure" layer under the values (a second copy of every
    # ward's boundary, which a county's first map paid for in bytes and drawing time)
    ward_gaps: dict

    @staticmethod
    def _ward_gaps(engine) -> dict:
        ids = list(engine.bundle.indicators)
        gaps = {}
        for set_id in engine.ward_sets:
            table = engine.ward_table(set_id)
            present = [i for i in ids if i in table.columns]
            gaps[set_id] = len(present) < len(ids) or bool(table[present].isna().any().any())
        return gaps

    @classmethod
    def of(cls, engine) -> MapAssets:
        bundle = engine.bundle
        ward_names = dict(zip(bundle.wards["code"], bundle.wards["name"]))
        lsoa_names = dict(zip(bundle.lsoas["code"], bundle.lsoas["name"]))
        # each LSOA named with the ward holding most of its residents
        hover = [f"<b>{lsoa_names[c]}</b> ({ward_names.get(engine.lsoa_ward(c), '')})" for c in bundle.lsoas["code"]]
        by_set = {set_id: area_geojson(ward_set.wards) for set_id, ward_set in engine.ward_sets.items()}
        current = bundle.current_lsoas if "lsoa_current" in engine.levels else None
        points = {}
        for set_id, ward_set in engine.ward_sets.items():
            # a point inside each ward (in projected metres, then back to lon/lat)
            inside = ward_set.wards.to_crs(bundle.projected_crs).geometry.representative_point().to_crs("EPSG:4326")
            points[set_id] = {
                "lon": [round(p.x, 5) for p in inside],
                "lat": [round(p.y, 5) for p in inside],
                "text": list(ward_set.wards["name"]),
            }
        return cls(
            by_set[engine.primary_ward_set],
            area_geojson(bundle.lsoas),
            ward_names,
            lsoa_names,
            tuple(bundle.wards.total_bounds),
            hover,
            by_set,
            area_geojson(current.wards) if current is not None else None,
            points,
            neighbour_pairs(bundle.lsoas),
            cls._ward_gaps(engine),
        )

    def extent(self, engine, state: dict) -> dict:
        """The map extent for a state: its found ward (with a wide margin), else the whole area."""
        if state.get("ward"):
            return geo_extent(engine.ward_bounds(state["ward"], state["wards"]), pad=0.6)
        return geo_extent(self.bounds)

    def labels(self, state: dict) -> dict:
        """Ward-name text for the state's ward set, visible when the state asks for names."""
        return {**self.ward_label_points[state["wards"]], "visible": bool(state.get("labels"))}


def needs_values(engine, state: dict, set_id: str, level: str = "ward") -> dict:
    """Trace values of the state's indicator for one ward set (or for LSOAs), with the grey
    layer's hover text saying why a ward has no value."""
    meta = indicator_meta(engine, state["ind"], state["w"])
    names = area_names(engine, level, set_id)
    if engine.shown_level(state["ind"], level)[0] != level:
        # not published for this level (a ward-only figure on an LSOA level, a current-LSOA one
        # on the older LSOAs): its trace is hidden; fill it with the need index
        values = engine.need_index(state["w"], level=level)
    else:
        values = indicator_series(engine, state["ind"], level, state["w"], set_id)
    definition = engine.ward_value_definition(state["ind"]) if level == "ward" else None
    return needs_trace_values(values, names, meta, definition)


def area_names(engine, level: str, set_id: str) -> dict:
    """Code -> name of the areas a Needs map level shows (``Engine.area_names``)."""
    return engine.area_names(level, set_id)


def missing_text(engine, state: dict, set_id: str) -> str:
    """Hover text of a ward with no value: why there is none."""
    reason = engine.unpublished_reason(state["ind"], set_id) if state["ind"] in engine.bundle.indicators else None
    return f"No published figure: {reason}" if reason else "No published figure for this ward"


def needs_map(engine, assets: MapAssets, state: dict, lsoa_levels: frozenset[str] | None = None):
    """The needs map for a view; ``lsoa_levels``: the LSOA levels whose boundaries it carries
    (default: all; the first page load carries the level it shows only)."""
    layers = [
        {
            "id": set_id,
            "geojson": assets.ward_set_geojson[set_id],
            "names": ward_set.names,
            "view": needs_values(engine, state, set_id),
            "missing_text": missing_text(engine, state, set_id),
            "gaps": assets.ward_gaps[set_id],
        }
        for set_id, ward_set in engine.ward_sets.items()
    ]
    lsoa_view = needs_values(engine, state, engine.primary_ward_set, "lsoa")
    current = None
    if assets.current_lsoa_geojson is not None:
        current = (assets.current_lsoa_geojson, needs_values(engine, state, engine.primary_ward_set, "lsoa_current"))
    fig = needs_figure(
        layers,
        assets.lsoa_geojson,
        state["level"],
        state["wards"],
        lsoa_view,
        tiles=state.get("tiles", False),
        bounds=assets.bounds,
        current_lsoa=current,
        labels=assets.labels(state),
        lsoa_levels=frozenset({"lsoa", "lsoa_current"}) if lsoa_levels is None else lsoa_levels,
    )
    return _zoom(fig, engine, assets, state)


def _zoom(fig, engine, assets: MapAssets, state: dict):
    if state.get("ward") and not state.get("tiles"):
        extent = assets.extent(engine, state)
        fig.update_geos(lonaxis_range=extent["lon"], lataxis_range=extent["lat"], center=extent["center"])
    return fig


def access_map(engine, assets: MapAssets, state: dict):
    bundle = engine.bundle
    alt, base = evaluations(engine, state)
    role_labels = bundle.manifest["layers"]["sites"].get("roles", {})
    statuses = engine.site_statuses(alt.scenario, None if base is None else base.scenario)
    added_minutes = lsoa_added_minutes(engine, alt, base) if state["colour"] == "added" else None
    values = access_values(
        *lsoa_map_arrays(engine, alt, base),
        state["colour"],
        threshold_label(state, engine),
        added_minutes,
        assets.lsoa_neighbours,
    )
    fig = access_figure(
        assets.lsoa_geojson,
        assets.ward_geojson,
        bundle.lsoas["code"],
        bundle.wards["code"],
        values,
        bundle.located_sites,
        site_styles(bundle.located_sites, statuses, role_labels, values.get("numbers")),
        added_points(engine, state),
        tiles=state.get("tiles", False),
        bounds=assets.bounds,
        lsoa_text=assets.lsoa_hover,
        labels=assets.labels(state),
        other_outlines=[
            (assets.ward_set_geojson[k], w.codes, k == state["wards"]) for k, w in list(engine.ward_sets.items())[1:]
        ],
    )
    return _zoom(fig, engine, assets, state)


# What a graph on a page that is not shown starts with: nothing to draw (no axes either). Its
# figure is sent when the page is first shown (callbacks/state.py draw_access_map, access.py).
NOT_DRAWN = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}}
