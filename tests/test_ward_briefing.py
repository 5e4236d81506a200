"""A councillor's own ward: finding it by name or postcode, its figures (reconciled with the
comparison's by-ward table), and its one-page briefing."""

import io

import pytest
from pypdf import PdfReader

from geo.cli import main
from geo.errors import ScenarioError
from geo.reports.ward_briefing import render_ward_briefing, ward_briefing_content, ward_numbers
from geo.store import ScenarioStore
from geo.viewstate import default_state


def test_find_ward_by_name_code_and_postcode(luton_engine):
    e = luton_engine
    saints = e.find_ward("saints")
    assert e.ward_sets["2013"].names[saints] == "Saints" and e.find_ward(saints) == saints
    # Beech Hill Children's Centre's postcode lies in Dallow ward (2009-2023) and Beech Hill ward (2023)
    assert e.ward_sets["2013"].names[e.find_ward("lu4 8bw")] == "Dallow"
    assert e.ward_sets["2023"].names[e.find_ward("LU4 8BW", "2023")] == "Beech Hill"
    with pytest.raises(ScenarioError, match="did you mean Saints"):
        e.find_ward("Saintz")
    with pytest.raises(ScenarioError, match="ward of Wards from May 2023"):
        e.find_ward("Beech Hill")
    with pytest.raises(ScenarioError, match="not in this area's postcode list"):
        e.find_ward("LU9 9ZZ")


@pytest.mark.parametrize("ward_set", ["2013", "2023"])
def test_ward_figures_reconcile_with_the_by_ward_table(luton_engine, ward_set):
    e = luton_engine
    state = {**default_state(e), "wards": ward_set}
    cmp = e.compare(e.scenario("current_2020"), e.scenario("proposed_2020"), wards=ward_set, minutes=20)
    for row in cmp.by_ward.itertuples():
        n = ward_numbers(e, state, row.ward_code)
        assert n["population"] == pytest.approx(row.total)
        assert n["losing"] == pytest.approx(row.losing_access)
        assert n["base_covered"] == pytest.approx(row.base_covered) and n["alt_covered"] == pytest.approx(
            row.alt_covered
        )
        assert n["losing"] <= n["changed_population"] + 1e-6  # losing access means a new nearest site


def test_ward_briefing_pdf_holds_the_wards_figures(luton_engine):
    e = luton_engine
    state = {**default_state(e), "page": "access"}
    store = ScenarioStore("sqlite://")
    content = ward_briefing_content(e, state, "Saints", store=store)
    n = content.numbers
    pdf = render_ward_briefing(e, state, "Saints", fmt="pdf", store=store)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) == 2  # the ward, then every assumption, the method and the sources
    assert "Saints ward" in text and f"{n['losing']:,.0f}" in text and f"{n['population']:,.0f}" in text
    assert f"+{n['added_minutes']:.1f} min" in text
    # the short link reopens the view on this ward
    assert "ward=E05002207" in store.load_view(content.link.rsplit("/", 1)[1]) and len(content.link) < 100
    # each figure's range across the travel model's error, over the ward's people
    low, high = n["ranges"]["losing"]
    assert f"between {low:,.0f} and {high:,.0f}" in text and low <= n["losing"] <= high
    # sites near the ward that close (open in the comparison) are named as closing
    assert any(s["status"] == "closes" for s in content.sites) and "(closes)" in text


def test_cli_ward_briefing(tmp_path, capsys):
    out = tmp_path / "ward.pdf"
    assert (
        main(
            [
                "briefing",
                "--scenario",
                "proposed_2020",
                "--compare",
                "current_2020",
                "--wards",
                "2023",
                "--ward",
                "LU4 8BW",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "Beech Hill ward" in text and out.stat().st_size > 10_000
    assert main(["briefing", "--scenario", "proposed_2020", "--ward", "Nowhere", "--out", str(out)]) == 2
