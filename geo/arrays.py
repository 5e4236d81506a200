"""A bundle made in memory from plain arrays, for ``Engine.from_arrays``.

Why: the engine's arithmetic (each origin's nearest open site by a travel model, coverage,
comparisons, the optimiser) needs no English geography, and a user with their own origins,
populations and sites should not have to write files to use it, as spopt's
``PMedian.from_cost_matrix`` takes a cost matrix. What such an engine has, and what it says:

* one area, "the area": every origin and site, drawn as the convex hull of their points (with
  a 1 m margin) only so that every origin lies in a ward; no ward figures, no indicators, no
  deprivation measure (so no deprivation figure), no postcodes and no need index;
* each origin is its own small area, with its population (one population field);
* the sites, all located, and one scenario, ``all_open``;
* one travel mode, with its speed and where the speed comes from (said in every figure's
  assumptions), and the travel model given, which names itself in every method line.

Examples
--------
>>> import numpy as np
>>> bundle = bundle_from_arrays(
...     np.array([[0.0, 0.0], [1000.0, 0.0]]), np.array([10.0, 30.0]), np.array([[0.0, 100.0]]), crs="EPSG:27700"
... )
>>> list(bundle.lsoa_values["population"]), list(bundle.sites.index)
([10.0, 30.0], ['site_1'])
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geo.bundle import Bundle
from geo.errors import ScenarioError


def _ids(given: Iterable[object] | None, prefix: str, n: int, what: str) -> list[str]:
    ids = [f"{prefix}_{i + 1}" for i in range(n)] if given is None else [str(v) for v in given]
    if len(ids) != n:
        raise ScenarioError(f"{len(ids)} {what} ids for {n} {what}s")
    if len(set(ids)) != n:
        raise ScenarioError(f"{what} ids must be unique")
    return ids


def _points(values: ArrayLike, what: str) -> np.ndarray:
    xy = np.asarray(values, float)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) == 0:
        raise ScenarioError(f"{what}: expected an (n, 2) array of projected x, y metres, got shape {xy.shape}")
    if not np.isfinite(xy).all():
        raise ScenarioError(f"{what}: every coordinate must be a finite number")
    return xy


def bundle_from_arrays(
    origins_xy: ArrayLike,
    population: ArrayLike,
    sites_xy: ArrayLike,
    *,
    crs: str,
    origin_ids: Iterable[object] | None = None,
    site_ids: Iterable[object] | None = None,
    site_names: Iterable[object] | None = None,
    population_label: str = "People",
    area_name: str = "the area",
    speed_kmh: float = 4.8,
    speed_source: str = "given with the arrays",
    minutes: float = 20.0,
) -> Bundle:
    """A bundle of one area from arrays (see the module docstring).

    Parameters
    ----------
    origins_xy, sites_xy : array-like, shape (n, 2) and (m, 2)
        Projected coordinates in metres, in ``crs``.
    population : array-like, shape (n,)
        People at each origin (non-negative).
    crs : str
        The projected CRS of the coordinates, e.g. "EPSG:27700".
    origin_ids, site_ids, site_names : sequences, optional
        Ids (default ``origin_1``..., ``site_1``...) and site names (default the ids).
    population_label : str
        What the population is, as figures name it.
    area_name : str
        The area's name in figures.
    speed_kmh, speed_source : float, str
        The one travel mode's speed and where it comes from.
    minutes : float
        The default time threshold.

    Returns
    -------
    Bundle
    """
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    if not CRS.from_user_input(crs).is_projected:
        raise ScenarioError(f"crs {crs!r} is not a projected CRS in metres")
    origins = _points(origins_xy, "origins")
    sites = _points(sites_xy, "sites")
    people = np.asarray(population, float).reshape(-1)
    if len(people) != len(origins):
        raise ScenarioError(f"{len(people)} population values for {len(origins)} origins")
    if not (np.isfinite(people).all() and (people >= 0).all()):
        raise ScenarioError("population: every value must be a finite number of at least 0")
    if not (np.isfinite(speed_kmh) and speed_kmh > 0):
        raise ScenarioError(f"speed {speed_kmh} km/h must be positive")
    o_ids = _ids(origin_ids, "origin", len(origins), "origin")
    s_ids = _ids(site_ids, "site", len(sites), "site")
    names = s_ids if site_names is None else [str(n) for n in site_names]
    if len(names) != len(s_ids):
        raise ScenarioError(f"{len(names)} site names for {len(s_ids)} sites")

    every_point = shapely.MultiPoint(np.vstack([origins, sites]))
    hull = every_point.convex_hull.buffer(1.0)
    wards = gpd.GeoDataFrame({"code": ["area"], "name": [area_name]}, geometry=[hull], crs=crs).to_crs("EPSG:4326")
    small_areas = gpd.GeoDataFrame(
        {"code": o_ids, "name": o_ids}, geometry=shapely.points(origins).tolist(), crs=crs
    ).to_crs("EPSG:4326")
    manifest = {
        "area": {"name": area_name, "projected_crs": crs, "site_buffer_m": float("inf")},
        "layers": {
            "sites": {"roles": {"site": "Site"}},
            "population": {"default": "population"},
        },
        "travel": {
            "default_mode": "travel",
            "default_minutes": float(minutes),
            "default_origins": "lsoa",
            "origins_words": "the points given, each with its own population",
            "modes": {
                "travel": {
                    "label": "Travel",
                    "phrase": "journey",
                    "speed_kmh": float(speed_kmh),
                    "source": speed_source,
                }
            },
        },
        "indicators": [],
        "scenarios": [],
    }
    site_table = pd.DataFrame(index=pd.Index(s_ids, name="site_id"))
    site_table["name"] = names
    site_table["role"] = "site"
    for column in ("group", "address", "postcode", "confidence", "source", "notes"):
        site_table[column] = ""
    lonlat = gpd.GeoSeries(shapely.points(sites).tolist(), crs=crs).to_crs("EPSG:4326")
    site_table["lat"], site_table["lon"] = lonlat.y.to_numpy(), lonlat.x.to_numpy()
    site_table["capacity"] = np.nan
    site_table["x"], site_table["y"] = sites[:, 0], sites[:, 1]
    site_table["located"] = True
    site_table["outside_area"] = False
    return Bundle(
        path=Path("."),
        manifest=manifest,
        area_name=area_name,
        projected_crs=crs,
        wards=wards,
        lsoas=small_areas,
        lsoa_values=pd.DataFrame({"population": people}, index=pd.Index(o_ids, name="lsoa_code")),
        population_fields={"population": population_label},
        origin_xy=origins,
        ward_values=pd.DataFrame(index=pd.Index(["area"], name="ward_code")),
        flags=pd.DataFrame(columns=["id", "label", "source", "wards"]),
        indicators={},
        sites=site_table,
        postcodes=pd.DataFrame({"x": [], "y": []}, index=pd.Index([], name="postcode", dtype=object)),
        calibration=pd.DataFrame({"straight_km": [], "network_km": []}),
        scenarios={
            "all_open": {
                "id": "all_open",
                "label": "All sites open",
                "description": "Every site given.",
                "sites": list(s_ids),
                "assumptions": [],
            }
        },
    )
