"""A travel model calibrated on a whole national pack, checked on authorities it has not seen.

Method
------
The official measure is the IoD 2019 road distance from each 2011 LSOA to its nearest
state-funded primary school (MHCLG, File 8 "Geographical Barriers"): a mean over the
LSOA's residents, measured on the road network to the schools of 2017-18.

* **Origins.** Each LSOA's 2021 output-area population-weighted centroids, weighted by
  their Census 2021 residents. Only 2011 LSOAs that are unchanged or split in 2021 are
  used (``chgind`` U or S): their output areas lie wholly inside them. Merged or
  redrawn ones (M, X: under 1% of LSOAs) are left out of the fit and the check.
* **Schools.** The pack's open state-funded schools with primary pupils (phase Primary,
  Middle deemed primary or All-through; not independent, not special), May 2025.
  The official distances were measured to the schools of 2017-18: a school opened since
  makes our straight line shorter than the one the official route followed, a school
  closed since makes it longer. The pack has no opening or closing dates, so no school
  can be dropped or added back; the fitted curve absorbs the average effect (it is fitted
  to this very mismatch), and what is left shows up as error, reported below.
* **Form.** ``route = b * straight ** c`` (kilometres), the power curve on the straight
  line to the nearest school, fitted by least absolute deviations of log(estimate /
  official) (a median fit) with the estimate averaged over the output areas as the
  official figure is. The alternatives tried (``python -m benchmarks.travel_trials``: a
  curve for each density class, the estimate averaged over postcodes, gradient boosting on
  13 features of each LSOA) each moved the out-of-authority error by 0.1 point or less or
  made it worse, so the model has one curve for every settlement type; its error *is*
  reported by type.
* **Use.** The curve is written into each built bundle as the knots of a
  ``geo.travel.DetourModel`` (route at fixed straight-line distances, linear between,
  the last knot's circuity beyond it, never shorter than the straight line), so every
  figure uses exactly the model that was checked.
* **Check.** Cross-validation by whole upper-tier authorities: the authorities, in code
  order, are dealt into five folds; each fold's LSOAs are estimated by a fit on the other
  four. The error is reported overall and by density class. The 10th and 90th
  percentiles of official / out-of-authority estimate are the travel range every figure
  shows. Road distances kept back from the pack are never used (they are not in it).

Examples
--------
>>> model = DetourModel((500.0, 1000.0), (750.0, 1400.0), (1.5, 1.4), (1, 1), (0.0,))
>>> [round(float(v)) for v in model.network_m([500.0, 2000.0])]
[750, 2800]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geo.errors import BundleError
from geo.travel import DetourModel

if TYPE_CHECKING:
    from geo.pack import Pack

FOLDS = 5
DENSITY_EDGES = (1000.0, 3000.0, 6000.0)  # residents per km²: four settlement classes
DENSITY_LABELS = (
    "under 1,000 residents per km² (rural and village)",
    "1,000-3,000 per km² (small town and suburban)",
    "3,000-6,000 per km² (urban)",
    "6,000 or more per km² (dense urban)",
)
KNOTS_KM = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
INTERVAL = (0.1, 0.9)
PRIMARY_PHASES = ("Primary", "Middle deemed primary", "All-through")
NOT_STATE_FUNDED = ("Independent schools", "Special schools")


def state_primary_schools(schools: pd.DataFrame) -> pd.DataFrame:
    """Open state-funded schools with primary pupils (the kind the IoD measure goes to).

    >>> frame = pd.DataFrame({"phase": ["Primary", "Secondary", "Primary"],
    ...                       "type_group": ["Academies", "Academies", "Independent schools"],
    ...                       "easting": [1.0, 2.0, 3.0], "northing": [1.0, 2.0, 3.0]})
    >>> len(state_primary_schools(frame))
    1
    """
    keep = (
        schools["phase"].isin(PRIMARY_PHASES)
        & ~schools["type_group"].isin(NOT_STATE_FUNDED)
        & schools["easting"].notna()
        & schools["northing"].notna()
    )
    return schools[keep]


def power_curve_km(straight_km: ArrayLike, b: float, c: float) -> np.ndarray:
    """``b * straight ** c``, the fitted form (kilometres in, kilometres out).

    >>> float(power_curve_km(1.0, 1.4, 0.8))
    1.4
    """
    return np.asarray(b * np.power(np.asarray(straight_km, float), c))


def _route_km(model: DetourModel, straight_km: np.ndarray) -> np.ndarray:
    """``model``'s route in km for straight-line km."""
    return model.network_m(np.asarray(straight_km) * 1000.0) / 1000.0


