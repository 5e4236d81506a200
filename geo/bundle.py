"""Load and validate an area's data bundle (``data/<area>/bundle.toml`` plus its files).

The manifest says which file is which layer and what its columns mean; this module
reads every file, checks it, and returns a ``Bundle`` whose tables are aligned on
the LSOA order of the boundary file. Checks (each raises ``BundleError`` naming
file, row and field):

* a file named by the manifest is missing, or cannot be parsed;
* a required column or property is missing; a key is blank or duplicated;
* a geometry is empty, not a polygon or invalid; a CRS string is unknown;
* LSOA codes differ between the boundary, centroid, population and indicator files;
* a ward name (after the manifest's aliases) matches no ward;
* an indicator value is not a finite number;
* a site has a coordinate outside the area, one of lat/lon only, or a postcode not in
  the postcode lookup; a scenario names an unknown site.

Unlocated sites and low-confidence locations are warnings (``Bundle.warnings``), not
errors: they load, are listed, and are excluded from distances.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geo.areas import OutputAreas, WardSet, load_output_areas, load_ward_sets, read_lsoa_lookup
from geo.equality import EqualityTable, load_equality_tables
from geo.errors import BundleError, ScenarioError
from geo.formatting import upper_first
from geo.manifest import MANIFEST, MIN_CALIBRATION_ROWS, check_manifest
from geo.population import AgeTables, band_and_year, band_label, load_age_tables, population_field_id
from geo.readers import (
    csv_line,
    normalise_postcode,
    normalise_postcodes,
    numeric_column,
    read_csv,
    read_geojson,
    same_codes,
    unique_keys,
)


@dataclass(frozen=True)
class Indicator:
    """One indicator as described by the manifest."""

    id: str
    level: str  # "lsoa" or "ward"
    label: str
    unit: str
    period: str
    direction: str
    completeness: str
    source: str
    completeness_note: str = ""
    short_label: str = ""  # for table headers; falls back to label
    # how LSOA values roll up to wards, over origins weighted by the default population: "mean",
    # "median" (for orders such as ranks and deciles, whose mean is not a rank) or "sum" (counts)
    aggregate: str = "mean"
    benchmark_area: float | None = None
    benchmark_england: float | None = None
    derived_from: str = ""  # a gap below the area's average: the indicator it is derived from


@dataclass(frozen=True)
class AreaWords:
    """What a bundle's small areas are called in printed words (``[layers.lsoas] word``,
    ``plural``, ``level_label``): England's are LSOAs, another country's have their own name.

    >>> AreaWords.of({"word": "IRIS", "plural": "IRIS"})
    AreaWords(one='IRIS', many='IRIS', level='IRIS')
    >>> AreaWords.of({}).many
    'small areas'
    """

    one: str  # "LSOA"
    many: str  # "LSOAs"
    level: str  # the map level's name, "LSOAs (2011)"

    @classmethod
    def of(cls, spec: dict[str, Any]) -> AreaWords:
        one = str(spec.get("word") or "small area")
        many = str(spec.get("plural") or f"{one}s")
        return cls(one, many, str(spec.get("level_label") or upper_first(many)))


@dataclass
class Bundle:
    """Everything the engine knows about one area, validated and aligned.

    Row order of ``lsoas``, ``lsoa_values`` and ``origin_xy`` is the same (the LSOA
    boundary file's order).
    """

    path: Path
    manifest: dict[str, Any]
    area_name: str
    projected_crs: str
    wards: Any  # GeoDataFrame: code, name, geometry (WGS84)
    lsoas: Any  # GeoDataFrame: code, name, geometry (WGS84)
    lsoa_values: pd.DataFrame  # index = LSOA code; population fields + LSOA indicators
    population_fields: dict[str, str]  # field -> label
    origin_xy: np.ndarray  # (n_lsoa, 2) projected metres: population-weighted centroids
    ward_values: pd.DataFrame  # index = ward code; ward-level indicators (NaN = no published figure)
    flags: pd.DataFrame  # id, label, source, wards (list of ward codes)
    indicators: dict[str, Indicator]
    sites: pd.DataFrame  # index = site id; x, y (projected, NaN when unlocated), located
    postcodes: pd.DataFrame  # index = normalised postcode; x, y projected metres
    calibration: pd.DataFrame  # straight_km, network_km
    scenarios: dict[str, dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    age_tables: AgeTables | None = None  # single-year-of-age population by year (None: not in the bundle)
    output_areas: OutputAreas | None = None  # small areas inside LSOAs, used as origins when present
    ward_sets: dict[str, WardSet] = field(default_factory=dict)  # primary ward set first
    # The current small areas (e.g. 2021 LSOAs) that output areas nest in: a map level whose
    # values are carried from the bundle's LSOAs through the output areas (None: not in the bundle).
    current_lsoas: WardSet | None = None
    # Indicators published for the current LSOAs (level "lsoa_current", e.g. IoD 2025 on 2021
    # LSOAs); index = current LSOA code. Empty without such indicators.
    current_lsoa_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    stops: pd.DataFrame | None = None  # public transport stops in use: name, indicator, x, y (None: not in the bundle)
    stops_source: str = ""  # what the stop list is, in words ([layers.stops] source)
    # what the small areas (and the current ones) are called in printed words
    small_area: AreaWords = field(default_factory=lambda: AreaWords.of({}))
    current_small_area: AreaWords = field(default_factory=lambda: AreaWords.of({}))
    lsoa_parents: dict[str, list[str]] = field(default_factory=dict)  # current LSOA -> bundle LSOA(s)
    equality_tables: dict[str, EqualityTable] = field(default_factory=dict)  # [equality.<id>] (geo.equality)
    ward_lookup: dict[str, str] = field(default_factory=dict)  # lower-cased ward name, alias or code -> code
    _transformers: dict[Any, Any] = field(default_factory=dict, repr=False)

    # -- coordinate helpers -------------------------------------------------
    def _transformer(self, source: str, target: str) -> Any:
        from pyproj import Transformer

        key = (source, target)
        if key not in self._transformers:
            self._transformers[key] = Transformer.from_crs(source, target, always_xy=True)
        return self._transformers[key]

    def to_projected(self, lon: ArrayLike, lat: ArrayLike) -> Any:
        """WGS84 lon/lat -> the bundle's projected x/y (metres)."""
        return self._transformer("EPSG:4326", self.projected_crs).transform(lon, lat)

    def to_lonlat(self, x: ArrayLike, y: ArrayLike) -> Any:
        """The bundle's projected x/y -> WGS84 lon/lat."""
        return self._transformer(self.projected_crs, "EPSG:4326").transform(x, y)

    def postcode_xy(self, postcode: str) -> tuple[float, float]:
        """Projected coordinate of a postcode centroid, or ScenarioError."""
        code = normalise_postcode(postcode)
        if "postcodes" not in self.manifest["layers"]:
            raise ScenarioError(
                f"this area's data has no postcode list, so {code} cannot be placed; give the place as latitude,longitude"
            )
        if code not in self.postcodes.index:
            # words for the person who typed it: no file names (a bundle author's errors name them)
            raise ScenarioError(
                f"postcode {code} is not in this area's postcode list ({self.area_name} and "
                f"{self.site_buffer_m / 1000:g} km around it); check it, or give the place as latitude,longitude"
            )
        row = self.postcodes.loc[code]
        return float(row["x"]), float(row["y"])

    @property
    def located_sites(self) -> pd.DataFrame:
        """Register sites with a sourced location (the only ones any figure counts)."""
        return self.sites[self.sites["located"]]

    @property
    def unlocated_site_ids(self) -> list[str]:
        """Ids of register sites with no sourced location (listed, never placed at a guess)."""
        return list(self.sites.index[~self.sites["located"]])

    def inside_area(self, x: float, y: float) -> bool:
        """True when (x, y) may hold a site: within the area's boundary plus the manifest's
        ``site_buffer_m`` (sites just over the border serve residents too)."""
        return self._within_of_area(x, y, self.site_buffer_m)

    def outside_boundary(self, x: float, y: float) -> bool:
        """True when (x, y) lies beyond the area's own boundary (by more than the
        ``boundary_tolerance_m`` that allows for generalised boundaries)."""
        return not self._within_of_area(x, y, float(self.manifest["area"].get("boundary_tolerance_m", 0)))

    def _within_of_area(self, x: float, y: float, distance: float) -> bool:
        """True when (x, y) is within ``distance`` metres of the area (inside it, or that near).
        A distance test, not a buffered polygon: buffering a county's outline took seconds."""
        import shapely

        area = self._area_shape()
        return bool(shapely.contains_xy(area, x, y) or shapely.dwithin(area, shapely.Point(x, y), distance))

    @property
    def site_buffer_m(self) -> float:
        """How far beyond the area's boundary a site may be (metres, from [area] site_buffer_m)."""
        area = self.manifest["area"]
        return float(area.get("site_buffer_m", area.get("site_tolerance_m", 0)))

    def _area_shape(self) -> Any:
        """The area's outline (the union of its wards, projected), prepared for repeated tests."""
        if "area" not in self._transformers:
            import shapely

            boundary = self.wards.to_crs(self.projected_crs).geometry.union_all()
            shapely.prepare(boundary)
            self._transformers["area"] = boundary
        return self._transformers["area"]

    # -- population ------------------------------------------------------------
    def population_field(self, ages: str, year: object) -> str:
        """The population field for an age band and year (``"0-4"``, 2019), added on first use.

        Raises ``ScenarioError`` when the bundle has no age table, the band is outside it
        or the year is not in it.
        """
        if self.age_tables is None:
            raise ScenarioError(
                "this bundle has no population by single year of age "
                "([layers.population_by_age]); use --population instead"
            )
        band, year_value = band_and_year(self.age_tables, ages, year)
        field_id = population_field_id(band, year_value)
        if field_id not in self.population_fields:  # the sum over single years is made once per field
            # Bands asked for by a link (?pop=age3-7_2019) are kept MADE_FIELDS_KEPT at a time: a
            # stream of links must not grow the shared tables (the oldest is made again if asked).
            made = self.__dict__.setdefault("_made_fields", [])
            default = population_field_id(*band_and_year(self.age_tables, *self._default_band_year()))
            if field_id != default:  # the default band is never let go
                made.append(field_id)
            while len(made) > MADE_FIELDS_KEPT:
                old = made.pop(0)
                self.population_fields.pop(old, None)
                del self.lsoa_values[old]
            self.population_fields[field_id] = f"{band_label(band)} (mid-{year_value})"
            self.lsoa_values[field_id] = self.age_tables.values(band, year_value)
        return field_id

    def _default_band_year(self) -> tuple[str, int]:
        tables = self.age_tables
        assert tables is not None
        return tables.default_band, tables.default_year

    @property
    def default_population(self) -> str:
        """The manifest's default population: the age table's default band and year when present."""
        if self.age_tables is not None:
            return self.population_field(self.age_tables.default_band, self.age_tables.default_year)
        spec = self.manifest["layers"]["population"]
        return str(spec.get("default", next(iter(self.population_fields))))


def _check_overlap(lsoas: Any, wards: Any, layers: dict[str, Any]) -> None:
    """LSOAs and wards must cover the same place: when their extents do not meet, one of the two
    declared CRSs is wrong (say which files, rather than blaming a later one)."""
    lminx, lminy, lmaxx, lmaxy = lsoas.total_bounds
    wminx, wminy, wmaxx, wmaxy = wards.total_bounds
    if lminx > wmaxx or wminx > lmaxx or lminy > wmaxy or wminy > lmaxy:
        raise BundleError(
            f"the LSOAs ({layers['lsoas']['file']}) and the wards ({layers['wards']['file']}) do not overlap; "
            "check the crs declared for each in bundle.toml",
            file=layers["wards"]["file"],
            field="crs",
        )


def _check_inside(
    xy: np.ndarray, wards: Any, projected: str, spec: dict[str, Any], layer: str, slack_m: float = 5000.0
) -> None:
    """Points of the area (origins) must lie in it: far outside the wards means the declared CRS
    (or the x/y columns) are wrong, which would otherwise give 0% coverage and absurd minutes."""
    minx, miny, maxx, maxy = wards.to_crs(projected).total_bounds
    x, y = xy[:, 0], xy[:, 1]
    outside = ~((x >= minx - slack_m) & (x <= maxx + slack_m) & (y >= miny - slack_m) & (y <= maxy + slack_m))
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise BundleError(
            f"{int(outside.sum())} point(s) lie more than {slack_m / 1000:g} km outside the wards (the first at "
            f"{x[i]:.0f}, {y[i]:.0f} in {projected}); is layers.{layer}.crs = {spec.get('crs')!r} right?",
            file=spec.get("file"),
            field=spec.get("x"),
        )


def _require(table: dict[str, Any], keys: list[str], where: str) -> None:
    for key in keys:
        if key not in table or table[key] in (None, ""):
            raise BundleError(f"missing key '{key}' in [{where}]", file=MANIFEST, field=f"{where}.{key}")


def _check_crs(crs: str, where: str) -> str:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(crs)
    except CRSError:
        raise BundleError(
            f"unknown CRS {crs!r}; use an EPSG code such as 'EPSG:27700'", file=MANIFEST, field=where
        ) from None
    return crs


MADE_FIELDS_KEPT = 8  # population bands made on request and kept at once (besides the manifest's own)
MAX_SCALE_ERROR = 0.01  # a projected CRS may stretch distances by at most 1% over the area


def _check_local_metric(crs: str, wards: Any) -> None:
    """Every distance is measured in the projected CRS: it must be in metres and true to scale
    over the area (within ``MAX_SCALE_ERROR``), so Web Mercator (about 60% too long in England)
    or a UTM zone far from the area is refused with the reason."""
    from pyproj import CRS, Proj

    where = "area.projected_crs"
    system = CRS.from_user_input(crs)
    if not system.is_projected:
        raise BundleError(f"{crs} is not a projected CRS: distances need metres", file=MANIFEST, field=where)
    units = {axis.unit_name for axis in system.axis_info}
    if units != {"metre"}:
        raise BundleError(f"{crs} is in {', '.join(sorted(units))}, not metres", file=MANIFEST, field=where)
    minx, miny, maxx, maxy = wards.total_bounds  # WGS84
    lons, lats = [minx, maxx, minx, maxx, (minx + maxx) / 2], [miny, miny, maxy, maxy, (miny + maxy) / 2]
    factors = Proj(system).get_factors(lons, lats)
    scales = np.concatenate([np.atleast_1d(factors.meridional_scale), np.atleast_1d(factors.parallel_scale)])
    worst = float(np.max(np.abs(scales - 1)))
    if worst > MAX_SCALE_ERROR:
        raise BundleError(
            f"{crs} stretches distances over this area by up to {100 * worst:.1f}% (more than "
            f"{100 * MAX_SCALE_ERROR:g}%): use the area's national grid or local projection (in England, EPSG:27700)",
            file=MANIFEST,
            field=where,
        )


def read_manifest(folder: Path) -> dict[str, Any]:
    """Parse a bundle's bundle.toml; a missing file, a byte-order mark or bad TOML is a BundleError naming it."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BundleError(f"bundle folder {folder} does not exist")
    if not path.is_file():
        raise BundleError(f"no manifest in {folder}; every bundle needs a {MANIFEST}", file=MANIFEST)
    try:
        # utf-8-sig: a byte-order mark (some Windows editors add one) is accepted
        manifest = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"cannot be parsed as TOML: {exc}", file=MANIFEST) from None
    model = check_manifest(manifest)  # types, allowed values, required keys (geo.manifest)
    if model.travel.model is None and model.layers.calibration is None:
        # pairs to fit the route model from, unless the bundle carries one
        raise BundleError("missing layer [layers.calibration]", file=MANIFEST, field="layers.calibration")
    return manifest


def load_bundle(path: str | Path) -> Bundle:
    """Read, validate and align every file of the bundle at ``path``."""
    folder = Path(path)
    manifest = read_manifest(folder)
    layers = manifest["layers"]
    projected = _check_crs(manifest["area"]["projected_crs"], "area.projected_crs")
    warnings: list[str] = []

    wards, lsoas = (_load_polygons(folder, layers[name], f"layers.{name}") for name in ("wards", "lsoas"))
    lsoa_codes = list(lsoas["code"])

    _check_local_metric(projected, wards)
    _check_overlap(lsoas, wards, layers)
    origin_xy = _load_origins(folder, layers["origins"], lsoa_codes, projected)
    _check_inside(origin_xy, wards, projected, layers["origins"], "origins")
    population_fields, lsoa_values = _load_population(folder, layers["population"], lsoa_codes)
    indicators = _indicator_specs(manifest)
    _load_lsoa_indicators(folder, manifest, "lsoa", lsoa_codes, lsoa_values)

    ward_lookup = _ward_lookup(wards, manifest.get("aliases", {}).get("ward", {}))
    ward_values = _load_ward_figures(folder, layers.get("ward_figures"), indicators, ward_lookup, wards)
    flags = _load_flags(folder, layers.get("ward_flags"), ward_lookup, indicators, ward_values)
    _apply_benchmarks(folder, layers.get("benchmarks"), indicators, ward_values)
    derive_ward_indicators(manifest, indicators, ward_values)

    postcodes = (
        _load_postcodes(folder, layers["postcodes"], projected)
        if "postcodes" in layers
        else pd.DataFrame({"x": [], "y": []}, index=pd.Index([], name="postcode", dtype=object))
    )
    bundle = Bundle(
        path=folder,
        manifest=manifest,
        area_name=manifest["area"]["name"],
        projected_crs=projected,
        wards=wards,
        lsoas=lsoas,
        lsoa_values=lsoa_values,
        population_fields=population_fields,
        origin_xy=origin_xy,
        ward_values=ward_values,
        flags=flags,
        indicators=indicators,
        sites=pd.DataFrame(),
        postcodes=postcodes,
        calibration=(
            _load_calibration(folder, layers["calibration"])
            if "calibration" in layers
            else pd.DataFrame({"straight_km": [], "network_km": []})
        ),
        scenarios={},
        warnings=warnings,
    )
    bundle.ward_sets = load_ward_sets(folder, manifest, wards, _load_polygons)
    bundle.ward_lookup = {**ward_lookup, **{code.lower(): code for code in wards["code"]}}
    if "population_by_age" in layers:
        bundle.age_tables = load_age_tables(folder, layers["population_by_age"], lsoa_codes, MANIFEST)
        for year in bundle.age_tables.years:
            for band in bundle.age_tables.preset_bands:
                bundle.population_field(band, year)
    if "output_areas" in layers:
        if "lsoa_lookup" not in layers:
            raise BundleError(
                "output areas need [layers.lsoa_lookup] to reach the bundle's LSOAs",
                file=MANIFEST,
                field="layers.lsoa_lookup",
            )
        parents = read_lsoa_lookup(folder, layers["lsoa_lookup"], lsoa_codes)
        bundle.lsoa_parents = parents
        bundle.output_areas = load_output_areas(
            folder,
            layers["output_areas"],
            parents,
            lsoas,
            projected,
            lambda crs, xs, ys: bundle._transformer(crs, projected).transform(xs, ys),
        )
    first_current = next((i for i, s in enumerate(indicators.values()) if s.level == "lsoa_current"), None)
    if "lsoas_current" in layers:
        bundle.current_lsoas = _load_current_lsoas(folder, layers["lsoas_current"], bundle.output_areas)
        bundle.current_lsoa_values = pd.DataFrame(index=pd.Index(bundle.current_lsoas.codes, name="lsoa_code"))
        _load_lsoa_indicators(folder, manifest, "lsoa_current", bundle.current_lsoas.codes, bundle.current_lsoa_values)
    elif first_current is not None:
        raise BundleError(
            "an indicator of the current LSOAs needs [layers.lsoas_current]",
            file=MANIFEST,
            field=f"indicators[{first_current}].level",
        )
    if "equality" in manifest:
        current = bundle.current_lsoas.codes if bundle.current_lsoas is not None else None
        bundle.equality_tables = load_equality_tables(folder, manifest["equality"], lsoa_codes, current)
    bundle.sites = _load_sites(folder, layers["sites"], bundle, warnings)
    bundle.scenarios = _load_scenarios(manifest, bundle.sites)
    bundle.small_area = AreaWords.of(layers["lsoas"])
    bundle.current_small_area = AreaWords.of(layers.get("lsoas_current", {}))
    if "stops" in layers:
        bundle.stops = _load_stops(folder, layers["stops"], projected)
        # non-empty text when given (geo.manifest)
        bundle.stops_source = layers["stops"].get("source", "the bundle's stop list").strip()
    return bundle


# -- layers ------------------------------------------------------------------


def _load_polygons(folder: Path, spec: dict[str, Any], where: str) -> Any:
    _require(spec, ["file", "key", "name", "crs"], where)
    crs = _check_crs(spec["crs"], f"{where}.crs")
    frame = read_geojson(folder, spec["file"], spec["key"], spec["name"])
    frame = frame.set_crs(crs)
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    return frame


def _load_current_lsoas(folder: Path, spec: dict[str, Any], areas: OutputAreas | None) -> WardSet:
    """The current small areas: boundaries whose codes are the output areas' parent codes."""
    where = "layers.lsoas_current"
    if areas is None or areas.parent is None:
        raise BundleError(
            "current LSOAs need [layers.output_areas] (values reach them through output areas)",
            file=MANIFEST,
            field=where,
        )
    frame = _load_polygons(folder, spec, where)
    codes = set(frame["code"])
    unknown = sorted(set(areas.parent) - codes)
    if unknown:
        raise BundleError(
            f"{len(unknown)} output-area parent code(s) have no boundary: {', '.join(unknown[:5])}",
            file=spec["file"],
            field=spec["key"],
        )
    return WardSet("lsoas_current", str(spec.get("label", "Current LSOAs")), frame, False)


def _load_origins(folder: Path, spec: dict[str, Any], lsoa_codes: list[str], projected: str) -> np.ndarray:
    _require(spec, ["file", "key", "x", "y", "crs"], "layers.origins")
    name = spec["file"]
    frame = read_csv(folder, name, [spec["key"], spec["x"], spec["y"]])
    keys = unique_keys(frame, spec["key"], name)
    same_codes(keys, lsoa_codes, name, spec["key"])
    xs = numeric_column(frame, spec["x"], name)
    ys = numeric_column(frame, spec["y"], name)
    crs = _check_crs(spec["crs"], "layers.origins.crs")
    if crs != projected:
        from pyproj import Transformer

        xs, ys = Transformer.from_crs(crs, projected, always_xy=True).transform(xs, ys)
    order = {code: i for i, code in enumerate(keys)}
    idx = [order[c] for c in lsoa_codes]
    return np.column_stack([np.asarray(xs)[idx], np.asarray(ys)[idx]])


def _load_population(folder: Path, spec: dict[str, Any], lsoa_codes: list[str]) -> Any:
    _require(spec, ["file", "key", "fields"], "layers.population")
    name = spec["file"]
    fields: dict[str, Any] = spec["fields"]
    frame = read_csv(folder, name, [spec["key"], *fields.values()])
    keys = unique_keys(frame, spec["key"], name)
    same_codes(keys, lsoa_codes, name, spec["key"])
    values = pd.DataFrame(index=pd.Index(keys, name="lsoa_code"))
    for field_name, column in fields.items():
        numbers = numeric_column(frame, column, name)
        for i, value in enumerate(numbers):
            if value < 0:
                raise BundleError(f"population {value:g} is negative", file=name, row=csv_line(i), field=column)
        values[field_name] = numbers
        values[column] = numbers  # also addressable by its file column, for indicators
    labels = spec.get("labels", {})
    return {f: labels.get(f, f) for f in fields}, values.loc[lsoa_codes]


def _indicator_specs(manifest: dict[str, Any]) -> dict[str, Indicator]:
    specs: dict[str, Indicator] = {}
    for i, raw in enumerate(manifest["indicators"]):
        where = f"indicators[{i}]"  # (keys, types and allowed values: geo.manifest)
        if raw["id"] in specs:
            raise BundleError(f"duplicate indicator id {raw['id']!r}", file=MANIFEST, field=f"{where}.id")
        specs[raw["id"]] = Indicator(
            id=raw["id"],
            level=raw["level"],
            label=raw["label"],
            unit=raw["unit"],
            period=str(raw["period"]),
            direction=raw["direction"],
            completeness=raw["completeness"],
            source=raw["source"],
            completeness_note=raw.get("completeness_note", ""),
            aggregate=raw.get("aggregate", "mean"),
            short_label=raw.get("short_label", raw["label"]),
        )
    return specs


def _load_lsoa_indicators(
    folder: Path, manifest: dict[str, Any], level: str, lsoa_codes: list[str], values: pd.DataFrame
) -> None:
    """Read the indicators of one small-area level into ``values`` (index: that level's codes):
    "lsoa" (the bundle's LSOAs, beside the population) or "lsoa_current" (the current LSOAs)."""
    tables = manifest.get("tables", {})
    frames: dict[str, tuple[pd.DataFrame, str]] = {}
    for i, raw in enumerate(manifest["indicators"]):
        if raw["level"] != level:
            continue
        where = f"indicators[{i}]"
        _require(raw, ["table", "column"], where)
        table = raw["table"]
        if table == "population":
            if raw["column"] not in values.columns:
                raise BundleError(
                    f"column {raw['column']!r} is not a population field", file=MANIFEST, field=f"{where}.column"
                )
            values[raw["id"]] = values[raw["column"]]
            continue
        if table not in tables:
            raise BundleError(f"table {table!r} is not defined under [tables]", file=MANIFEST, field=f"{where}.table")
        spec = tables[table]
        if table not in frames:
            frame = read_csv(folder, spec["file"], [spec["key"]])
            keys = unique_keys(frame, spec["key"], spec["file"])
            same_codes(keys, lsoa_codes, spec["file"], spec["key"])
            frames[table] = (frame.set_index(pd.Index(keys)), spec["file"])
        frame, name = frames[table]
        if raw["column"] not in frame.columns:
            raise BundleError(f"missing column for indicator {raw['id']!r}", file=name, field=raw["column"])
        numbers = numeric_column(frame.reset_index(drop=True), raw["column"], name)
        values[raw["id"]] = pd.Series(numbers, index=frame.index).loc[lsoa_codes].to_numpy()


def _ward_lookup(wards: Any, aliases: dict[str, Any]) -> dict[str, str]:
    """Lower-cased ward name or alias -> ward code."""
    lookup: dict[str, str] = {str(name).lower(): str(code) for code, name in zip(wards["code"], wards["name"])}
    for alias, target in aliases.items():
        if target.lower() not in lookup:
            raise BundleError(
                f"alias {alias!r} points at {target!r}, which is not a ward name",
                file=MANIFEST,
                field=f"aliases.ward.{alias}",
            )
        lookup[alias.lower()] = lookup[target.lower()]
    return lookup


def _ward_code(lookup: dict[str, Any], name: str, file: str, row: int, field: str) -> str:
    code = lookup.get(name.strip().lower())
    if code is None:
        raise BundleError(
            f"ward name {name!r} matches no ward in the boundary file (add an alias to "
            f"[aliases.ward] in {MANIFEST} if it is a spelling variant)",
            file=file,
            row=row,
            field=field,
        )
    return str(code)


def _load_ward_figures(
    folder: Path, spec: dict[str, Any] | None, indicators: dict[str, Any], lookup: dict[str, str], wards: Any
) -> pd.DataFrame:
    values = pd.DataFrame(index=pd.Index(list(wards["code"]), name="ward_code"))
    ward_ids = [i for i, s in indicators.items() if s.level == "ward"]
    if spec is None:
        return values
    name = spec["file"]
    frame = read_csv(folder, name, [spec["ward"], spec["indicator"], spec["value"]])
    numbers = numeric_column(frame, spec["value"], name)
    for ind in ward_ids:
        values[ind] = np.nan
    for i, (ward, indicator) in enumerate(zip(frame[spec["ward"]], frame[spec["indicator"]])):
        code = _ward_code(lookup, ward, name, csv_line(i), spec["ward"])
        indicator = indicator.strip()
        if indicator not in indicators or indicators[indicator].level != "ward":
            raise BundleError(
                f"indicator {indicator!r} is not a ward indicator in {MANIFEST}",
                file=name,
                row=csv_line(i),
                field=spec["indicator"],
            )
        if not np.isnan(values.at[code, indicator]):
            raise BundleError(
                f"second value for {indicator} in ward {ward}", file=name, row=csv_line(i), field=spec["value"]
            )
        values.at[code, indicator] = numbers[i]
    for ind in ward_ids:
        if indicators[ind].completeness == "unlisted_zero" and values[ind].notna().any():
            values[ind] = values[ind].fillna(0.0)
    return values


def _load_flags(
    folder: Path,
    spec: dict[str, Any] | None,
    lookup: dict[str, str],
    indicators: dict[str, Any],
    ward_values: pd.DataFrame,
) -> pd.DataFrame:
    """Each flag becomes a complete 0/1 ward indicator ``flag_<name>``."""
    rows = []
    if spec is None:
        return pd.DataFrame(columns=["id", "label", "source", "wards"])
    name = spec["file"]
    frame = read_csv(folder, name, [spec["flag"], spec["wards"]])
    for i, row in frame.iterrows():
        flag_id = "flag_" + row[spec["flag"]].strip()
        codes = [
            _ward_code(lookup, w, name, csv_line(i), spec["wards"])
            for w in row[spec["wards"]].split(spec.get("separator", ";"))
            if w.strip()
        ]
        meaning = row.get(spec.get("meaning", ""), "") or row[spec["flag"]]
        source = " ".join(str(row.get(spec.get(k, ""), "")) for k in ("source", "section")).strip()
        label = meaning[0].upper() + meaning[1:] if meaning else flag_id
        ward_values[flag_id] = [1.0 if c in codes else 0.0 for c in ward_values.index]
        indicators[flag_id] = Indicator(
            id=flag_id,
            level="ward",
            label=label,
            unit="flag (1 = named ward)",
            period="as published",
            direction="higher",
            completeness="complete",
            source=source,
            completeness_note="Every ward is either named by the source (1) or not (0).",
            short_label=row[spec["flag"]].strip().replace("_", " ").capitalize(),
        )
        rows.append({"id": flag_id, "label": label, "source": source, "wards": codes})
    return pd.DataFrame(rows)


def _apply_benchmarks(
    folder: Path, spec: dict[str, Any] | None, indicators: dict[str, Any], ward_values: pd.DataFrame
) -> None:
    """Attach area/England benchmarks and build the derived 'gap below area average' indicators."""
    bench: dict[str, tuple[float | None, float | None]] = {}
    if spec is not None:
        name = spec["file"]
        frame = read_csv(folder, name, [spec["indicator"], spec["area"], spec["england"]])
        area = numeric_column(frame, spec["area"], name, allow_blank=True)
        england = numeric_column(frame, spec["england"], name, allow_blank=True)
        for i, ind in enumerate(frame[spec["indicator"]]):
            ind = ind.strip()
            if ind not in indicators:
                raise BundleError(
                    f"indicator {ind!r} is not defined in {MANIFEST}",
                    file=name,
                    row=csv_line(i),
                    field=spec["indicator"],
                )
            bench[ind] = (None if np.isnan(area[i]) else area[i], None if np.isnan(england[i]) else england[i])
    for ind_id, (area_value, england_value) in bench.items():
        spec_ = indicators[ind_id]
        indicators[ind_id] = Indicator(
            **{**spec_.__dict__, "benchmark_area": area_value, "benchmark_england": england_value}
        )


def derive_ward_indicators(
    manifest: dict[str, Any], indicators: dict[str, Indicator], ward_values: pd.DataFrame
) -> None:
    """Derived ward indicators (``derived_from`` in the manifest), computed after benchmarks."""
    for i, raw in enumerate(manifest["indicators"]):
        if "derived_from" not in raw:
            continue
        base = indicators.get(raw["derived_from"])
        where = f"indicators[{i}].derived_from"
        if base is None:
            raise BundleError(f"derived_from {raw['derived_from']!r} is not an indicator", file=MANIFEST, field=where)
        if raw.get("derivation") != "gap_below_area" or base.benchmark_area is None:
            raise BundleError(
                "only derivation 'gap_below_area' with an area benchmark is supported",
                file=MANIFEST,
                field=f"indicators[{i}].derivation",
            )
        gap = (base.benchmark_area - ward_values[base.id]).clip(lower=0)
        # Listed wards get their gap; the completeness rule says every other ward has none.
        ward_values[raw["id"]] = gap.fillna(0.0) if raw["completeness"] == "unlisted_zero" else gap
        ind = indicators[raw["id"]]
        # the area's gap below its own average is no figure: no area benchmark
        indicators[raw["id"]] = Indicator(**{**ind.__dict__, "benchmark_area": None, "derived_from": base.id})


def _load_stops(folder: Path, spec: dict[str, Any], projected: str) -> pd.DataFrame:
    """Public transport stops (optional ``[layers.stops]``): id, name, indicator and projected
    x, y of the stops in use (``status`` column "active" when the manifest names one)."""
    _require(spec, ["file", "key", "name", "x", "y", "crs"], "layers.stops")
    name = spec["file"]
    frame = read_csv(folder, name, [spec["key"], spec["name"], spec["x"], spec["y"]])
    if spec.get("status"):
        if spec["status"] not in frame.columns:
            raise BundleError(f"column {spec['status']!r} named by layers.stops.status is missing", file=name)
        frame = frame[frame[spec["status"]].str.strip().str.lower() == "active"].reset_index(drop=True)
    xs = numeric_column(frame, spec["x"], name)
    ys = numeric_column(frame, spec["y"], name)
    crs = _check_crs(spec["crs"], "layers.stops.crs")
    if crs != projected:
        from pyproj import Transformer

        xs, ys = Transformer.from_crs(crs, projected, always_xy=True).transform(xs, ys)
    indicator = spec.get("indicator")
    return pd.DataFrame(
        {
            "name": [str(v).strip() for v in frame[spec["name"]]],
            "indicator": [str(v).strip() for v in frame[indicator]] if indicator in frame.columns else "",
            "x": xs,
            "y": ys,
        },
        index=pd.Index([str(v).strip() for v in frame[spec["key"]]], name="stop_id"),
    )


def _load_postcodes(folder: Path, spec: dict[str, Any], projected: str) -> pd.DataFrame:
    _require(spec, ["file", "postcode", "x", "y", "crs"], "layers.postcodes")
    name = spec["file"]
    frame = read_csv(folder, name, [spec["postcode"], spec["x"], spec["y"]])
    xs = numeric_column(frame, spec["x"], name)
    ys = numeric_column(frame, spec["y"], name)
    crs = _check_crs(spec["crs"], "layers.postcodes.crs")
    if crs != projected:
        from pyproj import Transformer

        xs, ys = Transformer.from_crs(crs, projected, always_xy=True).transform(xs, ys)
    codes = normalise_postcodes(frame[spec["postcode"]])
    if codes.isna().any():  # the first one not shaped like a postcode, in normalise_postcode's words
        i = int(np.argmax(codes.isna().to_numpy()))
        try:
            normalise_postcode(frame[spec["postcode"]].iloc[i])
        except ScenarioError as exc:
            raise BundleError(str(exc), file=name, row=csv_line(i), field=spec["postcode"]) from None
    codes = list(codes)
    table = pd.DataFrame({"x": xs, "y": ys}, index=pd.Index(codes, name="postcode"))
    dup = table.index.duplicated()
    if dup.any():
        i = int(np.argmax(dup))
        raise BundleError(f"duplicate postcode {codes[i]!r}", file=name, row=csv_line(i), field=spec["postcode"])
    return table


def _load_calibration(folder: Path, spec: dict[str, Any]) -> pd.DataFrame:
    _require(spec, ["file", "straight_km", "network_km"], "layers.calibration")
    name = spec["file"]
    frame = read_csv(folder, name, [spec["straight_km"], spec["network_km"]])
    if len(frame) < MIN_CALIBRATION_ROWS:
        raise BundleError(
            f"{len(frame)} calibration row(s); a detour curve needs at least {MIN_CALIBRATION_ROWS}", file=name
        )
    straight = numeric_column(frame, spec["straight_km"], name)
    network = numeric_column(frame, spec["network_km"], name)
    for i, (s, n) in enumerate(zip(straight, network)):
        if s <= 0:
            raise BundleError(
                f"straight-line distance {s:g} must be positive", file=name, row=csv_line(i), field=spec["straight_km"]
            )
        if n < s:
            raise BundleError(
                f"route length {n:g} km is shorter than the straight line {s:g} km",
                file=name,
                row=csv_line(i),
                field=spec["network_km"],
            )
    return pd.DataFrame({"straight_km": straight, "network_km": network})


def _site_capacity(frame: pd.DataFrame, spec: dict[str, Any], name: str) -> np.ndarray:
    """Optional capacity per site, in people of the population the catchments count (the
    column named by ``layers.sites.capacity``); blank or no column = unknown (NaN)."""
    column = spec.get("capacity")
    if not column:
        return np.full(len(frame), np.nan)
    if column not in frame.columns:
        raise BundleError(f"column {column!r} named by layers.sites.capacity is missing", file=name)
    capacity = numeric_column(frame, column, name, allow_blank=True)
    for i, value in enumerate(capacity):
        if value < 0:
            raise BundleError(f"capacity {value:g} must be 0 or more", file=name, row=csv_line(i), field=column)
    return capacity


def _load_sites(folder: Path, spec: dict[str, Any], bundle: Bundle, warnings: list[str]) -> pd.DataFrame:
    _require(spec, ["file", "key", "name", "role", "lat", "lon"], "layers.sites")
    name = spec["file"]
    frame = read_csv(
        folder, name, [spec["key"], spec["name"], spec["role"], spec["lat"], spec["lon"]], allow_empty=True
    )
    ids = unique_keys(frame, spec["key"], name)
    roles = spec.get("roles", {})
    lats = numeric_column(frame, spec["lat"], name, allow_blank=True)
    lons = numeric_column(frame, spec["lon"], name, allow_blank=True)
    out = pd.DataFrame(index=pd.Index(ids, name="site_id"))

    def col(key: str) -> list[str]:
        column = spec.get(key)
        return [str(v).strip() for v in frame[column]] if column and column in frame.columns else [""] * len(frame)

    out["name"] = col("name")
    out["role"] = col("role")
    out["group"] = col("group")
    out["address"] = col("address")
    out["postcode"] = col("postcode")
    out["confidence"] = col("confidence")
    out["source"] = col("source")
    out["notes"] = col("notes")
    out["lat"], out["lon"] = lats, lons
    out["capacity"] = _site_capacity(frame, spec, name)
    xs, ys = np.full(len(ids), np.nan), np.full(len(ids), np.nan)
    for i, site in enumerate(ids):
        line = csv_line(i)
        if roles and out.at[site, "role"] not in roles:
            raise BundleError(
                f"role {out.at[site, 'role']!r} is not one of {sorted(roles)}", file=name, row=line, field=spec["role"]
            )
        if np.isnan(lats[i]) != np.isnan(lons[i]):
            missing = spec["lat"] if np.isnan(lats[i]) else spec["lon"]
            raise BundleError(
                "has only one of latitude/longitude; give both or neither", file=name, row=line, field=missing
            )
        postcode = out.at[site, "postcode"]
        if postcode:
            try:
                normal = normalise_postcode(postcode)
            except ScenarioError as exc:
                raise BundleError(str(exc), file=name, row=line, field=spec.get("postcode")) from None
            if "postcodes" not in bundle.manifest["layers"]:
                raise BundleError(
                    f"postcode {normal} cannot be checked: the bundle has no [layers.postcodes]; give lat and lon",
                    file=name,
                    row=line,
                    field=spec.get("postcode"),
                )
            if normal not in bundle.postcodes.index:
                raise BundleError(
                    f"postcode {normal} is not in the postcode lookup "
                    f"({bundle.manifest['layers']['postcodes']['file']})",
                    file=name,
                    row=line,
                    field=spec.get("postcode"),
                )
            out.at[site, "postcode"] = normal
        if np.isnan(lats[i]):
            warnings.append(
                f"site {site} ({out.at[site, 'name']}) has no sourced location: it is listed "
                "as unlocated and left out of distances"
            )
            continue
        if not (-90 <= lats[i] <= 90 and -180 <= lons[i] <= 180):
            raise BundleError(
                f"lat {lats[i]:g}, lon {lons[i]:g} is not a WGS84 coordinate", file=name, row=line, field=spec["lat"]
            )
        x, y = bundle.to_projected(lons[i], lats[i])
        if not bundle.inside_area(x, y):
            raise BundleError(
                f"coordinate ({lats[i]:g}, {lons[i]:g}) is more than {bundle.site_buffer_m:g} m "
                f"outside {bundle.area_name} (are latitude and longitude swapped?)",
                file=name,
                row=line,
                field=spec["lat"],
            )
        xs[i], ys[i] = x, y
        if out.at[site, "confidence"].lower() == "low":
            warnings.append(
                f"site {site} ({out.at[site, 'name']}) has a low-confidence location "
                f"({postcode or 'no postcode'}); see its notes"
            )
    out["x"], out["y"] = xs, ys
    out["located"] = ~np.isnan(xs)
    out["outside_area"] = [bool(ok) and bundle.outside_boundary(x, y) for ok, x, y in zip(out["located"], xs, ys)]
    return out


def _load_scenarios(manifest: dict[str, Any], sites: pd.DataFrame) -> dict[str, dict[str, Any]]:
    scenarios = {}
    for i, raw in enumerate(manifest["scenarios"]):
        where = f"scenarios[{i}]"
        _require(raw, ["id", "label"], where)
        if "sites" in raw:
            for site in raw["sites"]:
                if site not in sites.index:
                    raise BundleError(
                        f"scenario {raw['id']!r} names unknown site {site!r}", file=MANIFEST, field=f"{where}.sites"
                    )
            members = list(raw["sites"])
        elif "roles" in raw:
            members = list(sites.index[sites["role"].isin(raw["roles"])])
        else:
            raise BundleError("a scenario needs 'sites' or 'roles'", file=MANIFEST, field=where)
        assumptions = []
        for j, item in enumerate(raw.get("assumptions", [])):
            item = {"site": None, "text": item} if isinstance(item, str) else dict(item)
            if item.get("site") is not None and item["site"] not in sites.index:
                raise BundleError(
                    f"assumption names unknown site {item['site']!r}",
                    file=MANIFEST,
                    field=f"{where}.assumptions[{j}].site",
                )
            assumptions.append(item)
        scenarios[raw["id"]] = {
            "id": raw["id"],
            "label": raw["label"],
            "description": raw.get("description", ""),
            "sites": members,
            "assumptions": assumptions,
        }
    return scenarios


def default_bundle_path() -> Path:
    """The bundle to use when none is named: $NEEDSMAP_BUNDLE, else the first bundle (a folder
    with a bundle.toml, by name) in data/ beside a checkout of the code, else in the copy an
    installed package carries (<prefix>/share/needs-map/).

    >>> default_bundle_path().name  # doctest: +SKIP
    'luton'
    """
    import os
    import sys

    if os.environ.get("NEEDSMAP_BUNDLE"):
        return Path(os.environ["NEEDSMAP_BUNDLE"])
    for root in (Path(__file__).resolve().parent.parent / "data", Path(sys.prefix) / "share" / "needs-map"):
        found = sorted(p.parent for p in root.glob(f"*/{MANIFEST}"))
        if found:
            return found[0]
    return Path(__file__).resolve().parent.parent / "data"  # loading it says what is missing
