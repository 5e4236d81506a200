"""The nearest-site index: the k-d tree strategy gives the dense (brute-force) answer."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.nearest import NearestSiteIndex
from geo.travel import DetourModel

DETOUR = DetourModel.fit([1.0, 2.0, 3.0, 5.0, 7.0], [1.45, 2.8, 3.9, 6.4, 8.9], [0, 1.5, 2.5, 4, 6])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 300), m=st.integers(1, 40))
def test_indexed_equals_dense_and_brute_force(seed, n, m):
    rng = np.random.default_rng(seed)
    origins = rng.uniform(0, 20_000, size=(n, 2))
    sites = rng.uniform(0, 20_000, size=(m, 2))
    mask = rng.random(m) < 0.6
    dense = NearestSiteIndex(origins, sites, DETOUR.network_m)
    indexed = NearestSiteIndex(origins, sites, DETOUR.network_m, dense_cells=0)
    assert dense.dense and not indexed.dense
    d_idx, d_straight, d_route = dense.nearest(mask)
    k_idx, k_straight, k_route = indexed.nearest(mask)
    if not mask.any():
        assert (d_idx == -1).all() and (k_idx == -1).all() and np.isinf(k_route).all()
        return
    brute = np.hypot(origins[:, None, 0] - sites[None, :, 0], origins[:, None, 1] - sites[None, :, 1])
    brute[:, ~mask] = np.inf
    expected = brute.min(axis=1)
    np.testing.assert_allclose(d_straight, expected, rtol=1e-12)
    np.testing.assert_allclose(k_straight, expected, rtol=1e-12)
    np.testing.assert_allclose(k_route, d_route, rtol=1e-12)
    np.testing.assert_allclose(k_route, DETOUR.network_m(expected), rtol=1e-12)
    assert mask[k_idx].all() and mask[d_idx].all()
