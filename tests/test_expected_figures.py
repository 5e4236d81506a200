"""Luton's headline figures cannot drift: the engine, the CLI and the README all agree with
tests/expected_luton.toml, whose numbers tests/luton_oracle.py recomputes from the raw files."""

import json
import tomllib
from pathlib import Path

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
