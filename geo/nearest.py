"""Nearest open site for every origin: the engine's hot path.

Two strategies, chosen by size:

* **dense** (origins x sites up to ``DENSE_CELLS``): the origin x site route matrix is
  computed once; a scenario is a column mask and an argmin. Works for any travel model,
  including a street network.
* **indexed** (larger, e.g. 1.5 million postcode origins x 3,000 sites): a k-d tree
  (scipy cKDTree) of the scenario's open sites answers each origin's nearest site by
  straight line. This is exact for the straight-line and detour models because their
  route length is a non-decreasing function of the straight line (``DetourModel`` forces
  this), so the straight-line nearest site is also the route nearest. Memory is O(origins
  + sites) instead of O(origins x sites).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

DENSE_CELLS = 20_000_000  # 160 MB per float64 matrix; two are kept (straight and route)


class NearestSiteIndex:
    """Nearest of a subset of ``site_xy`` for each of ``origin_xy`` (projected metres).

    ``route_of_straight`` maps straight metres to route metres and must be non-decreasing
    (straight line: identity; detour model: ``DetourModel.network_m``). ``route_matrix_fn``,
    when given, computes a full route matrix instead (any travel model); it forces the
    dense strategy.
    """

    def __init__(
        self,
        origin_xy: np.ndarray,
        site_xy: np.ndarray,
        route_of_straight: Callable[[np.ndarray], np.ndarray] | None = None,
        route_matrix_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        dense_cells: int = DENSE_CELLS,
    ):
        self.origin_xy = np.ascontiguousarray(origin_xy, dtype=float).reshape(-1, 2)
        self.site_xy = np.ascontiguousarray(site_xy, dtype=float).reshape(-1, 2)
        self.route_of_straight = route_of_straight or (lambda d: d)
        n, m = len(self.origin_xy), len(self.site_xy)
        self.dense = route_matrix_fn is not None or n * m <= dense_cells
        if route_matrix_fn is not None and n * m > 4 * dense_cells:
            raise MemoryError(f"{n:,} origins x {m:,} sites is too large for a dense route matrix")
        self.straight: np.ndarray | None = None
        self.route: np.ndarray | None = None
        if self.dense:
            o, s = self.origin_xy, self.site_xy
            self.straight = np.hypot(o[:, None, 0] - s[None, :, 0], o[:, None, 1] - s[None, :, 1])
            self.route = route_matrix_fn(o, s) if route_matrix_fn is not None else self.route_of_straight(self.straight)

    def nearest(self, open_mask: np.ndarray, use_route: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(site index or -1, straight metres, route metres) per origin, over the open sites.
        ``use_route=False`` ranks and reports by straight line only."""
        open_idx = np.flatnonzero(np.asarray(open_mask, bool))
        n = len(self.origin_xy)
        if len(open_idx) == 0:
            return np.full(n, -1), np.full(n, np.inf), np.full(n, np.inf)
        if self.dense:
            assert self.straight is not None and self.route is not None  # built with the dense strategy
            ranking = (self.route if use_route else self.straight)[:, open_idx]
            best = np.argmin(ranking, axis=1)
            rows = np.arange(n)
            straight = self.straight[rows, open_idx[best]]
            route = ranking[rows, best] if use_route else straight
            return open_idx[best], straight, route
        from scipy.spatial import cKDTree

        tree = cKDTree(self.site_xy[open_idx])
        straight, best = tree.query(self.origin_xy, k=1, workers=-1)
        route = self.route_of_straight(straight) if use_route else straight
        return open_idx[best], straight, route
