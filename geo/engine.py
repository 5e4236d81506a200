"""The engine: an area's bundle plus a travel matrix, answering coverage questions.

Modelled on spopt's model objects: the heavy part (the origin x site route matrix, from
any ``geo.travel.TravelModel``) is built once in ``Engine.__init__``; ``evaluate``,
``coverage``, ``compare`` and ``equality`` are array arithmetic on it and return typed
results (``geo.results``, ``geo.equality``). Sites a user adds or moves are the only new
distances computed per query (one column each, with the same travel model). Origins are
output areas (or LSOAs, or postcodes) sharing their LSOA's figures; every origin is placed
in a ward of every ward set once, so reports by either set are lookups.
"""

from __future__ import annotations

import difflib
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geo.area_views import AreaViews
from geo.areas import WardSet, place_in_wards
from geo.bundle import Bundle
from geo.equality import EqualityResult, EqualityTable, breakdown, origin_rates
from geo.errors import ScenarioError
from geo.national_travel import describe as describe_national
from geo.national_travel import detour_from_spec
from geo.nearest import NearestSiteIndex
from geo.origins import (
    ORIGIN_KINDS,
    _lsoa_weights,
    lsoa_origins,
    origin_description,
    output_area_origins,
    postcode_origins,
)
from geo.population import lower_first
from geo.results import Comparison, CoverageResult, Evaluation, coverage_result, travel_ranges
from geo.scenario import AddedSite, Scenario, parse_added_site
from geo.travel import DetourModel, DetourTravelModel, StraightLineModel, TravelModel, fit_detour, modes_from_manifest

if TYPE_CHECKING:  # the calibration module (scipy) is imported when a model is fitted
    from geo.calibrate import CalibrationReport, RoadSample

MAX_MINUTES = 240.0
MAX_KM = 100.0


METHOD_KINDS = ("travel_mode", "route_model", "origins")  # assumptions about the method, not the scenario


@dataclass(frozen=True)
class Assumption:
    """One assumption behind a figure: its kind (see ``Engine.assumption_items``), the
    sentence shown to users, and the values it is about."""

    kind: str
    text: str
    values: dict[str, Any]


class _OriginPopulation(dict[str, Any]):
    """Population per origin for each population field, filled on first use (so an age band
    chosen by a user costs one array when it is first asked for)."""

    def __init__(self, engine: Engine):
        super().__init__()
        self._engine = engine

    def __missing__(self, field: str) -> np.ndarray:
        bundle = self._engine.bundle
        if field not in bundle.population_fields:
            raise KeyError(field)
        for gone in [f for f in self if f not in bundle.population_fields]:  # bands the bundle let go
            del self[gone]
        origins = self._engine.origins
        values: np.ndarray = bundle.lsoa_values[field].reindex(origins.lsoa_code).to_numpy(float) * origins.share
        self[field] = values
        return values


