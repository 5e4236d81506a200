"""Geometry of area sets: which areas neighbour one another.

Wards are not reached through LSOAs here: LSOAs and wards are not nested, so every origin is
placed in the ward polygon that holds it (``geo.areas.place_in_wards``) and ward values are
computed over origins (``geo.engine``).
"""

from __future__ import annotations

from typing import Any


def neighbour_pairs(areas: Any) -> list[tuple[int, int]]:
    """Pairs of row positions (i < j) of areas that share a boundary or overlap, from a
    GeoDataFrame or GeoSeries of polygons (any one CRS).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> neighbour_pairs(gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)]))
    [(0, 1)]
    """
    geoms: Any = getattr(areas, "geometry", areas)
    left, right = geoms.sindex.query(geoms.values, predicate="intersects")
    return sorted({(int(i), int(j)) for i, j in zip(left, right) if i < j})
