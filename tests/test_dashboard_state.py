"""URL state and callback functions, tested directly (no browser)."""

import pytest

from dashboard import ids
from dashboard.callbacks.state import apply_event, effective_open
from dashboard.pages.access import access_detail_update, access_map_update
from dashboard.pages.needs import needs_update
from geo.viewstate import chosen_options, decode, default_state, encode, from_store, scenario_of, threshold_kwargs


def test_default_state_is_proposed_vs_current(luton_engine):
    s = default_state(luton_engine)
    assert (s["base"], s["cmp"], s["mode"], s["threshold"], s["unit"]) == (
        "proposed_2020",
        "current_2020",
        "walk",
        20.0,
        "minutes",
    )


def test_encode_decode_round_trip(luton_engine):
    e = luton_engine
    state = default_state(e)
    state.update(
        page="access",
        ind="idaci_score",
        level="lsoa",
        base="current_2020",
        open=["hub_manor"],
        close=["leagrave", "dallow"],
        add=["New hub@LU4 0PE", "Point@51.890000,-0.430000"],
        move={"hub_leagrave_tbc": "Hub@LU3 3QN"},
        mode="cycle",
        unit="km",
        threshold=1.5,
        pop="total",
        cmp="none",
        colour="change",
        w={"idaci_score": 1.0, "imd_rank": 0.5},
        tiles=True,
        opts=["view", "preset:current_2020", "saved:abcdefghij"],
        optbase="preset:current_2020",
    )
    back, notices = decode(e, encode(state))
    assert notices == []
    assert back == state


@pytest.mark.parametrize(
    "search, fragment",
    [
        ("?page=bogus", "page"),
        ("?base=nonsense", "scenario"),
        ("?open=nosuchsite", "site"),
        ("?minutes=-4", "threshold"),
        ("?minutes=1e999", "threshold"),
        ("?add=X@ZZ1 1ZZ", "added site"),
        ("?add=X@0,0", "outside"),
        ("?w=idaci_score:-1", "weight"),
        ("?ind=<script>", "indicator"),
        ("?move=hub_leagrave_tbc=Hub@nowhere", "moved site"),
        ("?opts=preset:nope,view", "option"),
        ("?opts=saved:NOT-AN-ID", "option"),
        ("?opts=view&optbase=preset:current_2020", "baseline option"),
        ("?opts=" + ",".join(f"saved:{c * 10}" for c in "abcdefghijklmnopqrstuvwxyz"), "at most 20"),
    ],
)
def test_bad_links_fall_back_with_a_notice(luton_engine, search, fragment):
    state, notices = decode(luton_engine, search)
    assert notices and any(fragment in n for n in notices)
    # whatever was wrong, the state is usable
    scenario_of(luton_engine, state)
    luton_engine.coverage(scenario_of(luton_engine, state), **threshold_kwargs(state))


def test_a_tampered_view_loses_only_its_keys_of_the_wrong_type(luton_engine):
    """The view's model checks each key's type: a key of the wrong type is reset and named, the
    rest of what the user built is kept (and still checked for meaning, as a link is)."""
    state = default_state(luton_engine)
    sent = {
        **state,
        "page": "access",
        "close": ["denbigh"],
        "threshold": "15",  # a text, not a number
        "tiles": 1,  # a number, not a flag
        "cap": {"hub_manor": "lots"},
        "mode": "cycle",
    }
    checked, notices = from_store(luton_engine, sent)
    assert checked["page"] == "access" and checked["close"] == ["denbigh"] and checked["mode"] == "cycle"
    assert checked["threshold"] == state["threshold"] and checked["tiles"] is False and checked["cap"] == {}
    assert [n.split(" could not")[0] for n in notices] == ["The view's cap", "The view's threshold", "The view's tiles"]
    # a whole number where a number is due is a number (JSON has no other), and a view of the
    # right types gives no notice
    again, none = from_store(luton_engine, {**sent, "threshold": 15, "tiles": True, "cap": {"hub_manor": 300}})
    assert (again["threshold"], again["tiles"], again["cap"], none) == (15.0, True, {"hub_manor": 300.0}, [])