class Engine(AreaViews):
    """Coverage and comparison of site scenarios over one bundle."""

    def __init__(
        self,
        bundle: Bundle,
        origins: str | None = None,
        travel_model: TravelModel | None = None,
        car_kmh: float | None = None,
    ):
        if origins is None:
            origins = bundle.manifest["travel"].get("default_origins", "lsoa")
            if origins == "output_areas" and bundle.output_areas is None:
                origins = "lsoa"
        if origins not in ORIGIN_KINDS:
            raise ScenarioError(f"origins {origins!r}: expected one of {', '.join(ORIGIN_KINDS)}")
        self.bundle = bundle
        manifest = bundle.manifest
        self.modes = modes_from_manifest(manifest, car_kmh)
        # the bundle's own default mode (a bundle need not call any mode "walk")
        self.default_mode = str(manifest.get("travel", {}).get("default_mode", next(iter(self.modes))))
        self.default_minutes = float(manifest.get("travel", {}).get("default_minutes", 20))
        # A bundle either carries a fitted model ([travel.model], e.g. the national curve of a
        # built bundle) or calibration pairs to fit one from ([layers.calibration]).
        self.national_model: dict[str, Any] | None = manifest["travel"].get("model")
        self.origins = {"lsoa": lsoa_origins, "postcode": postcode_origins, "output_areas": output_area_origins}[
            origins
        ](bundle)
        self.detour: DetourModel | None
        self.pairs_detour: DetourModel | None
        self.travel_range: tuple[float, float] | None
        if travel_model is not None and self.national_model is None and "calibration" not in manifest["layers"]:
            # a model given with nothing to fit one from (Engine.from_arrays): it is all there is
            self.pairs_detour, self.detour, self.calibration = None, None, None
            self.detour_name = travel_model.name
            self.travel_range = None
        elif self.national_model is not None:
            self.pairs_detour = detour_from_spec(self.national_model)
            self.detour_name = str(self.national_model.get("name", "calibrated"))
            self.calibration = None
            self.detour = self.pairs_detour
            low, high = self.national_model["interval"]
            self.travel_range = (float(low), float(high))
        else:
            self.pairs_detour = fit_detour(bundle.calibration, manifest)
            self.detour_name = manifest["layers"]["calibration"].get("name", "calibrated")
            self.calibration = self._calibrate() if travel_model is None else None
            self.detour = self.calibration.model if self.calibration is not None else self.pairs_detour
            # Route factors (low, high) for the travel range of every headline figure; None when the
            # bundle has no official distances to measure the model's error against.
            self.travel_range = self.calibration.interval if self.calibration is not None else None
        self.custom_travel_model = travel_model is not None
        if travel_model is None:
            assert self.detour is not None  # a bundle either has a model or pairs to fit one
            travel_model = DetourTravelModel(self.detour, name=self.detour_name)
        self.travel_model: TravelModel = travel_model
        self.straight_model = StraightLineModel()
        self.ward_names = dict(zip(bundle.wards["code"], bundle.wards["name"]))
        self.deprivation_indicator = manifest["area"].get("deprivation_decile")
        # The decile's own words: its name ("IMD 2019 decile", for "... decile 1-2") and its name
        # with its scale ("IMD 2019 decile (1 = most deprived 10% in England)"); None when the
        # bundle has no deprivation measure (then no deprivation figure is shown anywhere).
        spec = bundle.indicators.get(self.deprivation_indicator) if self.deprivation_indicator else None
        self.deprivation_name: str | None = spec.label if spec is not None else None
        self.deprivation_label: str | None = None
        self.deprivation_scale = ""
        if spec is not None:
            unit = spec.unit
            self.deprivation_scale = unit.removeprefix("decile ") if unit.startswith("decile (") else f"({unit})"
            self.deprivation_label = f"{spec.label} {self.deprivation_scale}"
        # the area's comparator for published benchmarks ("England"), from the bundle
        self.comparator = str(manifest["area"].get("comparator", "the nation"))

        # Every origin's ward in every ward set (the ward holding its point; geo.areas).
        self.ward_sets = bundle.ward_sets or {"wards": WardSet("wards", "Wards", bundle.wards, True)}
        self.primary_ward_set = next(iter(self.ward_sets))
        self.origin_ward_index_by_set = {
            set_id: self._origin_wards(ward_set) for set_id, ward_set in self.ward_sets.items()
        }
        self.ward_codes = list(bundle.wards["code"])
        self.origin_ward_index = self.origin_ward_index_by_set[self.primary_ward_set]
        self.origin_ward = np.array(self.ward_codes, dtype=object)[self.origin_ward_index]
        self.origin_ward_name = np.array([self.ward_names.get(c) for c in self.origin_ward], dtype=object)
        self.origin_population = _OriginPopulation(self)
        if self.deprivation_indicator:
            self.origin_decile = self.origin_values([self.deprivation_indicator])[self.deprivation_indicator].to_numpy()
        else:
            self.origin_decile = np.full(len(self.origins.xy), np.nan)

        located = bundle.located_sites
        self.site_ids = list(located.index)
        self._site_col = {s: j for j, s in enumerate(self.site_ids)}
        # Fixed facts of the register, looked up on every click (sets, not per-site DataFrame reads).
        self._unlocated_ids = frozenset(bundle.unlocated_site_ids)
        self._register_ids: tuple[str, ...] = tuple(bundle.sites.index)  # every site, in register order
        self._outside_ids = frozenset(bundle.sites.index[bundle.sites["outside_area"]])
        self.site_xy = located[["x", "y"]].to_numpy(float)
        # The heavy work, done once: the origin x site structure (a dense route matrix, or a
        # k-d tree for very large inputs; see geo.nearest). A model that is a function of the
        # straight line says so with ``of_straight``; any other model fills a full matrix.
        of_straight = getattr(self.travel_model, "of_straight", None)
        self._coverage_lock = threading.Lock()  # the coverage results kept (_own_coverage)
        # a dict, not a pandas lookup per call: site_label is asked for on every click
        self._site_names = self.bundle.sites["name"].to_dict()
        self.index = NearestSiteIndex(
            self.origins.xy,
            self.site_xy,
            route_of_straight=of_straight,
            route_matrix_fn=None if of_straight is not None else self.travel_model.route_m,
        )
        self._ward_tables: dict[str, pd.DataFrame] = {}

    @classmethod
    def from_arrays(
        cls, origins: ArrayLike, population: ArrayLike, sites: ArrayLike, travel: TravelModel | float, **options: Any
    ) -> Engine:
        """An engine over plain arrays, with no files and no national geography (as spopt's
        ``from_cost_matrix`` builds a model from a cost matrix): coverage, comparisons and the
        optimiser work as on a bundle; there are no indicators, wards or deprivation figures.

        Parameters
        ----------
        origins : array-like, shape (n, 2)
            Where people live, projected metres (``crs``).
        population : array-like, shape (n,)
            People at each origin.
        sites : array-like, shape (m, 2)
            Service sites, projected metres; the scenario ``all_open`` opens them all.
        travel : TravelModel or float
            A travel model (``geo.travel.TravelModel``: ``route_m`` and a ``name``), or a route
            factor: route = factor x straight line (``geo.travel.FactorTravelModel``).
        **options
            ``crs`` (required) and the rest of ``geo.arrays.bundle_from_arrays``: ids, site
            names, population label, area name, speed (km/h) and its source, default minutes.

        Examples
        --------
        >>> e = Engine.from_arrays([[0, 0], [2000, 0]], [10, 30], [[0, 600]], 1.5, crs="EPSG:27700")
        >>> result = e.coverage(e.scenario("all_open"), minutes=15)  # 4.8 km/h: 80 m a minute
        >>> result.covered, result.total  # 900 m is 11.25 min; 1.5 x 2,088 m is 39.2 min
        (10.0, 40.0)
        """
        from geo.arrays import bundle_from_arrays
        from geo.travel import FactorTravelModel

        model = FactorTravelModel(float(travel)) if isinstance(travel, int | float) else travel
        return cls(bundle_from_arrays(origins, population, sites, **options), origins="lsoa", travel_model=model)

    def _origin_wards(self, ward_set: WardSet) -> np.ndarray:
        """Each origin's ward: the ward polygon holding its point (``geo.areas.place_in_wards``)."""
        return place_in_wards(self.origins.xy, ward_set.wards, self.bundle.projected_crs)

    def _calibrate(self) -> CalibrationReport | None:
        """Fit the travel model on the bundle's official distances (cached on the bundle)."""
        bundle = self.bundle
        spec = bundle.manifest["layers"].get("road_check")
        if spec is None or self.pairs_detour is None:
            return None
        key = "calibration"  # one model per bundle, whatever origins this engine uses
        cache: dict[str, CalibrationReport] = bundle.__dict__.setdefault("_engine_cache", {})
        if key not in cache:
            from geo.calibrate import calibrate, load_road_sample

            codes = list(bundle.lsoa_values.index)
            sample = load_road_sample(
                bundle.path,
                spec,
                codes,
                bundle.projected_crs,
                lambda crs, xs, ys: bundle._transformer(crs, bundle.projected_crs).transform(xs, ys),
            )
            # the official distances are measured from output-area centroids: fit from them
            # where the bundle has them, so every engine of the bundle has the same model
            fit_origins = output_area_origins(bundle) if bundle.output_areas is not None else lsoa_origins(bundle)
            cache[key] = calibrate(
                sample,
                self.pairs_detour,
                fit_origins.xy,
                fit_origins.lsoa_code,
                fit_origins.share * _lsoa_weights(bundle, fit_origins.lsoa_code),
                pairs=len(bundle.calibration),
                centroid_xy=bundle.origin_xy,
                centroid_lsoa=np.array(codes),
            )
        return cache[key]

    def check_travel_model(self, sample: RoadSample) -> dict[str, Any]:
        """The route model in use against official distances (``geo.calibrate.RoadSample``),
        averaged from output areas (or LSOA centroids) with residents as weights, as the
        official figures are. Nothing is fitted: every row is out of sample."""
        from geo.calibrate import check_model

        if self.detour is None:
            raise ScenarioError("this engine's travel model was given to it; there is no fitted curve to check")
        bundle = self.bundle
        fit_origins = output_area_origins(bundle) if bundle.output_areas is not None else lsoa_origins(bundle)
        weights = fit_origins.share * _lsoa_weights(bundle, fit_origins.lsoa_code)
        return check_model(sample, self.detour, fit_origins.xy, fit_origins.lsoa_code, weights)

    def road_sample(self) -> RoadSample | None:
        """The bundle's own official distances ([layers.road_check]) as a RoadSample, or None."""
        from geo.calibrate import load_road_sample

        bundle = self.bundle
        spec = bundle.manifest["layers"].get("road_check")
        if spec is None:
            return None
        return load_road_sample(
            bundle.path,
            spec,
            list(bundle.lsoa_values.index),
            bundle.projected_crs,
            lambda crs, xs, ys: bundle._transformer(crs, bundle.projected_crs).transform(xs, ys),
        )

    # -- per-LSOA views of per-origin arrays (maps draw LSOAs; origins may be smaller areas) --
    @property
    def origin_lsoa_index(self) -> np.ndarray:
        """Position of each origin's LSOA in the bundle's LSOA order."""
        if "_origin_lsoa_index" not in self.__dict__:
            position = {c: i for i, c in enumerate(self.bundle.lsoa_values.index)}
            self.__dict__["_origin_lsoa_index"] = np.array([position[c] for c in self.origins.lsoa_code])
        index: np.ndarray = self.__dict__["_origin_lsoa_index"]
        return index

    def lsoa_mean(self, values: np.ndarray, population: np.ndarray) -> np.ndarray:
        """Population-weighted mean of a per-origin array for each LSOA (bundle order); inf when
        any of the LSOA's origins is inf (no open site), NaN for an LSOA with no population.

        >>> engine.lsoa_mean(ev.minutes, ev.population)  # doctest: +SKIP
        """
        values = np.asarray(values, float)
        weights = np.asarray(population, float)
        index, n = self.origin_lsoa_index, len(self.bundle.lsoa_values)
        infinite = np.bincount(index, weights=~np.isfinite(values), minlength=n) > 0
        finite_values = np.where(np.isfinite(values), values, 0.0)
        num = np.bincount(index, weights=finite_values * weights, minlength=n)
        den = np.bincount(index, weights=weights, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        return np.where(infinite, np.inf, out)

    def lsoa_main_site(self, nearest: np.ndarray, population: np.ndarray) -> list[Any]:
        """For each LSOA, the nearest site of its most populous origin (what the map names)."""
        order = np.lexsort((-np.asarray(population, float), self.origin_lsoa_index))
        first = np.unique(self.origin_lsoa_index[order], return_index=True)[1]
        out = [None] * len(self.bundle.lsoa_values)
        for position, row in zip(self.origin_lsoa_index[order][first], order[first]):
            out[position] = nearest[row]
        return out

    # -- scenarios -----------------------------------------------------------------
    def scenario_names(self) -> list[str]:
        """Ids of the bundle's named scenarios, in manifest order."""
        return list(self.bundle.scenarios)

    def _check_site(self, site: str) -> str:
        if site not in self.bundle.sites.index:
            near = difflib.get_close_matches(site, list(self.bundle.sites.index), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise ScenarioError(f"unknown site {site!r}{hint}")
        return site

    def locate_added(self, added: AddedSite) -> tuple[float, float]:
        """Projected x/y of an added or moved site; ScenarioError when it is unknown or too far outside the area."""
        if added.postcode:
            x, y = self.bundle.postcode_xy(added.postcode)
        else:
            lon, lat = (math.nan if v is None else float(v) for v in (added.lon, added.lat))
            x, y = self.bundle.to_projected(lon, lat)
            if not (math.isfinite(x) and math.isfinite(y)) or not self.bundle.inside_area(x, y):
                swapped = self.bundle.to_projected(lat, lon)
                hint = (
                    " (latitude and longitude look swapped)"
                    if all(map(math.isfinite, swapped)) and self.bundle.inside_area(*swapped)
                    else ""
                )
                raise ScenarioError(
                    f"site {added.label!r} at {added.lat}, {added.lon} is more than "
                    f"{self.bundle.site_buffer_m / 1000:g} km outside {self.bundle.area_name}{hint}"
                )
        return x, y

    def scenario(
        self,
        base: str | None = None,
        open: Iterable[str] = (),
        close: Iterable[str] = (),
        add: Iterable[AddedSite | str] = (),
        move: Mapping[str, AddedSite | str] | None = None,
        label: str = "",
    ) -> Scenario:
        """Build and validate a scenario. ``add`` items are AddedSite or 'LABEL@POSTCODE' /
        'LABEL@LAT,LON' strings; ``move`` maps site id -> AddedSite or 'LABEL@WHERE'."""
        if base is not None and base not in self.bundle.scenarios:
            raise ScenarioError(f"unknown scenario {base!r}; choose from {', '.join(self.bundle.scenarios)}")
        opened = frozenset(self._check_site(s) for s in open)
        closed = frozenset(self._check_site(s) for s in close)
        both = opened & closed
        if both:
            raise ScenarioError(f"site(s) {', '.join(sorted(both))} are both opened and closed")
        added = tuple(a if isinstance(a, AddedSite) else parse_added_site(a) for a in add)
        moved = []
        for site, where in (move or {}).items():
            self._check_site(site)
            moved.append((site, where if isinstance(where, AddedSite) else parse_added_site(where)))
        for a in list(added) + [m for _, m in moved]:
            self.locate_added(a)
        if not label:
            label = self.bundle.scenarios[base]["label"] if base else "Custom"
            if opened or closed or added or moved:
                label = f"{label}, modified" if base else label
        return Scenario(base, opened, closed, added, tuple(sorted(moved)), label)

    def site_label(self, site_id: str | None, scenario: Scenario | None = None) -> str | None:
        """Display name of a register site, or the label of an added one ('added:LABEL'). A site
        the scenario moves is named with where it now is, not with the register's note (e.g. a
        hub "to be agreed" placed at a postcode)."""
        if site_id is None:
            return None
        if site_id in self._site_names:
            name = self._site_names[site_id]
            if scenario is not None and site_id in scenario.moved_map:
                where = scenario.moved_map[site_id]
                return f"{name.split(' (')[0]} (placed at {where.postcode or f'{where.lat:.5f}, {where.lon:.5f}'})"
            return str(name)
        return str(site_id).removeprefix("added:")

    def placeable_sites(self) -> list[dict[str, Any]]:
        """Sites whose placement the manifest marks as an assumption (e.g. a hub 'to be agreed')."""
        out, seen = [], set()
        for scenario in self.bundle.scenarios.values():
            for item in scenario["assumptions"]:
                site = item.get("site")
                if site and site not in seen:
                    seen.add(site)
                    out.append({"site": site, "name": self.bundle.sites.at[site, "name"], "text": item["text"]})
        return out

    def site_wards(self) -> dict[str, dict[str, str]]:
        """For each ward set, located register site id -> the name of the ward holding it
        ('outside the area' for a border site beyond every ward)."""
        located = self.bundle.located_sites
        xy = located[["x", "y"]].to_numpy(float)
        out = {}
        for set_id, ward_set in self.ward_sets.items():
            names = list(ward_set.wards["name"])
            index = place_in_wards(xy, ward_set.wards, self.bundle.projected_crs, nearest=False)
            out[set_id] = {
                site: names[j] if j >= 0 else f"outside {self.bundle.area_name}"
                for site, j in zip(located.index, index)
            }
        return out

    def sites_in_ward(self, ward_code: str, ward_set: str | None = None) -> list[dict[str, Any]]:
        """Located register sites whose point lies in the ward (of the given ward set)."""
        import shapely

        wards = self.ward_sets[self.check_ward_set(ward_set)].wards
        ward = wards.set_index("code").to_crs(self.bundle.projected_crs).geometry.get(ward_code)
        if ward is None:
            return []
        located = self.bundle.located_sites
        inside = shapely.contains_xy(ward, located["x"].to_numpy(), located["y"].to_numpy())
        return [
            {"site_id": s, "name": r["name"], "role": r["role"], "postcode": r["postcode"]}
            for (s, r), flag in zip(located.iterrows(), inside)
            if flag
        ]

    def open_site_ids(self, scenario: Scenario) -> list[str]:
        """Register sites open in the scenario, in register order (located or not)."""
        members = set(self.bundle.scenarios[scenario.base]["sites"]) if scenario.base else set()
        members = (members | scenario.opened) - scenario.closed
        return [s for s in self._register_ids if s in members]

    def site_statuses(self, scenario: Scenario, comparison: Scenario | None = None) -> dict[str, str]:
        """Each register site's status in ``scenario`` against ``comparison``, one word each
        (``SITE_STATUS_WORDS`` gives the words people read).

        A site *closes* only where the comparison has it open; a site open in neither is
        ``not_in_scenario`` (a proposed hub in today's network has never been open, so it cannot
        close). Without a comparison a site is ``open`` or ``not_in_scenario``. A register site
        the scenario moves is ``moved`` (its new place is an added point).

        Parameters
        ----------
        scenario : Scenario
            The scenario shown.
        comparison : Scenario or None
            What it is compared with.

        Returns
        -------
        dict
            Site id -> "open", "opens", "closes", "moved" or "not_in_scenario", in register order.

        Examples
        --------
        >>> current, proposed = engine.scenario("current_2020"), engine.scenario("proposed_2020")
        >>> s = engine.site_statuses(current)
        >>> s["hub_manor"], s["denbigh"]
        ('not_in_scenario', 'open')
        >>> s = engine.site_statuses(proposed, current)
        >>> s["hub_manor"], s["denbigh"], s["limbury"]
        ('opens', 'closes', 'closes')
        """
        moved = scenario.moved_map
        open_now = set(self.open_site_ids(scenario)) - set(moved)
        open_before = None if comparison is None else set(self.open_site_ids(comparison))
        out = {}
        for site in self._register_ids:
            if site in moved:
                out[site] = "moved"
            elif site in open_now:
                out[site] = "open" if open_before is None or site in open_before else "opens"
            elif open_before is not None and site in open_before:
                out[site] = "closes"
            else:
                out[site] = "not_in_scenario"
        return out

    def _sites_sharing_a_point(self, open_ids: set[str]) -> list[list[str]]:
        """Groups of open located register sites standing within a metre of one another."""
        located = [s for s in self.site_ids if s in open_ids]
        groups: list[list[str]] = []
        for site in located:
            x, y = self.site_xy[self._site_col[site]]
            for group in groups:
                gx, gy = self.site_xy[self._site_col[group[0]]]
                if math.hypot(x - gx, y - gy) <= 1.0:
                    group.append(site)
                    break
            else:
                groups.append([site])
        return [g for g in groups if len(g) > 1]

    def assumptions(self, scenario: Scenario, mode: str, detour: str, population: str) -> list[str]:
        """The assumptions behind a scenario's figures, as sentences (``assumption_items`` has
        them with their kind, for callers that pick some)."""
        return [a.text for a in self.assumption_items(scenario, mode, detour, population)]

    def assumption_items(self, scenario: Scenario, mode: str, detour: str, population: str) -> list[Assumption]:
        """The assumptions behind a scenario's figures, each with its kind: "preset" (the
        scenario's own, e.g. where a hub 'to be agreed' is placed), "placement", "added",
        "unlocated", "outside", "travel_mode", "route_model" or "origins".

        >>> [a.kind for a in engine.assumption_items(engine.scenario("proposed_2020"), "walk", "calibrated",
        ...                                          "age0-4_2019")]
        ['preset', 'travel_mode', 'route_model', 'origins']
        """
        out: list[Assumption] = []
        moved = scenario.moved_map
        open_ids = set(self.open_site_ids(scenario))
        names = self.bundle.sites["name"]
        # The base's own assumptions, and every site-tied assumption of any preset whose site
        # is open where the manifest puts it (a hub opened on top of another base keeps its
        # placement assumption), each once.
        items = list(self.bundle.scenarios[scenario.base]["assumptions"]) if scenario.base else []
        items += [
            item
            for name, preset in self.bundle.scenarios.items()
            if name != scenario.base
            for item in preset["assumptions"]
            if item.get("site") is not None
        ]
        said: set[str] = set()
        for item in items:
            site = item.get("site")
            if item["text"] not in said and (site is None or (site in open_ids and site not in moved)):
                said.add(item["text"])
                out.append(Assumption("preset", item["text"], {"site": site}))
        shared = self._sites_sharing_a_point(open_ids - set(moved))
        if shared:
            out.append(
                Assumption(
                    "shared_point",
                    "Sites at the same point share its families; each is counted at the first listed, the others "
                    "serve no one of their own: "
                    + "; ".join(" = ".join(names[s] for s in group) for group in shared)
                    + ".",
                    {"groups": shared},
                )
            )
        for site, where in sorted(moved.items()):
            if site in open_ids:
                place = where.postcode or f"{where.lat:.5f}, {where.lon:.5f}"
                short = names[site].split(" (")[0]
                named = "" if where.label.split(" (")[0] == short else f" ({where.label})"
                out.append(
                    Assumption(
                        "placement", f"{short} is placed at {place}{named} by the user.", {"site": site, "where": place}
                    )
                )
        for a in scenario.added:
            out.append(Assumption("added", f"Added site {a.describe()} placed by the user.", {"label": a.label}))
        unlocated = self.unlocated_open(scenario)
        if unlocated:
            listed = ", ".join(names[s] for s in unlocated)
            out.append(
                Assumption(
                    "unlocated",
                    f"{len(unlocated)} open site(s) have no sourced location and are not counted: {listed}.",
                    {"sites": list(unlocated)},
                )
            )
        outside = [names[s] for s in open_ids if s not in moved and s in self._outside_ids]
        outside += [where.label for site, where in moved.items() if site in open_ids and self.is_outside(where)]
        outside += [a.label for a in scenario.added if self.is_outside(a)]
        if outside:
            out.append(
                Assumption(
                    "outside",
                    f"Outside {self.bundle.area_name} (serving its residents across the "
                    f"boundary): {', '.join(outside)}.",
                    {"sites": outside},
                )
            )
        m = self.modes[mode]
        out.append(
            Assumption(
                "travel_mode",
                f"{m.label} at {m.speed_kmh:g} km/h ({m.source}).",
                {"mode": mode, "speed_kmh": m.speed_kmh, "source": m.source},
            )
        )
        out.append(Assumption("route_model", self.travel_description(detour), {"model": detour}))
        out.append(
            Assumption(
                "origins",
                f"Origins: {origin_description(self.bundle, self.origins.kind)}; "
                f"population: {self.bundle.population_fields[population]}.",
                {"origins": self.origins.kind, "population": population},
            )
        )
        return out

    def travel_description(self, detour: str) -> str:
        """One sentence saying what the route model is and how well it did out of sample."""
        if detour == "none":
            return "Distances are straight lines (no detour)."
        if self.custom_travel_model:
            return f"Route length: the travel model '{self.travel_model.name}' given to the engine."
        if self.national_model is not None:
            return describe_national(self.national_model)
        if self.calibration is None:
            return (
                f"Route length is the straight line times a detour factor fitted to "
                f"{len(self.bundle.calibration)} route/straight-line pairs."
            )
        from geo.calibrate import FORM_LABELS

        c = self.calibration
        oos = c.out_of_sample[c.chosen]
        low, high = c.interval
        return (
            f"Route length: {FORM_LABELS[c.chosen]} ({len(self.bundle.calibration)} route pairs; "
            f"{c.sample_name}); out of sample the median estimate/official ratio is "
            f"{oos['median_ratio']:.2f} and the mean absolute error {oos['mean_abs_pct_error']:.0f}%. "
            f"Ranges use routes {low:.2f} to {high:.2f} times as long (10th-90th percentile of that error)."
        )

    def unlocated_open(self, scenario: Scenario) -> list[str]:
        """Open register sites with no sourced location (not moved by the user): left out of distances."""
        moved = scenario.moved_map
        return [s for s in self.open_site_ids(scenario) if s in self._unlocated_ids and s not in moved]

    def is_outside(self, added: AddedSite) -> bool:
        """True when a user-placed site lies beyond the area's boundary (but within its buffer)."""
        return self.bundle.outside_boundary(*self.locate_added(added))

    @property
    def straight_matrix(self) -> np.ndarray:
        """Origin x register-site straight metres (dense strategy only)."""
        if self.index.straight is None:
            raise ScenarioError("no dense matrix: this engine uses the k-d tree strategy")
        return self.index.straight

    @property
    def route_matrix(self) -> np.ndarray:
        """Origin x register-site estimated route metres (dense strategy only)."""
        if self.index.route is None:
            raise ScenarioError("no dense matrix: this engine uses the k-d tree strategy")
        return self.index.route

    def nearest_open(self, scenario: Scenario, detour: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """For each origin, the nearest open located site of the scenario.

        Returns (ids of the open sites used, nearest site id per origin (None if no site is
        open), straight metres, route metres). Register sites come from the prebuilt index;
        sites the user moved or added are a few extra columns computed here.
        """
        moved = scenario.moved_map
        open_ids = self.open_site_ids(scenario)
        mask = np.zeros(len(self.site_ids), bool)
        for site in open_ids:
            if site in self._site_col and site not in moved:
                mask[self._site_col[site]] = True
        idx, straight, route = self.index.nearest(mask, use_route=detour != "none")
        register_ids = np.array(self.site_ids + [None], dtype=object)
        nearest = register_ids[idx]  # -1 (no open site) picks the trailing None
        used = [s for s in open_ids if s in self._site_col and s not in moved]
        extras = [(site, moved[site]) for site in open_ids if site in moved]
        extras += [(f"added:{a.label}", a) for a in scenario.added]
        model = self.straight_model if detour == "none" else self.travel_model
        for site_id, where in extras:
            xy = np.array([self.locate_added(where)])
            extra_straight = self.straight_model.route_m(self.origins.xy, xy)[:, 0]
            extra_route = model.route_m(self.origins.xy, xy)[:, 0]
            better = extra_route < route
            nearest = np.where(better, site_id, nearest)
            straight = np.where(better, extra_straight, straight)
            route = np.where(better, extra_route, route)
            used.append(site_id)
        return used, nearest, straight, route

    def site_point(self, site_id: str, scenario: Scenario) -> tuple[float, float]:
        """Where a site of the scenario stands (projected metres): a register site where the
        register puts it or where the scenario moves it, an added site where it was added."""
        moved = scenario.moved_map
        if site_id in moved:
            return self.locate_added(moved[site_id])
        if site_id in self._site_col:
            x, y = self.site_xy[self._site_col[site_id]]
            return float(x), float(y)
        added = {f"added:{a.label}": a for a in scenario.added}
        return self.locate_added(added[site_id])

    def place_words(self, x: float, y: float) -> str:
        """Where a point (projected metres) is, in words: the ward that holds it in each ward
        set, and the sector of its nearest postcode.

        >>> engine.place_words(*engine.bundle.postcode_xy("LU4 9DD"))
        'Leagrave ward (Wards 2009-2023 (in force in 2020)); Challney ward (Wards from May 2023 (current)); postcode sector LU4 9'
        """
        parts = []
        for ward_set in self.ward_sets.values():
            j = int(place_in_wards(np.array([[x, y]]), ward_set.wards, self.bundle.projected_crs, nearest=False)[0])
            where = f"{ward_set.wards['name'].iloc[j]} ward" if j >= 0 else f"outside {self.bundle.area_name}"
            parts.append(f"{where} ({ward_set.label})")
        codes = self.bundle.postcodes
        if len(codes):
            nearest = codes.index[int(np.argmin(np.hypot(codes["x"].to_numpy() - x, codes["y"].to_numpy() - y)))]
            parts.append(f"postcode sector {str(nearest)[:-2].strip()}")
        return "; ".join(parts)

    def site_moves(
        self, before_ids: np.ndarray, before: Scenario, after_ids: np.ndarray, after: Scenario
    ) -> np.ndarray:
        """Per origin, whether the site it goes to stands somewhere else after the change: both
        give it a site and the two stand more than a metre apart. A site replaced by another at
        the same point (a proposed hub placed at a current centre's postcode) is no change for a
        family. ``before_ids``/``after_ids``: each origin's site (nearest or assigned) or None.

        >>> cur, pro = engine.scenario("current_2020"), engine.scenario("proposed_2020")
        >>> a, b = engine.evaluate(cur).nearest, engine.evaluate(pro).nearest
        >>> int((a != b).sum() - engine.site_moves(a, cur, b, pro).sum()) > 0  # Leagrave CC -> the hub at its point
        True
        """
        first, then = np.asarray(before_ids, dtype=object), np.asarray(after_ids, dtype=object)
        out = np.zeros(len(first), bool)
        # only origins whose site id changes can move (a loop over every origin was most of this)
        both = np.array([a is not None and b is not None for a, b in zip(first.tolist(), then.tolist())], bool)
        changed = np.flatnonzero(both & (first != then))
        if not len(changed):
            return out
        was, now = first[changed].tolist(), then[changed].tolist()
        before_at = {site: self.site_point(site, before) for site in set(was)}
        after_at = {site: self.site_point(site, after) for site in set(now)}
        start = np.array([before_at[site] for site in was], dtype=float)
        end = np.array([after_at[site] for site in now], dtype=float)
        out[changed] = np.hypot(start[:, 0] - end[:, 0], start[:, 1] - end[:, 1]) > 1.0
        return out

    # -- queries -----------------------------------------------------------------------
    def check_options(self, mode: str, minutes: Any, km: Any, detour: str, population: str) -> None:
        """Raise ScenarioError naming the option when mode, threshold, detour or population is not valid here."""
        if mode not in self.modes:
            raise ScenarioError(f"unknown mode {mode!r}; choose from {', '.join(self.modes)}")
        if detour not in ("none", self.detour_name):
            raise ScenarioError(f"unknown detour {detour!r}; choose '{self.detour_name}' or 'none'")
        if population not in self.bundle.population_fields:
            hint = " (or an age band and year, e.g. --ages 0-4 --year 2019)" if self.bundle.age_tables else ""
            raise ScenarioError(
                f"unknown population {population!r}; choose from {', '.join(self.bundle.population_fields)}{hint}"
            )
        if (minutes is None) == (km is None):
            raise ScenarioError("give exactly one threshold: minutes or km")
        value, unit, cap = (minutes, "minutes", MAX_MINUTES) if minutes is not None else (km, "km", MAX_KM)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ScenarioError(f"threshold {value!r} {unit} is not a number") from None
        if not math.isfinite(value) or value <= 0 or value > cap:
            raise ScenarioError(f"threshold {value:g} {unit} must be more than 0 and at most {cap:g}")

    def evaluate(
        self,
        scenario: Scenario,
        *,
        mode: str | None = None,
        minutes: float | None = None,
        km: float | None = None,
        detour: str | None = None,
        population: str | None = None,
    ) -> Evaluation:
        """The hot path: nearest open site, minutes and coverage per origin, as arrays only
        (what a click needs). ``coverage`` adds the tables on top."""
        detour = self.detour_name if detour is None else detour
        mode = mode or self.default_mode
        population = population or self.default_population
        if minutes is None and km is None:
            minutes = self.default_minutes
        self.check_options(mode, minutes, km, detour, population)
        ids, nearest_ids, straight_m, route_m = self.nearest_open(scenario, detour)
        minutes_to = route_m / self.modes[mode].metres_per_minute
        covered = minutes_to <= float(minutes) if minutes is not None else route_m <= float(km or 0) * 1000.0
        return Evaluation(
            scenario=scenario,
            open_ids=ids,
            nearest=nearest_ids,
            straight_m=straight_m,
            route_m=route_m,
            minutes=minutes_to,
            covered=covered,
            population=self.origin_population[population],
            population_field=population,
            mode=mode,
            detour=detour,
            threshold={"minutes": None if minutes is None else float(minutes), "km": None if km is None else float(km)},
            range_factors=None if detour == "none" else self.travel_range,
            metres_per_minute=self.modes[mode].metres_per_minute,
        )

    def coverage(
        self,
        scenario: Scenario,
        *,
        mode: str | None = None,
        minutes: float | None = None,
        km: float | None = None,
        detour: str | None = None,
        population: str | None = None,
        wards: str | None = None,
    ) -> CoverageResult:
        """Who can reach an open site of ``scenario``: totals, per ward (of the ``wards`` set),
        per deprivation decile and per origin, with a low-high range of the totals across the
        travel range.

        >>> result = engine.coverage(engine.scenario("proposed_2020"))
        >>> result.population_label
        'Children under 5 (mid-2019)'
        """
        ev = self.evaluate(scenario, mode=mode, minutes=minutes, km=km, detour=detour, population=population)
        return self._own_coverage(ev, wards, lambda: travel_ranges(ev, None, self.origin_decile))

    # Coverage results of a scenario on its own (its ranges are its own), kept for reuse: a
    # comparison's baseline (a named scenario) is the same for every click and every user, and
    # was half of each click's table work. Results are not changed after they are made
    # (Comparison.of and the dashboard copy what they alter), so one may be shared.
    COVERAGE_CACHE_SIZE = 32

    def clear_coverage_cache(self) -> None:
        """Forget the kept coverage results (benchmarks time the work itself).

        >>> engine.clear_coverage_cache()  # doctest: +SKIP
        """
        self.__dict__.pop("_coverage_cache", None)

    def _own_coverage(
        self, ev: Evaluation, wards: str | None, ranges: Callable[[], dict[str, Any] | None]
    ) -> CoverageResult:
        key = (ev.scenario, ev.mode, tuple(sorted(ev.threshold.items())), ev.detour, ev.population_field, wards)
        cache: dict[Any, CoverageResult] = self.__dict__.setdefault("_coverage_cache", {})
        with self._coverage_lock:
            if key in cache:
                cache[key] = cache.pop(key)  # most recently used last
                return cache[key]
        result = self._coverage_of(ev, wards, ranges())
        with self._coverage_lock:
            cache[key] = result
            while len(cache) > self.COVERAGE_CACHE_SIZE:
                cache.pop(next(iter(cache)))
        return result

    def _coverage_of(self, ev: Evaluation, wards: str | None, ranges: dict[str, Any] | None) -> CoverageResult:
        return coverage_result(
            engine=self,
            scenario=ev.scenario,
            open_ids=ev.open_ids,
            population=ev.population_field,
            mode=ev.mode,
            threshold=ev.threshold,
            detour=ev.detour,
            nearest=ev.nearest,
            straight_m=ev.straight_m,
            route_m=ev.route_m,
            minutes=ev.minutes,
            covered=ev.covered,
            assumptions=self.assumptions(ev.scenario, ev.mode, ev.detour, ev.population_field),
            ward_set=wards,
            ranges=ranges,
        )

    def compare(self, base: Scenario, alt: Scenario, *, wards: str | None = None, **options: Any) -> Comparison:
        """Coverage of ``base`` and ``alt`` and who loses or gains access, with low-high ranges
        of the headline figures across the travel range (``Comparison.ranges``).

        >>> comparison = engine.compare(engine.scenario("current_2020"), engine.scenario("proposed_2020"))  # doctest: +SKIP
        """
        base_ev = self.evaluate(base, **options)
        alt_ev = self.evaluate(alt, **options)
        ranges = travel_ranges(alt_ev, base_ev, self.origin_decile)
        base_ranges = {k.replace("base_", "alt_"): v for k, v in ranges.items() if k.startswith("base_")}
        return Comparison.of(
            self,
            self._own_coverage(base_ev, wards, lambda: base_ranges),
            self._coverage_of(alt_ev, wards, ranges),
            ranges,
        )

    # -- equality impact -------------------------------------------------------------------
    def equality(self, base: Scenario, alt: Scenario, **options: Any) -> EqualityResult:
        """Who loses (keeps, gains) access from ``base`` to ``alt``, by each characteristic of the
        bundle's equality tables, against the whole area (``geo.equality``). ``options`` as for
        ``evaluate`` (mode, minutes or km, detour, population).

        >>> current, proposed = engine.scenario("current_2020"), engine.scenario("proposed_2020")
        >>> result = engine.equality(current, proposed)
        >>> round(result.losing_total) == round(engine.compare(current, proposed).population_losing_access)
        True
        """
        tables = self.bundle.equality_tables
        if not tables:
            raise ScenarioError("this bundle has no equality tables ([equality.<id>] in bundle.toml)")
        base_ev = self.evaluate(base, **options)
        alt_ev = self.evaluate(alt, **options)
        label = lower_first(self.bundle.population_fields[alt_ev.population_field])
        threshold = (
            f"{options['km']:g} km"
            if options.get("km") is not None
            else f"{options.get('minutes') or self.default_minutes:g} min"
        )
        result = EqualityResult(
            base.label,
            alt.label,
            label,
            {
                "mode": alt_ev.mode,
                "threshold": threshold,
                "population": alt_ev.population_field,
                "origins": self.origins.kind,
                "travel_model": self.detour_name,
            },
            float((base_ev.population * (base_ev.covered & ~alt_ev.covered)).sum()),
        )
        for table in tables.values():
            result.breakdowns.append(
                breakdown(table, self._equality_rates(table), alt_ev.population, base_ev.covered, alt_ev.covered, label)
            )
        return result

    def _equality_rates(self, table: EqualityTable) -> np.ndarray:
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_equality_rate_cache", {})
        if table.id not in cache:
            areas = self.bundle.output_areas
            current = None
            if self.origins.kind == "output_areas" and areas is not None and areas.parent is not None:
                current = np.concatenate([areas.parent, np.full(len(self.origins.lsoa_code) - len(areas.parent), "")])
            children: dict[str, list[str]] = {}
            for new, olds in self.bundle.lsoa_parents.items():
                for old in olds:
                    children.setdefault(old, []).append(new)
            cache[table.id] = origin_rates(table, self.origins.lsoa_code, current, children)
        return cache[table.id]
