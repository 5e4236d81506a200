"""The Options page (issue 14): its table agrees with `python -m geo appraise --json`, the
baseline follows the choices, and the page shows the table and a map per option."""

import io
import json

import pytest

from dashboard import ids
from dashboard.pages.options import COLUMNS, table_data
from dashboard.tables import body_css
from geo.appraisal import appraise, preset
from geo.cli import main


def test_page_table_agrees_with_the_cli(luton_engine):
    out = io.StringIO()
    assert main(["appraise", "--options", "current_2020,proposed_2020", "--json"], out=out) == 0
    cli = json.loads(out.getvalue())["options"]
    e = luton_engine
    page = table_data(e, appraise(e, [preset(e, "current_2020"), preset(e, "proposed_2020")], minutes=20, mode="walk"))
    assert [c["id"] for c in page["columns"]] == [k for k, _ in COLUMNS]
    # the CLI's JSON gives people to 0.1; the page rounds the unrounded figure once, so each
    # whole number is within half a person of the JSON's (rounding 6,099.46 to 6,099.5 and then to
    # a whole number gave 6,100: the page showed the wrong whole number before)
    for row, want in zip(page["rows"], cli):
        for key in ("covered", "losing_access", "change_vs_baseline"):
            assert abs(row[key] - want[key]) <= 0.5 and row[key] == round(row[key])
        assert row["mean_minutes"] == want["mean_minutes"]
        assert row["open_sites"] == want["open_sites"]
    exact = appraise(e, [preset(e, "current_2020"), preset(e, "proposed_2020")], minutes=20, mode="walk").rows[1]
    base, alt = (e.coverage(e.scenario(n), minutes=20, mode="walk").covered for n in ("current_2020", "proposed_2020"))
    assert exact["change_vs_baseline"] == alt - base
    assert page["rows"][1]["change_vs_baseline"] == round(alt - base)


@pytest.mark.browser
def test_options_page_shows_the_appraisal(dash_duo, luton_app, luton_engine):
    e = luton_engine
    want = appraise(e, [preset(e, "current_2020"), preset(e, "proposed_2020")], minutes=20, mode="walk").rows
    dash_duo.start_server(luton_app)
    dash_duo.driver.get(dash_duo.server_url + "/?page=options")
    region = body_css(ids.OPTIONS_TABLE)
    dash_duo.wait_for_contains_text(region, "Proposed (2020)", timeout=30)
    rows = dash_duo.find_elements(f"{region} tbody tr")
    assert len(rows) == 2
    cells = [c.text for c in rows[1].find_elements("css selector", "td")]
    assert cells[1] == f"{round(want[1]['covered']):,}"  # Within reach (columns after the row header)
    assert cells[5] == f"{round(want[1]['losing_access']):,}"
    dash_duo.wait_for_element(f"#{ids.OPTIONS_MAPS}[src^='data:image/png']", timeout=30)
    assert "Current (2020), Proposed (2020)" in dash_duo.find_element(f"#{ids.OPTIONS_MAPS}").get_attribute("alt")
    # one option only: a clear message, nothing else changes
    box = dash_duo.find_element(f"#{ids.OPTIONS_CHOICES} input[value='preset:current_2020']")
    dash_duo.driver.execute_script("arguments[0].click();", box)
    dash_duo.wait_for_contains_text(f"#{ids.OPTIONS_MESSAGE}", "Choose 2 to 6 options (now 1).", timeout=10)
    assert len(dash_duo.find_elements(f"{region} tbody tr")) == 2
    # the choice is in the link: reopening it gives the same page with the same message
    assert "opts=preset:proposed_2020" in dash_duo.driver.current_url
    dash_duo.driver.get(dash_duo.driver.current_url)
    dash_duo.wait_for_contains_text(f"#{ids.OPTIONS_MESSAGE}", "Choose 2 to 6 options (now 1).", timeout=30)


