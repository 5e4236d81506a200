"""Independent computation of Luton's headline figures from the raw CSV files.

Nothing here calls the engine's coverage code: populations come from the ONS single-year
files and the output-area file, distances from pyproj and math, and the route model from
the formula documented in geo.travel / geo.calibrate with parameters fitted here by
scipy. ``tests/expected_luton.toml`` holds these figures; ``test_expected_figures.py``
checks the engine, the CLI and the README against them.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
from pyproj import Transformer

LUTON = Path(__file__).resolve().parent.parent / "data" / "luton"
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
WALK_M_PER_MIN = 4.8 * 1000 / 60


def rows(name):
    with open(LUTON / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def output_areas(ages=range(5), year=2019):
    """[(x, y, people, lsoa11, residents)] for every 2021 output area."""
    parent = {r["lsoa21_code"]: r["lsoa11_code"] for r in rows("lookup_lsoa11_lsoa21.csv")}
    people = {
        r["lsoa11_code"]: sum(float(r[str(a)]) for a in ages) for r in rows(f"luton_sape_mid{year}_lsoa11_syoa.csv")
    }
    areas = rows("oa21_luton_pwc_population.csv")
    residents = {}
    for r in areas:
        residents[parent[r["lsoa21_code"]]] = residents.get(parent[r["lsoa21_code"]], 0.0) + float(
            r["usual_residents_2021"]
        )
    out = []
    for r in areas:
        lsoa = parent[r["lsoa21_code"]]
        x, y = TO_BNG.transform(float(r["lon"]), float(r["lat"]))
        share = float(r["usual_residents_2021"]) / residents[lsoa]
        out.append((x, y, people[lsoa] * share, lsoa, float(r["usual_residents_2021"])))
    return out


def site_points(site_ids):
    sites = {r["site_id"]: r for r in rows("sites.csv")}
    return [TO_BNG.transform(float(sites[s]["lon"]), float(sites[s]["lat"])) for s in site_ids if sites[s]["lat"]]


def pairs_curve():
    """Knots of the pairs' detour curve: per band, (median straight, median straight x median circuity)."""
    straight, route = [], []
    for r in rows("luton_msoa_pairs_network_vs_straight.csv"):
        straight.append(float(r["dist_straight_km"]))
        route.append(float(r["dist_fast_km"]))
    straight, route = np.array(straight), np.array(route)
    edges = [0.0, 1.5, 2.5, 4.0, 6.0, np.inf]
    xs, ys = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (straight >= lo) & (straight < hi)
        mid = float(np.median(straight[inside])) * 1000
        xs.append(mid)
        ys.append(mid * max(1.0, float(np.median(route[inside] / straight[inside]))))
    return np.array(xs), np.maximum.accumulate(ys)


def curve(d, xs, ys, access):
    d = np.asarray(d, float)
    out = np.interp(d, xs, ys)
    out = np.where(d < xs[0], d * ys[0] / xs[0], out)
    out = np.where(d > xs[-1], d * ys[-1] / xs[-1], out)
    return np.maximum(out, d) + access


def fitted_access():
    """The access distance fitted by least squares on log(estimate / official) over the whole sample."""
    return _access_fit()[0]()


def loo_range_factors():
    """The travel range's factors: the 10th and 90th percentiles of official / estimate, each
    LSOA estimated by a fit that left it out (leave-one-out), unrounded."""
    fit, estimate, official = _access_fit()
    ratios = []
    for k in range(len(official)):
        keep = np.arange(len(official)) != k
        ratios.append(official[k] / estimate(fit(keep))[k])
    low, high = np.quantile(ratios, [0.1, 0.9])
    return min(float(low), 1.0), max(float(high), 1.0)


