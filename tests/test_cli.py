"""The CLI contract: commands, JSON keys, exit codes and one-line errors."""

import io
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from geo.cli import main


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_validate_luton():
    code, out, _ = run("validate")
    assert code == 0
    assert "wards: 19; LSOAs: 121" in out and "17 located, 3 unlocated" in out


def test_validate_broken_bundle_exits_2(tiny_path):
    (tiny_path / "imd.csv").unlink()
    code, out, err = run("--bundle", str(tiny_path), "validate")
    assert code == 2 and err.startswith("error: file imd.csv") and len(err.strip().splitlines()) == 1


def test_sites_json():
    code, out, _ = run("sites", "--json")
    sites = {s["site_id"]: s for s in json.loads(out)["sites"]}
    assert sites["hub_manor"]["postcode"] == "LU1 3QZ" and sites["limbury"]["status"] == "unlocated"


def test_coverage_json_contract(luton_engine):
    code, out, _ = run("coverage", "--scenario", "proposed_2020", "--mode", "walk", "--minutes", "20", "--json")
    assert code == 0
    d = json.loads(out)
    for key in (
        "scenario",
        "open_sites",
        "unlocated_sites",
        "assumptions",
        "population",
        "total",
        "covered",
        "share_covered",
        "mean_minutes",
        "by_ward",
        "by_imd_decile",
        "origins",
    ):
        assert key in d
    assert set(d["by_ward"][0]) >= {"ward_code", "ward_name", "total", "covered", "share_covered"}
    assert set(d["by_imd_decile"][0]) >= {"decile", "total", "covered", "share_covered"}
    assert set(d["origins"][0]) >= {
        "lsoa_code",
        "ward_code",
        "nearest_site",
        "straight_m",
        "network_m",
        "minutes",
        "covered",
    }
    engine_res = luton_engine.coverage(luton_engine.scenario("proposed_2020"), minutes=20)
    assert d["covered"] == pytest.approx(engine_res.covered, abs=0.05) and d["total"] == 17208
    assert d["population_label"] == "Children under 5 (mid-2019)"
    assert len(d["origins"]) == 621  # 2021 output areas (every LSOA has at least one)


def test_coverage_custom_and_km(luton_engine):
    code, out, _ = run(
        "coverage",
        "--scenario",
        "current_2020",
        "--close",
        "leagrave,dallow",
        "--add",
        "New@LU4 0PE",
        "--km",
        "1",
        "--detour",
        "none",
        "--json",
    )
    d = json.loads(out)
    assert code == 0 and "leagrave" not in d["open_sites"] and "added:New" in d["open_sites"]
    e = luton_engine
    expected = e.coverage(
        e.scenario("current_2020", close=["leagrave", "dallow"], add=["New@LU4 0PE"]), km=1, detour="none"
    )
    assert d["covered"] == pytest.approx(expected.covered, abs=0.05)


def test_compare_json_contract():
    code, out, _ = run("compare", "--base", "current_2020", "--alt", "proposed_2020", "--minutes", "20", "--json")
    d = json.loads(out)
    assert code == 0
    assert {"base", "alt", "lost", "gained", "population_losing_access", "by_imd_decile"} <= set(d)
    assert "origins" not in d["base"]
    assert set(d["by_imd_decile"][0]) >= {"decile", "base_share", "alt_share"}
    assert d["population_losing_access"] == pytest.approx(sum(r["population"] for r in d["lost"]), abs=0.5)


@pytest.mark.parametrize(
    "args, text",
    [
        (["coverage", "--scenario", "nope"], "unknown scenario"),
        (["coverage", "--scenario", "current_2020", "--close", "nosuch"], "unknown site"),
        (["coverage", "--scenario", "current_2020", "--add", "X@NOTAPOSTCODE"], "not a valid UK postcode"),
        (["coverage", "--scenario", "current_2020", "--minutes", "-5"], "must be more than 0"),
        (["coverage", "--scenario", "current_2020", "--bogus"], "unrecognized arguments"),
        (["compare", "--base", "current_2020"], "required"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, text):
    code, out, err = run(*args)
    assert code == 2 and text in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "geo", "coverage", "--scenario", "nope"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
