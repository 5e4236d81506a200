"""The Options page (issue 14): its table agrees with `python -m geo appraise --json`, the
baseline follows the choices, and the page shows the table and a map per option."""

import io
import json

import pytest

from dashboard import ids
from dashboard.callbacks.options import COLUMNS, table_data
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
    for row, want in zip(page["rows"], cli):
        assert row["covered"] == round(want["covered"])
        assert row["losing_access"] == round(want["losing_access"])
        assert row["change_vs_baseline"] == round(want["change_vs_baseline"])
        assert row["mean_minutes"] == want["mean_minutes"]
        assert row["open_sites"] == want["open_sites"]


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
