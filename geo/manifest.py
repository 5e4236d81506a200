"""The manifest (``bundle.toml``) as typed models: what each key is, its type and its allowed
values, checked before any file is read.

``check_manifest`` validates a parsed manifest against ``Manifest`` and turns the first problem
into a ``BundleError`` naming ``bundle.toml`` and the key, e.g. ``file bundle.toml, field
'travel.modes.walk.speed_kmh': 'fast' is not a number``. Checks that need more than one key
(the default mode is one of the modes, the need index weighs indicators the bundle has) follow
the model's; checks that need the data (coordinates against their CRS, codes across files)
are made where the data are read (``geo.bundle``).

Keys the engine does not read (notes, provenance, ``as_of`` dates) are allowed and kept. The
JSON Schema of ``Manifest`` is published for bundle authors in ``docs/bundle.schema.json``
(``python -m geo schema``; a test keeps the two the same), so an editor can check a
``bundle.toml`` as it is written.

>>> from geo.bundle import read_manifest
>>> manifest = read_manifest(engine.bundle.path)
>>> Manifest.model_validate(manifest).travel.modes["walk"].speed_kmh
4.8
>>> check_manifest({**manifest, "area": {**manifest["area"], "site_buffer_m": "far"}})
Traceback (most recent call last):
...
geo.errors.BundleError: file bundle.toml, field 'area.site_buffer_m': 'far' is not a number
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator

from geo.errors import BundleError

MANIFEST = "bundle.toml"
MIN_CALIBRATION_ROWS = 3  # a detour curve from fewer pairs is a guess, not a fit
MAX_SPEED_KMH = 200.0
INDICATOR_LEVELS = ("lsoa", "lsoa_current", "ward")
DIRECTIONS = ("higher", "lower", "none")
COMPLETENESS = ("complete", "listed", "unlisted_zero")
AGGREGATES = ("mean", "median", "sum")


def _fail(field: str, message: str) -> NoReturn:
    raise BundleError(message, file=MANIFEST, field=field)


def _number(low: float | None = None, high: float | None = None, strict_low: bool = False) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{value!r} is not a number")
        number = float(value)
        if low is not None and (number < low or (strict_low and number <= low)):
            raise ValueError(f"{number:g} must be {'more than' if strict_low else 'at least'} {low:g}")
        if high is not None and number > high:
            raise ValueError(f"{number:g} must be at most {high:g}")
        return number

    return check


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} must be non-empty text")
    return value


def _one_of(name: str, allowed: tuple[str, ...], separator: str = "; ") -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"{name} {value!r}{separator}expected one of {', '.join(allowed)}")
        return str(value)

    return check


Text = Annotated[str, BeforeValidator(_text)]
Metres = Annotated[float, BeforeValidator(_number(low=0, high=100_000)), Field(ge=0, le=100_000)]
NonNegative = Annotated[float, BeforeValidator(_number(low=0)), Field(ge=0)]
Speed = Annotated[float, BeforeValidator(_number(low=0, high=MAX_SPEED_KMH, strict_low=True)), Field(gt=0, le=200)]
Minutes = Annotated[float, BeforeValidator(_number(low=0, high=240, strict_low=True)), Field(gt=0, le=240)]


Level = Annotated[
    str, BeforeValidator(_one_of("level", INDICATOR_LEVELS)), WithJsonSchema({"enum": list(INDICATOR_LEVELS)})
]
Direction = Annotated[
    str, BeforeValidator(_one_of("direction", DIRECTIONS)), WithJsonSchema({"enum": list(DIRECTIONS)})
]
Completeness = Annotated[
    str, BeforeValidator(_one_of("completeness", COMPLETENESS)), WithJsonSchema({"enum": list(COMPLETENESS)})
]
Aggregate = Annotated[
    str, BeforeValidator(_one_of("aggregate", AGGREGATES, ": ")), WithJsonSchema({"enum": list(AGGREGATES)})
]


class _Table(BaseModel):
    # keys the engine does not read are kept (notes, provenance); unknown keys are no error
    model_config = ConfigDict(extra="allow")


class Area(_Table):
    """``[area]``: the area itself."""

    name: Text = Field(description="The area's name, as every page, file and briefing prints it.")
    projected_crs: str = Field(
        description="The CRS every distance is measured in: projected, in metres, true to scale over the area "
        "(in England EPSG:27700)."
    )
    code: str | None = Field(None, description="The area's official code, if it has one.")
    comparator: str | None = Field(None, description="Whose figures the benchmarks are (e.g. 'England').")
    deprivation_decile: str | None = Field(
        None,
        description="Id of the indicator giving each small area's national deprivation decile (1 = most "
        "deprived). Without it no deprivation figure is shown anywhere.",
    )
    vintage: str | None = Field(None, description="The data's dates in a few words, shown under every figure.")
    attribution: list[str] = Field(default_factory=list, description="Licence and attribution lines.")
    site_tolerance_m: Metres | None = Field(None, description="How far a site may lie outside the area (m).")
    site_buffer_m: Metres | None = Field(None, description="How far outside the area sites are kept (m).")
    boundary_tolerance_m: Metres | None = Field(None, description="Slack when points are placed in wards (m).")


class FileLayer(_Table):
    """A layer read from one file of the bundle."""

    file: Text = Field(description="The file's name inside the bundle folder.")


class PolygonLayer(FileLayer):
    """A GeoJSON layer of polygons with a code and a name per feature."""

    key: Text = Field(description="The property holding each feature's code.")
    name: Text = Field(description="The property holding each feature's name.")
    crs: Text = Field(description="The file's CRS (GeoJSON from ONS is EPSG:4326).")
    label: str | None = Field(None, description="What the layer is, in words.")
    word: str | None = Field(
        None,
        description="Small areas: what one is called in a sentence ('LSOA'); default 'small area'.",
    )
    plural: str | None = Field(None, description="Small areas: the word in the plural (default: the word and 's').")
    level_label: str | None = Field(
        None, description="Small areas: the map level's name in a page's choice (default: the plural, capitalised)."
    )


class PointLayer(FileLayer):
    """A CSV of points."""

    x: Text = Field(description="The column of x (easting or longitude).")
    y: Text = Field(description="The column of y (northing or latitude).")
    crs: Text = Field(description="The CRS of x and y.")


class OriginsLayer(PointLayer):
    """``[layers.origins]``: one point per small area, where its people are counted from."""

    key: Text = Field(description="The column of small-area codes.")


class PostcodesLayer(PointLayer):
    """``[layers.postcodes]`` (optional): postcode centroids, for sites and places given by postcode."""

    postcode: Text = Field(description="The column of postcodes.")


class PopulationLayer(FileLayer):
    """``[layers.population]``: residents per small area."""

    key: Text = Field(description="The column of small-area codes.")
    fields: dict[str, str] = Field(description="Population id -> column.")
    default: str | None = Field(None, description="The population counted by default.")
    labels: dict[str, str] = Field(default_factory=dict, description="Population id -> words.")


class SitesLayer(FileLayer):
    """``[layers.sites]``: the register of service sites."""

    key: Text = Field(description="The column of site ids.")
    name: Text = Field(description="The column of site names.")
    role: Text = Field(description="The column of roles (current, hub, ...).")
    lat: Text = Field(description="The column of WGS84 latitudes (empty: no sourced location).")
    lon: Text = Field(description="The column of WGS84 longitudes.")
    postcode: str | None = Field(None, description="The column of postcodes (needs [layers.postcodes]).")
    roles: dict[str, str] = Field(default_factory=dict, description="Role id -> the legend's words.")


class CalibrationLayer(FileLayer):
    """``[layers.calibration]``: route and straight-line distances of pairs, to fit the detour curve."""

    name: str | None = Field(None, description="The fitted model's name.")
    straight_km: Text = Field(description="The column of straight-line km.")
    network_km: Text = Field(description="The column of route km.")
    band_edges_km: list[NonNegative] = Field(
        default_factory=lambda: [0.0], description="Distance bands of the curve (km, increasing)."
    )
    source: str | None = None

    @field_validator("band_edges_km")
    @classmethod
    def _increasing(cls, edges: list[float]) -> list[float]:
        if not edges:
            raise ValueError("[] must be a list of distances in km, e.g. [0.0, 1.5]")
        if any(b <= a for a, b in zip(edges, edges[1:])):
            raise ValueError(f"{edges} must be in increasing order")
        return edges


class StopsLayer(PointLayer):
    """``[layers.stops]`` (optional): public transport stops, for each site's nearest stop."""

    key: Text = Field(description="The column of stop ids.")
    name: Text = Field(description="The column of stop names.")
    indicator: str | None = Field(None, description="The column of the stop's indicator (e.g. 'Stop A').")
    status: str | None = Field(None, description="The column whose 'active' keeps a stop.")
    source: Text | None = Field(None, description="What the stop list is and when it was taken, in words.")


