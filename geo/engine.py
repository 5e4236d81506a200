"""The engine: an area's bundle plus a travel matrix, answering coverage questions.

Modelled on spopt's model objects: the heavy part (the origin x site route matrix)
is built once in ``Engine.__init__``; ``coverage`` and ``compare`` are array
arithmetic on it and return typed results (``geo.results``). Sites a user adds or
moves are the only new distances computed per query (one column each).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.bundle import Bundle
from geo.errors import ScenarioError
from geo.geometry import assign_lsoas_to_wards, ward_aggregates
from geo.nearest import NearestSiteIndex
from geo.need import need_index
from geo.results import Comparison, CoverageResult, Evaluation, coverage_result
from geo.scenario import AddedSite, Scenario, parse_added_site
from geo.travel import DetourTravelModel, StraightLineModel, TravelModel, fit_detour, modes_from_manifest

MAX_MINUTES = 240.0
MAX_KM = 100.0


@dataclass(frozen=True)
class Origins:
    """Where people start: projected coordinates, their LSOA, and each origin's share
    of its LSOA's population (1 for LSOA centroids; 1/k for k postcodes in an LSOA)."""

    xy: np.ndarray
    lsoa_code: np.ndarray
    share: np.ndarray
    kind: str
    label: np.ndarray


def lsoa_origins(bundle: Bundle) -> Origins:
    codes = bundle.lsoa_values.index.to_numpy()
    return Origins(bundle.origin_xy, codes, np.ones(len(codes)), "lsoa", codes)


def postcode_origins(bundle: Bundle) -> Origins:
    """Postcode centroids inside each LSOA, sharing its population equally. An LSOA with
    no postcode centroid inside its (generalised) boundary keeps its population-weighted
    centroid, so no one is dropped."""
    import geopandas as gpd

    lsoas = bundle.lsoas[["code", "geometry"]].to_crs(bundle.projected_crs)
    points = gpd.GeoDataFrame({"postcode": bundle.postcodes.index},
                              geometry=gpd.points_from_xy(bundle.postcodes["x"], bundle.postcodes["y"]),
                              crs=bundle.projected_crs)
    joined = gpd.sjoin(points, lsoas, predicate="within", how="inner")
    counts = joined.groupby("code").size()
    xy, codes, labels, shares = [], [], [], []
    for i, code in enumerate(bundle.lsoa_values.index):
        if code in counts.index:
            rows = joined[joined["code"] == code]
            xy.extend(zip(rows.geometry.x, rows.geometry.y))
            codes.extend([code] * len(rows))
            labels.extend(rows["postcode"])
            shares.extend([1.0 / len(rows)] * len(rows))
        else:
            xy.append(tuple(bundle.origin_xy[i]))
            codes.append(code)
            labels.append(code)
            shares.append(1.0)
    return Origins(np.array(xy, float), np.array(codes), np.array(shares), "postcode", np.array(labels))