@pytest.mark.browser
def test_a_link_reopens_the_options_and_baseline_it_names(dash_duo, luton_app, luton_engine):
    """A copied link of the Options page reopens the same options against the same baseline."""
    e = luton_engine
    dash_duo.start_server(luton_app)
    dash_duo.driver.get(dash_duo.server_url + "/?page=options&opts=preset:proposed_2020,view&optbase=view")
    region = body_css(ids.OPTIONS_TABLE)
    # the Access page's scenario is called by its own name (on paper too); the same name twice is numbered
    dash_duo.wait_for_contains_text(region, "Proposed (2020) [2] (baseline)", timeout=30)
    rows = dash_duo.find_elements(f"{region} tbody tr")
    assert [r.find_element("css selector", "th").text for r in rows] == [
        "Proposed (2020)",
        "Proposed (2020) [2] (baseline)",
    ]
    checked = dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{ids.OPTIONS_CHOICES} input:checked')).map(b => b.value)"
    )
    assert checked == ["preset:proposed_2020", "view"]
    assert dash_duo.find_element(f"#{ids.OPTIONS_BASELINE}").get_attribute("value") == "view"
    # choosing another option and baseline writes both into the address
    box = dash_duo.find_element(f"#{ids.OPTIONS_CHOICES} input[value='preset:current_2020']")
    dash_duo.driver.execute_script("arguments[0].click();", box)
    dash_duo.wait_for_contains_text(region, "Current (2020)", timeout=30)
    from selenium.webdriver.support.ui import Select

    Select(dash_duo.find_element(f"#{ids.OPTIONS_BASELINE}")).select_by_value("preset:current_2020")
    dash_duo.wait_for_contains_text(region, "Current (2020) (baseline)", timeout=30)
    url = dash_duo.driver.current_url
    assert "opts=preset:proposed_2020,view,preset:current_2020" in url and "optbase=preset:current_2020" in url
    # the Access page's scenario against the current sites: the engine's own difference
    want = (
        e.coverage(e.scenario("proposed_2020"), minutes=20).covered
        - e.coverage(e.scenario("current_2020"), minutes=20).covered
    )
    rows = dash_duo.find_elements(f"{region} tbody tr")
    view_row = next(r for r in rows if r.find_element("css selector", "th").text == "Proposed (2020) [2]")
    assert view_row.find_elements("css selector", "td")[4].text == f"{round(want):,}"


@pytest.mark.browser
def test_maths_signs_in_a_name_give_an_options_row_maps_and_a_briefing(dash_duo, luton_app, luton_engine):
    """Issue 26: a scenario named `$\\foo$` whose added site is labelled `$x^2$` is text, never
    mathematics: its Options row, the maps (a background job) and the options briefing (a
    background job too) all arrive, and the briefing's words carry the name as typed."""
    from pypdf import PdfReader

    from geo.store import ScenarioStore
    from tests.conftest import wait_for_download

    saved = ScenarioStore().save(r"$\foo$ plan", "?base=proposed_2020&add=%24x%5E2%24%20hub%40LU1%203QZ")
    dash_duo.start_server(luton_app)
    dash_duo.driver.get(dash_duo.server_url + f"/?page=options&opts=preset:current_2020,saved:{saved.id}")
    region = body_css(ids.OPTIONS_TABLE)
    dash_duo.wait_for_contains_text(region, r"$\foo$ plan", timeout=30)
    dash_duo.wait_for_element(f"#{ids.OPTIONS_MAPS}[src^='data:image/png']", timeout=30)
    assert r"$\foo$ plan" in dash_duo.find_element(f"#{ids.OPTIONS_MAPS}").get_attribute("alt")
    dash_duo.find_element(f"#{ids.OPTIONS_DOWNLOAD_BUTTON}").click()
    files = wait_for_download(dash_duo.download_path, "needs-map-options.pdf", seconds=60)
    assert files, "the options briefing did not arrive"
    words = " ".join(page.extract_text() for page in PdfReader(files[0]).pages)
    assert r"$\foo$ plan" in words and "$x^2$ hub" in words
    assert dash_duo.find_element(f"#{ids.OPTIONS_DOWNLOAD_BUTTON}").is_enabled()
    assert dash_duo.find_element(f"#{ids.OPTIONS_MESSAGE}").text == ""


@pytest.mark.browser
def test_maths_signs_in_a_label_give_the_dashboard_briefing(dash_duo, luton_app):
    """Issue 26: the header's briefing of an Access view whose added site is labelled
    `$\\foo$ hub` arrives (matplotlib once parsed it as mathematics and the job always failed)
    and prints the label as typed."""
    from pypdf import PdfReader

    from tests.conftest import wait_for_download

    dash_duo.start_server(luton_app)
    dash_duo.driver.get(dash_duo.server_url + "/?page=access&base=proposed_2020&add=%24%5Cfoo%24%20hub%40LU1%203QZ")
    dash_duo.wait_for_contains_text(f"#{ids.ASSUMPTIONS}", r"$\foo$ hub", timeout=30)
    dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").click()
    files = wait_for_download(dash_duo.download_path, seconds=60)
    assert files, "no briefing was downloaded within 60 s"
    words = " ".join(page.extract_text() for page in PdfReader(files[0]).pages)
    assert r"$\foo$ hub" in words