def _access_fit():
    """(fit(rows) -> access, estimate(access) -> per-LSOA metres, official metres) on the road sample."""
    from scipy.optimize import least_squares

    xs, ys = pairs_curve()
    schools = np.array(
        [[float(r["easting"]), float(r["northing"])] for r in rows("primary_schools_2017_luton_area.csv")]
    )
    official = {
        r["lsoa11_code"]: float(r["road_km_primary_school"]) * 1000
        for r in rows("iod2019_road_km_primary_school_sample.csv")
    }
    areas = [a for a in output_areas() if a[3] in official]
    d = np.array([min(math.dist((x, y), s) for s in schools) for x, y, *_ in areas])
    lsoa = np.array([a[3] for a in areas])
    w = np.array([a[4] for a in areas])
    codes = sorted(official)

    target = np.array([official[c] for c in codes])

    def estimate(access):
        route = curve(d, xs, ys, access)
        return np.array([np.average(route[lsoa == c], weights=w[lsoa == c]) for c in codes])

    def fit(rows=None):
        rows = np.ones(len(codes), bool) if rows is None else rows
        return float(
            least_squares(lambda p: np.log(estimate(p[0])[rows] / target[rows]), [100.0], bounds=([0.0], [1000.0])).x[0]
        )

    return fit, estimate, target


SCENARIO_SITES = {
    "current": [r["site_id"] for r in rows("sites.csv") if r["role"] == "current_centre"],
    "proposed": ["hub_manor", "hub_leagrave_tbc", "outreach_london_road", "outreach_beech_hill"],
}


def walk_covered(access, minutes=20.0, factor=1.0):
    """(output areas, {scenario: covered mask}) for a ``minutes`` walk to the current and proposed
    sites, every route ``factor`` times as long."""
    xs, ys = pairs_curve()
    areas = output_areas()
    covered = {}
    for name, ids in SCENARIO_SITES.items():
        pts = site_points(ids)
        d = np.array([min(math.dist((x, y), p) for p in pts) for x, y, *_ in areas])
        covered[name] = factor * curve(d, xs, ys, access) / WALK_M_PER_MIN <= minutes
    return areas, covered


def walk_figures(access, minutes=20.0):
    """Under-fives (mid-2019) within ``minutes`` walk of the current and proposed sites, and losers."""
    imd = {r["lsoa_code"]: int(r["IMD_decile"]) for r in rows("imd2019_lsoa_luton.csv")}
    areas, covered = walk_covered(access, minutes)
    people = np.array([a[2] for a in areas])
    deprived = np.array([imd[a[3]] <= 2 for a in areas])
    lost = covered["current"] & ~covered["proposed"]
    return {
        "total": people.sum(),
        "current": people[covered["current"]].sum(),
        "proposed": people[covered["proposed"]].sum(),
        "losing": people[lost].sum(),
        "losing_deprived": people[lost & deprived].sum(),
    }


def straight_figures(km=1.0, site_ids=None):
    """Under-fives within ``km`` straight line of the nearest site: of ``site_ids`` (a number), or of
    each scenario's sites (a dict)."""
    areas = output_areas()

    def covered(ids):
        pts = site_points(ids)
        return sum(p for x, y, p, *_ in areas if min(math.dist((x, y), q) for q in pts) <= km * 1000)

    if site_ids is not None:
        return covered(site_ids)
    return {name: covered(ids) for name, ids in SCENARIO_SITES.items()}


def ward_of_output_areas(geojson: str = "wards_2023.geojson", key: str = "WD25CD") -> list[str]:
    """Each 2021 output area's ward by overlay (shapely alone, on the raw GeoJSON in British
    National Grid): the polygon holding its centroid, else the nearest one."""
    import json

    import shapely
    from shapely.geometry import shape

    with open(LUTON / geojson, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    codes = [f["properties"][key] for f in features]
    to_bng = lambda xy: np.column_stack(TO_BNG.transform(xy[:, 0], xy[:, 1]))  # noqa: E731
    polygons = [shapely.transform(shape(f["geometry"]), to_bng) for f in features]
    out = []
    for r in rows("oa21_luton_pwc_population.csv"):
        point = shapely.Point(*TO_BNG.transform(float(r["lon"]), float(r["lat"])))
        holding = [c for c, p in zip(codes, polygons) if p.contains(point)]
        out.append(holding[0] if holding else codes[int(np.argmin([p.distance(point) for p in polygons]))])
    return out