def test_options_page_choices_travel_in_the_link(luton_engine):
    """The Options page's choices and baseline are part of the view: absent from a link until the
    user changes them, then written and read back; choosing keeps the baseline only while it is
    chosen, and a baseline must be one of the options."""
    e = luton_engine
    state = default_state(e)
    assert "opts=" not in encode(state) and chosen_options(e, state) == (
        ["preset:current_2020", "preset:proposed_2020"],
        "preset:current_2020",
    )
    state, _ = apply_event(e, state, "opts", ["preset:proposed_2020", "view", 7])  # a non-text value is dropped
    assert chosen_options(e, state) == (["preset:proposed_2020", "view"], "preset:proposed_2020")
    state, _ = apply_event(e, state, "optbase", "view")
    assert "opts=preset:proposed_2020,view&optbase=view" in encode(state)
    state, _ = apply_event(e, state, "optbase", "preset:current_2020")  # not chosen: ignored
    assert state["optbase"] == "view"
    state, _ = apply_event(e, state, "opts", ["preset:proposed_2020"])  # the baseline unchosen
    assert chosen_options(e, state) == (["preset:proposed_2020"], "preset:proposed_2020")
    state, _ = apply_event(e, state, "opts", [])
    assert "opts=none" in encode(state) and decode(e, encode(state))[0]["opts"] == []
    # a baseline alone picks from the first choices; a duplicate option is one option
    linked, notices = decode(e, "?optbase=preset:proposed_2020")
    assert notices == [] and chosen_options(e, linked)[1] == "preset:proposed_2020"
    linked, notices = decode(e, "?opts=view,view,preset:current_2020")
    assert notices == [] and linked["opts"] == ["view", "preset:current_2020"]


def test_ward_only_indicator_forces_ward_level(luton_engine):
    state, _ = decode(luton_engine, "?ind=eyfs_gld_pct&level=lsoa")
    assert state["level"] == "ward"
    state, msgs = apply_event(luton_engine, state, "level", "lsoa")
    assert state["level"] == "ward" and "ward only" in msgs["notice"]


def test_toggle_and_checklist_events(luton_engine):
    e = luton_engine
    state = default_state(e)
    state, _ = apply_event(e, state, "base", "current_2020")
    state, _ = apply_event(e, state, "toggle", "leagrave")
    assert state["close"] == ["leagrave"] and "leagrave" not in effective_open(e, state)
    state, _ = apply_event(e, state, "toggle", "leagrave")
    assert state["close"] == [] and state["open"] == []
    state, _ = apply_event(e, state, "checklist", effective_open(e, state) + ["hub_manor"])
    assert state["open"] == ["hub_manor"]
    state, _ = apply_event(e, state, "base", "proposed_2020")  # a preset resets open/close
    assert state["open"] == [] and state["close"] == []


def test_add_site_errors_keep_the_scenario(luton_engine):
    e = luton_engine
    state = default_state(e)
    state, msgs = apply_event(e, state, "add", extra={"label": "A", "where": "LU4 0PE"})
    assert msgs["add_error"] == "" and state["add"] == ["A@LU4 0PE"]
    state2, msgs = apply_event(e, state, "add", extra={"label": "B", "where": "XX99 9XX"})
    assert "postcode" in msgs["add_error"] and state2["add"] == ["A@LU4 0PE"]
    state3, msgs = apply_event(e, state, "add", extra={"label": "C", "where": "-0.43,51.88"})
    assert "swapped" in msgs["add_error"] and state3["add"] == state["add"]