class Layers(_Table):
    """``[layers.*]``: the bundle's files. Other layers (output areas, population by age, road
    check, ward figures and flags, benchmarks, current LSOAs) are read where named."""

    wards: PolygonLayer
    lsoas: PolygonLayer
    origins: OriginsLayer
    population: PopulationLayer
    sites: SitesLayer
    postcodes: PostcodesLayer | None = None
    calibration: CalibrationLayer | None = None
    stops: StopsLayer | None = None


class TravelMode(_Table):
    """``[travel.modes.<id>]``: a way of travelling at a speed."""

    label: Text | None = Field(None, description="The mode in words (default: its id).")
    speed_kmh: Speed = Field(description="Average speed along the route, km/h.")
    phrase: str | None = Field(None, description="The journey in words: 'walk' reads 'a 20-minute walk'.")
    source: str | None = Field(None, description="Where the speed comes from.")


class Travel(_Table):
    """``[travel]``: modes, defaults and (optionally) a fitted route model."""

    modes: dict[str, TravelMode] = Field(description="At least one mode.")
    default_mode: str | None = None
    default_minutes: Minutes | None = None
    default_origins: str | None = Field(None, description="output_areas, lsoa or postcode.")
    model: dict[str, Any] | None = Field(None, description="A route model carried by the bundle (build-bundle).")
    origins_words: str | None = Field(None, description="What the origins are, in words.")

    @field_validator("modes")
    @classmethod
    def _some(cls, modes: dict[str, TravelMode]) -> dict[str, TravelMode]:
        if not modes:
            raise ValueError("define at least one travel mode, e.g. [travel.modes.walk] with speed_kmh")
        return modes