def curve_to_detour(b: float, c: float, knots_km: Sequence[float] = KNOTS_KM) -> DetourModel:
    """The power curve as the knots of a DetourModel (never below the straight line).

    >>> model = curve_to_detour(1.4, 1.0, knots_km=(1.0, 2.0))
    >>> round(float(model.network_m([1000.0])[0]))
    1400
    """
    xs = np.asarray(knots_km, float)
    ys = np.maximum(power_curve_km(xs, b, c), xs)
    ys = np.maximum.accumulate(ys)
    return DetourModel(
        tuple(float(v) for v in xs * 1000.0),
        tuple(float(v) for v in ys * 1000.0),
        tuple(float(v) for v in ys / xs),
        tuple(0 for _ in xs),
        (0.0,),
    )


@dataclass(frozen=True)
class CalibrationSample:
    """Output areas with their straight line to the nearest school, grouped into LSOAs."""

    lsoa_codes: np.ndarray  # one per LSOA
    official_km: np.ndarray  # one per LSOA
    authority: np.ndarray  # one per LSOA (upper-tier code)
    density: np.ndarray  # residents per km², one per LSOA
    origin_lsoa: np.ndarray  # index into lsoa_codes, one per output area
    origin_weight: np.ndarray  # residents, one per output area
    origin_straight_km: np.ndarray  # one per output area

    def estimate(self, route_km_of_straight: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Each LSOA's estimate: the residents' mean of the model route."""
        n = len(self.lsoa_codes)
        route = route_km_of_straight(self.origin_straight_km)
        total = np.bincount(self.origin_lsoa, self.origin_weight * route, n)
        return total / np.bincount(self.origin_lsoa, self.origin_weight, n)

    def density_class(self) -> np.ndarray:
        """0-3 by DENSITY_EDGES."""
        return np.asarray(np.digitize(self.density, DENSITY_EDGES))


def error_row(estimate: np.ndarray, official: np.ndarray) -> dict[str, Any]:
    """Median estimate/official, mean absolute % error and share within 20%.

    >>> error_row(np.array([1.0, 1.2]), np.array([1.0, 1.0]))["mean_abs_pct_error"]
    10.0
    """
    ratio = np.asarray(estimate, float) / np.asarray(official, float)
    ape = np.abs(ratio - 1.0)
    return {
        "lsoas": int(len(ratio)),
        "median_ratio": round(float(np.median(ratio)), 4),
        "mean_abs_pct_error": round(float(100 * ape.mean()), 2),
        "share_within_20pct": round(float(np.mean(ape <= 0.2)), 4),
    }


def fit_power_curve(sample: CalibrationSample, rows: np.ndarray) -> tuple[float, float]:
    """Least absolute deviations of log(estimate / official) over ``rows`` (a boolean mask
    of LSOAs): a median fit, so that as many LSOAs are over-estimated as under, and a few
    LSOAs far off the curve (a school opened or closed since 2017-18) do not pull it as
    they pull a least-squares fit (out of authority: 18.4% mean absolute error against 19.0%).

    Returns ``(b, c)`` of ``route = b * straight ** c`` (km). On official distances made by
    that very curve it finds the curve again:

    >>> sample = _synthetic_sample(b=1.4, c=0.8)
    >>> [round(v, 3) for v in fit_power_curve(sample, np.ones(len(sample.lsoa_codes), bool))]
    [1.4, 0.8]
    """
    from scipy.optimize import least_squares, minimize

    def residuals(params: np.ndarray) -> np.ndarray:
        b, c = params
        estimate = sample.estimate(lambda d: power_curve_km(d, b, c))
        return np.asarray(np.log(estimate[rows] / sample.official_km[rows]))

    # the least-squares fit is the start; the absolute deviations have no gradient at zero, so
    # a simplex search (bounded) finishes it
    start = least_squares(residuals, [1.3, 1.0], bounds=([0.5, 0.3], [4.0, 1.5])).x
    result = minimize(
        lambda params: float(np.abs(residuals(params)).mean()),
        start,
        method="Nelder-Mead",
        bounds=[(0.5, 4.0), (0.3, 1.5)],
        options={"xatol": 1e-5, "fatol": 1e-9, "maxiter": 2000},
    )
    return float(result.x[0]), float(result.x[1])


def cross_validate(sample: CalibrationSample, folds: int = FOLDS) -> dict[str, Any]:
    """Fit on four fifths of the authorities, estimate the rest; the whole table.

    Returns the out-of-authority estimate per LSOA, the error overall and by density
    class, the travel range and the final fit on every authority. The estimates use the
    curve as a bundle carries it (knots, linear between), so where every authority follows
    the same curve the only error left is that of the knots, a fifth of a per cent:

    >>> result = cross_validate(_synthetic_sample(b=1.4, c=0.8))
    >>> result["overall"]["median_ratio"], result["overall"]["mean_abs_pct_error"], result["authorities"]
    (0.9981, 0.21, 10)
    """
    authorities = np.array(sorted(set(sample.authority)))
    fold_of = {a: i % folds for i, a in enumerate(authorities)}
    fold = np.array([fold_of[a] for a in sample.authority])
    out_of_sample = np.empty(len(sample.lsoa_codes))
    for k in range(folds):
        b, c = fit_power_curve(sample, fold != k)
        detour = curve_to_detour(b, c)
        estimate = sample.estimate(partial(_route_km, detour))
        out_of_sample[fold == k] = estimate[fold == k]
    b, c = fit_power_curve(sample, np.ones(len(sample.lsoa_codes), bool))
    classes = sample.density_class()
    by_class = []
    for i, label in enumerate(DENSITY_LABELS):
        rows = classes == i
        by_class.append({"settlement": label, **error_row(out_of_sample[rows], sample.official_km[rows])})
    ratio = sample.official_km / out_of_sample
    low, high = (float(np.quantile(ratio, q)) for q in INTERVAL)
    return {
        "b": b,
        "c": c,
        "overall": error_row(out_of_sample, sample.official_km),
        "by_settlement": by_class,
        "interval": (low, high),
        "authorities": int(len(authorities)),
        "folds": folds,
        "out_of_sample_km": out_of_sample,
    }


def _synthetic_sample(b: float, c: float) -> CalibrationSample:
    """Forty LSOAs in ten authorities, two output areas each, whose official distance is the
    residents' mean of ``b * straight ** c`` (for the examples above)."""
    rng = np.random.default_rng(0)
    n = 40
    straight = rng.uniform(0.2, 3.0, 2 * n)
    origin_lsoa = np.repeat(np.arange(n), 2)
    weight = rng.uniform(50, 300, 2 * n)
    route = power_curve_km(straight, b, c)
    official = np.bincount(origin_lsoa, weight * route, n) / np.bincount(origin_lsoa, weight, n)
    return CalibrationSample(
        np.array([f"L{i:02d}" for i in range(n)]),
        official,
        np.array([f"A{i % 10}" for i in range(n)]),
        rng.uniform(100, 9000, n),
        origin_lsoa,
        weight,
        straight,
    )


def calibration_sample(pack: Pack, lsoa11_codes: Sequence[str] | None = None) -> CalibrationSample:
    """The national sample (or the given LSOAs' part of it) from an opened pack."""
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    road = pack.table("iod2019_road_distances_lsoa11", ["lsoa11_code", "road_km_primary_school"])
    road = road[road["road_km_primary_school"] > 0]
    lookup = pack.table("lookup_lsoa11_lsoa21", ["lsoa11_code", "lsoa21_code", "chgind"])
    whole = lookup[lookup["chgind"].isin(["U", "S"])]
    if lsoa11_codes is not None:
        whole = whole[whole["lsoa11_code"].isin(set(lsoa11_codes))]
    areas = pack.table("centroids_oa21_pwc_population", ["lsoa21_code", "lon", "lat", "usual_residents_2021"])
    areas = areas.merge(whole[["lsoa11_code", "lsoa21_code"]], on="lsoa21_code")
    areas = areas[areas["lsoa11_code"].isin(set(road["lsoa11_code"]))]
    if areas.empty:
        raise BundleError("no LSOA of this area has an official road distance in the pack")
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = to_bng.transform(areas["lon"].to_numpy(), areas["lat"].to_numpy())
    schools = state_primary_schools(pack.table("schools_gias_open_england_20250524"))
    straight, _ = cKDTree(schools[["easting", "northing"]].to_numpy(float)).query(np.column_stack([x, y]))
    codes = np.array(sorted(set(areas["lsoa11_code"])))
    position = {code: i for i, code in enumerate(codes)}
    origin_lsoa = areas["lsoa11_code"].map(position).to_numpy()
    weight = areas["usual_residents_2021"].to_numpy(float)
    authority = (
        lookup.merge(pack.table("lookup_lsoa21_ward2025_ltla_utla", ["lsoa21_code", "utla_code"]), on="lsoa21_code")
        .groupby("lsoa11_code")["utla_code"]
        .first()
    )
    density = _lsoa11_density(pack, codes, origin_lsoa, weight)
    return CalibrationSample(
        codes,
        road.set_index("lsoa11_code")["road_km_primary_school"].reindex(codes).to_numpy(float),
        authority.reindex(codes).to_numpy(),
        density,
        origin_lsoa,
        weight,
        straight / 1000.0,
    )


def _lsoa11_density(pack: Pack, codes: np.ndarray, origin_lsoa: np.ndarray, weight: np.ndarray) -> np.ndarray:
    shapes = pack.geometries("boundaries_lsoa11_bgc")
    shapes = shapes[shapes["LSOA11CD"].isin(set(codes))].to_crs("EPSG:27700")
    area_km2 = pd.Series(shapes.area.to_numpy() / 1e6, index=shapes["LSOA11CD"].to_numpy()).reindex(codes)
    residents = np.bincount(origin_lsoa, weight, len(codes))
    return np.asarray(residents / area_km2.to_numpy())


def model_toml(result: dict[str, Any]) -> str:
    """The fitted national model as a TOML table (``[travel.model]`` of a built bundle)."""
    detour = curve_to_detour(result["b"], result["c"])
    overall = result["overall"]
    low, high = result["interval"]
    lines = [
        "[travel.model]",
        'kind = "national_curve"',
        f"b = {result['b']!r}",
        f"c = {result['c']!r}",
        f"knots_straight_m = [{', '.join(repr(v) for v in detour.knots_straight_m)}]",
        f"knots_route_m = [{', '.join(repr(v) for v in detour.knots_network_m)}]",
        f"interval = [{low!r}, {high!r}]",
        f"authorities = {result['authorities']}",
        f"lsoas = {overall['lsoas']}",
        f"median_ratio = {overall['median_ratio']!r}",
        f"mean_abs_pct_error = {overall['mean_abs_pct_error']!r}",
        f"share_within_20pct = {overall['share_within_20pct']!r}",
    ]
    return "\n".join(lines) + "\n"


def describe(spec: dict[str, Any]) -> str:
    """The one sentence every figure's method line uses for a national model."""
    low, high = spec["interval"]
    return (
        f"Route length: {spec['b']:.3f} x (straight-line km) ^ {spec['c']:.3f}, a curve fitted to the IoD 2019 "
        f"road distances to the nearest primary school of {spec['lsoas']:,} LSOAs in {spec['authorities']} "
        f"authorities; on authorities left out of the fit the median estimate/official ratio is "
        f"{spec['median_ratio']:.2f} and the mean absolute error {spec['mean_abs_pct_error']:.0f}%. "
        f"Ranges use routes {low:.2f} to {high:.2f} times as long (10th-90th percentile of that error)."
    )


MODEL_NUMBERS = ("b", "c", "authorities", "lsoas", "median_ratio", "mean_abs_pct_error", "share_within_20pct")


def detour_from_spec(spec: dict[str, Any]) -> DetourModel:
    """The DetourModel a bundle's ``[travel.model]`` table describes, every key checked (a
    ``BundleError`` names the one that is missing or wrong).

    >>> detour_from_spec({"knots_straight_m": [1000.0]})
    Traceback (most recent call last):
    ...
    geo.errors.BundleError: file bundle.toml, field 'travel.model.interval': is missing or not two numbers (low, high)
    """
    interval = spec.get("interval")
    if (
        not isinstance(interval, list)
        or len(interval) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in interval)
    ):
        raise BundleError(
            "is missing or not two numbers (low, high)", file="bundle.toml", field="travel.model.interval"
        )
    for key in MODEL_NUMBERS:
        value = spec.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise BundleError("is missing or not a number", file="bundle.toml", field=f"travel.model.{key}")
    xs, ys = spec.get("knots_straight_m"), spec.get("knots_route_m")
    if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys) or len(xs) < 2:
        raise BundleError(
            "knots_straight_m and knots_route_m must be lists of the same length (2 or more)",
            file="bundle.toml",
            field="travel.model",
        )
    xs_f, ys_f = [float(v) for v in xs], [float(v) for v in ys]
    if any(b <= a for a, b in zip(xs_f, xs_f[1:])) or any(b < a for a, b in zip(ys_f, ys_f[1:])):
        raise BundleError("knots must increase", file="bundle.toml", field="travel.model")
    if any(y < x for x, y in zip(xs_f, ys_f)):
        raise BundleError("a route knot is shorter than its straight line", file="bundle.toml", field="travel.model")
    return DetourModel(
        tuple(xs_f),
        tuple(ys_f),
        tuple(y / x for x, y in zip(xs_f, ys_f)),
        tuple(0 for _ in xs_f),
        (0.0,),
    )
