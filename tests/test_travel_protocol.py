"""One travel-model protocol (geo.travel.TravelModel): a model that is not a function of the
straight line, here a route table read from a file, drops into the engine without touching it,
and is used alike for register sites, added sites and the optimiser's candidates."""

import csv

import numpy as np
import pytest

from bundle_factory import E0, N0, ORIGINS, SITES, lonlat
from geo import Engine, load_bundle
from geo.errors import ScenarioError
from geo.optimise import optimise, parse_candidates

ADDED = (1200, 1000)  # where the test adds a site (bundle metres)


class FileRouteTable:
    """Route metres looked up in a CSV of (origin x, origin y, site x, site y, metres)."""

    name = "table"

    def __init__(self, path):
        with open(path, newline="") as handle:
            self.metres = {
                (round(float(r["ox"])), round(float(r["oy"])), round(float(r["sx"])), round(float(r["sy"]))): float(
                    r["m"]
                )
                for r in csv.DictReader(handle)
            }

    def route_m(self, origins_xy, sites_xy):
        out = np.empty((len(origins_xy), len(sites_xy)))
        for i, (ox, oy) in enumerate(np.asarray(origins_xy).reshape(-1, 2)):
            for j, (sx, sy) in enumerate(np.asarray(sites_xy).reshape(-1, 2)):
                key = (round(ox), round(oy), round(sx), round(sy))
                if key not in self.metres:
                    raise ScenarioError(f"no route from {key[:2]} to {key[2:]} in the table")
                out[i, j] = self.metres[key]
        return out


@pytest.fixture()
def table(tmp_path):
    """Every route 3,000 m (out of reach), except L1->s1 (500 m), L4->s3 (900 m) and L2->added (700 m)."""
    sites = [(x, y) for _, x, y, _ in SITES.values() if x is not None] + [ADDED]
    short = {("L1", (800, 1400)): 500.0, ("L4", (2000, 1000)): 900.0, ("L2", ADDED): 700.0}
    path = tmp_path / "routes.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ox", "oy", "sx", "sy", "m"])
        for code, (ox, oy) in ORIGINS.items():
            for sx, sy in sites:
                writer.writerow([E0 + ox, N0 + oy, E0 + sx, N0 + sy, short.get((code, (sx, sy)), 3000.0)])
    return FileRouteTable(path)


def test_a_route_table_drops_in(tiny_path, table):
    e = Engine(load_bundle(tiny_path), travel_model=table, origins="lsoa")
    # 20 minutes at 4.8 km/h = 1,600 m of route
    current = e.coverage(e.scenario("current"), minutes=20)
    assert current.covered == pytest.approx(100)  # only L1 (100 children) reaches s1 within 1,600 m
    proposed = e.coverage(e.scenario("proposed"), minutes=20)
    assert proposed.covered == pytest.approx(400)  # L4 (400) reaches s3 at 900 m
    lon, lat = lonlat(*ADDED)
    added = e.coverage(e.scenario("proposed", add=[f"Added@{lat:.7f},{lon:.7f}"]), minutes=20)
    assert added.covered == pytest.approx(600)  # and L2 (200) the added site at 700 m
    # the optimiser scores its candidates with the same model: s1 adds L1, nothing else helps
    result = optimise(
        e, objective="coverage", p=1, fixed=["s3"], candidates=parse_candidates(e, "sites", exclude=["s3"]), minutes=20
    )
    assert result.chosen[0]["id"] == "s1" and result.covered_after == pytest.approx(500)
    # every figure's method line names the model given, not the bundle's fitted curve
    method = " ".join(added.assumptions)
    assert "travel model 'table'" in method and "detour factor" not in method and "route pairs" not in method
