"""Facts about the embedded Luton bundle, checked against the sources, and coverage
checked against an independent computation from the raw CSV files."""

import csv
import itertools
import math

import numpy as np
import pytest
from pyproj import Transformer

import luton_oracle as oracle
from conftest import LUTON


def _rows(name):
    with open(LUTON / name, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_counts(luton_bundle):
    assert len(luton_bundle.wards) == 19
    assert len(luton_bundle.lsoas) == 121
    assert luton_bundle.lsoa_values["age_0_15"].sum() == 50578  # IoD2019 File 6, mid-2015
    assert luton_bundle.lsoa_values["total"].sum() == 213581
    assert len(luton_bundle.sites) == 20 and int(luton_bundle.sites["located"].sum()) == 17
    assert sorted(luton_bundle.unlocated_site_ids) == ["chaul_end", "limbury", "stopsley_baptist"]


def test_legrave_alias_resolves_to_leagrave(luton_engine):
    table = luton_engine.ward_table().set_index("ward_name")
    # The strategy spells it 'Legrave' for Year 6 obesity (47.5%) and the breastfeeding flag.
    assert table.loc["Leagrave", "obesity_year6_pct"] == 47.5
    assert table.loc["Leagrave", "flag_breastfeeding_under_50pct"] == 1
    assert table["obesity_year6_pct"].notna().sum() == 1


def test_completeness_rules(luton_engine):
    table = luton_engine.ward_table().set_index("ward_name")
    # Missing means no published figure, never zero.
    assert np.isnan(table.loc["Barnfield", "eyfs_gld_pct"])
    assert table.loc["Lewsey", "eyfs_gld_pct"] == 59.0
    # Every ward below the Luton GLD average (68.4) is listed, so the gap is known everywhere.
    assert table["eyfs_gld_gap"].notna().all()
    assert table.loc["Lewsey", "eyfs_gld_gap"] == pytest.approx(68.4 - 59.0)
    assert table.loc["Barnfield", "eyfs_gld_gap"] == 0
    assert table.loc["Limbury", "eyfs_gld_gap"] == 0  # 73.1 is above the average
    # IMD 2015 top-10% output areas: nine in all, zero for unnamed wards.
    assert table["imd2015_top10pct_output_areas"].sum() == 9
    assert table.loc["Wigmore", "imd2015_top10pct_output_areas"] == 0
    spec = luton_engine.bundle.indicators["obesity_year6_pct"]
    assert (spec.benchmark_area, spec.benchmark_england) == (41.1, 34.2)


def test_site_coordinates_are_codepoint_centroids(luton_bundle):
    postcodes = {r["postcode"]: r for r in _rows("lu_postcodes.csv")}
    for site, row in luton_bundle.located_sites.iterrows():
        pc = postcodes[row["postcode"]]
        assert (row["lat"], row["lon"]) == (float(pc["lat"]), float(pc["lon"])), site
        # and the projected point is within a metre of the Code-Point easting/northing
        assert math.hypot(row["x"] - float(pc["easting"]), row["y"] - float(pc["northing"])) < 1.0, site


@pytest.mark.parametrize(
    ("ward_set", "geojson", "key"), [("2013", "wards_2013.geojson", "WD13CD"), ("2023", "wards_2023.geojson", "WD25CD")]
)
def test_ward_values_of_lsoa_figures_recompute_from_the_raw_files(luton_engine, ward_set, geojson, key):
    """A ward's IMD rank is the median over its under-fives (mid-2019), each counted at their
    LSOA's rank: recomputed from the raw CSV and GeoJSON files with an overlay of our own."""
    from tests import luton_oracle as oracle

    areas = oracle.output_areas()  # (x, y, under-fives, 2011 LSOA, residents) per output area
    wards = oracle.ward_of_output_areas(geojson, key)
    ranks = {r["lsoa_code"]: float(r["IMD_rank"]) for r in oracle.rows("imd2019_lsoa_luton.csv")}
    table = luton_engine.ward_table(ward_set)
    for code in table.index:
        people = sorted((ranks[a[3]], a[2]) for a, w in zip(areas, wards) if w == code)
        running = list(itertools.accumulate(p for _, p in people))
        # the smallest rank at or below which half the children live
        median = next(rank for (rank, _), below in zip(people, running) if below >= running[-1] / 2)
        assert table.at[code, "imd_rank"] == median, code


def test_detour_calibration_bands(luton_engine):
    # SOURCE.txt: circuity medians 1.40 (<1.5 km, n=30), 1.43 (1.5-2.5, n=41), 1.31, 1.29, 1.28.
    d = luton_engine.detour
    assert d.band_counts == (30, 41, 68, 54, 11)
    assert d.band_circuity == pytest.approx([1.40, 1.43, 1.31, 1.29, 1.28], abs=0.006)
    assert (luton_engine.route_matrix >= luton_engine.straight_matrix).all()


def _site_points(site_ids):
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    sites = {r["site_id"]: r for r in _rows("sites.csv")}
    return [to_bng.transform(float(sites[s]["lon"]), float(sites[s]["lat"])) for s in site_ids if sites[s]["lat"]]


def _independent_straight_coverage_lsoa(site_ids, km):
    """Children 0-15 (mid-2015) within ``km`` straight line of the nearest of ``site_ids``, from
    LSOA centroids in the raw files (the first version's method)."""
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    points = _site_points(site_ids)
    children = {r["lsoa11cd"]: int(r["age_0_15"]) for r in _rows("lsoa_population_luton.csv")}
    covered = 0
    for r in _rows("lsoa_pwc_2011_luton.csv"):
        x, y = to_bng.transform(float(r["X"]), float(r["Y"]))
        if min(math.dist((x, y), p) for p in points) <= km * 1000:
            covered += children[r["lsoa11cd"]]
    return covered


def _independent_straight_coverage(site_ids, km):
    """Under-fives (mid-2019) within ``km`` straight line, by output area (tests/luton_oracle.py)."""
    return oracle.straight_figures(km, site_ids)


@pytest.mark.parametrize("name", ["current_2020", "proposed_2020"])
def test_straight_line_coverage_matches_independent_computation(luton_engine, name):
    site_ids = luton_engine.bundle.scenarios[name]["sites"]
    res = luton_engine.coverage(luton_engine.scenario(name), km=1, detour="none")
    assert res.covered == pytest.approx(_independent_straight_coverage(site_ids, 1.0), abs=1e-6)
    assert res.total == pytest.approx(17208)  # ONS mid-2019 under-fives (PROVENANCE_2.md)


@pytest.mark.parametrize("name", ["current_2020", "proposed_2020"])
def test_lsoa_origins_and_iod_population_still_available(luton_bundle, name):
    from geo import Engine

    engine = Engine(luton_bundle, origins="lsoa")
    site_ids = luton_bundle.scenarios[name]["sites"]
    res = engine.coverage(engine.scenario(name), km=1, detour="none", population="age_0_15")
    assert res.covered == _independent_straight_coverage_lsoa(site_ids, 1.0)
    assert res.total == 50578


def test_proposed_assumption_flagged_until_moved(luton_engine):
    e = luton_engine
    res = e.coverage(e.scenario("proposed_2020"), minutes=20)
    assert any("Leagrave-area hub" in a and "LU4 9ND" in a for a in res.assumptions)
    moved = e.coverage(e.scenario("proposed_2020", move={"hub_leagrave_tbc": "Hub@LU4 0PE"}), minutes=20)
    assert not any("an assumption of this analysis" in a for a in moved.assumptions)
    assert any("LU4 0PE" in a for a in moved.assumptions)


def test_unlocated_sites_listed_in_current(luton_engine):
    res = luton_engine.coverage(luton_engine.scenario("current_2020"), minutes=20)
    assert sorted(res.unlocated_sites) == ["chaul_end", "limbury", "stopsley_baptist"]
    assert len(res.open_sites) == 12


def test_every_located_site_is_in_exactly_one_ward(luton_engine):
    seen = [s["site_id"] for code in luton_engine.bundle.wards["code"] for s in luton_engine.sites_in_ward(code)]
    assert sorted(seen) == sorted(luton_engine.bundle.located_sites.index)


def test_ward_profile_lists_indicators_lsoas_and_sites(luton_engine):
    from dashboard.views import ward_profile

    code = luton_engine.bundle.wards.set_index("name").loc["Leagrave", "code"]
    profile = ward_profile(luton_engine, code, None)
    values = {r["Indicator"]: r["Value"] for r in profile["indicators"]}
    assert values["Overweight or obese, Year 6"] == "47.5 % of children"
    assert values["Overweight or obese, Reception"] == "no published figure"
    lsoas = [r["LSOA"] for r in profile["lsoas"]]
    assert lsoas == [c for c, _, _ in luton_engine.ward_lsoas(code)] and len(lsoas) > 0
    # the ward's IMD rank: the same number, with its definition, as the map and the table give
    rank = luton_engine.ward_table()["imd_rank"][code]
    assert (
        values["IMD 2019 rank"]
        == f"{rank:,.0f} rank of 32,844 (1 = most deprived); median over the ward's children under 5 (mid-2019)"
    )
    assert "leagrave" in [s["site_id"] for s in profile["sites"]]
