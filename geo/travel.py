"""Travel model: origins x sites -> straight-line metres, estimated route metres, minutes.

Method and assumptions
----------------------
* Distances are measured in the bundle's projected CRS (British National Grid metres
  for England), between each origin (an LSOA population-weighted centroid, or a
  postcode centroid) and each site (a Code-Point postcode-unit centroid).
* Route length is estimated from the straight line with a *detour model* fitted at
  load time from the bundle's calibration pairs (for Luton: 204 MSOA-to-MSOA pairs
  with real OpenStreetMap route lengths from the Propensity to Cycle Tool). Pairs are
  grouped into straight-line distance bands; each band gives a knot at (median straight
  distance, median straight distance x median circuity). The route length is
  linear between knots and proportional (the end bands' circuity) beyond them. Knots
  are forced non-decreasing, so a farther site is never estimated nearer, and
  circuity is never below 1, so a route is never shorter than the straight line.
  ``detour="none"`` uses the plain straight line.
* The calibration routes are cycle routes; the same detour is used for walking and
  driving. Real walking routes can be shorter (footpaths) and car routes longer
  (one-way streets); a street-network model (``NetworkTravelModel``) can replace it.
* Minutes = route metres / speed. Speeds come from the manifest's [travel.modes]
  (Luton: walk 4.8 km/h, cycle 16 km/h, from the Thurrock accessibility study; car
  25 km/h, an assumption). No waiting, parking or public transport is modelled: there
  is no timetable data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geo.errors import BundleError, ScenarioError


@dataclass(frozen=True)
class DetourModel:
    """Route length as a monotone function of straight-line length, fitted from pairs."""

    knots_straight_m: tuple[float, ...]
    knots_network_m: tuple[float, ...]
    band_circuity: tuple[float, ...]
    band_counts: tuple[int, ...]
    band_edges_km: tuple[float, ...]
    access_m: float = 0.0  # added to every route: door to street network (fitted, see geo.calibrate)

    @classmethod
    def fit(cls, straight_km: ArrayLike, network_km: ArrayLike, band_edges_km: Sequence[float]) -> DetourModel:
        """Fit the detour curve to calibration pairs (banded medians, made non-decreasing)."""
        straight = np.asarray(straight_km, float)
        network = np.asarray(network_km, float)
        edges = list(band_edges_km) + [np.inf]
        xs, ys, factors, counts = [], [], [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            inside = (straight >= lo) & (straight < hi)
            if not inside.any():
                continue
            circuity = max(1.0, float(np.median(network[inside] / straight[inside])))
            mid = float(np.median(straight[inside])) * 1000.0
            xs.append(mid)
            ys.append(mid * circuity)
            factors.append(circuity)
            counts.append(int(inside.sum()))
        if not xs:
            raise BundleError("no calibration pair falls in any distance band", field="band_edges_km")
        ys = list(np.maximum.accumulate(ys))
        return cls(tuple(xs), tuple(ys), tuple(factors), tuple(counts), tuple(band_edges_km))

    def network_m(self, straight_m: ArrayLike) -> np.ndarray:
        """Estimated route metres for straight-line metres (never shorter than the straight line)."""
        d = np.asarray(straight_m, float)
        xs, ys = np.asarray(self.knots_straight_m), np.asarray(self.knots_network_m)
        first, last = ys[0] / xs[0], ys[-1] / xs[-1]
        out = np.interp(d, xs, ys)
        out = np.where(d < xs[0], d * first, out)
        out = np.where(d > xs[-1], d * last, out)
        return np.asarray(np.maximum(out, d) + self.access_m)

    def with_access(self, access_m: float) -> DetourModel:
        """The same curve with a different access distance."""
        return DetourModel(
            self.knots_straight_m,
            self.knots_network_m,
            self.band_circuity,
            self.band_counts,
            self.band_edges_km,
            float(access_m),
        )

    def describe(self) -> list[dict[str, Any]]:
        """The model in one sentence."""
        return [
            {"median_straight_km": round(x / 1000, 3), "circuity": round(f, 3), "pairs": n}
            for x, f, n in zip(self.knots_straight_m, self.band_circuity, self.band_counts)
        ]


class TravelModel(Protocol):
    """Anything that turns origin and site coordinates into route metres.

    ``route_m(origins_xy, sites_xy)`` returns an (n_origins, n_sites) array of metres.
    A model whose route is a non-decreasing function of the straight line may also offer
    ``of_straight(straight_m)``; the engine then uses a k-d tree for very large inputs
    (``geo.nearest``). Every model is used the same way for register, moved and added sites.
    """

    @property
    def name(self) -> str:
        """How the model is named in every figure's method line."""
        ...

    def route_m(self, origins_xy: np.ndarray, sites_xy: np.ndarray) -> np.ndarray: ...


def straight_m(origins_xy: np.ndarray, sites_xy: np.ndarray) -> np.ndarray:
    """Euclidean distance matrix in projected metres."""
    o = np.asarray(origins_xy, float).reshape(-1, 2)
    s = np.asarray(sites_xy, float).reshape(-1, 2)
    return np.asarray(np.hypot(o[:, None, 0] - s[None, :, 0], o[:, None, 1] - s[None, :, 1]))


