"""Options appraisal (issue 14): figures by hand on the tiny bundle, the CLI's JSON contract,
options from presets, saved scenarios and JSON files, and the one-page options briefing."""

import io
import json
import re

import pytest

from geo.appraisal import appraise, preset
from geo.cli import main
from geo.errors import ScenarioError
from geo.options import resolve
from geo.store import ScenarioStore
from geo.viewstate import default_state, encode, named


def test_tiny_appraisal_by_hand(tiny_engine):
    """Routes are 1.5 x the straight line at 80 m a minute (tests/bundle_factory.py).
    Current (s1, s2): L1 9.375 min, L2 15.12, L3 21.95, L4 9.375. Proposed (s3 at (2000, 1000)):
    L1 28.125, L2 9.375, L3 13.125, L4 28.125. Populations 100, 200, 300, 400; deciles 1, 2, 5, 9."""
    e = tiny_engine
    people = e.origin_population[e.default_population]
    assert list(people) == [100, 200, 300, 400]
    result = appraise(e, [preset(e, "current"), preset(e, "proposed")], minutes=20, detour=e.detour_name)
    current, proposed = result.rows
    assert current["covered"] == 700 and proposed["covered"] == 500  # L1+L2+L4; L2+L3
    assert proposed["change_vs_baseline"] == -200 and current["change_vs_baseline"] == 0
    assert proposed["losing_access"] == 500  # L1 and L4
    assert proposed["losing_most_deprived_20pct_share"] == pytest.approx(100 / 500)  # L1 is decile 1
    assert proposed["mean_minutes"] == pytest.approx(
        (28.125 * 100 + 9.375 * 200 + 13.125 * 300 + 28.125 * 400) / 1000, abs=0.01
    )
    assert (current["busiest_site"], current["busiest_site_population"]) == ("Site s2", 700)
    assert (proposed["busiest_site"], proposed["busiest_site_population"]) == ("Site s3", 1000)
    assert current["open_sites"] == 2 and current["unlocated_sites"] == ["s4"]
    assert proposed["beyond_capacity"] is None  # no capacity known


def test_appraisal_refuses_too_few_too_many_and_repeated_options(luton_engine):
    e = luton_engine
    one = preset(e, "current_2020")
    with pytest.raises(ScenarioError, match="choose 2 to 6 options, not 1"):
        appraise(e, [one])
    with pytest.raises(ScenarioError, match="each option may appear once: current_2020"):
        appraise(e, [one, one])
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'"):
        preset(e, "nope")


def test_options_from_saved_scenarios_and_json_files(luton_engine, tmp_path):
    e = luton_engine
    state = {**default_state(e), "page": "access", "base": "proposed_2020", "move": {"hub_leagrave_tbc": "Hub@LU4 0PE"}}
    store = ScenarioStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    saved = store.save("Hub at LU4 0PE", encode(state), area="Luton")
    from_db = resolve(e, saved.id, store)
    assert (
        from_db.source == "saved"
        and from_db.label == "Hub at LU4 0PE"
        and from_db.state == named(state, "Hub at LU4 0PE")
    )
    path = tmp_path / "hub.json"
    path.write_text(json.dumps({**state, "label": "Hub option"}))
    from_file = resolve(e, str(path), None)
    assert from_file.name == "hub" and from_file.label == "Hub option" and from_file.state == state
    a = appraise(e, [preset(e, "proposed_2020"), from_db, from_file])
    assert a.rows[1]["covered"] == a.rows[2]["covered"] != a.rows[0]["covered"]  # the move changes coverage
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"page": "access", "mode": "teleport"}))
    with pytest.raises(ScenarioError, match="option .*bad.json.*teleport"):
        resolve(e, str(bad), None)
    with pytest.raises(ScenarioError, match="is not a preset, a saved scenario id or a .json file"):
        resolve(e, "aaaaaaaaaa", store)


def test_cli_appraise_json_contract_and_briefing(luton_engine, tmp_path):
    out = io.StringIO()
    pdf = tmp_path / "options.pdf"
    code = main(["appraise", "--options", "current_2020,proposed_2020", "--json", "--out", str(pdf)], out=out)
    assert code == 0
    d = json.loads(out.getvalue())
    assert set(d) == {"baseline", "population", "mode", "threshold", "options"} and d["baseline"] == "current_2020"
    row = d["options"][1]
    cmp = luton_engine.compare(luton_engine.scenario("current_2020"), luton_engine.scenario("proposed_2020"))
    assert row["losing_access"] == pytest.approx(cmp.population_losing_access, abs=0.05)
    assert row["covered"] == pytest.approx(cmp.alt.covered, abs=0.05)
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    assert len(reader.pages) == 2  # the appraisal; then each option's link and QR code, assumptions, sources
    links = set(re.findall(r"https?://127\.0\.0\.1:8050/\S+", reader.pages[1].extract_text()))
    assert len(links) == 2 and all("/v/" in link and len(link) < 100 for link in links)
    err = io.StringIO()
    assert main(["appraise", "--options", "current_2020"], err=err) == 2
    assert "choose 2 to 6 options, not 1" in err.getvalue()
    err = io.StringIO()
    assert main(["appraise", "--options", "current_2020,proposed_2020", "--baseline", "x"], err=err) == 2
    assert "--baseline 'x' is not one of the options" in err.getvalue()