class Engine:
    """Coverage and comparison of site scenarios over one bundle."""

    def __init__(self, bundle: Bundle, origins: str = "lsoa", travel_model: TravelModel | None = None,
                 car_kmh: float | None = None):
        if origins not in ("lsoa", "postcode"):
            raise ScenarioError(f"origins {origins!r}: expected 'lsoa' or 'postcode'")
        self.bundle = bundle
        manifest = bundle.manifest
        self.modes = modes_from_manifest(manifest, car_kmh)
        self.detour = fit_detour(bundle.calibration, manifest)
        self.detour_name = manifest["layers"]["calibration"].get("name", "calibrated")
        self.travel_model = travel_model or DetourTravelModel(self.detour, name=self.detour_name)
        self.straight_model = StraightLineModel()
        self.assignment = assign_lsoas_to_wards(bundle.lsoas, bundle.wards, bundle.projected_crs)
        self.ward_names = dict(zip(bundle.wards["code"], bundle.wards["name"]))
        self.deprivation_indicator = manifest["area"].get("deprivation_decile")

        self.origins = lsoa_origins(bundle) if origins == "lsoa" else postcode_origins(bundle)
        ward_of = self.assignment.set_index("lsoa_code")["ward_code"]
        self.origin_ward = ward_of.reindex(self.origins.lsoa_code).to_numpy()
        self.ward_codes = list(bundle.wards["code"])
        ward_pos = {c: i for i, c in enumerate(self.ward_codes)}
        self.origin_ward_index = np.array([ward_pos.get(c, -1) for c in self.origin_ward])
        self.origin_ward_name = np.array([self.ward_names.get(c) for c in self.origin_ward], dtype=object)
        self.origin_population = {
            f: bundle.lsoa_values[f].reindex(self.origins.lsoa_code).to_numpy() * self.origins.share
            for f in bundle.population_fields
        }
        if self.deprivation_indicator:
            self.origin_decile = bundle.lsoa_values[self.deprivation_indicator].reindex(
                self.origins.lsoa_code).to_numpy()
        else:
            self.origin_decile = np.full(len(self.origins.xy), np.nan)

        located = bundle.located_sites
        self.site_ids = list(located.index)
        self._site_col = {s: j for j, s in enumerate(self.site_ids)}
        self.site_xy = located[["x", "y"]].to_numpy(float)
        # The heavy work, done once: the origin x site structure (a dense route matrix, or a
        # k-d tree for very large inputs; see geo.nearest).
        monotone = isinstance(self.travel_model, (DetourTravelModel, StraightLineModel))
        self.index = NearestSiteIndex(
            self.origins.xy, self.site_xy,
            route_of_straight=self.detour.network_m if isinstance(self.travel_model, DetourTravelModel) else None,
            route_matrix_fn=None if monotone else self.travel_model.route_m)
        self._ward_table: pd.DataFrame | None = None

    # -- scenarios -----------------------------------------------------------------
    def scenario_names(self) -> list[str]:
        return list(self.bundle.scenarios)

    def _check_site(self, site: str) -> str:
        if site not in self.bundle.sites.index:
            near = difflib.get_close_matches(site, list(self.bundle.sites.index), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise ScenarioError(f"unknown site {site!r}{hint}")
        return site

    def locate_added(self, added: AddedSite) -> tuple[float, float]:
        if added.postcode:
            x, y = self.bundle.postcode_xy(added.postcode)
        else:
            x, y = self.bundle.to_projected(added.lon, added.lat)
            if not (math.isfinite(x) and math.isfinite(y)) or not self.bundle.inside_area(x, y):
                swapped = self.bundle.to_projected(added.lat, added.lon)
                hint = (" (latitude and longitude look swapped)"
                        if all(map(math.isfinite, swapped)) and self.bundle.inside_area(*swapped) else "")
                raise ScenarioError(f"site {added.label!r} at {added.lat}, {added.lon} is outside "
                                    f"{self.bundle.area_name}{hint}")
        return x, y

    def scenario(self, base: str | None = None, open=(), close=(), add=(), move=None, label: str = "") -> Scenario:
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

    def site_label(self, site_id) -> str | None:
        """Display name of a register site, or the label of an added one ('added:LABEL')."""
        if site_id is None:
            return None
        if site_id in self.bundle.sites.index:
            return self.bundle.sites.at[site_id, "name"]
        return str(site_id).removeprefix("added:")

    def placeable_sites(self) -> list[dict]:
        """Sites whose placement the manifest marks as an assumption (e.g. a hub 'to be agreed')."""
        out, seen = [], set()
        for scenario in self.bundle.scenarios.values():
            for item in scenario["assumptions"]:
                site = item.get("site")
                if site and site not in seen:
                    seen.add(site)
                    out.append({"site": site, "name": self.bundle.sites.at[site, "name"], "text": item["text"]})
        return out

    def sites_in_ward(self, ward_code: str) -> list[dict]:
        """Located register sites whose point lies in the ward."""
        import shapely

        ward = self.bundle.wards.set_index("code").to_crs(self.bundle.projected_crs).geometry.get(ward_code)
        if ward is None:
            return []
        located = self.bundle.located_sites
        inside = shapely.contains_xy(ward, located["x"].to_numpy(), located["y"].to_numpy())
        return [{"site_id": s, "name": r["name"], "role": r["role"], "postcode": r["postcode"]}
                for (s, r), flag in zip(located.iterrows(), inside) if flag]

    def open_site_ids(self, scenario: Scenario) -> list[str]:
        """Register sites open in the scenario, in register order (located or not)."""
        members = set(self.bundle.scenarios[scenario.base]["sites"]) if scenario.base else set()
        members = (members | scenario.opened) - scenario.closed
        return [s for s in self.bundle.sites.index if s in members]

    def assumptions(self, scenario: Scenario, mode: str, detour: str, population: str) -> list[str]:
        out = []
        moved = scenario.moved_map
        open_ids = set(self.open_site_ids(scenario))
        if scenario.base:
            for item in self.bundle.scenarios[scenario.base]["assumptions"]:
                site = item.get("site")
                if site is None or (site in open_ids and site not in moved):
                    out.append(item["text"])
        for site, where in sorted(moved.items()):
            if site in open_ids:
                out.append(f"{self.bundle.sites.at[site, 'name']} is placed at {where.describe()} by the user.")
        for a in scenario.added:
            out.append(f"Added site {a.describe()} placed by the user.")
        unlocated = [s for s in open_ids if not self.bundle.sites.at[s, "located"] and s not in moved]
        if unlocated:
            names = ", ".join(self.bundle.sites.at[s, "name"] for s in unlocated)
            out.append(f"{len(unlocated)} open site(s) have no sourced location and are not counted: {names}.")
        m = self.modes[mode]
        out.append(f"{m.label} at {m.speed_kmh:g} km/h ({m.source}).")
        if detour == "none":
            out.append("Distances are straight lines (no detour).")
        else:
            out.append(f"Route length is the straight line times a detour factor fitted to "
                       f"{len(self.bundle.calibration)} {self.detour_name} route/straight-line pairs.")
        out.append(f"Origins: {'LSOA population-weighted centroids' if self.origins.kind == 'lsoa' else 'postcode centroids sharing their LSOA population equally'}; "
                   f"population: {self.bundle.population_fields[population]}.")
        return out

    @property
    def straight_matrix(self) -> np.ndarray:
        """Origin x register-site straight metres (dense strategy only)."""
        return self.index.straight

    @property
    def route_matrix(self) -> np.ndarray:
        """Origin x register-site estimated route metres (dense strategy only)."""
        return self.index.route

    def nearest_open(self, scenario: Scenario, detour: str):
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

    # -- queries -----------------------------------------------------------------------
    def check_options(self, mode: str, minutes, km, detour: str, population: str) -> None:
        if mode not in self.modes:
            raise ScenarioError(f"unknown mode {mode!r}; choose from {', '.join(self.modes)}")
        if detour not in ("none", self.detour_name):
            raise ScenarioError(f"unknown detour {detour!r}; choose '{self.detour_name}' or 'none'")
        if population not in self.bundle.population_fields:
            raise ScenarioError(f"unknown population {population!r}; choose from "
                                f"{', '.join(self.bundle.population_fields)}")
        if (minutes is None) == (km is None):
            raise ScenarioError("give exactly one threshold: minutes or km")
        value, unit, cap = (minutes, "minutes", MAX_MINUTES) if minutes is not None else (km, "km", MAX_KM)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ScenarioError(f"threshold {value!r} {unit} is not a number") from None
        if not math.isfinite(value) or value <= 0 or value > cap:
            raise ScenarioError(f"threshold {value:g} {unit} must be more than 0 and at most {cap:g}")

    def evaluate(self, scenario: Scenario, *, mode: str = "walk", minutes: float | None = None,
                 km: float | None = None, detour: str | None = None, population: str | None = None) -> Evaluation:
        """The hot path: nearest open site, minutes and coverage per origin, as arrays only
        (what a click needs). ``coverage`` adds the tables on top."""
        detour = self.detour_name if detour is None else detour
        population = population or self.default_population
        if minutes is None and km is None:
            minutes = self.bundle.manifest["travel"].get("default_minutes", 20)
        self.check_options(mode, minutes, km, detour, population)
        ids, nearest_ids, straight_m, route_m = self.nearest_open(scenario, detour)
        minutes_to = route_m / self.modes[mode].metres_per_minute
        covered = minutes_to <= float(minutes) if minutes is not None else route_m <= float(km) * 1000.0
        return Evaluation(scenario=scenario, open_ids=ids, nearest=nearest_ids, straight_m=straight_m,
                          route_m=route_m, minutes=minutes_to, covered=covered,
                          population=self.origin_population[population], population_field=population, mode=mode,
                          detour=detour, threshold={"minutes": None if minutes is None else float(minutes),
                                                    "km": None if km is None else float(km)})

    def coverage(self, scenario: Scenario, *, mode: str = "walk", minutes: float | None = None,
                 km: float | None = None, detour: str | None = None,
                 population: str | None = None) -> CoverageResult:
        ev = self.evaluate(scenario, mode=mode, minutes=minutes, km=km, detour=detour, population=population)
        return coverage_result(
            engine=self, scenario=scenario, open_ids=ev.open_ids, population=ev.population_field, mode=mode,
            threshold=ev.threshold, detour=ev.detour, nearest=ev.nearest, straight_m=ev.straight_m,
            route_m=ev.route_m, minutes=ev.minutes, covered=ev.covered,
            assumptions=self.assumptions(scenario, mode, ev.detour, ev.population_field))

    def compare(self, base: Scenario, alt: Scenario, **options) -> Comparison:
        return Comparison.of(self, self.coverage(base, **options), self.coverage(alt, **options))

    # -- indicators --------------------------------------------------------------------
    def ward_table(self) -> pd.DataFrame:
        """Ward values: the ward-level indicators plus ward aggregates of LSOA indicators
        (population-weighted by children 0-15 for means, summed for counts)."""
        if self._ward_table is None:
            bundle = self.bundle
            lsoa_ids = {i: s.aggregate for i, s in bundle.indicators.items() if s.level == "lsoa"}
            lsoa_ids.update({f: "sum" for f in bundle.population_fields})
            weights = bundle.lsoa_values[self.default_population]
            agg = ward_aggregates(bundle.lsoa_values, self.assignment, lsoa_ids, weights, list(bundle.wards["code"]))
            table = bundle.ward_values.join(agg)
            table.insert(0, "ward_name", table.index.map(self.ward_names))
            self._ward_table = table
        return self._ward_table

    @property
    def default_population(self) -> str:
        return self.bundle.manifest["layers"]["population"].get("default", next(iter(self.bundle.population_fields)))

    def indicator_values(self, indicator: str, level: str) -> pd.Series:
        """Values of one indicator at 'lsoa' or 'ward' level (NaN = no published figure)."""
        spec = self.bundle.indicators.get(indicator)
        if spec is None:
            raise ScenarioError(f"unknown indicator {indicator!r}")
        if level == "lsoa":
            if spec.level != "lsoa":
                raise ScenarioError(f"{spec.label} is published by ward only; there is no LSOA value")
            return self.bundle.lsoa_values[indicator]
        if level == "ward":
            return self.ward_table()[indicator]
        raise ScenarioError(f"level {level!r}: expected 'lsoa' or 'ward'")

    def need_index_candidates(self) -> list[str]:
        """Indicators a user may weight in the need index (the manifest's list, else every eligible one)."""
        eligible = [i for i, s in self.bundle.indicators.items()
                    if s.level == "lsoa" and s.completeness == "complete" and s.direction != "none"]
        listed = self.bundle.manifest.get("need_index", {}).get("candidates")
        return [i for i in listed if i in eligible] if listed else eligible

    def need_index(self, weights: dict[str, float] | None = None, level: str = "lsoa") -> pd.Series:
        weights = weights if weights is not None else self.bundle.manifest.get("need_index", {}).get("weights", {})
        key = (tuple(sorted(weights.items())), level)
        cache = self.__dict__.setdefault("_need_cache", {})
        if key not in cache:
            if len(cache) > 64:  # weights come from users: keep the cache small
                cache.clear()
            cache[key] = self._need_index(weights, level)
        return cache[key].copy()

    def _need_index(self, weights: dict[str, float], level: str) -> pd.Series:
        lsoa = need_index(self.bundle.lsoa_values, self.bundle.indicators, weights)
        if level == "lsoa":
            return lsoa
        frame = pd.DataFrame({"need_index": lsoa})
        out = ward_aggregates(frame, self.assignment, {"need_index": "mean"},
                              self.bundle.lsoa_values[self.default_population], list(self.bundle.wards["code"]))
        return out["need_index"]
