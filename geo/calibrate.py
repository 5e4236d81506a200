"""Fit and check the travel model against an official network distance, honestly.

Two calibration sources, both optional parts of a bundle:

* ``[layers.calibration]``: pairs of places with their straight-line and real route
  length (Luton: 204 MSOA-to-MSOA cycle routes, mostly 1-7 km). They give the *shape*
  of circuity at longer distances (``geo.travel.DetourModel``).
* ``[layers.road_check]``: an official measure of the road distance from each sampled
  LSOA's residents to the nearest facility of some kind, with the facilities' locations
  (Luton: the IoD 2019 road distance to the nearest primary school, 73 of 121 LSOAs,
  mostly 0.3-1.5 km). The official figure is a population-weighted mean over the LSOA's
  output-area centroids, so the model is applied the same way: route from each output
  area to its nearest facility, averaged with residents as weights.

Candidate model forms (route = access + curve(straight)):

``cycle_detour``
    the detour curve of the pairs alone (the model before this check).
``cycle_detour+access``
    that curve plus a constant ``access_m`` (the way from the door to the street network
    and the spread of homes around a centroid), fitted on the road sample.
``short_circuity+cycle_detour+access``
    as above plus a short-distance knot whose circuity is fitted on the road sample.
``linear``
    ``access_m + circuity * straight`` fitted on the road sample alone.

Each form is fitted by least squares on the log of estimate / official (so over- and
under-estimates count alike) and judged by leave-one-out cross-validation over the sampled
LSOAs: every LSOA's estimate comes from a fit on all the others. Leave-one-out has no random
fold split, so the chosen form and its factors are the same on every run (with 10 random
folds the choice flipped between two forms in 3 of 20 splits). The form with the lowest
out-of-sample mean absolute percentage error is chosen; a form within ``TIE_PP`` points of it
that uses both sources is preferred (the road sample says nothing about trips over ~1.5 km).
The chosen form is then refitted on the whole sample; a fitted parameter that ends on a bound
of its search range is reported (``at_bound``), since the data then push past what the form
allows. Every form is monotone and never shorter than the straight line.

The model is fitted once per bundle, from output areas where the bundle has them (the
official distance is measured from output-area centroids), whatever origins an engine uses.

The 10th and 90th percentiles of the out-of-sample ratio official / estimate give the
*travel range*: figures are also computed with every route scaled by those two factors,
unrounded, so a reader sees how much an answer depends on the travel model.

Examples
--------
>>> import numpy as np
>>> error_summary(np.array([1.0, 1.1, 0.5]), np.array([1.0, 1.0, 1.0]))["median_ratio"]
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import BundleError
from geo.readers import csv_line, numeric_column, read_csv, unique_keys
from geo.travel import DetourModel

FORMS = ("cycle_detour", "cycle_detour+access", "short_circuity+cycle_detour+access", "linear")
FORM_LABELS = {
    "cycle_detour": "detour curve of the calibration routes only",
    "cycle_detour+access": "detour curve of the calibration routes plus a fitted access distance",
    "short_circuity+cycle_detour+access": "fitted short-trip circuity, the routes' detour curve beyond, plus access",
    "linear": "fitted access distance plus a fitted constant circuity (road sample only)",
}
USES_BOTH_SOURCES = {"cycle_detour+access", "short_circuity+cycle_detour+access"}
TIE_PP = 0.5
SHORT_KNOT_M = 400.0  # where the fitted short-trip circuity applies (about the median school trip)
MIN_SAMPLE = 10
INTERVAL = (0.1, 0.9)


@dataclass(frozen=True)
class RoadSample:
    """Official road distances (metres) for some LSOAs, and the facilities they lead to."""

    lsoa_codes: np.ndarray
    official_m: np.ndarray
    facilities_xy: np.ndarray
    name: str
    source: str
    file: str


def load_road_sample(
    folder: Path, spec: dict[str, Any], lsoa_codes: list[str], projected: str, transform: Any
) -> RoadSample:
    """Read ``[layers.road_check]``: the sample file and the facilities file.

    Errors name file, row and field: an unknown LSOA code, a distance that is not a
    positive number, too few rows to cross-validate, a facility without coordinates.
    """
    for key in ("file", "key", "km", "facilities", "facility_x", "facility_y", "facility_crs"):
        if key not in spec:
            raise BundleError(
                f"missing key '{key}' in [layers.road_check]", file="bundle.toml", field=f"layers.road_check.{key}"
            )
    name = spec["file"]
    frame = read_csv(folder, name, [spec["key"], spec["km"]])
    keys = unique_keys(frame, spec["key"], name)
    known = set(lsoa_codes)
    for i, key in enumerate(keys):
        if key not in known:
            raise BundleError(
                f"LSOA code {key!r} is not in the LSOA boundary file", file=name, row=csv_line(i), field=spec["key"]
            )
    km = numeric_column(frame, spec["km"], name)
    for i, value in enumerate(km):
        if value <= 0:
            raise BundleError(
                f"road distance {value:g} km must be positive", file=name, row=csv_line(i), field=spec["km"]
            )
    if len(keys) < MIN_SAMPLE:
        raise BundleError(
            f"{len(keys)} rows; at least {MIN_SAMPLE} are needed to cross-validate the travel model", file=name
        )
    facilities = spec["facilities"]
    fac = read_csv(folder, facilities, [spec["facility_x"], spec["facility_y"]])
    xs = numeric_column(fac, spec["facility_x"], facilities)
    ys = numeric_column(fac, spec["facility_y"], facilities)
    if spec["facility_crs"] != projected:
        xs, ys = transform(spec["facility_crs"], xs, ys)
    return RoadSample(
        np.array(keys),
        km * 1000.0,
        np.column_stack([xs, ys]).astype(float),
        str(spec.get("name", "official road distance")),
        str(spec.get("source", "")),
        name,
    )


def error_summary(estimate: np.ndarray, official: np.ndarray) -> dict[str, Any]:
    """Median estimate/official ratio, mean absolute % error, share within 20%, and
    agreement on "within 1 km" (both at most 1 km, or both more)."""
    ratio = np.asarray(estimate, float) / np.asarray(official, float)
    return {
        "median_ratio": round(float(np.median(ratio)), 3),
        "mean_abs_pct_error": round(float(np.mean(np.abs(ratio - 1.0)) * 100), 1),
        "share_within_20pct": round(float(np.mean(np.abs(ratio - 1.0) <= 0.2)), 3),
        "agreement_within_1km": round(float(np.mean((estimate <= 1000.0) == (official <= 1000.0))), 3),
        "n": int(len(ratio)),
    }


@dataclass
class CalibrationReport:
    """What was fitted, on what, and how well it does in and out of sample."""

    chosen: str
    model: DetourModel
    parameters: dict[str, Any]
    in_sample: dict[str, Any]
    out_of_sample: dict[str, Any]  # form -> error summary of cross-validated estimates
    interval: tuple[float, float]  # route factors (low, high): 10th/90th pct of official/estimate
    sample_name: str
    sample_source: str
    sample_size: int
    pairs: int
    before: dict[str, Any] = field(default_factory=dict[str, Any])  # the pairs-only model from LSOA centroids
    at_bound: list[str] = field(default_factory=list)  # fitted parameters that ended on a bound

    def to_dict(self) -> dict[str, Any]:
        """The calibration report as plain data (the CLI's JSON)."""
        return {
            "chosen_form": self.chosen,
            "description": FORM_LABELS[self.chosen],
            "parameters": self.parameters,
            "in_sample": self.in_sample,
            "out_of_sample": self.out_of_sample,
            "travel_range_factors": list(self.interval),
            "sample": self.sample_name,
            "sample_source": self.sample_source,
            "sample_size": self.sample_size,
            "cross_validation": "leave-one-out",
            "parameters_at_bound": self.at_bound,
            "calibration_pairs": self.pairs,
            "before": self.before,
        }


def build_model(form: str, params: np.ndarray, detour: DetourModel) -> DetourModel:
    """The route model of a form with its parameters (see the module docstring)."""
    if form == "cycle_detour":
        return detour
    if form == "cycle_detour+access":
        return detour.with_access(float(params[0]))
    if form == "short_circuity+cycle_detour+access":
        access, circuity = float(params[0]), float(params[1])
        xs = (SHORT_KNOT_M, *detour.knots_straight_m)
        ys = tuple(np.maximum.accumulate([SHORT_KNOT_M * circuity, *detour.knots_network_m]))
        return DetourModel(
            xs, ys, (circuity, *detour.band_circuity), (0, *detour.band_counts), detour.band_edges_km, access
        )
    if form == "linear":
        access, circuity = float(params[0]), float(params[1])
        return DetourModel((1000.0,), (1000.0 * circuity,), (circuity,), (0,), (0.0,), access)
    raise ValueError(f"unknown form {form!r}")


_START = {
    "cycle_detour": [],
    "cycle_detour+access": [100.0],
    "short_circuity+cycle_detour+access": [100.0, 1.4],
    "linear": [100.0, 1.4],
}
_BOUNDS = {
    "cycle_detour+access": ([0.0], [1000.0]),
    "short_circuity+cycle_detour+access": ([0.0, 1.0], [1000.0, 3.0]),
    "linear": ([0.0, 1.0], [1000.0, 3.0]),
}


class _Problem:
    """Straight distance from each sample origin to its nearest facility, grouped by LSOA."""

    def __init__(self, sample: RoadSample, origin_xy: np.ndarray, origin_lsoa: np.ndarray, origin_weight: np.ndarray):
        from scipy.spatial import cKDTree

        keep = np.isin(origin_lsoa, sample.lsoa_codes)
        self.straight, _ = cKDTree(sample.facilities_xy).query(origin_xy[keep])
        codes = list(sample.lsoa_codes)
        position = {c: i for i, c in enumerate(codes)}
        self.group = np.array([position[c] for c in origin_lsoa[keep]])
        self.weight = np.asarray(origin_weight, float)[keep]
        self.official = sample.official_m
        self.n = len(codes)
        missing = set(range(self.n)) - set(self.group)
        if missing:
            raise BundleError(f"{len(missing)} sampled LSOA(s) have no origin", file=sample.file)

    def estimate(self, model: DetourModel) -> np.ndarray:
        """Population-weighted mean route (m) to the nearest facility, per sampled LSOA."""
        route = model.network_m(self.straight)
        num = np.bincount(self.group, weights=route * self.weight, minlength=self.n)
        den = np.bincount(self.group, weights=self.weight, minlength=self.n)
        return num / np.where(den > 0, den, 1.0)

    def fit(self, form: str, detour: DetourModel, rows: np.ndarray) -> np.ndarray:
        from scipy.optimize import least_squares

        start = _START[form]
        if not start:
            return np.array([])

        def residuals(p: np.ndarray) -> np.ndarray:
            return np.asarray(np.log(self.estimate(build_model(form, p, detour))[rows] / self.official[rows]))

        return np.asarray(least_squares(residuals, start, bounds=_BOUNDS[form]).x)


def calibrate(
    sample: RoadSample,
    detour: DetourModel,
    origin_xy: np.ndarray,
    origin_lsoa: np.ndarray,
    origin_weight: np.ndarray,
    *,
    pairs: int,
    centroid_xy: np.ndarray | None = None,
    centroid_lsoa: np.ndarray | None = None,
) -> CalibrationReport:
    """Cross-validate every form, choose one, refit it on the whole sample (see module docstring).

    ``centroid_xy``/``centroid_lsoa`` (one point per LSOA) give the *before* figures: the
    pairs-only model measured from LSOA centroids, as the product worked before this check.
    """
    problem = _Problem(sample, origin_xy, origin_lsoa, origin_weight)
    out_of_sample: dict[str, dict[str, Any]] = {}
    oos_estimates: dict[str, np.ndarray] = {}
    everyone = np.arange(problem.n)
    for form in FORMS:
        estimate = np.empty(problem.n)
        for k in everyone:  # leave-one-out: each LSOA estimated by a fit on all the others
            params = problem.fit(form, detour, everyone[everyone != k])
            estimate[k] = problem.estimate(build_model(form, params, detour))[k]
        oos_estimates[form] = estimate
        out_of_sample[form] = error_summary(estimate, problem.official)
    best = min(FORMS, key=lambda f: out_of_sample[f]["mean_abs_pct_error"])
    close = [
        f
        for f in FORMS
        if f in USES_BOTH_SOURCES
        and out_of_sample[f]["mean_abs_pct_error"] <= out_of_sample[best]["mean_abs_pct_error"] + TIE_PP
    ]
    chosen = (
        best
        if best in USES_BOTH_SOURCES or not close
        else min(close, key=lambda f: out_of_sample[f]["mean_abs_pct_error"])
    )
    params = problem.fit(chosen, detour, np.arange(problem.n))
    model = build_model(chosen, params, detour)
    ratio = problem.official / oos_estimates[chosen]
    low, high = (float(np.quantile(ratio, q)) for q in INTERVAL)
    names = {
        "cycle_detour": [],
        "cycle_detour+access": ["access_m"],
        "short_circuity+cycle_detour+access": ["access_m", "short_circuity"],
        "linear": ["access_m", "circuity"],
    }[chosen]
    before = {}
    if centroid_xy is not None and centroid_lsoa is not None:
        centroid = _Problem(sample, centroid_xy, centroid_lsoa, np.ones(len(centroid_lsoa)))
        before = error_summary(centroid.estimate(detour), centroid.official)
    at_bound = []
    if chosen in _BOUNDS:
        lower, upper = _BOUNDS[chosen]
        at_bound = [
            f"{n} = {v:g} (bound {lo:g}-{hi:g})"
            for n, v, lo, hi in zip(names, params, lower, upper)
            if np.isclose(v, lo, rtol=1e-6, atol=1e-6) or np.isclose(v, hi, rtol=1e-6, atol=1e-6)
        ]
    return CalibrationReport(
        chosen=chosen,
        model=model,
        parameters={n: float(v) for n, v in zip(names, params)},
        in_sample=error_summary(problem.estimate(model), problem.official),
        out_of_sample=out_of_sample,
        interval=(min(low, 1.0), max(high, 1.0)),  # unrounded: the factors the figures use
        sample_name=sample.name,
        sample_source=sample.source,
        sample_size=problem.n,
        pairs=pairs,
        before=before,
        at_bound=at_bound,
    )


def report_table(report: CalibrationReport) -> pd.DataFrame:
    """One row per model (before, each form out of sample, the chosen form in sample)."""
    rows = []
    if report.before:
        rows.append(
            {"model": "before: routes' detour curve from LSOA centroids (in sample: nothing fitted)", **report.before}
        )
    for form, stats in report.out_of_sample.items():
        mark = " (chosen)" if form == report.chosen else ""
        rows.append({"model": f"{FORM_LABELS[form]}, from output areas, out of sample{mark}", **stats})
    rows.append({"model": f"chosen, refitted on all {report.sample_size} LSOAs (in sample)", **report.in_sample})
    return pd.DataFrame(rows)


def check_model(
    sample: RoadSample, model: DetourModel, origin_xy: np.ndarray, origin_lsoa: np.ndarray, origin_weight: np.ndarray
) -> dict[str, Any]:
    """A fixed model against official distances: nothing is fitted, so every row is out of sample.

    Returns ``{"summary": ..., "rows": [...]}``: the summary as ``error_summary`` gives it,
    one row per LSOA with ``lsoa_code``, ``estimate_km`` and ``official_km``.

    >>> sample = RoadSample(np.array(["A"]), np.array([1500.0]), np.array([[0.0, 0.0]]), "test", "", "f.csv")
    >>> model = DetourModel((1000.0,), (1500.0,), (1.5,), (0,), (0.0,))
    >>> check_model(sample, model, np.array([[1000.0, 0.0]]), np.array(["A"]), np.array([1.0]))["rows"]
    [{'lsoa_code': 'A', 'estimate_km': 1.5, 'official_km': 1.5}]
    """
    problem = _Problem(sample, origin_xy, origin_lsoa, origin_weight)
    estimate = problem.estimate(model)
    rows = [
        {"lsoa_code": str(code), "estimate_km": round(float(e) / 1000, 4), "official_km": round(float(o) / 1000, 4)}
        for code, e, o in zip(sample.lsoa_codes, estimate, problem.official)
    ]
    return {"summary": error_summary(estimate, problem.official), "rows": rows}


def _read_text_csv(path: Path) -> pd.DataFrame:
    """A user's CSV given on the command line, every value as text (checked by the caller)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise BundleError("no such file", file=str(path)) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BundleError(f"cannot be read as CSV: {exc}", file=path.name) from None


def _read_official(against: Path, lsoa_codes: list[str]) -> tuple[list[str], list[float], int]:
    """LSOA codes and km of an official file, the bundle's LSOAs only (and how many were not)."""
    name = Path(against).name
    frame = _read_text_csv(Path(against))
    if {"lsoa_code", "km"} <= set(frame.columns):
        key, km_column = "lsoa_code", "km"
    elif len(frame.columns) == 2:
        key, km_column = frame.columns
    else:
        raise BundleError("needs columns lsoa_code and km (or exactly two columns: LSOA code, km)", file=name)
    known = set(lsoa_codes)
    keep = frame[key].str.strip().isin(known).to_numpy()
    if not keep.any():
        raise BundleError(f"no LSOA code of this file is one of the bundle's {len(known)} LSOAs", file=name, field=key)
    codes: list[str] = []
    kms: list[float] = []
    seen: set[str] = set()
    for i in np.flatnonzero(keep):
        code, text = frame[key].iloc[i].strip(), frame[km_column].iloc[i].strip()
        value = pd.to_numeric(text, errors="coerce")
        if not np.isfinite(value) or value <= 0:
            raise BundleError(
                f"road distance {text!r} km must be a positive number", file=name, row=csv_line(int(i)), field=km_column
            )
        if code in seen:
            raise BundleError(f"LSOA code {code} appears twice", file=name, row=csv_line(int(i)), field=key)
        seen.add(code)
        codes.append(code)
        kms.append(float(value))
    return codes, kms, int((~keep).sum())


def _read_services(services: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Service coordinates (x, y) and their CRS; a blank or non-numeric one names its row."""
    name = Path(services).name
    frame = _read_text_csv(Path(services))
    if {"lat", "lon"} <= set(frame.columns):
        columns, crs = ("lon", "lat"), "EPSG:4326"
    elif {"easting", "northing"} <= set(frame.columns):
        columns, crs = ("easting", "northing"), "EPSG:27700"
    else:
        raise BundleError(
            "needs lat and lon columns (WGS84) or easting and northing (British National Grid)", file=name
        )
    if frame.empty:
        raise BundleError("lists no service", file=name)
    xs = pd.to_numeric(frame[columns[0]], errors="coerce").to_numpy(float)
    ys = pd.to_numeric(frame[columns[1]], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~(np.isfinite(xs) & np.isfinite(ys)))
    if len(bad):
        raise BundleError(
            "coordinates are blank or not numbers", file=name, row=csv_line(int(bad[0])), field=columns[0]
        )
    return xs, ys, crs


def load_official(
    against: Path, services: Path, lsoa_codes: list[str], projected: str, transform: Any
) -> tuple[RoadSample, int]:
    """Any official road-distance file (LSOA code, km) and the services it measured to.

    ``against``: columns ``lsoa_code`` and ``km`` (or exactly two columns, in that order).
    ``services``: a ``name`` column and ``lat``/``lon`` (WGS84) or ``easting``/``northing``
    (British National Grid). Rows for LSOAs outside the bundle are left out and counted
    (second value returned); any other bad row is a ``BundleError`` naming it.
    """
    codes, kms, skipped = _read_official(against, lsoa_codes)
    xs, ys, crs = _read_services(services)
    if crs != projected:
        xs, ys = transform(crs, xs, ys)
    name = Path(against).name
    sample = RoadSample(
        np.array(codes), np.array(kms) * 1000.0, np.column_stack([xs, ys]).astype(float), name, "", name
    )
    return sample, skipped
