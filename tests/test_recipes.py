"""The three recipes of CONTRIBUTING.md, followed literally: each edits only what the recipe says
and checks the result by hand."""

import textwrap
import time

import pytest

from bundle_factory import make_other_bundle
from geo import Engine, load_bundle
from geo.cli import main


def _recipe_toml(number: int) -> str:
    """The TOML block of recipe ``number`` in CONTRIBUTING.md, as written there."""
    import re

    from conftest import ROOT

    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text[text.index(f"## Recipe {number}") : text.index(f"## Recipe {number + 1}")]
    return textwrap.dedent(re.search(r"```toml\n(.*?)```", section, re.S).group(1))


def _follow_recipes_1_and_2(folder) -> None:
    """Recipe 1 (a new column "rate" of the table "imd", then the manifest entry as written) and
    recipe 2 (the mode entry as written), on the tiny bundle."""
    (folder / "imd.csv").write_text("code,decile,score,rate\nL1,1,0.1,12\nL2,2,0.2,14\nL3,5,0.3,16\nL4,9,0.4,18\n")
    with open(folder / "bundle.toml", "a", encoding="utf-8") as manifest:
        manifest.write("\n" + _recipe_toml(1) + "\n" + _recipe_toml(2))


def test_recipe_add_an_indicator(tiny_path, capsys):
    """Recipe 1 as written: a new column of an existing table becomes an indicator with the
    manifest entry of CONTRIBUTING.md; step 3's validate passes; the ward values are the
    population-weighted means worked by hand; the CLI's briefing of it runs."""
    _follow_recipes_1_and_2(tiny_path)
    assert main(["validate", "--bundle", str(tiny_path)]) == 0
    assert "OK" in capsys.readouterr().out
    e = Engine(load_bundle(tiny_path), origins="lsoa")
    assert e.bundle.indicators["rate"].label == "A new rate"
    assert e.indicator_values("rate", "lsoa").to_dict() == {"L1": 12, "L2": 14, "L3": 16, "L4": 18}
    # ward value: the mean over the ward's LSOAs weighted by the default population (children
    # 100, 200, 300, 400; L1 in A, L2 mostly in A, L3 and L4 in B)
    ward = e.indicator_values("rate", "ward")
    assert ward["W1"] == pytest.approx((12 * 100 + 14 * 200) / 300)
    assert ward["W2"] == pytest.approx((16 * 300 + 18 * 400) / 700)
    out = tiny_path.parent / "rate.html"
    db = f"sqlite:///{tiny_path.parent / 'db.sqlite3'}"
    args = ["--bundle", str(tiny_path), "briefing", "--scenario", "proposed", "--indicator", "rate", "--level", "ward"]
    args += ["--db", db]
    assert main([*args, "--out", str(out)]) == 0
    assert "A new rate" in out.read_text(encoding="utf-8")


