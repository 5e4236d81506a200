"""The street-network travel model on a small graph built by hand."""

import math

import networkx as nx
import numpy as np
import pytest

from geo.travel import NetworkTravelModel


def _grid():
    # An L-shaped street: a (0,0) - b (1000,0) - c (1000,1000); no direct a-c street.
    g = nx.Graph()
    g.add_node("a", x=0.0, y=0.0)
    g.add_node("b", x=1000.0, y=0.0)
    g.add_node("c", x=1000.0, y=1000.0)
    g.add_node("island", x=5000.0, y=5000.0)
    g.add_edge("a", "b", length=1000.0)
    g.add_edge("b", "c", length=1000.0)
    return g


def test_route_follows_streets_and_adds_snap_distance():
    model = NetworkTravelModel(_grid())
    origins = np.array([[0.0, 30.0], [1000.0, 0.0]])  # 30 m from a; exactly at b
    sites = np.array([[1000.0, 1000.0]])  # at c
    route = model.route_m(origins, sites)
    assert route[0, 0] == pytest.approx(30 + 2000)  # snap + a-b-c, not the 1,414 m diagonal
    assert route[1, 0] == pytest.approx(1000)
    assert route[0, 0] > math.hypot(1000, 970)


def test_unreachable_is_infinite():
    model = NetworkTravelModel(_grid())
    route = model.route_m(np.array([[0.0, 0.0]]), np.array([[5000.0, 5000.0]]))
    assert np.isinf(route[0, 0])


def test_engine_accepts_network_model(tiny_path):
    from bundle_factory import E0, N0
    from geo import Engine, load_bundle

    g = nx.Graph()
    # One straight street along y = 1000 through all origins, plus spurs to s1/s2 at y = 1400.
    for name, x, y in [
        ("o1", 500, 1000),
        ("o2", 1500, 1000),
        ("s3", 2000, 1000),
        ("o3", 2700, 1000),
        ("o4", 3500, 1000),
        ("k1", 800, 1000),
        ("s1", 800, 1400),
        ("k2", 3800, 1000),
        ("s2", 3800, 1400),
    ]:
        g.add_node(name, x=E0 + x, y=N0 + y)
    chain = ["o1", "k1", "o2", "s3", "o3", "o4", "k2"]
    for u, v in zip(chain, chain[1:]):
        g.add_edge(u, v, length=abs(g.nodes[u]["x"] - g.nodes[v]["x"]))
    g.add_edge("k1", "s1", length=400.0)
    g.add_edge("k2", "s2", length=400.0)
    engine = Engine(load_bundle(tiny_path), travel_model=NetworkTravelModel(g, name="test"))
    res = engine.coverage(engine.scenario("current"), minutes=10)
    o = res.origins.set_index("lsoa_code")
    assert o.loc["L1", "network_m"] == pytest.approx(300 + 400, abs=0.01)  # o1-k1-s1
    assert o.loc["L4", "network_m"] == pytest.approx(300 + 400, abs=0.01)
    # site lat/lon in sites.csv round-trip through WGS84, hence the centimetre tolerance
    assert o.loc["L3", "network_m"] == pytest.approx(1100 + 400, abs=0.01)
