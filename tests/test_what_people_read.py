"""What people read, checked as they read it: the words on the map's markers, its legend and
its hover, and the text of the briefings (extracted from the PDF, as a councillor's paper)."""

import datetime as dt
import io

import numpy as np
import pytest
from pypdf import PdfReader

from dashboard.figures import ABSENT_STYLE, CLOSED_STYLE, legend_items, site_styles
from geo.reports.briefing import render_briefing
from geo.reports.ward_briefing import render_ward_briefing, ward_briefing_content
from geo.viewstate import default_state

PROPOSED = ("hub_manor", "hub_leagrave_tbc", "outreach_london_road", "outreach_beech_hill")


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _current_view(engine, cmp: str = "none") -> dict:
    return {**default_state(engine), "page": "access", "base": "current_2020", "cmp": cmp}


@pytest.mark.parametrize("cmp", ["none", "current_2020"])
def test_current_network_draws_no_proposed_site_as_closed(luton_engine, cmp):
    """Current (2020), alone or against itself: the proposed hubs and outreach bases were never
    open, so no marker is a cross and no hover says "closes"; every current centre is open."""
    e = luton_engine
    sites = e.bundle.located_sites
    comparison = None if cmp == "none" else e.scenario(cmp)
    statuses = e.site_statuses(e.scenario("current_2020"), comparison)
    styles = site_styles(sites, statuses, e.bundle.manifest["layers"]["sites"]["roles"])
    for site, symbol, text in zip(sites.index, styles["marker_symbol"], styles["text"]):
        assert symbol != CLOSED_STYLE[0], site
        assert "close" not in text.split("<br>")[2], (site, text)  # the status line
        if site in PROPOSED or site == "blenheim_crescent":
            assert symbol == ABSENT_STYLE[0] and "not in this scenario" in text
        else:
            assert "· open" in text


def test_a_site_closes_only_where_the_comparison_had_it_open(luton_engine):
    e = luton_engine
    current, proposed = e.scenario("current_2020"), e.scenario("proposed_2020")
    statuses = e.site_statuses(proposed, current)
    current_ids = set(e.bundle.scenarios["current_2020"]["sites"])
    for site, status in statuses.items():
        expected = {
            (True, True): "open",
            (True, False): "closes",
            (False, True): "opens",
            (False, False): "not_in_scenario",
        }[(site in current_ids, site in PROPOSED)]
        assert status == expected, site
    styles = site_styles(e.bundle.located_sites, statuses, {})
    crossed = {s for s, sym in zip(e.bundle.located_sites.index, styles["marker_symbol"]) if sym == CLOSED_STYLE[0]}
    assert crossed == current_ids & set(e.bundle.located_sites.index)
    assert sum("· closes<br>" in t for t in styles["text"]) == len(crossed)
    assert ("x", CLOSED_STYLE[1], "Closes (open in the comparison)") in legend_items({})


def test_current_briefings_call_no_site_closed(luton_engine):
    """The town briefing of Current (2020) and a ward briefing near Beech Hill's outreach base:
    neither names a proposed site as closed (or closing)."""
    e = luton_engine
    state = _current_view(e)
    text = _pdf_text(render_briefing(e, state, fmt="pdf", today=dt.date(2026, 12, 7)))
    assert "(closed)" not in text and "(closes)" not in text and "Closes" not in text
    assert "Manor Contact Centre" not in text  # never open in today's network, not drawn
    ward = e.find_ward("LU4 8BW")  # Beech Hill Children's Centre lies in Dallow (2009-2023 wards)
    content = ward_briefing_content(e, state, ward)
    assert all(s["status"] in ("open", "opens") for s in content.sites)
    assert not any("Beech Hill" in s["name"] for s in content.sites)
    ward_text = _pdf_text(render_ward_briefing(e, state, ward, fmt="pdf"))
    assert "closed" not in ward_text.lower() and "closes" not in ward_text.lower()