def test_recipe_add_a_travel_mode(tiny_path, capsys):
    """Recipe 2 as written: a speed-based mode is the manifest entry of CONTRIBUTING.md only."""
    import json

    _follow_recipes_1_and_2(tiny_path)
    assert main(["validate", "--bundle", str(tiny_path)]) == 0
    capsys.readouterr()
    # 9.6 km/h = 160 m/min; 10 minutes = 1,600 m of route = 1,066.7 m straight (routes are 1.5 x).
    # Proposed site s3 (2000,1000): L2 at 500 m and L3 at 700 m are within; L1 (1,500 m) and L4 (1,500 m) not.
    args = ["--bundle", str(tiny_path), "coverage", "--scenario", "proposed", "--mode", "scooter", "--minutes", "10"]
    assert main([*args, "--origins", "lsoa", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["covered"] == pytest.approx(200 + 300)
    e = Engine(load_bundle(tiny_path), origins="lsoa")
    assert e.modes["scooter"].label == "Mobility scooter"


@pytest.mark.browser
def test_recipes_1_and_2_in_the_browser(tiny_path, dash_duo):
    """Both recipes served: the new indicator is offered on the Needs page and chosen, its ward
    values shown as worked by hand; the new mode is offered on the Access page and chosen, its
    headline the engine's figure."""
    from selenium.webdriver.support.ui import Select

    from bundle_factory import dashboard_smoke
    from dashboard import ids
    from dashboard.tables import body_css

    _follow_recipes_1_and_2(tiny_path)
    engine = Engine(load_bundle(tiny_path))
    dashboard_smoke(dash_duo, engine, "proposed", "Testshire")
    driver = dash_duo.driver
    driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.page_tab('needs')}"))
    dash_duo.wait_for_element(f"#{ids.page_panel('needs')}:not([hidden])", timeout=10)
    Select(dash_duo.find_element(f"#{ids.INDICATOR}")).select_by_value("rate")  # "A new rate · 2024"
    dash_duo.wait_for_contains_text(f"#{ids.INDICATOR_INFO}", "A new rate", timeout=10)
    ward = engine.indicator_values("rate", "ward")  # 13.3 and 17.1, as worked in the test above
    table = body_css(ids.NEEDS_TABLE)
    for code in ("W1", "W2"):
        dash_duo.wait_for_contains_text(table, f"{ward[code]:.1f}", timeout=10)
    driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.page_tab('access')}"))
    dash_duo.wait_for_element(f"#{ids.page_panel('access')}:not([hidden])", timeout=10)
    driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.MODE} input[value='scooter']"))
    minutes = engine.default_minutes
    covered = engine.coverage(engine.scenario("proposed"), mode="scooter", minutes=minutes).covered
    dash_duo.wait_for_text_to_equal("#headline-alt .h4", f"{covered:,.0f}", timeout=20)
    assert "Mobility scooter" in driver.find_element("css selector", f"#{ids.MODE}").text


