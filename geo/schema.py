"""Manifest checks that catch nonsense before any file is read: types, allowed values and
ranges, so that ``validate`` saying OK means the app starts and the figures mean something.

Each problem is a ``BundleError`` naming bundle.toml and the key (``field``), e.g.
``file bundle.toml, field 'travel.modes.walk.speed_kmh': "fast" is not a number``.
Checks that need the data (coordinates against their declared CRS, the number of calibration
rows) are made where the data are read (``geo.bundle``).
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

from geo.errors import BundleError

MANIFEST = "bundle.toml"
MIN_CALIBRATION_ROWS = 3  # a detour curve from fewer pairs is a guess, not a fit
MAX_SPEED_KMH = 200.0


def _fail(field: str, message: str) -> NoReturn:
    raise BundleError(message, file=MANIFEST, field=field)


def _number(
    value: Any, field: str, low: float | None = None, high: float | None = None, strict_low: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(field, f"{value!r} is not a number")
    number = float(value)
    if low is not None and (number < low or (strict_low and number <= low)):
        _fail(field, f"{number:g} must be {'more than' if strict_low else 'at least'} {low:g}")
    if high is not None and number > high:
        _fail(field, f"{number:g} must be at most {high:g}")
    return number


def _table(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(field, f"must be a table ([{field}] with keys), not {type(value).__name__} {value!r}"[:200])
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(field, f"{value!r} must be non-empty text")
    return value


def projected_crs(crs: str, field: str = "area.projected_crs") -> None:
    """The area's working CRS must be a projected CRS measured in metres (distances are taken
    in it: a geographic CRS would make degrees look like metres).

    >>> projected_crs("EPSG:4326")
    Traceback (most recent call last):
    ...
    geo.errors.BundleError: file bundle.toml, field 'area.projected_crs': EPSG:4326 is not a projected CRS in metres (it is geographic, in degrees); use e.g. 'EPSG:27700'
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        _fail(field, f"unknown CRS {crs!r}; use an EPSG code such as 'EPSG:27700'")
        return
    if not parsed.is_projected:
        _fail(field, f"{crs} is not a projected CRS in metres (it is geographic, in degrees); use e.g. 'EPSG:27700'")
    units = {axis.unit_name for axis in parsed.axis_info}
    if units - {"metre", "meter"}:
        _fail(field, f"{crs} is measured in {', '.join(sorted(units))}, not metres")


def check_manifest(manifest: dict[str, Any]) -> None:
    """Types, allowed values and ranges of every key the engine reads."""
    area = _table(manifest.get("area"), "area")
    _text(area.get("name"), "area.name")
    projected_crs(area.get("projected_crs", ""), "area.projected_crs")
    for key in ("site_tolerance_m", "site_buffer_m", "boundary_tolerance_m"):
        if key in area:
            _number(area[key], f"area.{key}", low=0, high=100_000)
    layers = _table(manifest.get("layers"), "layers")
    for name, spec in layers.items():
        _table(spec, f"layers.{name}")
        if "file" in spec:
            _text(spec["file"], f"layers.{name}.file")
    _check_calibration(layers.get("calibration", {}))
    _check_travel(manifest.get("travel"))
    _check_need_index(manifest)


def _check_calibration(spec: dict[str, Any]) -> None:
    edges = spec.get("band_edges_km", [0.0])
    if not isinstance(edges, list) or not edges:
        _fail("layers.calibration.band_edges_km", f"{edges!r} must be a list of distances in km, e.g. [0.0, 1.5]")
    numbers = [_number(e, "layers.calibration.band_edges_km", low=0) for e in edges]
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        _fail("layers.calibration.band_edges_km", f"{edges} must be in increasing order")


def _check_travel(travel: Any) -> None:
    travel = _table(travel, "travel")
    modes = _table(travel.get("modes", {}), "travel.modes")
    if not modes:
        _fail("travel.modes", "define at least one travel mode, e.g. [travel.modes.walk] with speed_kmh")
    for mode, spec in modes.items():
        where = f"travel.modes.{mode}"
        _table(spec, where)
        _text(spec.get("label", mode), f"{where}.label")
        _number(spec.get("speed_kmh"), f"{where}.speed_kmh", low=0, high=MAX_SPEED_KMH, strict_low=True)
    if "default_mode" in travel and travel["default_mode"] not in modes:
        _fail("travel.default_mode", f"{travel['default_mode']!r} is not a mode of [travel.modes] ({', '.join(modes)})")
    if "default_minutes" in travel:
        _number(travel["default_minutes"], "travel.default_minutes", low=0, high=240, strict_low=True)


def _check_need_index(manifest: dict[str, Any]) -> None:
    need = manifest.get("need_index", {})
    _table(need, "need_index")
    known = {spec.get("id") for spec in manifest.get("indicators", []) if isinstance(spec, dict)}
    weights = _table(need.get("weights", {}), "need_index.weights")
    for indicator, weight in weights.items():
        if indicator not in known:
            _fail(f"need_index.weights.{indicator}", f"{indicator!r} is not an indicator of this bundle")
        _number(weight, f"need_index.weights.{indicator}", low=0)
