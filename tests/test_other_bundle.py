"""The engine, CLI, briefings and dashboard hold nothing of Luton: a bundle that shares none of
its names (role ids, population fields, calibration name, projected CRS, ward names, mode id
and speed; tests/bundle_factory.make_other_bundle) runs through every command."""

import json

import pytest

from bundle_factory import dashboard_smoke, make_other_bundle, without_tables
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
    dashboard_smoke(dash_duo, Engine(load_bundle(other)), "proposed", "Otherton")


def test_a_bundle_without_deprivation_shows_no_deprivation_figure(other, tmp_path, capsys):
    """No deprivation measure in the manifest: no "most deprived" figure in the CLI or the
    briefing (never an invented 0.0%), and the dashboard's deprivation card and chart are gone."""
    import shutil

    from pypdf import PdfReader

    folder = tmp_path / "plain"
    shutil.copytree(other, folder)
    manifest = (folder / "bundle.toml").read_text()
    assert 'deprivation_decile = "imd_decile"\n' in manifest
    (folder / "bundle.toml").write_text(manifest.replace('deprivation_decile = "imd_decile"\n', ""))
    for args in (
        ["compare", "--base", "current", "--alt", "proposed"],
        ["coverage", "--scenario", "proposed"],
        ["catchments", "--scenario", "proposed", "--compare", "current"],
    ):
        assert main(["--bundle", str(folder), *args]) == 0
        text = capsys.readouterr().out
        assert "Losing access" in text or "within" in text or "nearest open site" in text
        assert "depriv" not in text.lower() and "decile" not in text.lower()
    assert main(["--bundle", str(folder), "compare", "--base", "current", "--alt", "proposed", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["population_losing_access"] > 0
    assert figures["losing_access_in_most_deprived_20pct"] is None
    assert figures["share_losing_access_in_most_deprived_20pct"] is None
    out = tmp_path / "b.pdf"
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    args = ["--bundle", str(folder), "briefing", "--scenario", "proposed", "--compare", "current", "--db", db]
    assert main([*args, "--out", str(out)]) == 0
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert "Losing access" in text
    assert "depriv" not in text.lower() and "decile" not in text.lower()

    from dashboard.pages.access import headline_cards
    from dashboard.views import headline

    e = Engine(load_bundle(folder))
    alt, base = e.evaluate(e.scenario("proposed")), e.evaluate(e.scenario("current"))
    cards = str(headline_cards(headline(e, {"pop": e.default_population}, alt, base), "a walk"))
    assert "Losing access" in cards and "deprived" not in cards


@pytest.fixture
def bare(other, tmp_path):
    """The other bundle with no postcode list, no need index and no deprivation measure (its
    sites keep their coordinates; their postcodes go, as nothing could check them)."""
    import shutil

    folder = tmp_path / "bare"
    shutil.copytree(other, folder)
    without_tables(folder, {"[layers.postcodes]", "[need_index]"}, 'deprivation_decile = "imd_decile"')
    sites = (folder / "sites.csv").read_text().splitlines()
    rows = [line.split(",") for line in sites]
    column = rows[0].index("postcode")
    for row in rows[1:]:
        row[column] = ""
    (folder / "sites.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")
    return folder


def test_postcodes_and_the_need_index_are_optional(bare, capsys):
    assert main(["--bundle", str(bare), "validate"]) == 0
    assert main(["--bundle", str(bare), "compare", "--base", "current", "--alt", "proposed"]) == 0
    capsys.readouterr()
    # a place given by postcode is refused in words, with what to do instead
    assert main(["--bundle", str(bare), "coverage", "--scenario", "proposed", "--add", "X@AB1 1AA"]) == 2
    assert "no postcode list" in capsys.readouterr().err
    e = Engine(load_bundle(bare))
    assert not e.has_need_index
    from geo.viewstate import default_state, indicator_ids

    assert default_state(e)["ind"] != "need_index" and "need_index" not in indicator_ids(e)
    from dashboard import create_app

    layout = create_app(engine=e).server.test_client().get("/_dash-layout")
    assert layout.status_code == 200 and b"Need index (composite" not in layout.data


@pytest.mark.browser
def test_a_bare_bundle_serves_the_dashboard_with_no_deprivation_figure(bare, dash_duo):
    dashboard_smoke(dash_duo, Engine(load_bundle(bare)), "proposed", "Otherton")
    from dashboard import ids

    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.page_tab('access')}"))
    dash_duo.wait_for_element(f"#{ids.page_panel('access')}:not([hidden])", timeout=10)
    text = dash_duo.driver.find_element("css selector", f"#{ids.page_panel('access')}").text.lower()
    assert "losing access" in text and "deprived" not in text
