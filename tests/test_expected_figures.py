"""Luton's headline figures cannot drift: the engine, the CLI and the README all agree with
tests/expected_luton.toml, whose numbers tests/luton_oracle.py recomputes from the raw files."""

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

import luton_oracle as oracle
from conftest import ROOT

EXPECTED = tomllib.loads((Path(__file__).parent / "expected_luton.toml").read_text(encoding="utf-8"))


def _pct(part, whole):
    return round(100 * part / whole, 1)


@pytest.fixture(scope="module")
def independent():
    access = oracle.fitted_access()
    return access, oracle.walk_figures(access), oracle.straight_figures()


def test_expected_file_matches_the_independent_computation(independent):
    access, walk, straight = independent
    w, s = EXPECTED["walk_20"], EXPECTED["straight_1km"]
    assert round(walk["total"]) == EXPECTED["total"]
    assert round(access, 1) == w["access_m"]
    for key in ("current", "proposed", "losing", "losing_deprived"):
        assert round(walk[key]) == w[key], key
    assert _pct(walk["current"], walk["total"]) == w["current_pct"]
    assert _pct(walk["proposed"], walk["total"]) == w["proposed_pct"]
    assert _pct(walk["losing_deprived"], walk["losing"]) == w["losing_deprived_pct"]
    for key in ("current", "proposed"):
        assert round(straight[key]) == s[key]
        assert _pct(straight[key], walk["total"]) == s[f"{key}_pct"]


def test_engine_matches_expected(luton_engine):
    e = luton_engine
    w, s = EXPECTED["walk_20"], EXPECTED["straight_1km"]
    assert e.calibration.chosen == "cycle_detour+access"
    assert round(e.calibration.parameters["access_m"], 1) == w["access_m"]
    cmp = e.compare(e.scenario("current_2020"), e.scenario("proposed_2020"), mode="walk", minutes=20)
    assert cmp.alt.population_label == EXPECTED["population_label"]
    assert round(cmp.base.total) == EXPECTED["total"]
    assert (round(cmp.base.covered), round(cmp.alt.covered)) == (w["current"], w["proposed"])
    assert round(cmp.population_losing_access) == w["losing"]
    assert round(cmp.losing_in_most_deprived) == w["losing_deprived"]
    for key in ("alt_covered", "base_covered", "losing", "losing_deprived_share"):
        low, high = cmp.ranges[key]
        central = {
            "alt_covered": cmp.alt.covered,
            "base_covered": cmp.base.covered,
            "losing": cmp.population_losing_access,
            "losing_deprived_share": cmp.share_losing_in_most_deprived,
        }[key]
        assert low <= central <= high and low < high, key
    straight = e.compare(e.scenario("current_2020"), e.scenario("proposed_2020"), km=1, detour="none")
    assert (round(straight.base.covered), round(straight.alt.covered)) == (s["current"], s["proposed"])
    assert straight.ranges == {}  # no travel range for straight lines


def test_cli_done_when_command(capsys):
    from geo.cli import main

    code = main(
        ["compare", "--base", "current_2020", "--alt", "proposed_2020", "--ages", "0-4", "--year", "2019", "--json"]
    )
    d = json.loads(capsys.readouterr().out)
    assert code == 0
    assert d["base"]["total"] == EXPECTED["total"] and d["population_label"] == EXPECTED["population_label"]
    assert round(d["population_losing_access"]) == EXPECTED["walk_20"]["losing"]
    for key in ("alt_covered", "base_covered", "losing", "losing_deprived_share"):
        low, high = d["range"][key]
        assert low < high


def test_readme_quotes_the_expected_figures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    w, s = EXPECTED["walk_20"], EXPECTED["straight_1km"]
    for text in (
        f"{w['current']:,} ({w['current_pct']}%)",
        f"{w['proposed']:,} ({w['proposed_pct']}%)",
        f"{w['losing']:,}",
        f"{w['losing_deprived']:,} of them ({w['losing_deprived_pct']}%)",
        f"{s['current']:,} ({s['current_pct']}%)",
        f"{s['proposed']:,} ({s['proposed_pct']}%)",
        f"{EXPECTED['total']:,} children under 5",
    ):
        assert text in readme, text


def test_ranges_use_the_unrounded_leave_one_out_factors(luton_engine, capsys):
    """The compare JSON's range of each scenario's coverage is the coverage with every route
    scaled by the travel range's factors, as an independent leave-one-out fit gives them."""
    from geo.cli import main

    low, high = oracle.loo_range_factors()
    assert luton_engine.travel_range == pytest.approx((low, high), rel=1e-6)
    main(["compare", "--base", "current_2020", "--alt", "proposed_2020", "--json"])
    d = json.loads(capsys.readouterr().out)
    access = oracle.fitted_access()
    for factor, end in ((high, 0), (low, 1)):  # longer routes cover fewer people
        areas, covered = oracle.walk_covered(access, factor=factor)
        people = np.array([a[2] for a in areas])
        assert d["range"]["base_covered"][end] == pytest.approx(people[covered["current"]].sum(), abs=0.05)
        assert d["range"]["alt_covered"][end] == pytest.approx(people[covered["proposed"]].sum(), abs=0.05)


@pytest.mark.slow
def test_calibration_does_not_depend_on_the_order_of_the_sample(luton_bundle):
    """Leave-one-out has no random split: shuffling the road sample 20 times gives the same
    chosen form and factors; and an engine with LSOA origins uses the bundle's one model."""
    from dataclasses import replace

    from geo.calibrate import calibrate, load_road_sample
    from geo.engine import Engine
    from geo.origins import _lsoa_weights, output_area_origins

    b = luton_bundle
    engine = Engine(b)
    reference = engine.calibration
    assert Engine(b, origins="lsoa").calibration.to_dict() == reference.to_dict()
    assert reference.at_bound == []
    sample = load_road_sample(
        b.path,
        b.manifest["layers"]["road_check"],
        list(b.lsoa_values.index),
        b.projected_crs,
        lambda crs, xs, ys: b._transformer(crs, b.projected_crs).transform(xs, ys),
    )
    origins = output_area_origins(b)
    weights = origins.share * _lsoa_weights(b, origins.lsoa_code)
    rng = np.random.default_rng(7)
    for _ in range(20):
        order = rng.permutation(len(sample.lsoa_codes))
        shuffled = replace(sample, lsoa_codes=sample.lsoa_codes[order], official_m=sample.official_m[order])
        report = calibrate(
            shuffled, engine.pairs_detour, origins.xy, origins.lsoa_code, weights, pairs=len(b.calibration)
        )
        assert report.chosen == reference.chosen
        assert report.interval == pytest.approx(reference.interval, rel=1e-6)  # the optimiser's tolerance
        assert report.parameters == pytest.approx(reference.parameters, rel=1e-6)
