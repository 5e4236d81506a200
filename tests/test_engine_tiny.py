"""Coverage, comparison and indicators on the hand-built bundle (see bundle_factory).

Every expected number below is worked out by hand from the geometry in the factory's
docstring: route = 1.5 x straight line, walking 80 m/min.
"""

import math

import numpy as np
import pytest

from geo import ScenarioError, load_bundle


def test_loads_and_aligns(tiny_engine):
    b = tiny_engine.bundle
    assert list(b.lsoa_values.index) == ["L1", "L2", "L3", "L4"]
    assert b.unlocated_site_ids == ["s4"]
    assert tiny_engine.site_ids == ["s1", "s2", "s3"]
    assert any("s4" in w and "no sourced location" in w for w in b.warnings)


def test_lsoas_reach_wards_through_their_origins(tiny_engine):
    """Each LSOA's ward is the ward holding its origin (its population-weighted centroid)."""
    e = tiny_engine
    for code, (x, y) in zip(e.origins.lsoa_code, e.origins.xy):
        ward = e.lsoa_ward(code)
        polygon = e.bundle.wards.set_index("code").to_crs(e.bundle.projected_crs).geometry[ward]
        assert polygon.distance(__import__("shapely").Point(x, y)) < 1e-6


def test_detour_is_fitted_from_calibration(tiny_engine):
    assert tiny_engine.detour.band_circuity == (1.5,)
    assert tiny_engine.route_matrix[0, 0] == pytest.approx(1.5 * 500)


def test_current_walk_10_minutes(tiny_engine):
    res = tiny_engine.coverage(tiny_engine.scenario("current"), mode="walk", minutes=10)
    o = res.origins.set_index("lsoa_code")
    # L1 -> s1: straight hypot(300, 400) = 500 m, route 750 m, 9.375 min.
    assert o.loc["L1", "nearest_site"] == "s1"
    assert o.loc["L1", "straight_m"] == pytest.approx(500, abs=0.01)
    assert o.loc["L1", "network_m"] == pytest.approx(750, abs=0.01)
    assert o.loc["L1", "minutes"] == pytest.approx(9.375, abs=1e-3)
    # L2 -> s1: hypot(700, 400) = 806.23 m straight, 15.117 min.
    assert o.loc["L2", "minutes"] == pytest.approx(1.5 * math.hypot(700, 400) / 80, abs=1e-3)
    # L3 -> s2: hypot(1100, 400).
    assert o.loc["L3", "nearest_site"] == "s2"
    assert o.loc["L3", "minutes"] == pytest.approx(1.5 * math.hypot(1100, 400) / 80, abs=1e-3)
    assert list(o["covered"]) == [True, False, False, True]
    assert res.total == 1000 and res.covered == 500 and res.share_covered == 0.5
    assert res.unlocated_sites == ["s4"]
    assert res.open_sites == ["s1", "s2"]
    expected_mean = (
        100 * 9.375 + 200 * 1.5 * math.hypot(700, 400) / 80 + 300 * 1.5 * math.hypot(1100, 400) / 80 + 400 * 9.375
    ) / 1000
    assert res.mean_minutes == pytest.approx(expected_mean, abs=1e-6)
    wards = res.by_ward.set_index("ward_code")
    assert wards.loc["W1", "total"] == 300 and wards.loc["W1", "covered"] == 100
    assert wards.loc["W2", "total"] == 700 and wards.loc["W2", "covered"] == 400
    deciles = res.by_imd_decile.set_index("decile")
    assert deciles.loc[1, "covered"] == 100 and deciles.loc[2, "covered"] == 0
    assert deciles.loc[9, "share_covered"] == 1.0


def test_total_population_and_km_threshold(tiny_engine):
    # 1 km straight line (detour none): L1 500, L2 806, L3 1170, L4 500 -> three covered.
    res = tiny_engine.coverage(tiny_engine.scenario("current"), km=1, detour="none", population="total")
    assert res.covered == 3000 and res.total == 4000
    # 1 km of estimated route (x1.5): only L1 and L4 (750 m) qualify.
    res = tiny_engine.coverage(tiny_engine.scenario("current"), km=1, population="total")
    assert res.covered == 2000


def test_compare_current_vs_proposed(tiny_engine):
    cmp = tiny_engine.compare(tiny_engine.scenario("current"), tiny_engine.scenario("proposed"), minutes=10)
    # Proposed: s3 at (2000,1000): L2 500 m -> 9.375 min (covered); L3 700 m -> 13.1 min.
    assert cmp.alt.covered == 200
    assert sorted(cmp.lost["lsoa_code"]) == ["L1", "L4"]
    assert list(cmp.gained["lsoa_code"]) == ["L2"]
    assert cmp.population_losing_access == 500
    assert cmp.population_gaining_access == 200
    # Of the 500 losing access, L1 (100 children) is in IMD decile 1.
    assert cmp.losing_in_most_deprived == 100
    assert cmp.share_losing_in_most_deprived == pytest.approx(0.2)
    l1 = cmp.origins.set_index("lsoa_code").loc["L1"]
    assert l1["change_minutes"] == pytest.approx(1.5 * 1500 / 80 - 9.375, abs=1e-3)
    d = cmp.to_dict()
    assert {r["decile"]: (r["base_share"], r["alt_share"]) for r in d["by_imd_decile"]} == {
        1: (1.0, 0.0),
        2: (0.0, 1.0),
        5: (0.0, 0.0),
        9: (1.0, 0.0),
    }


