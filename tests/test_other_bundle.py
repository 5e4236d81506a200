"""The engine, CLI, briefings and dashboard hold nothing of Luton: a bundle that shares none of
its names (role ids, population fields, calibration name, projected CRS, ward names, mode id
and speed; tests/bundle_factory.make_other_bundle) runs through every command."""

import json

import pytest

from bundle_factory import make_other_bundle
from geo import Engine, load_bundle
from geo.cli import main


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    return make_other_bundle(tmp_path_factory.mktemp("other") / "otherton")


def test_engine_uses_the_bundles_own_names(other):
    e = Engine(load_bundle(other))
    assert e.default_mode == "foot" and e.default_population == "young" and e.detour_name == "streets"
    cmp = e.compare(e.scenario("current"), e.scenario("proposed"))
    # by hand (tests/bundle_factory): routes 1.5 x straight, 4 km/h = 66.7 m/min, 15 minutes = 1,000 m
    # of route = 666.7 m straight. Current sites s1 (800,1400) and s2 (3800,1400): L1 (500,1000) is
    # 500 m from s1 -> covered (100); L4 (3500,1000) is 500 m from s2 -> covered (400); L2, L3 not.
    assert cmp.base.covered == pytest.approx(500)
    # Proposed s3 (2000,1000): L2 (1500,1000) 500 m -> covered (200); L3 (2700,1000) 700 m -> not.
    assert cmp.alt.covered == pytest.approx(200)
    assert cmp.population_losing_access == pytest.approx(500)
    assert set(cmp.by_ward["ward_name"]) == {"North", "South"}


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["sites", "--json"],
        ["coverage", "--scenario", "proposed", "--json"],
        ["compare", "--base", "current", "--alt", "proposed", "--json"],
        ["optimise", "--p", "1", "--candidates", "sites", "--json"],
    ],
)
def test_every_command_runs(other, args, capfd):
    assert main(["--bundle", str(other), *args]) == 0
    out = capfd.readouterr().out
    if "--json" in args:
        json.loads(out)  # only JSON on stdout (solver banners go to stderr)
    assert "walk" not in out and "Luton" not in out


def test_briefings_run(other, tmp_path, capsys):
    from pypdf import PdfReader

    for extra, name in (([], "area.pdf"), (["--ward", "North"], "ward.pdf"), (["--indicator", "score"], "needs.pdf")):
        out = tmp_path / name
        assert (
            main(
                [
                    "--bundle",
                    str(other),
                    "briefing",
                    "--scenario",
                    "proposed",
                    "--compare",
                    "current",
                    *extra,
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
        assert "Otherton" in text and "Luton" not in text
    assert "15-minute journey (on foot)" in capsys.readouterr().out


@pytest.mark.browser
def test_dashboard_smoke(other, dash_duo):
    from dashboard import create_app, ids

    e = Engine(load_bundle(other))
    covered = e.coverage(e.scenario("proposed")).covered
    app = create_app(engine=e)
    dash_duo.start_server(app)
    dash_duo.wait_for_element(f"#{ids.NEEDS_MAP} .choroplethlocation", timeout=20)
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.page_tab('access')}"))
    dash_duo.wait_for_text_to_equal("#headline-alt .h4", f"{covered:,.0f}", timeout=15)
    assert "Otherton" in dash_duo.driver.title
    for page in ("sites", "about"):
        dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.page_tab(page)}"))
        dash_duo.wait_for_element(f"#{ids.page_panel(page)}:not([hidden])", timeout=10)
    assert [e for e in dash_duo.get_logs() if "favicon" not in e.get("message", "")] == []