def test_readme_names_the_largest_losses_by_each_ward_set(luton_engine):
    """The README's sentence on where most children lose access, for both ward sets."""
    import re
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split())
    e = luton_engine
    claims = {
        "2013": re.search(r"By the wards in force in 2020 the largest losses are in (.+?);", readme).group(1),
        "2023": re.search(r"by today's wards \(`--wards 2023`\), (.+?)\. ", readme).group(1),
    }
    for ward_set, claim in claims.items():
        named = re.findall(r"([A-Z][A-Za-z ]+?) \(([\d,]+)\)", claim)
        cmp = e.compare(e.scenario("current_2020"), e.scenario("proposed_2020"), wards=ward_set, minutes=20)
        top = cmp.by_ward.sort_values("losing_access", ascending=False).head(len(named))
        assert [(n.strip(), int(v.replace(",", ""))) for n, v in named] == [
            (r.ward_name, round(r.losing_access)) for r in top.itertuples()
        ]


def test_a_saved_scenario_is_called_by_its_name_when_reopened(luton_engine, tmp_path):
    """Saved, then reopened by its id (what ``/s/<id>`` does): the cards, the ward card, the
    town and ward briefings and the Options page call it by its name; once its sites change it
    is "<name>, modified"."""
    from dashboard.pages.options import build_options
    from dashboard.views import evaluations, headline
    from geo.reports.briefing import briefing_content
    from geo.reports.ward_briefing import ward_numbers
    from geo.store import ScenarioStore
    from geo.viewstate import encode, from_store, open_saved

    e = luton_engine
    store = ScenarioStore(f"sqlite:///{tmp_path / 'saved.sqlite3'}")
    view = {**default_state(e), "page": "access", "base": "current_2020", "close": ["denbigh"], "cmp": "current_2020"}
    saved = store.save("Denbigh closes", encode(view)[1:], area=e.bundle.area_name)
    state, notices = open_saved(e, store, saved.id)
    assert notices == [] and state["name"] == "Denbigh closes"
    state, _ = from_store(e, state)  # as the browser sends it back on the next click
    alt, base = evaluations(e, state)
    assert headline(e, state, alt, base)["alt_label"] == "Denbigh closes"
    assert "Denbigh closes" in briefing_content(e, state, "http://x").title
    ward = e.find_ward("LU3 1NS")
    assert "Denbigh closes" in ward_briefing_content(e, state, ward).title
    assert ward_numbers(e, state, ward)["population"] > 0
    (option,) = build_options(e, store, [f"saved:{saved.id}"], state, {})
    assert option.label == "Denbigh closes"
    changed, _ = from_store(e, {**state, "close": ["denbigh", "redgrave"]})
    alt, base = evaluations(e, changed)
    assert headline(e, changed, alt, base)["alt_label"] == "Denbigh closes, modified"
    # a name that is not fit to print is refused, with the reason
    bad_state, bad_notices = from_store(e, {**state, "name": "a\nb"})
    assert bad_state["name"] is None and "scenario name" in bad_notices[0]


def test_catchment_parts_add_up_to_their_totals(luton_engine):
    """With capacities that bind, the sites' "beyond capacity" add up to the total, and served +
    beyond capacity + not covered is everyone with a located site."""
    from geo.catchments import catchments

    e = luton_engine
    scenario = e.scenario("current_2020")
    free = catchments(e, scenario, minutes=20)
    capacity = {s.site: round(s.population / 3) for s in free.sites}  # every site a third of its catchment
    result = catchments(e, scenario, capacity=capacity, minutes=20)
    c = result.capacity
    assert sum(s.beyond_capacity for s in result.sites) == pytest.approx(c.beyond_capacity, abs=0.01)
    assert sum(s.served for s in result.sites) == pytest.approx(c.served, abs=0.01)
    assert c.served + c.beyond_capacity + c.not_covered == pytest.approx(result.total, abs=0.01)
    assert c.beyond_capacity > 1000  # the capacities bind