def test_move_site_by_candidate_and_reset(luton_engine):
    e = luton_engine
    state = default_state(e)
    state, msgs = apply_event(e, state, "move", extra={"site": "hub_leagrave_tbc", "candidate": "Redgrave@LU3 3QN"})
    assert msgs["move_error"] == "" and state["move"]["hub_leagrave_tbc"].endswith("@LU3 3QN")
    state, _ = apply_event(e, state, "move_reset", extra={"site": "hub_leagrave_tbc"})
    assert state["move"] == {}


def test_threshold_event_rejects_bad_values(luton_engine):
    state = default_state(luton_engine)
    for bad, reason in (
        (None, "enter a number"),
        ("abc", "enter a number"),
        (-1, "more than 0"),
        (0, "more than 0"),
        (300, "at most 240"),
        (10_000, "at most 240"),
    ):
        new, msgs = apply_event(luton_engine, state, "threshold", bad)
        # said next to the box, not in the page banner
        assert new["threshold"] == 20.0 and reason in msgs["threshold_error"] and not msgs["notice"]
    new, msgs = apply_event(luton_engine, state, "threshold", 7.25)  # a fraction is a fine threshold
    assert new["threshold"] == 7.25 and msgs["threshold_error"] == ""


def test_access_update_headline_matches_engine(luton_engine):
    e = luton_engine
    state = default_state(e)
    state, _ = apply_event(e, state, "toggle", "outreach_beech_hill")  # close it
    patch, headlines, _, _, compact = access_map_update(e, state, e.bundle.located_sites, {})
    expected = e.coverage(e.scenario("proposed_2020", close=["outreach_beech_hill"]), minutes=20)
    text = str(headlines)
    assert f"{expected.covered:,.0f}" in text
    cmp = e.compare(e.scenario("current_2020"), e.scenario("proposed_2020", close=["outreach_beech_hill"]), minutes=20)
    assert f"{cmp.population_losing_access:,.0f}" in text
    # the update is a Patch of values, not a figure with geometry
    ops = patch.to_plotly_json()["operations"]
    assert ops and not any("geojson" in str(op["location"]) for op in ops)
    assert f"{cmp.losing_in_most_deprived:,.0f}" in text
    decile, curve, ward_data, lost_data, _, _ = access_detail_update(e, state, "http://host/?x")
    wards, lost_rows = ward_data["rows"], lost_data["rows"]
    # the downloads say what they hold, with the labels shown on screen
    assert ward_data["csv"]["filename"].startswith("needs-map_wards_proposed-2020-modified_vs-current-2020_walk-20min_")
    assert any("Link: http://host/?x" in line for line in ward_data["csv"]["about"])
    assert any("children under 5 (mid-2019)" in line for line in ward_data["csv"]["about"])
    assert "alt_covered_pct" not in [c["name"] for c in ward_data["columns"]]
    assert sum(r["population"] for r in lost_rows) == pytest.approx(cmp.population_losing_access, abs=len(lost_rows))
    assert sum(r["losing_access"] for r in wards) == pytest.approx(cmp.population_losing_access, abs=len(wards))
    for p in (patch, decile, curve):  # only values travel
        assert "geojson" not in str(p.to_plotly_json())


def test_access_update_reports_engine_errors(luton_engine):
    state = default_state(luton_engine)
    state["move"] = {"hub_leagrave_tbc": "Hub@ZZ1 1ZZ"}  # tampered store
    out = access_map_update(luton_engine, state, luton_engine.bundle.located_sites, {})
    assert "cannot be evaluated" in str(out[1])
    assert access_detail_update(luton_engine, state)[2]["rows"] == []


