"""``python -m benchmarks.travel_trials``: the national travel model's alternatives, each
checked out of authority exactly as the shipped curve is (``geo.national_travel``:
five folds of whole upper-tier authorities), so the README's "tried and not better"
can be re-run.

Trials (mean absolute error, median estimate / official, out of authority):

* ``least squares``: the power curve fitted by least squares on log(estimate / official)
  (the model before the median fit);
* ``median fit``: least absolute deviations of the same (the shipped model);
* ``median fit by density``: a curve for each of the four density classes;
* ``postcodes, equal``: the estimate averaged over the LSOA's Code-Point Open postcodes
  (placed in the 2011 LSOA polygons) rather than its output areas;
* ``postcodes, by residents``: the same, each postcode weighted by the residents of its
  nearest output-area centroid shared among that centroid's postcodes;
* ``gradient boosting``: scikit-learn's histogram gradient boosting (absolute error) on 13
  features of each LSOA (the curve's estimate; the nearest five schools; schools within
  1 and 2 km; density; output-area spacing; the spread of its output areas' distances; the
  nearest school's pupils): skipped when scikit-learn is not installed.

The trials use each curve itself; the shipped check (``cross_validate``) uses the knots a
bundle carries, so its figures differ from the "median fit" row by a tenth of a point or
so. Takes about a minute on 2 cores.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.spatial import cKDTree

from geo import national_travel as nt
from geo.pack import default_pack_path, open_pack


def _folds(sample: nt.CalibrationSample) -> np.ndarray:
    authorities = sorted(set(sample.authority))
    fold_of = {a: i % nt.FOLDS for i, a in enumerate(authorities)}
    return np.array([fold_of[a] for a in sample.authority])


def _least_squares(sample, rows):
    from scipy.optimize import least_squares

    def residuals(params):
        return np.log(sample.estimate(lambda d: nt.power_curve_km(d, *params))[rows] / sample.official_km[rows])

    fit = least_squares(residuals, [1.3, 1.0], bounds=([0.5, 0.3], [4.0, 1.5])).x
    return float(fit[0]), float(fit[1])


def _curve_trial(sample, fit) -> dict:
    """Out-of-authority error of a power curve fitted by ``fit`` (as ``cross_validate``)."""
    fold = _folds(sample)
    estimate = np.empty(len(sample.lsoa_codes))
    for k in range(nt.FOLDS):
        b, c = fit(sample, fold != k)
        estimate[fold == k] = sample.estimate(lambda d, b=b, c=c: nt.power_curve_km(d, b, c))[fold == k]
    return nt.error_row(estimate, sample.official_km)


def _by_density(sample) -> dict:
    fold = _folds(sample)
    origin_class = sample.density_class()[sample.origin_lsoa]
    estimate = np.empty(len(sample.lsoa_codes))

    def curves(params):
        b, c = np.asarray(params[:4])[origin_class], np.asarray(params[4:])[origin_class]
        return sample.estimate(lambda d: b * np.power(d, c))

    for k in range(nt.FOLDS):
        rows = fold != k
        result = minimize(
            lambda p, rows=rows: float(np.abs(np.log(curves(p)[rows] / sample.official_km[rows])).mean()),
            [1.47] * 4 + [0.84] * 4,
            method="Powell",
            bounds=[(0.5, 4.0)] * 4 + [(0.3, 1.5)] * 4,
        )
        estimate[fold == k] = curves(result.x)[fold == k]
    return nt.error_row(estimate, sample.official_km)


def _postcode_samples(pack, sample):
    import geopandas as gpd
    from pyproj import Transformer

    postcodes = pack.table("postcodes_england_codepoint_open_2025_4", ["postcode", "easting", "northing"])
    shapes = pack.geometries("boundaries_lsoa11_bgc").to_crs("EPSG:27700")
    shapes = shapes[shapes["LSOA11CD"].isin(set(sample.lsoa_codes))][["LSOA11CD", "geometry"]]
    points = gpd.GeoDataFrame(
        postcodes, geometry=gpd.points_from_xy(postcodes["easting"], postcodes["northing"]), crs="EPSG:27700"
    )
    joined = gpd.sjoin(points, shapes, predicate="within", how="inner")
    joined = joined[~joined.index.duplicated()]
    xy = joined[["easting", "northing"]].to_numpy(float)
    schools = nt.state_primary_schools(pack.table("schools_gias_open_england_20250524"))
    straight, _ = cKDTree(schools[["easting", "northing"]].to_numpy(float)).query(xy)
    position = {code: i for i, code in enumerate(sample.lsoa_codes)}
    lsoa = joined["LSOA11CD"].map(position).to_numpy()
    areas = pack.table("centroids_oa21_pwc_population", ["lon", "lat", "usual_residents_2021"])
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
        areas["lon"].to_numpy(), areas["lat"].to_numpy()
    )
    _, nearest = cKDTree(np.column_stack([x, y])).query(xy)
    shared = np.bincount(nearest, minlength=len(areas))
    by_residents = areas["usual_residents_2021"].to_numpy(float)[nearest] / shared[nearest]
    equal = dataclasses.replace(
        sample, origin_lsoa=lsoa, origin_weight=np.ones(len(lsoa)), origin_straight_km=straight / 1000.0
    )
    return equal, dataclasses.replace(equal, origin_weight=by_residents)


def _gradient_boosting(pack, sample) -> dict | None:
    try:
        from sklearn.ensemble import HistGradientBoostingRegressor
    except ImportError:
        return None
    from pyproj import Transformer

    lookup = pack.table("lookup_lsoa11_lsoa21", ["lsoa11_code", "lsoa21_code", "chgind"])
    whole = lookup[lookup["chgind"].isin(["U", "S"])]
    areas = pack.table("centroids_oa21_pwc_population", ["lsoa21_code", "lon", "lat", "usual_residents_2021"])
    areas = areas.merge(whole[["lsoa11_code", "lsoa21_code"]], on="lsoa21_code")
    areas = areas[areas["lsoa11_code"].isin(set(sample.lsoa_codes))]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(
        areas["lon"].to_numpy(), areas["lat"].to_numpy()
    )
    xy = np.column_stack([x, y])
    schools = nt.state_primary_schools(pack.table("schools_gias_open_england_20250524"))
    tree = cKDTree(schools[["easting", "northing"]].to_numpy(float))
    km, nearest = tree.query(xy, k=5)
    km /= 1000.0
    n = len(sample.lsoa_codes)
    lsoa = areas["lsoa11_code"].map({c: i for i, c in enumerate(sample.lsoa_codes)}).to_numpy()
    weight = areas["usual_residents_2021"].to_numpy(float)

    def mean(v):
        return np.bincount(lsoa, weight * v, n) / np.bincount(lsoa, weight, n)

    spacing = cKDTree(xy).query(xy, k=2)[0][:, 1] / 1000.0
    pupils = schools["pupils"].to_numpy(float)[nearest[:, 0]]
    first = pd.Series(km[:, 0]).groupby(lsoa)
    b, c = nt.fit_power_curve(sample, np.ones(n, bool))
    features = np.column_stack(
        [
            np.log(mean(b * km[:, 0] ** c)),
            np.log(mean(km[:, 0])),
            mean(km[:, 1] / km[:, 0]),
            mean(km[:, 2] / km[:, 0]),
            np.log(mean(km[:, 4])),
            mean(np.array([len(v) for v in tree.query_ball_point(xy, 1000.0)], float)),
            mean(np.array([len(v) for v in tree.query_ball_point(xy, 2000.0)], float)),
            np.log(sample.density),
            np.log(mean(spacing)),
            np.log(np.maximum(np.bincount(lsoa, minlength=n), 1)),
            np.log(first.max().reindex(range(n)).to_numpy()),
            np.log(first.min().reindex(range(n)).to_numpy()),
            mean(np.nan_to_num(pupils, nan=float(np.nanmedian(pupils)))),
        ]
    )
    target = np.log(sample.official_km)
    fold = _folds(sample)
    estimate = np.empty(n)
    for k in range(nt.FOLDS):
        model = HistGradientBoostingRegressor(
            loss="absolute_error", max_iter=400, learning_rate=0.05, min_samples_leaf=50, random_state=0
        )
        model.fit(features[fold != k], target[fold != k])
        estimate[fold == k] = np.exp(model.predict(features[fold == k]))
    return nt.error_row(estimate, sample.official_km)


def main() -> None:
    started = time.perf_counter()
    pack = open_pack(default_pack_path())
    sample = nt.calibration_sample(pack)
    rows = [
        ("least squares", _curve_trial(sample, _least_squares)),
        ("median fit (shipped)", _curve_trial(sample, nt.fit_power_curve)),
        ("median fit by density", _by_density(sample)),
    ]
    equal, by_residents = _postcode_samples(pack, sample)
    rows += [
        ("postcodes, equal", _curve_trial(equal, nt.fit_power_curve)),
        ("postcodes, by residents", _curve_trial(by_residents, nt.fit_power_curve)),
    ]
    boosted = _gradient_boosting(pack, sample)
    if boosted is not None:
        rows.append(("gradient boosting", boosted))
    print("| trial | median estimate / official | mean absolute error | within 20% |")
    print("|---|---:|---:|---:|")
    for name, row in rows:
        print(
            f"| {name} | {row['median_ratio']:.3f} | {row['mean_abs_pct_error']:.1f}% | "
            f"{100 * row['share_within_20pct']:.1f}% |"
        )
    if boosted is None:
        print("(gradient boosting skipped: scikit-learn is not installed)")
    print(f"{sample.lsoa_codes.size:,} LSOAs, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