def test_a_hub_at_a_centres_own_point_moves_no_family(luton_engine):
    """Leagrave Children's Centre and the Leagrave hub placeholder share one postcode point:
    families going from one to the other are not counted as changing site."""
    from geo.catchments import compare_catchments

    e = luton_engine
    cur, pro = e.scenario("current_2020"), e.scenario("proposed_2020")
    change = compare_catchments(e, cur, pro, minutes=20)
    same_point = [
        i
        for i, (a, b) in enumerate(zip(change.base.assigned, change.alt.assigned))
        if (a, b) == ("leagrave", "hub_leagrave_tbc")
    ]
    assert same_point and not change.changed[same_point].any()
    people = change.alt.population
    ids_differ = np.array([a != b for a, b in zip(change.base.assigned, change.alt.assigned)])
    assert change.people_changing_site == pytest.approx(people[ids_differ].sum() - people[same_point].sum())


def test_compare_json_names_each_lost_rows_fields_for_its_scenario(capsys):
    """A lost-access row says it was covered before and is not after; no bare "covered"."""
    import json

    from geo.cli import main

    main(["compare", "--base", "current_2020", "--alt", "proposed_2020", "--json"])
    rows = json.loads(capsys.readouterr().out)["lost"]
    assert rows and all(r["base_covered"] and not r["alt_covered"] and "covered" not in r for r in rows)
    assert all(r["alt_minutes"] > 20 >= r["base_minutes"] for r in rows)


def _words(component) -> str:
    out: list[str] = []

    def walk(node):
        if isinstance(node, str | int | float):
            out.append(str(node))
            return
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if child is not None:
                walk(child)

    walk(component)
    return " ".join(out)


def test_a_scenario_compared_with_itself_reads_plainly(luton_engine):
    """Current (2020) against itself: no "range 0-0" or "n/a-n/a", the sites it cannot count
    named once, and the net change explained by who loses and who gains."""
    from dashboard.pages.access import headline_cards, unlocated_note
    from dashboard.views import evaluations, headline

    e = luton_engine
    state = {**default_state(e), "base": "current_2020", "cmp": "current_2020"}
    alt, base = evaluations(e, state)
    cards = _words(headline_cards(headline(e, state, alt, base), "a 20-minute walk"))
    assert "range 0-0" not in cards and "n/a-n/a" not in cards
    assert "Net change +0: 0 lose access, 0 gain it" in cards
    note = _words(unlocated_note(e, alt, base))
    assert note.count("Limbury Community Centre") == 1 and note.count("not counted") == 1
    state = {**state, "base": "proposed_2020"}  # Proposed against Current: the change is explained
    alt, base = evaluations(e, state)
    h = headline(e, state, alt, base)
    assert f"Net change {h['change']:+,.0f}: {h['losing']:,.0f} lose access, {h['gaining']:,.0f} gain it" in _words(
        headline_cards(h, "a 20-minute walk")
    )
    assert round(h["gaining"] - h["losing"]) == round(h["change"])


def test_a_hub_opened_on_top_of_current_keeps_its_assumption_and_says_why_it_serves_no_one(luton_engine):
    e = luton_engine
    scenario = e.scenario("current_2020", open=["hub_leagrave_tbc"])
    items = {a.kind: a.text for a in e.assumption_items(scenario, "walk", "calibrated", e.default_population)}
    assert "placed at The Leagrave Centre" in items["preset"]
    assert "Leagrave Children's Centre = Leagrave area family resource hub" in items["shared_point"]
    assert "you can" not in " ".join(items.values())  # no app instructions in what goes on paper


def test_every_ward_briefing_names_the_sites_no_figure_counts_and_what_the_scenario_changes(luton_engine):
    """Limbury's briefing names Limbury Community Centre as not counted (it has no sourced
    location), says which sites close and open, and carries no URL longer than 100 characters
    and no app instruction."""
    import re

    from geo.store import ScenarioStore

    e = luton_engine
    state = {**default_state(e), "page": "access"}  # Proposed (2020) against Current (2020)
    text = _pdf_text(render_ward_briefing(e, state, "Limbury", fmt="pdf", store=ScenarioStore("sqlite://")))
    flat = " ".join(text.split())
    assert "Limbury (Limbury Community Centre)" in flat and "not counted in any figure" in flat
    assert "Against Current (2020): 15 sites close" in flat and "4 open" in flat
    urls = re.findall(r"https?://\S+", flat)
    assert urls and all(len(u) <= 100 for u in urls)
    assert "open the link" not in flat and "you can" not in flat