def test_recipe_add_an_area(tmp_path, capsys):
    """Recipe 3 as written: the register of step 1 (MK40 1SQ is a Bedford postcode in the pack),
    step 2's command, then step 3's commands."""
    import re
    import textwrap
    from pathlib import Path

    recipe = (Path(__file__).resolve().parent.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    recipe = recipe[recipe.index("## Recipe 3") :]
    register = textwrap.dedent(re.search(r"```csv\n(.*?)```", recipe, re.S).group(1))
    build = re.search(r"python -m geo build-bundle (.*?)\n", recipe).group(1).split()
    (tmp_path / "sites.csv").write_text(register, encoding="utf-8")
    out = tmp_path / "data" / "bedford"
    argv = [
        ("--out" if a == "--out" else str(out) if a == "data/bedford" else str(tmp_path / a) if a == "sites.csv" else a)
        for a in build
    ]
    assert main(["build-bundle", *argv, "--quiet"]) == 0
    assert "Bedford (E06000055, unitary)" in capsys.readouterr().out
    assert (
        main(
            ["--bundle", str(out), "compare", "--base", "all_open", "--alt", "all_open", "--close", "family_hub_north"]
        )
        == 0
    )
    assert "losing access" in capsys.readouterr().out.lower()
    e = Engine(load_bundle(out))
    assert e.bundle.sites.loc["family_hub_north", "postcode"] == "MK40 1SQ"
    assert e.bundle.manifest["layers"]["sites"]["roles"] == {"hub": "Family hub"}


def test_recipe_a_hand_written_bundle(tmp_path, capsys):
    """Recipe 3's other path: a bundle written by hand, checked with `python -m geo validate --bundle PATH`."""
    folder = make_other_bundle(tmp_path / "newtown")
    assert main(["validate", "--bundle", str(folder)]) == 0
    assert "Otherton): OK" in capsys.readouterr().out
    lines = (folder / "sites.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[4] = "north"  # a latitude that is not a number
    (folder / "sites.csv").write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    assert main(["validate", "--bundle", str(folder)]) == 2
    assert "sites.csv, row 2, field 'lat'" in capsys.readouterr().err


DEPRIVATION_WORDS = ("depriv", "decile", "imd")
ENGLAND_WORDS = ("lsoa", "england")  # the bundle calls its small areas IRIS and has no comparator


def test_recipe_a_hand_written_bundle_abroad(tmp_path, capsys):
    """Recipe 3's hand-written path for a place outside the UK (tests/bundle_factory.make_abroad_bundle:
    accented names, no deprivation measure, no postcode list, no need index, one ward set):
    it validates, every command answers with the figures worked by hand in test_other_bundle
    (15 minutes on foot: 500 covered today, 200 with the proposal, 500 losing access), the place
    names come through as written, and no deprivation figure or word appears anywhere."""
    import json

    from pypdf import PdfReader

    from bundle_factory import make_abroad_bundle

    folder = make_abroad_bundle(tmp_path / "saint-etienne")
    assert main(["validate", "--bundle", str(folder)]) == 0
    validated = capsys.readouterr().out
    assert "Saint-Étienne): OK" in validated and "IRIS: 4" in validated
    texts = []
    for args in (
        ["compare", "--base", "current", "--alt", "proposed"],
        ["coverage", "--scenario", "proposed"],
        ["catchments", "--scenario", "proposed", "--compare", "current"],
        ["sites"],
    ):
        assert main(["--bundle", str(folder), *args]) == 0, args
        texts.append(capsys.readouterr().out)
    assert "Losing access: 500" in texts[0]
    assert "Pôle famille" in texts[2] and "Crèche Sainte-Barbe" in texts[3]
    assert main(["--bundle", str(folder), "compare", "--base", "current", "--alt", "proposed", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["base"]["covered"], figures["alt"]["covered"]) == (500, 200)
    assert figures["population_losing_access"] == 500
    assert {w["ward_name"] for w in figures["by_ward"]} == {"Côte-Chaude", "Montreynaud"}
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    out = tmp_path / "briefing.pdf"
    args = ["--bundle", str(folder), "briefing", "--scenario", "proposed", "--compare", "current", "--db", db]
    assert main([*args, "--out", str(out)]) == 0
    texts.append("\n".join(p.extract_text() for p in PdfReader(out).pages))
    assert "Saint-Étienne" in texts[-1] and "IRIS population-weighted centroids" in texts[-1]
    options = tmp_path / "options.pdf"
    args = ["--bundle", str(folder), "appraise", "--options", "current,proposed", "--db", db, "--out", str(options)]
    assert main(args) == 0
    texts.append(capsys.readouterr().out)
    assert "Losing access: 500" in texts[-1]
    texts.append("\n".join(p.extract_text() for p in PdfReader(options).pages))
    for text in texts:
        assert not any(word in text.lower() for word in DEPRIVATION_WORDS + ENGLAND_WORDS), text[:400]


@pytest.mark.browser
def test_recipe_a_hand_written_bundle_abroad_in_the_browser(tmp_path, dash_duo):
    """The same bundle served: the first map, the Access page's headline (the engine's figure),
    every page shown in turn, the accented names as written, and no deprivation figure or word
    on any page."""
    from bundle_factory import dashboard_smoke, make_abroad_bundle
    from dashboard import ids

    engine = Engine(load_bundle(make_abroad_bundle(tmp_path / "saint-etienne")))
    dashboard_smoke(dash_duo, engine, "proposed", "Saint-Étienne")
    driver = dash_duo.driver
    tabs = driver.execute_script("return [...document.querySelectorAll('[role=tab]')].map(t => t.id)")
    assert len(tabs) >= 5
    for tab in tabs:
        page = tab.removeprefix(ids.page_tab(""))
        driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{tab}"))
        dash_duo.wait_for_element(f"#{ids.page_panel(page)}:not([hidden])", timeout=10)
        time.sleep(1.5)  # the page's callbacks answer
        text = driver.find_element("css selector", f"#{ids.page_panel(page)}").text
        assert not any(word in text.lower() for word in DEPRIVATION_WORDS + ENGLAND_WORDS), (page, text[:400])
        if page == "needs":
            assert "IRIS" in text  # the map level's name, in the bundle's word
        if page == "access":
            dash_duo.wait_for_contains_text(f"#{ids.page_panel(page)}", "Côte-Chaude", timeout=10)
            assert "Pôle famille" in driver.find_element("css selector", f"#{ids.page_panel(page)}").text
    header = driver.find_element("css selector", "body").text
    assert "Saint-Étienne" in header