@dataclass(frozen=True)
class StraightLineModel:
    """Route = straight line."""

    name: str = "none"

    def route_m(self, origins_xy: np.ndarray, sites_xy: np.ndarray) -> np.ndarray:
        """Route metres, origins x sites (the TravelModel protocol)."""
        return straight_m(origins_xy, sites_xy)

    def of_straight(self, straight: ArrayLike) -> np.ndarray:
        """Route metres as a non-decreasing function of straight-line metres."""
        return np.asarray(straight, float)


@dataclass(frozen=True)
class FactorTravelModel:
    """Route = a fixed factor times the straight line (a user's own assumption).

    >>> FactorTravelModel(1.5).route_m(np.array([[0.0, 0.0]]), np.array([[300.0, 400.0]]))
    array([[750.]])
    >>> FactorTravelModel(1.5).name
    'route = 1.5 x straight line'
    """

    factor: float
    name: str = ""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.factor) and self.factor >= 1):
            raise ScenarioError(f"route factor {self.factor}: a route is at least the straight line (factor >= 1)")
        if not self.name:
            object.__setattr__(self, "name", f"route = {self.factor:g} x straight line")

    def route_m(self, origins_xy: np.ndarray, sites_xy: np.ndarray) -> np.ndarray:
        """Route metres, origins x sites (the TravelModel protocol)."""
        return self.factor * straight_m(origins_xy, sites_xy)

    def of_straight(self, straight: ArrayLike) -> np.ndarray:
        """Route metres as a non-decreasing function of straight-line metres."""
        return self.factor * np.asarray(straight, float)


@dataclass(frozen=True)
class DetourTravelModel:
    """Route = the fitted detour curve of the straight line (plus its access distance)."""

    detour: DetourModel
    name: str = "calibrated"

    def route_m(self, origins_xy: np.ndarray, sites_xy: np.ndarray) -> np.ndarray:
        """Route metres, origins x sites (the TravelModel protocol)."""
        return self.detour.network_m(straight_m(origins_xy, sites_xy))

    def of_straight(self, straight: ArrayLike) -> np.ndarray:
        """Route metres as a non-decreasing function of straight-line metres."""
        return self.detour.network_m(straight)


class NetworkTravelModel:
    """Shortest paths on a street graph (networkx; an osmnx graph projected to the
    bundle CRS works as is: nodes carry ``x``/``y`` in metres, edges ``length`` in metres).

    Each origin and site is snapped to its nearest graph node; the route is
    snap distance + shortest path + snap distance. Unreachable pairs are ``inf``.
    """

    def __init__(self, graph: Any, name: str = "network") -> None:
        from scipy.spatial import cKDTree

        self.graph = graph
        self.name = name
        self._nodes = list(graph.nodes)
        xy = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in self._nodes], float)
        if len(xy) == 0:
            raise ScenarioError("the street graph has no nodes")
        self._tree = cKDTree(xy)

    def route_m(self, origins_xy: np.ndarray, sites_xy: np.ndarray) -> np.ndarray:
        """Route metres, origins x sites (the TravelModel protocol)."""
        import networkx as nx

        o = np.asarray(origins_xy, float).reshape(-1, 2)
        s = np.asarray(sites_xy, float).reshape(-1, 2)
        o_snap, o_idx = self._tree.query(o)
        s_snap, s_idx = self._tree.query(s)
        out = np.full((len(o), len(s)), np.inf)
        for j, node_index in enumerate(s_idx):
            lengths = nx.single_source_dijkstra_path_length(self.graph, self._nodes[node_index], weight="length")
            path = np.array([lengths.get(self._nodes[k], np.inf) for k in o_idx])
            out[:, j] = o_snap + path + s_snap[j]
        return out


@dataclass(frozen=True)
class Mode:
    """A travel mode: id, label, speed (km/h) and the source of the speed."""

    id: str
    label: str
    speed_kmh: float
    source: str
    assumption: bool = False

    @property
    def metres_per_minute(self) -> float:
        """The mode's speed in metres per minute."""
        return self.speed_kmh * 1000.0 / 60.0


def modes_from_manifest(manifest: dict[str, Any], car_kmh: float | None = None) -> dict[str, Mode]:
    """The bundle's [travel.modes.*] as Mode objects (``car_kmh`` overrides the car speed)."""
    modes = {}
    for mode_id, raw in manifest["travel"].get("modes", {}).items():
        speed = float(raw["speed_kmh"])
        source = raw.get("source", "")
        if mode_id == "car" and car_kmh is not None:
            if not (0 < car_kmh <= 130):
                raise ScenarioError(f"car speed {car_kmh} km/h must be between 0 and 130")
            speed, source = float(car_kmh), f"Assumption: {car_kmh:g} km/h average urban speed, set by the user"
        if not speed > 0:
            raise BundleError(
                f"speed {speed} must be positive", file="bundle.toml", field=f"travel.modes.{mode_id}.speed_kmh"
            )
        modes[mode_id] = Mode(mode_id, raw.get("label", mode_id), speed, source, bool(raw.get("assumption", False)))
    if not modes:
        raise BundleError("no travel modes defined", file="bundle.toml", field="travel.modes")
    return modes


def fit_detour(calibration: pd.DataFrame, manifest: dict[str, Any]) -> DetourModel:
    """The detour model fitted to the bundle's calibration pairs (straight vs network km)."""
    edges = manifest["layers"]["calibration"].get("band_edges_km", [0.0])
    return DetourModel.fit(calibration["straight_km"], calibration["network_km"], edges)