def test_custom_scenarios(tiny_engine):
    e = tiny_engine
    # Closing s1 leaves s2 only: L1 is then hypot(3300, 400) away.
    res = e.coverage(e.scenario("current", close=["s1"]), minutes=10)
    assert res.open_sites == ["s2"] and res.covered == 400
    # Adding a site by postcode at L2's origin covers L2 at 0 minutes.
    res = e.coverage(e.scenario("current", add=["New@AB2 2BB"]), minutes=10)
    o = res.origins.set_index("lsoa_code")
    assert o.loc["L2", "nearest_site"] == "added:New" and o.loc["L2", "minutes"] == pytest.approx(0, abs=1e-6)
    assert res.covered == 700
    # Moving s3 onto L3's centroid (by coordinates).
    lon, lat = __import__("bundle_factory").lonlat(2700, 1000)
    res = e.coverage(e.scenario("proposed", move={"s3": f"Moved@{lat},{lon}"}), minutes=10)
    assert res.origins.set_index("lsoa_code").loc["L3", "minutes"] == pytest.approx(0, abs=0.01)
    assert any("placed at" in a for a in res.assumptions)
    # An empty scenario covers nobody, with no minutes.
    res = e.coverage(e.scenario("current", close=["s1", "s2", "s4"]), minutes=10)
    assert res.covered == 0 and math.isinf(res.mean_minutes) and res.summary()["mean_minutes"] is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"base": "nope"}, "unknown scenario"),
        ({"base": "current", "close": ["sx"]}, "unknown site"),
        ({"base": "current", "open": ["s3"], "close": ["s3"]}, "both opened and closed"),
        ({"base": "current", "add": ["X@ZZ9 9ZZ"]}, "not in this area's postcode list"),
        ({"base": "current", "add": ["X@not a postcode"]}, "not a valid UK postcode"),
        ({"base": "current", "add": ["no-at-sign"]}, "LABEL@POSTCODE"),
    ],
)
def test_bad_scenarios_raise(tiny_engine, kwargs, message):
    with pytest.raises(ScenarioError, match=message):
        tiny_engine.scenario(**kwargs)


def test_swapped_coordinates_are_named(tiny_engine):
    lon, lat = __import__("bundle_factory").lonlat(500, 1000)
    with pytest.raises(ScenarioError, match="swapped"):
        tiny_engine.scenario("current", add=[f"X@{lon},{lat}"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"minutes": 0},
        {"minutes": -5},
        {"minutes": 1e9},
        {"km": float("nan")},
        {"minutes": 10, "km": 1},
        {"minutes": 10, "mode": "rocket"},
        {"minutes": 10, "detour": "wiggly"},
        {"minutes": 10, "population": "cats"},
    ],
)
def test_bad_options_raise(tiny_engine, kwargs):
    with pytest.raises(ScenarioError):
        tiny_engine.coverage(tiny_engine.scenario("current"), **kwargs)


def test_ward_indicators_follow_completeness_rules(tiny_engine):
    table = tiny_engine.ward_table()
    # 'listed': only the listed ward has a value (the alias Alfa -> Alpha resolved it).
    assert table.loc["W1", "listed_pct"] == 60.5 and np.isnan(table.loc["W2", "listed_pct"])
    # 'unlisted_zero': the unlisted ward is a known 0, not missing.
    assert table.loc["W1", "count_zero"] == 0 and table.loc["W2", "count_zero"] == 3
    assert table.loc["W2", "flag_target"] == 1 and table.loc["W1", "flag_target"] == 0
    # LSOA sums and population-weighted means: W1 = L1 + L2, children 100 and 200.
    assert table.loc["W1", "kids"] == 300
    assert table.loc["W1", "imd_decile"] == pytest.approx((1 * 100 + 2 * 200) / 300)


def test_need_index_ranks(tiny_engine):
    # One component, IMD decile (lower = more need): percentile ranks 1, .75, .5, .25.
    idx = tiny_engine.need_index()
    assert list(idx.round(6)) == [100.0, 75.0, 50.0, 25.0]
    both = tiny_engine.need_index({"imd_decile": 1, "score": 1})
    # score (higher = more need) ranks L1..L4 as .25 .. 1, exactly opposite: all 62.5.
    assert list(both.round(6)) == [62.5] * 4
    ward = tiny_engine.need_index(level="ward")
    assert ward["W1"] == pytest.approx((100 * 100 + 75 * 200) / 300)
    with pytest.raises(ScenarioError):
        tiny_engine.need_index({"kids": 1})
    with pytest.raises(ScenarioError):
        tiny_engine.need_index({"imd_decile": 0})


def test_postcode_origins_share_population(tiny_path):
    from geo import Engine

    engine = Engine(load_bundle(tiny_path), origins="postcode")
    o = engine.origins
    # Postcodes inside: L1 (800,1400) -> AB1 1AA; L2 -> AB1 1AC at x=2000 and AB2 2BB; L3 none; L4 AB1 1AB.
    assert sorted(o.label[o.lsoa_code == "L2"]) == ["AB1 1AC", "AB2 2BB"]
    assert list(o.label[o.lsoa_code == "L3"]) == ["L3"]  # falls back to the LSOA centroid
    assert engine.origin_population["age_0_15"].sum() == pytest.approx(1000)
    assert engine.origin_population["age_0_15"][o.lsoa_code == "L2"].tolist() == [100, 100]


def test_cumulative_share(tiny_engine):
    from geo.results import cumulative_share

    res = tiny_engine.coverage(tiny_engine.scenario("current"), minutes=10)
    # minutes: L1 9.375 (100), L4 9.375 (400), L2 15.12 (200), L3 21.95 (300)
    got = cumulative_share(res, [0, 9.38, 10, 16, 30])  # 9.38: site coordinates round-trip via WGS84
    assert list(np.round(got, 6)) == [0.0, 0.5, 0.5, 0.7, 1.0]