class NeedIndex(_Table):
    """``[need_index]`` (optional): the composite need index's weights."""

    weights: dict[str, NonNegative] = Field(default_factory=dict, description="Indicator id -> weight.")
    candidates: list[str] = Field(default_factory=list, description="Indicators a user may weigh.")


class ScenarioSpec(_Table):
    """``[[scenarios]]``: a named set of open sites."""

    id: Text
    label: Text
    description: str | None = None
    sites: list[str] = Field(default_factory=list, description="Site ids open in it.")
    roles: list[str] = Field(default_factory=list, description="Roles whose sites are open in it.")


class IndicatorSpec(_Table):
    """``[[indicators]]``: one need indicator."""

    id: Text
    level: Level = Field(description="Where it is published.")
    label: Text
    unit: Text
    period: Text
    direction: Direction = Field(description="higher or lower: which way is more need; none: a plain count.")
    completeness: Completeness
    source: Text
    table: str | None = Field(None, description="The table ([tables.<id>]) it is a column of.")
    column: str | None = None
    aggregate: Aggregate = Field("mean", description="How small areas make a ward.")
    short_label: str | None = None


class Manifest(_Table):
    """A bundle's ``bundle.toml``."""

    area: Area
    layers: Layers
    travel: Travel
    scenarios: list[ScenarioSpec]
    indicators: list[IndicatorSpec]
    need_index: NeedIndex | None = None
    tables: dict[str, FileLayer] = Field(default_factory=dict, description="Tables of indicators by small area.")
    aliases: dict[str, dict[str, str]] = Field(default_factory=dict, description="ward: other spelling -> name.")


def _field(loc: tuple[int | str, ...]) -> str:
    """``("indicators", 2, "level")`` -> ``"indicators[2].level"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problem(error: Any) -> tuple[str, str]:
    """The field and the words of pydantic's first error."""
    field, kind, value = _field(tuple(error["loc"])), error["type"], error.get("input")
    if kind == "value_error":
        return field, str(error["ctx"]["error"])
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return field, f"must be a table ([{field}] with keys), not {type(value).__name__} {value!r}"[:200]
    if kind == "missing":
        return field, f"missing key '{error['loc'][-1]}'"
    if kind == "list_type":
        return field, f"must be a list, not {value!r}"[:200]
    if kind == "string_type":
        return field, f"{value!r} must be text"[:200]
    return field, f"{value!r}: {error['msg']}"[:200]


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


def check_manifest(manifest: dict[str, Any]) -> Manifest:
    """The manifest's model, or a ``BundleError`` naming the first key that is wrong."""
    try:
        model = Manifest.model_validate(manifest)
    except ValidationError as exc:
        _fail(*_problem(exc.errors()[0]))
    projected_crs(model.area.projected_crs, "area.projected_crs")
    for name, spec in (model.layers.model_extra or {}).items():  # the layers read where they are named
        if not isinstance(spec, dict):
            _fail(
                f"layers.{name}",
                f"must be a table ([layers.{name}] with keys), not {type(spec).__name__} {spec!r}"[:200],
            )
        if "file" in spec and (not isinstance(spec["file"], str) or not spec["file"].strip()):
            _fail(f"layers.{name}.file", f"{spec['file']!r} must be non-empty text")
    modes = model.travel.modes
    if model.travel.default_mode is not None and model.travel.default_mode not in modes:
        _fail(
            "travel.default_mode", f"{model.travel.default_mode!r} is not a mode of [travel.modes] ({', '.join(modes)})"
        )
    known = {i.id for i in model.indicators}
    for indicator in model.need_index.weights if model.need_index else {}:
        if indicator not in known:
            _fail(f"need_index.weights.{indicator}", f"{indicator!r} is not an indicator of this bundle")
    return model


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``bundle.toml`` for bundle authors (``docs/bundle.schema.json``)."""
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Needs Map bundle manifest (bundle.toml)"
    return schema