def test_needs_update_marks_missing_wards(luton_engine):
    names = {
        "ward": dict(zip(luton_engine.bundle.wards["code"], luton_engine.bundle.wards["name"])),
        "lsoa": dict(zip(luton_engine.bundle.lsoas["code"], luton_engine.bundle.lsoas["name"])),
    }
    view = {"ind": "obesity_year6_pct", "level": "ward", "w": {}}
    patch, info, data = needs_update(luton_engine, view, names)
    rows = data["rows"]
    assert rows[0] == {"rank": 1, "area": "Leagrave", "value": "47.5 % of children"}
    assert sum(r["value"] == "no published figure" for r in rows) == 18
    ops = {str(op["location"]): op for op in patch.to_plotly_json()["operations"]}
    assert any("locations" in k for k in ops)
    assert "41.1" in str(info) and "34.2" in str(info)  # Luton and England benchmarks


def test_maps_need_no_tiles_unless_asked(luton_engine):
    from dashboard.maps import MapAssets, access_map, needs_map

    assets = MapAssets.of(luton_engine)
    state = default_state(luton_engine)
    for fig in (needs_map(luton_engine, assets, state), access_map(luton_engine, assets, state)):
        assert {t.type for t in fig.data} <= {"choropleth", "scattergeo"}
        assert fig.layout.map.style is None  # plain SVG map: boundaries only, no tile server
    state["tiles"] = True
    fig = access_map(luton_engine, assets, state)
    assert {t.type for t in fig.data} == {"choroplethmap", "scattermap"}
    assert fig.layout.map.style == "open-street-map"
    # the map is centred on the area
    minx, miny, maxx, maxy = assets.bounds
    assert minx < fig.layout.map.center.lon < maxx and miny < fig.layout.map.center.lat < maxy


def test_boundary_geojson_is_rounded_and_clockwise(luton_engine):
    import shapely

    from dashboard.maps import MapAssets

    assets = MapAssets.of(luton_engine)
    assert len(assets.lsoa_geojson["features"]) == 121
    for feature in assets.ward_geojson["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        polygons = getattr(geom, "geoms", [geom])
        assert all(not p.exterior.is_ccw for p in polygons)  # d3-geo wants clockwise exteriors


def test_optimiser_panel_and_adopt(luton_engine):
    from dashboard.callbacks.optimise import run_optimiser

    e = luton_engine
    state = default_state(e)  # Proposed (2020), 20-minute walk
    d = run_optimiser(
        e,
        state,
        "coverage",
        1,
        ["hub_manor", "outreach_london_road", "outreach_beech_hill"],
        "postcodes",
        ["Leagrave", "Lewsey", "Limbury", "Sundon Park"],
        None,
        None,
        [],
        keep="chosen",
    )
    assert d["optimal"] and d["baseline"]["site"] == "hub_leagrave_tbc"
    adopted, msgs = apply_event(e, state, "adopt", extra={"suggestion": d})
    # the suggestion takes the undecided hub's place; the headline becomes the optimiser's figure
    assert list(adopted["move"]) == ["hub_leagrave_tbc"] and adopted["add"] == []
    res = e.coverage(scenario_of(e, adopted), **threshold_kwargs(adopted))
    assert res.covered == pytest.approx(d["covered_after"], abs=1.0)
    back, notices = decode(e, encode(adopted))
    assert notices == [] and back == adopted  # and so into the URL and the briefing


def test_optimiser_starts_from_the_users_scenario(luton_engine):
    """By default the optimiser keeps every site of the view's scenario (re-opened, closed and
    added ones as the user left them): its "before" is that scenario's own coverage."""
    from dashboard.callbacks.optimise import run_optimiser

    e = luton_engine
    state = default_state(e)
    state.update(open=["dallow"], close=["outreach_beech_hill"], add=["Community hall@LU3 2NT"])
    scenario = scenario_of(e, state)
    covered = e.coverage(scenario, **threshold_kwargs(state)).covered
    d = run_optimiser(e, state, "coverage", 1, [], "sites", [], None, None, [])
    assert d["covered_before"] == pytest.approx(covered, abs=0.1)
    assert d["covered_after"] >= d["covered_before"]
    assert "dallow" in d["fixed"] and "outreach_beech_hill" not in d["fixed"]
    assert d["kept"] == scenario.label


def test_optimiser_panel_reports_bad_input(luton_engine):
    from dashboard.callbacks.optimise import run_optimiser
    from geo.errors import NeedsMapError

    state = default_state(luton_engine)
    for args in [
        ("coverage", "x", [], "sites", [], None, None, []),
        ("coverage", 1, [], "postcodes", [], None, None, []),
        ("coverage", 1, [], "upload", [], None, None, []),
    ]:
        with pytest.raises(NeedsMapError):
            run_optimiser(luton_engine, state, *args)
    bad_csv = "data:text/csv;base64," + __import__("base64").b64encode(b"name,postcode\nA,XX1 1XX\n").decode()
    with pytest.raises(NeedsMapError, match="row 2"):
        run_optimiser(luton_engine, state, "coverage", 1, [], "upload", [], bad_csv, "mine.csv", [])


def test_lost_rows_name_the_nearest_site_after_the_change(luton_engine):
    from dashboard.views import lost_rows, scenario_outputs

    state = default_state(luton_engine)  # proposed vs current
    rows = lost_rows(luton_engine, scenario_outputs(luton_engine, state))
    proposed_names = {luton_engine.site_label(s) for s in luton_engine.bundle.scenarios["proposed_2020"]["sites"]}
    assert rows and all(r["nearest_after"] in proposed_names for r in rows)
    # minutes are shown to 0.1, so a route just over 20 minutes may read 20.0
    assert all(r["minutes_after"] >= 20 >= r["minutes_before"] for r in rows)


def test_table_downloads_cannot_carry_formulas(tiny_path):
    from bundle_factory import replace_in
    from dashboard.pages import sites
    from dashboard.views import csv_safe
    from geo import Engine, load_bundle

    assert [
        csv_safe(v) for v in ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "Leagrave", 3, "-2.5 pts", "+18,750")
    ] == ["'=1+1", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "Leagrave", 3, "-2.5 pts", "+18,750"]
    replace_in(tiny_path / "sites.csv", "Site s1", '=HYPERLINK("http://x")')
    rows = sites.register_rows(Engine(load_bundle(tiny_path)))
    assert rows[0]["name"].startswith("'=")
    from dashboard.tables import to_csv

    text = to_csv({"columns": [{"id": "name", "name": "Name"}], "rows": rows})
    assert "\n\"'=HYPERLINK" in text  # quoted by the csv module, still with its apostrophe


