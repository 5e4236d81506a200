"""Geometry: LSOA-to-ward assignment and ward aggregates of LSOA indicators.

LSOAs (2011) and wards (2013) are not nested, and the two boundary files use different
generalisations. Each LSOA is assigned to the ward that holds the largest part of its
area, measured in the bundle's projected CRS (British National Grid for England), and
the share of its area inside that ward is kept so a user can see how clean the fit is.
Functions return frames aligned with the input rows (momepy style).
"""

from __future__ import annotations

import pandas as pd


def assign_lsoas_to_wards(lsoas, wards, projected_crs: str) -> pd.DataFrame:
    """One row per LSOA (input order): ``lsoa_code``, ``ward_code``, ``overlap_share``.

    ``overlap_share`` is the fraction (0-1) of the LSOA's area inside its assigned ward.
    """
    import geopandas as gpd

    lsoa_p = lsoas[["code", "geometry"]].to_crs(projected_crs).rename(columns={"code": "lsoa_code"})
    ward_p = wards[["code", "geometry"]].to_crs(projected_crs).rename(columns={"code": "ward_code"})
    lsoa_p["lsoa_area"] = lsoa_p.geometry.area
    pieces = gpd.overlay(lsoa_p, ward_p, how="intersection", keep_geom_type=True)
    pieces["piece_area"] = pieces.geometry.area
    best = pieces.sort_values("piece_area", ascending=False).drop_duplicates("lsoa_code")
    best = best.set_index("lsoa_code")
    out = pd.DataFrame({"lsoa_code": lsoas["code"].to_numpy()})
    out["ward_code"] = out["lsoa_code"].map(best["ward_code"])
    out["overlap_share"] = out["lsoa_code"].map(best["piece_area"] / best["lsoa_area"])
    return out


def ward_aggregates(
    values: pd.DataFrame, assignment: pd.DataFrame, columns: dict[str, str], weights: pd.Series, ward_codes: list[str]
) -> pd.DataFrame:
    """Ward values of LSOA indicators.

    ``columns`` maps indicator id -> "mean" (population-weighted mean, weights = ``weights``)
    or "sum". Returns a frame indexed by ``ward_codes``; a ward with no LSOA assigned gets NaN.
    """
    ward_of = assignment.set_index("lsoa_code")["ward_code"].reindex(values.index)
    w = weights.reindex(values.index).astype(float)
    out = pd.DataFrame(index=pd.Index(ward_codes, name="ward_code"))
    for column, how in columns.items():
        v = values[column].astype(float)
        if how == "sum":
            agg = v.groupby(ward_of).sum()
        else:
            agg = (v * w).groupby(ward_of).sum() / w.groupby(ward_of).sum()
        out[column] = agg.reindex(out.index)
    return out


def neighbour_pairs(areas) -> list[tuple[int, int]]:
    """Pairs of row positions (i < j) of areas that share a boundary or overlap, from a
    GeoDataFrame or GeoSeries of polygons (any one CRS).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> neighbour_pairs(gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)]))
    [(0, 1)]
    """
    geoms = getattr(areas, "geometry", areas)
    left, right = geoms.sindex.query(geoms.values, predicate="intersects")
    return sorted({(int(i), int(j)) for i, j in zip(left, right) if i < j})