@pytest.mark.parametrize("ward_set", ["2013", "2023"])
def test_a_wards_deprivation_is_one_number_everywhere(luton_engine, ward_set):
    """Farley's IMD rank and decile: the same number, with the same definition, in the map's
    hover, the ranked table (and so its CSV), the ward profile, the Access ward table and the
    ward briefing; a rank is a whole rank and a decile a whole decile."""
    from dashboard.pages.needs import needs_update
    from dashboard.views import _ward_static_rows, ward_profile
    from geo.reports.ward_briefing import _need_rows

    e = luton_engine
    code = e.find_ward("Farley", ward_set)
    rank, decile = (e.ward_table(ward_set).at[code, c] for c in ("imd_rank", "imd_decile"))
    assert rank == int(rank) and decile == int(decile)
    definition = "median over the ward's children under 5 (mid-2019)"
    names = e.ward_sets[ward_set].names
    for ind, value in (("imd_rank", rank), ("imd_decile", decile)):
        view = {"ind": ind, "level": "ward", "wards": ward_set, "w": {}}
        patch, _card, data = needs_update(e, view, names)
        shown = f"{value:,.0f}"
        (row,) = [r for r in data["rows"] if r["area"] == "Farley"]
        assert row["value"].split(" ")[0] == shown
        assert definition in data["columns"][2]["name"] and f"Ward value: {definition}" in data["csv"]["about"]
        ops = {str(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
        hover = next(v for k, v in ops.items() if k.endswith("'text']") and isinstance(v, list) and len(v) > 5)
        (farley,) = [t for t in hover if t.startswith("<b>Farley</b>")]
        assert f": {shown}" in farley and definition in farley
        profile = {r["Indicator"]: r["Value"] for r in ward_profile(e, code, None, ward_set)["indicators"]}
        assert (
            profile[e.bundle.indicators[ind].label].startswith(shown + " ")
            and definition in profile[e.bundle.indicators[ind].label]
        )
    assert _ward_static_rows(e, ward_set, None)[code]["imd_decile_mean"] == decile
    state = {**default_state(e), "wards": ward_set}
    (briefing_row,) = [r for r in _need_rows(e, state, code, ward_set) if r["indicator"].startswith("IMD 2019 decile")]
    assert briefing_row["ward"] == f"{decile:,.0f}" and definition in briefing_row["indicator"]


def test_placing_a_site_with_two_answers_says_so(luton_engine):
    """A candidate chosen and a postcode typed: nothing is placed, and the message says why."""
    from dashboard.callbacks.state import _on_move

    e = luton_engine
    state, msgs = {**default_state(e), "move": {}}, {}
    extra = {"site": "hub_leagrave_tbc", "text": "LU4 0PE", "candidate": "Beechwood@LU4 9RD"}
    _on_move(e, state, None, extra, msgs)
    assert state["move"] == {} and "Both a candidate site and a postcode" in msgs["move_error"]
    _on_move(e, state, None, {**extra, "candidate": ""}, msgs)  # the text alone places it
    assert state["move"]["hub_leagrave_tbc"].endswith("@LU4 0PE")


@pytest.mark.slow
def test_no_briefing_sends_the_reader_to_the_app_or_prints_a_long_url(luton_engine):
    """Town, ward and options briefings of a built scenario (20 added sites would not fit a link):
    no "open the link", no "in the dashboard", no "you can", and every URL at most 100 characters."""
    import re

    from geo.appraisal import appraise, preset
    from geo.options import from_state, option_links
    from geo.reports.options_briefing import render_options_briefing
    from geo.store import ScenarioStore

    e = luton_engine
    store = ScenarioStore("sqlite://")
    state = {
        **default_state(e),
        "page": "access",
        "close": ["hub_manor"],
        "open": ["denbigh"],
        "add": [f"Family hub number {i:02d} with a long name@LU1 3QZ" for i in range(20)],
        "move": {"hub_leagrave_tbc": "Leagrave hub@LU4 0PE"},
    }
    options = [preset(e, "current_2020"), from_state(e, "view", "", state, "view")]
    appraisal = appraise(e, options, minutes=20)
    papers = {
        "town": render_briefing(e, state, fmt="pdf", store=store),
        "ward": render_ward_briefing(e, state, "Saints", fmt="pdf", store=store),
        "options": render_options_briefing(
            e, appraisal, options, fmt="pdf", links=option_links(e, options, "http://127.0.0.1:8050/", store=store)
        ),
    }
    for kind, data in papers.items():
        flat = " ".join(_pdf_text(data).split())
        for phrase in ("open the link", "in the dashboard)", "About the data", "you can", "The Access page"):
            assert phrase not in flat, (kind, phrase)
        urls = re.findall(r"https?://\S+", flat)
        assert urls and all(len(u) <= 100 for u in urls), (kind, urls)
        assert "Family hub number 19 with a long name" in flat or kind == "options", kind  # nothing cut


def test_a_line_break_in_a_label_never_starts_a_csv_line(luton_engine):
    """The formula-injection link of the adversarial test: a site label with a newline and
    =HYPERLINK is refused where it is typed (or read from a link), and a CSV header line with
    a line break in it stays one line."""
    from dashboard.tables import to_csv
    from geo.errors import ScenarioError
    from geo.scenario import parse_added_site
    from geo.store import ScenarioStore, StoreError
    from geo.viewstate import decode

    label = 'Family hub\n=HYPERLINK("http://evil.example/","Open form")'
    with pytest.raises(ScenarioError, match="line break"):
        parse_added_site(f"{label}@LU1 3QZ")
    state, notices = decode(luton_engine, "?page=access&add=Family%20hub%0A%3DHYPERLINK(%22x%22)@LU1%203QZ")
    assert state["add"] == [] and any("line break" in n for n in notices)
    text = to_csv({"csv": {"about": [f"Scenario: {label}", "Note: \u202eevil"]}, "columns": [], "rows": []})
    assert all(not line.startswith(("=", "+", "-", "@")) for line in text.splitlines())
    assert len(text.splitlines()) == 3  # two header lines and the (empty) column row
    with pytest.raises(StoreError, match="control character"):
        ScenarioStore("sqlite://").save("Plan\u202eA", "page=access")


def test_a_dollar_label_is_text_on_paper(luton_engine):
    """A site named "$\\foo$" (matplotlib would parse it as mathematics and fail) prints as typed."""
    from geo.store import ScenarioStore

    e = luton_engine
    state = {**default_state(e), "page": "access", "add": ["$\\foo$ hub@LU1 3QZ"]}
    text = _pdf_text(render_briefing(e, state, fmt="pdf", store=ScenarioStore("sqlite://")))
    assert "$\\foo$ hub" in text


def test_links_asking_for_many_age_bands_do_not_grow_the_shared_tables(luton_bundle):
    """Forty links each asking for another age band: the shared tables stay bounded, and every
    band still gives the right figure when asked for again."""
    from geo.bundle import MADE_FIELDS_KEPT
    from geo.engine import Engine
    from geo.viewstate import decode

    e = Engine(luton_bundle)
    columns = len(e.bundle.lsoa_values.columns)
    for low in range(40):
        state, notices = decode(e, f"?page=access&pop=age{low % 20}-{low % 20 + 1 + low // 20}_2019")
        assert notices == []
        e.evaluate(e.scenario("current_2020"), population=state["pop"], minutes=20)
    assert len(e.bundle.lsoa_values.columns) <= columns + MADE_FIELDS_KEPT
    assert len(e.origin_population) <= MADE_FIELDS_KEPT + 2
    field = e.population_field("0-4", 2019)  # the default: always there, always the same
    assert round(e.evaluate(e.scenario("current_2020"), population=field, minutes=20).population.sum()) == 17208