def test_needs_page_follows_the_ward_set(luton_engine):
    """The Needs page by 2023 wards: LSOA figures carried through output areas (checked here
    from the raw files), ward-only figures missing with the reason, and a 2023 ward's profile."""
    from collections import defaultdict

    from dashboard.maps import MapAssets, needs_map
    from dashboard.views import ward_profile
    from tests import luton_oracle as oracle

    names = {"lsoa": dict(zip(luton_engine.bundle.lsoas["code"], luton_engine.bundle.lsoas["name"]))}
    view = {"ind": "pop_total", "level": "ward", "wards": "2023", "w": {}}
    patch, _info, data = needs_update(luton_engine, view, names)
    rows, columns = data["rows"], data["columns"]
    assert len(rows) == 20 and columns[1]["name"] == luton_engine.ward_sets["2023"].label
    # Independent: every 2021 output area takes its 2011 LSOA's mid-2015 residents in proportion
    # to its 2021 residents, and goes to the 2023 ward polygon that holds it (an overlay).
    parent = {r["lsoa21_code"]: r["lsoa11_code"] for r in oracle.rows("lookup_lsoa11_lsoa21.csv")}
    total = {r["lsoa11cd"]: float(r["total_pop"]) for r in oracle.rows("lsoa_population_luton.csv")}
    areas = oracle.rows("oa21_luton_pwc_population.csv")
    residents = defaultdict(float)
    for a in areas:
        residents[parent[a["lsoa21_code"]]] += float(a["usual_residents_2021"])
    expected = defaultdict(float)
    for a, ward in zip(areas, oracle.ward_of_output_areas()):
        lsoa = parent[a["lsoa21_code"]]
        expected[ward] += total[lsoa] * float(a["usual_residents_2021"]) / residents[lsoa]
    ward_names = luton_engine.ward_sets["2023"].names
    shown = {r["area"]: float(r["value"].split()[0].replace(",", "")) for r in rows}
    assert shown == pytest.approx({ward_names[c]: round(v) for c, v in expected.items()}, abs=1)
    ops = {str(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
    assert ops["['data', 3, 'visible']"] is True and ops["['data', 1, 'visible']"] is False

    # A figure published for the 2009-2023 wards only: every 2023 ward says why it has none.
    view = {"ind": "obesity_year6_pct", "level": "ward", "wards": "2023", "w": {}}
    rows = needs_update(luton_engine, view, names)[2]["rows"]
    assert len(rows) == 20 and all("published only for Wards 2009-2023" in r["value"] for r in rows)

    profile = ward_profile(luton_engine, next(c for c, n in ward_names.items() if n == "Beech Hill"), None, "2023")
    assert profile["name"] == "Beech Hill" and profile["set_label"] == luton_engine.ward_sets["2023"].label
    assert any(s["name"].startswith("Beech Hill") for s in profile["sites"])
    # the shares of each 2011 LSOA's residents over all 2023 wards add up to one
    shares = defaultdict(float)
    for code in ward_names:
        for lsoa, share, of in luton_engine.ward_lsoas(code, "2023"):
            assert of == "residents"
            shares[lsoa] += share
    assert len(shares) == 121 and all(v == pytest.approx(1) for v in shares.values())

    fig = needs_map(luton_engine, MapAssets.of(luton_engine), {**default_state(luton_engine), "wards": "2023"})
    areas = fig.data[:-1]  # the last trace holds the ward names
    assert [len(t.geojson["features"]) for t in areas] == [19, 19, 20, 20, 121, 125]
    assert [t.visible for t in areas] == [False, False, True, True, False, False]
    assert fig.data[-1].mode == "text" and "Beech Hill" in fig.data[-1].text and not fig.data[-1].visible


def test_needs_page_by_2021_lsoas(luton_engine):
    """The 2021 LSOA level: a split 2011 LSOA gives each part its rate and shares its count by
    residents (checked from the raw lookups); the map has the 125 areas."""
    from collections import defaultdict

    from dashboard.maps import MapAssets, needs_map
    from tests import luton_oracle as oracle

    names = {"lsoa": dict(zip(luton_engine.bundle.lsoas["code"], luton_engine.bundle.lsoas["name"]))}
    lookup = oracle.rows("lookup_lsoa11_lsoa21.csv")
    parent = {r["lsoa21_code"]: r["lsoa11_code"] for r in lookup}
    rows = needs_update(luton_engine, {"ind": "idaci_score", "level": "lsoa_current", "wards": "2013", "w": {}}, names)[
        2
    ]["rows"]
    assert len(rows) == 125
    # each area is named with its ward: "Luton 007A (Sundon Park)"
    assert all(r["area"].endswith(")") for r in rows)
    shown = {r["area"].split(" (")[0]: float(r["value"].split()[0]) for r in rows}
    idaci_2011 = luton_engine.bundle.lsoa_values["idaci_score"]  # the 2011 table as loaded (checked elsewhere)
    current_names = {r["lsoa21_code"]: r["lsoa21_name"] for r in lookup}
    for r in lookup:  # every 2021 LSOA here has one 2011 parent (unchanged or split): the same rate
        # shown as a percentage to one decimal place
        assert shown[current_names[r["lsoa21_code"]]] == pytest.approx(100 * idaci_2011[r["lsoa11_code"]], abs=0.051)
    # counts of a split 2011 LSOA are shared by 2021 residents
    residents = defaultdict(float)
    for a in oracle.rows("oa21_luton_pwc_population.csv"):
        residents[a["lsoa21_code"]] += float(a["usual_residents_2021"])
    total = {r["lsoa11cd"]: float(r["total_pop"]) for r in oracle.rows("lsoa_population_luton.csv")}
    rows = needs_update(luton_engine, {"ind": "pop_total", "level": "lsoa_current", "wards": "2013", "w": {}}, names)[
        2
    ]["rows"]
    shown = {r["area"].split(" (")[0]: float(r["value"].split()[0].replace(",", "")) for r in rows}
    for r in (r for r in lookup if r["change_code"] == "S"):
        siblings = [c for c, p in parent.items() if p == r["lsoa11_code"]]
        expected = total[r["lsoa11_code"]] * residents[r["lsoa21_code"]] / sum(residents[c] for c in siblings)
        assert shown[current_names[r["lsoa21_code"]]] == pytest.approx(expected, abs=1)

    fig = needs_map(luton_engine, MapAssets.of(luton_engine), {**default_state(luton_engine), "level": "lsoa_current"})
    assert len(fig.data[-2].geojson["features"]) == 125 and fig.data[-2].visible
    assert not any(t.visible for t in fig.data[:-2])


def test_a_table_is_one_component_whatever_its_rows(luton_engine):
    """Dash gives every component a store subscription and mounting many at once is quadratic
    (a 216-row table froze the page for about 20 s): a table renders as one Markdown block of
    escaped HTML, its cells never markup."""
    from dash import dcc

    from dashboard.tables import render

    data = {
        "columns": [{"id": "a", "name": "Area"}, {"id": "n", "name": "Children"}],
        "rows": [{"a": f"<b>LSOA {i}</b>", "n": i, "_class": "nm-warn" if i == 3 else None} for i in range(500)],
    }
    table = render(data, "Who loses access", "lost", {"col": "n", "dir": "descending"}, "")
    assert isinstance(table, dcc.Markdown) and table.dangerously_allow_html
    text = table.children
    assert text.count("<tr") == 501 and "\n\n" not in text  # a blank line would end the HTML block
    assert "<b>" not in text and "&lt;b&gt;LSOA 499&lt;/b&gt;" in text
    assert text.index("LSOA 499") < text.index("LSOA 0&lt;")  # sorted descending by n
    assert 'aria-sort="descending"' in text and '<tr class="nm-warn">' in text


def test_the_first_page_load_carries_one_copy_of_the_ward_boundaries(luton_app, luton_engine):
    """The layout holds the Needs map's ward boundaries once; the hidden Sites and Access maps and
    the LSOA levels get theirs when first shown (callbacks/state.py draw_sites_map,
    draw_access_map, draw_needs_lsoas)."""
    import json

    layout = json.loads(luton_app.server.test_client().get("/_dash-layout").data)

    def figure_of(node, graph_id):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == graph_id:
                return node["props"]["figure"]
            node = list(node.get("props", node).values())
        for child in node if isinstance(node, list) else []:
            found = figure_of(child, graph_id)
            if found is not None:
                return found
        return None

    first_ward = f'"id": "{luton_engine.ward_sets[luton_engine.primary_ward_set].codes[0]}"'
    needs_map = json.dumps(figure_of(layout, ids.NEEDS_MAP))
    assert json.dumps(layout).count(first_ward) == needs_map.count(first_ward) >= 1  # only the Needs map's
    assert figure_of(layout, ids.SITES_MAP)["data"][0]["geojson"]["features"] == []
    # the LSOA levels' values come with their boundaries, when a level is first shown
    from dashboard.figures import needs_trace_index

    sets = list(luton_engine.ward_sets)
    for level in ("lsoa", "lsoa_current"):
        trace = figure_of(layout, ids.NEEDS_MAP)["data"][needs_trace_index(sets, level, sets[0])[1]]
        assert "geojson" not in trace and trace["locations"] == []
