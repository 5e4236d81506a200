"""Catchments and site load (issue 14, engine and CLI): nearest-site allocation checked against
an independent straight-line computation, the capacitated assignment against brute force."""

import io
import itertools
import json

import numpy as np
import pytest

from geo.catchments import capacitated_assignment, catchments, compare_catchments
from geo.cli import main
from geo.errors import ScenarioError
from geo.results import weighted_quantile


def test_every_origin_is_assigned_once_and_catchments_add_up(luton_engine):
    e = luton_engine
    result = catchments(e, e.scenario("proposed_2020"), mode="walk", minutes=20)
    members = sum(s.origins for s in result.sites)
    with_site = sum(a is not None for a in result.assigned)
    assert members == with_site == len(e.origins.xy)  # each origin in exactly one catchment
    assert sum(s.population for s in result.sites) == pytest.approx(result.with_a_site)
    assert result.with_a_site == pytest.approx(result.population.sum())  # every origin has a located site here
    for s in result.sites:
        assert sum(s.by_decile.values()) == pytest.approx(s.population)
        assert 0 <= s.most_deprived_share <= 1 and s.mean_minutes <= s.p90_minutes + 1e-9


def test_straight_line_catchments_match_an_independent_nearest_site(luton_engine):
    """With detour "none", catchments are nearest by straight line: recomputed here from the
    register's coordinates with plain numpy."""
    e = luton_engine
    scenario = e.scenario("current_2020")
    result = catchments(e, scenario, detour="none", minutes=20)
    open_ids = [s for s in e.open_site_ids(scenario) if s in e.bundle.located_sites.index]
    located = e.bundle.located_sites.loc[open_ids]
    xy = located[["x", "y"]].to_numpy(float)
    d = np.hypot(e.origins.xy[:, None, 0] - xy[None, :, 0], e.origins.xy[:, None, 1] - xy[None, :, 1])
    nearest = np.array(open_ids)[d.argmin(axis=1)]
    people = e.origin_population[e.default_population]
    for s in result.sites:
        assert s.population == pytest.approx(people[nearest == s.site].sum())
        assert s.origins == int((nearest == s.site).sum())


def test_who_changes_site_and_minutes_added(luton_engine):
    e = luton_engine
    change = compare_catchments(e, e.scenario("current_2020"), e.scenario("proposed_2020"), minutes=20)
    before, after = change.base, change.alt
    # a different site, except Leagrave Children's Centre -> the Leagrave hub placed at its point
    changed = np.array(
        [a != b and (a, b) != ("leagrave", "hub_leagrave_tbc") for a, b in zip(before.assigned, after.assigned)]
    )
    assert (change.changed == changed).all()
    assert change.people_changing_site == pytest.approx(after.population[changed].sum())
    rows = {r["site"]: r for r in change.site_rows()}
    hub = rows["hub_manor"]
    assert (
        hub["status"] == "opens"
        and hub["before"] == 0
        and hub["after"] == pytest.approx(after.load("hub_manor").population, abs=0.05)
    )
    assert sum(r["after"] for r in rows.values()) == pytest.approx(after.with_a_site, abs=0.1 * len(rows))
    move = change.moves()[0]
    i = list(e.origins.label).index(move["origin"])
    assert move["added_minutes"] == pytest.approx(after.minutes[i] - before.minutes[i], abs=0.051)
    assert move["site_after"] == after.assigned[i] and move["site_before"] == before.assigned[i]


def _brute_force(minutes, demand, capacity, reachable):
    """Most people served, then least minutes, over every whole assignment (unit demands)."""
    n_origins, n_sites = minutes.shape
    best = None
    for choice in itertools.product(
        *[[None] + [j for j in range(n_sites) if reachable[i, j]] for i in range(n_origins)]
    ):
        load = np.zeros(n_sites)
        for i, j in enumerate(choice):
            if j is not None:
                load[j] += demand[i]
        if (load > capacity + 1e-9).any():
            continue
        served = sum(demand[i] for i, j in enumerate(choice) if j is not None)
        travel = sum(demand[i] * minutes[i, j] for i, j in enumerate(choice) if j is not None)
        key = (-served, travel)
        if best is None or key < best:
            best = key
    return -best[0], best[1]


@pytest.mark.parametrize("seed", range(12))
def test_capacitated_assignment_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_origins, n_sites = 6, 3
    minutes = rng.integers(1, 30, size=(n_origins, n_sites)).astype(float)
    demand = np.ones(n_origins)
    capacity = rng.integers(0, 4, size=n_sites).astype(float)
    reachable = minutes <= 20
    served = capacitated_assignment(minutes, demand, capacity, reachable)
    want_served, want_travel = _brute_force(minutes, demand, capacity, reachable)
    assert served.sum() == pytest.approx(want_served, abs=1e-6)
    assert (served * minutes).sum() == pytest.approx(want_travel, abs=1e-6)
    assert (served.sum(axis=0) <= capacity + 1e-6).all() and (served.sum(axis=1) <= demand + 1e-6).all()
    assert (served[~reachable] == 0).all()


def test_unlimited_capacity_is_nearest_site_allocation(luton_engine):
    e = luton_engine
    scenario = e.scenario("proposed_2020")
    capacity = {s: 1e12 for s in e.open_site_ids(scenario)}  # known, but never binding
    result = catchments(e, scenario, capacity=capacity, minutes=20)
    free = catchments(e, scenario, minutes=20)
    covered = free.minutes <= 20
    for s in result.sites:
        nearest_and_covered = np.array([a == s.site for a in free.assigned]) & covered
        assert s.served == pytest.approx(free.population[nearest_and_covered].sum(), rel=1e-9, abs=1e-6)
        assert s.beyond_capacity == pytest.approx(0, abs=1e-6)
    assert result.capacity.served == pytest.approx(free.population[covered].sum())
    assert result.capacity.not_covered == pytest.approx(free.population[~covered].sum())


def test_a_full_site_sends_people_beyond_capacity(luton_engine):
    e = luton_engine
    scenario = e.scenario("proposed_2020")
    free = catchments(e, scenario, minutes=20)
    covered = free.minutes <= 20
    result = catchments(e, scenario, capacity={s: 0 for s in e.open_site_ids(scenario)}, minutes=20)
    assert result.capacity.served == 0
    assert result.capacity.beyond_capacity == pytest.approx(free.population[covered].sum())
    with pytest.raises(ScenarioError, match="capacity"):
        catchments(e, scenario, capacity={"hub_manor": -1}, minutes=20)


def test_weighted_quantile_by_hand():
    # people: 8 at 1 min, 1 at 5 min, 1 at 10 min: 90% live within 5 minutes, 100% within 10
    assert weighted_quantile(np.array([10.0, 1.0, 5.0]), np.array([1.0, 8.0, 1.0]), 0.9) == 5.0
    assert weighted_quantile(np.array([10.0, 1.0, 5.0]), np.array([1.0, 8.0, 1.0]), 0.8) == 1.0
    assert np.isnan(weighted_quantile(np.array([1.0]), np.array([0.0]), 0.9))


def test_cli_catchments_json_contract_and_errors(luton_engine):
    out = io.StringIO()
    code = main(["catchments", "--scenario", "proposed_2020", "--compare", "current_2020", "--json"], out=out)
    assert code == 0
    d = json.loads(out.getvalue())
    assert set(d) == {
        "base",
        "alt",
        "sites",
        "people_whose_site_changes",
        "mean_added_minutes",
        "origins_whose_site_changes",
    }
    assert sum(s["population"] for s in d["alt"]["sites"]) == pytest.approx(
        d["alt"]["population_with_a_located_site"], abs=0.1 * len(d["alt"]["sites"])
    )
    assert {r["site"] for r in d["sites"]} >= {"hub_manor", "hub_leagrave_tbc", "denbigh"}
    err = io.StringIO()
    assert main(["catchments", "--scenario", "proposed_2020", "--capacity", "hub_manor=lots"], err=err) == 2
    assert err.getvalue().strip() == "error: --capacity 'hub_manor=lots': expected SITE=PEOPLE with a number 0 or more"
    err = io.StringIO()
    assert main(["catchments", "--scenario", "proposed_2020", "--compare", "nothing"], err=err) == 2
    assert "unknown scenario 'nothing'" in err.getvalue()


def _with_capacity(folder, values: dict[str, str]):
    from bundle_factory import replace_in

    replace_in(folder / "bundle.toml", 'lon = "lon"\n', 'lon = "lon"\ncapacity = "places"\n')
    lines = (folder / "sites.csv").read_text().splitlines()
    lines = [lines[0] + ",places"] + [f"{line},{values.get(line.split(',')[0], '')}" for line in lines[1:]]
    (folder / "sites.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_tiny_catchments_by_hand(tiny_path):
    """Tiny bundle (tests/bundle_factory.py): routes are 1.5 x the straight line, so L1 (500,1000)
    and L2 (1500,1000) are nearest s1 (800,1400) (500 m and 806 m against 3,300 m and 2,335 m to
    s2), L3 and L4 nearest s2. Populations 100, 200, 300, 400; deciles 1, 2, 5, 9."""
    from geo import Engine, load_bundle

    e = Engine(load_bundle(_with_capacity(tiny_path, {"s1": "150", "s3": '"1,000"'})))
    result = catchments(e, e.scenario("current"), minutes=60)  # the bundle's default population
    s1, s2 = result.load("s1"), result.load("s2")
    people = e.origin_population[e.default_population]
    assert s1.population == pytest.approx(people[0] + people[1]) and s2.population == pytest.approx(
        people[2] + people[3]
    )
    assert s1.by_decile == {1: pytest.approx(people[0]), 2: pytest.approx(people[1])}
    assert s1.most_deprived_share == pytest.approx(1.0) and s2.most_deprived_share == pytest.approx(0.0)
    # minutes: 1.5 x straight metres / 80 m per minute
    m1 = 1.5 * np.hypot(300, 400) / 80
    m2 = 1.5 * np.hypot(700, 400) / 80
    assert s1.mean_minutes == pytest.approx((m1 * people[0] + m2 * people[1]) / (people[0] + people[1]))
    # register capacity: s1 holds 150 people (blank = unknown for s2, treated as unlimited)
    assert s1.capacity == 150 and s2.capacity is None
    assert s1.served == pytest.approx(min(150, people[0] + people[1]))
    assert result.capacity.unknown_capacity == ["s2"]


def test_negative_register_capacity_names_file_row_and_field(tiny_path):
    from geo import load_bundle
    from geo.errors import BundleError

    with pytest.raises(BundleError) as info:
        load_bundle(_with_capacity(tiny_path, {"s2": "-5"}))
    assert (info.value.file, info.value.row, info.value.field) == ("sites.csv", 3, "places")


def test_nearest_stop_matches_the_register_read_independently(luton_engine):
    """The nearest active NaPTAN stop by estimated walking route is the nearest by straight line
    (the route model grows with the straight line), recomputed here from the raw CSV."""
    import csv

    from conftest import LUTON
    from geo.catchments import nearest_stops

    with open(LUTON / "naptan_stops_luton.csv", encoding="utf-8") as f:
        stops = [r for r in csv.DictReader(f) if r["Status"] == "active"]
    xy = np.array([[float(r["Easting"]), float(r["Northing"])] for r in stops])
    e = luton_engine
    scenario = e.scenario("proposed_2020")
    found = nearest_stops(e, scenario, e.open_site_ids(scenario))
    assert set(found) == set(e.open_site_ids(scenario))
    for site, stop in found.items():
        x, y = e.site_xy[e.site_ids.index(site)]
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        assert stop["stop_id"] == stops[int(d.argmin())]["ATCOCode"]
        assert stop["straight_m"] == pytest.approx(d.min())
        assert stop["walk_m"] >= stop["straight_m"]


def test_access_site_table(luton_engine):
    from dashboard.callbacks.catchments import site_load_data
    from geo.viewstate import default_state

    e = luton_engine
    data, summary = site_load_data(e, {**default_state(e), "page": "access"})  # proposed against current
    assert summary == ""  # no capacity set
    rows = {r["site"]: r for r in data["rows"]}
    people = e.origin_population[e.default_population].sum()
    assert sum(r["after"] for r in rows.values()) == pytest.approx(people, abs=len(rows))
    assert sum(r["before"] for r in rows.values()) == pytest.approx(people, abs=len(rows))
    manor = next(r for k, r in rows.items() if k.startswith("Manor Contact Centre"))
    assert manor["status"] == "opens" and manor["before"] == 0 and manor["stop"] and manor["stop_walk_m"] > 0
    assert all(r["capacity"] == "unknown" for r in rows.values())  # no capacity is published
    assert {c["id"] for c in data["columns"]} >= {"site", "status", "before", "after", "change", "stop"}


def test_map_layers_catchment_and_added_minutes(luton_engine):
    import pandas as pd

    from dashboard.figures import CATCHMENT_COLOURS, access_values
    from dashboard.views import evaluations, lsoa_added_minutes, lsoa_map_arrays
    from geo.viewstate import default_state

    e = luton_engine
    state = {**default_state(e), "page": "access"}  # proposed against current
    alt, base = evaluations(e, state)
    minutes, names, base_minutes = lsoa_map_arrays(e, alt, base)
    layer = access_values(minutes, names, base_minutes, "catchment", "a 20-minute walk")
    sites = sorted(set(names))
    assert len(sites) <= len(CATCHMENT_COLOURS)
    for z, name in zip(layer["z"], names):
        assert sites[int(z)] == name  # each area coloured by its own nearest site
    assert layer["zmin"] == -0.5 and layer["zmax"] == len(sites) - 0.5
    # added minutes, recomputed with pandas: origins whose nearest site changes (to one at
    # another point: the Leagrave hub stands at Leagrave Children's Centre), by LSOA
    same_point = (base.nearest == "leagrave") & (alt.nearest == "hub_leagrave_tbc")
    frame = pd.DataFrame(
        {
            "lsoa": e.origins.lsoa_code,
            "changed": (alt.nearest != base.nearest) & ~same_point,
            "added": alt.minutes - base.minutes,
            "people": alt.population,
        }
    )
    moved = frame[frame["changed"]]
    want = (moved["added"] * moved["people"]).groupby(moved["lsoa"]).sum() / moved.groupby("lsoa")["people"].sum()
    got = pd.Series(lsoa_added_minutes(e, alt, base), index=e.bundle.lsoa_values.index)
    assert got.dropna().index.sort_values().tolist() == want.dropna().index.sort_values().tolist()
    assert np.allclose(got[want.index], want)
    layer = access_values(minutes, names, base_minutes, "added", "a 20-minute walk", lsoa_added_minutes(e, alt, base))
    assert layer["colorbar_title"].startswith("Minutes added") and layer["zmin"] == -layer["zmax"]


def test_capacities_set_for_a_scenario_travel_in_the_link_and_fill_the_site_table(luton_engine):
    from dashboard.callbacks.catchments import site_load_data
    from dashboard.callbacks.state import apply_event
    from geo.viewstate import decode, default_state, encode

    e = luton_engine
    state = {**default_state(e), "page": "access"}
    state, msgs = apply_event(e, state, "cap_set", None, {"cap_site": "hub_manor", "cap_value": "1500"})
    assert msgs.get("cap_error", "") == "" and state["cap"] == {"hub_manor": 1500.0}
    for bad in ("-3", "lots", None, "1e308"):
        same, msgs = apply_event(e, state, "cap_set", None, {"cap_site": "hub_manor", "cap_value": bad})
        assert same == state and msgs["cap_error"].startswith("A capacity is a number of people")
    same, msgs = apply_event(e, state, "cap_set", None, {"cap_site": "nowhere", "cap_value": "5"})
    assert same == state and msgs["cap_error"] == "Choose the site."
    assert decode(e, encode(state)) == (state, [])  # restored exactly from the link
    data, summary = site_load_data(e, state)
    want = catchments(e, e.scenario("proposed_2020"), capacity={"hub_manor": 1500.0}, minutes=20, mode="walk")
    c = want.capacity
    assert summary.startswith(
        f"With the capacities set: served {c.served:,.0f}; in a catchment but beyond capacity {c.beyond_capacity:,.0f}"
    )
    manor = next(r for r in data["rows"] if r["site"].startswith("Manor Contact Centre"))
    assert manor["capacity"] == 1500 and manor["served"] == round(want.load("hub_manor").served) <= 1500
    cleared, _ = apply_event(e, state, "cap_clear", None, {})
    assert cleared["cap"] == {}


def test_bad_capacities_in_a_link_are_ignored_with_a_notice(luton_engine):
    from geo.viewstate import decode

    state, notices = decode(luton_engine, "?page=access&cap=hub_manor:-1,nosite:3,hub_leagrave_tbc:250")
    assert state["cap"] == {"hub_leagrave_tbc": 250.0} and state["page"] == "access"
    assert notices == [
        "The link's site capacity 'hub_manor:-1' is not valid here and was ignored.",
        "The link's site capacity 'nosite:3' is not valid here and was ignored.",
    ]


def _redmean(a: str, b: str) -> float:
    """The "redmean" colour distance, written out again here for the check."""
    r1, g1, b1 = int(a[1:3], 16), int(a[3:5], 16), int(a[5:7], 16)
    r2, g2, b2 = int(b[1:3], 16), int(b[3:5], 16), int(b[5:7], 16)
    rm = (r1 + r2) / 2
    return ((2 + rm / 256) * (r1 - r2) ** 2 + 4 * (g1 - g2) ** 2 + (2 + (255 - rm) / 256) * (b1 - b2) ** 2) ** 0.5


def test_neighbouring_catchments_get_colours_far_apart():
    from dashboard.figures import CATCHMENT_COLOURS, catchment_colours

    # areas 0-1-2 in a row, each its own catchment; B touches both others, A and C do not touch
    colours = catchment_colours(["A", "B", "C"], ["A", "B", "C"], [(0, 1), (1, 2)])
    assert colours[1] == CATCHMENT_COLOURS[0]  # most neighbours: coloured first, first colour
    rest = CATCHMENT_COLOURS[1:]
    farthest = max(rest, key=lambda p: (_redmean(p, colours[1]), -rest.index(p)))
    assert colours[0] == farthest  # A: the colour farthest from B's
    rest = [p for p in rest if p != farthest]
    assert colours[2] == max(rest, key=lambda p: (_redmean(p, colours[1]), -rest.index(p)))
    assert len(set(colours)) == 3


def test_luton_catchment_layer_numbers_sites_and_separates_neighbours(luton_engine):
    from dashboard.figures import CATCHMENT_COLOURS, catchment_values, site_styles
    from dashboard.maps import MapAssets
    from dashboard.views import lsoa_map_arrays

    e = luton_engine
    assets = MapAssets.of(e)
    alt = e.evaluate(e.scenario("current_2020"))
    _, names, _ = lsoa_map_arrays(e, alt, None)
    values = catchment_values(names, "20 min", assets.lsoa_neighbours)
    order = sorted({n for n in names if n})
    assert values["numbers"] == {n: i + 1 for i, n in enumerate(order)}
    colour_of = {n: values["colorscale"][2 * i][1] for i, n in enumerate(order)}
    assert len(set(colour_of.values())) == len(order)
    touching = {
        (names[i], names[j]) for i, j in assets.lsoa_neighbours if names[i] and names[j] and names[i] != names[j]
    }
    assert touching  # catchments do share boundaries
    closest = min(_redmean(colour_of[a], colour_of[b]) for a, b in touching)
    plain = {n: CATCHMENT_COLOURS[i] for i, n in enumerate(order)}
    assert closest > min(_redmean(plain[a], plain[b]) for a, b in touching)  # farther apart than the palette's order
    styles = site_styles(e.bundle.located_sites, e.site_statuses(alt.scenario), {}, values["numbers"])
    sites = e.bundle.located_sites
    for site, text, colour in zip(sites.index, styles["labels"], styles["marker_color"]):
        name = sites.at[site, "name"]
        if site in alt.open_ids and name in values["numbers"]:
            assert text == str(values["numbers"][name]) and colour == "white"
        else:
            assert text == ""


def test_added_and_moved_sites_carry_their_catchment_numbers(luton_engine):
    """On the catchment layer a site the user added or moved has its colour-bar number on its
    marker, as register sites do; on other layers it keeps the plain triangle."""
    from dash import Patch

    from dashboard.figures import ACCESS_TRACE, access_patch, added_styles, catchment_values, site_styles
    from dashboard.maps import MapAssets
    from dashboard.views import added_points, evaluations, lsoa_map_arrays
    from geo.viewstate import default_state

    e = luton_engine
    assets = MapAssets.of(e)
    # an added site at the population-weighted centroid of the LSOA farthest from the proposed sites
    farthest = e.evaluate(e.scenario("proposed_2020"))
    worst = int(np.argmax(farthest.minutes))
    lon, lat = e.bundle.to_lonlat(*e.origins.xy[worst])
    state = {
        **default_state(e),
        "base": "proposed_2020",
        "colour": "catchment",
        "add": [f"Far corner@{lat:.6f},{lon:.6f}"],
        "move": {"hub_leagrave_tbc": "Leagrave hub@LU4 9DD"},
    }
    alt, _ = evaluations(e, state)
    _, names, _ = lsoa_map_arrays(e, alt, None)
    values = catchment_values(names, "20 min", assets.lsoa_neighbours)
    added = added_points(e, state)
    assert added["names"] == ["Far corner", e.site_label("hub_leagrave_tbc")]
    assert all(n in values["numbers"] for n in added["names"])  # both serve some area
    marks = added_styles(added, values["numbers"])
    assert marks["labels"] == [str(values["numbers"][n]) for n in added["names"]]
    assert marks["marker_color"] == ["white", "white"] and marks["mode"] == "markers+text"
    # the numbers are the colour bar's: "<b>N</b> name"
    for n in added["names"]:
        assert values["ticktext"][values["numbers"][n] - 1].startswith(f"<b>{values['numbers'][n]}</b> ")
    # no number twice: the moved site's register marker is not numbered
    statuses = e.site_statuses(alt.scenario)
    register = [t for t in site_styles(e.bundle.located_sites, statuses, {}, values["numbers"])["labels"] if t]
    assert sorted(register + marks["labels"], key=int) == [str(i + 1) for i in range(len(values["numbers"]))]
    # the map patch carries them, with the hover kept in hovertext
    patch = access_patch(Patch(), values, site_styles(e.bundle.located_sites, statuses, {}), added).to_plotly_json()
    ops = {tuple(op["location"]): op["params"]["value"] for op in patch["operations"]}
    trace = ACCESS_TRACE["added"]
    assert ops[("data", trace, "text")] == marks["labels"]
    assert ops[("data", trace, "hovertext")] == added["text"]
    # another layer: no numbers, the orange triangle
    plain = added_styles(added, None)
    assert plain["labels"] == ["", ""] and plain["mode"] == "markers" and "white" not in plain["marker_color"]
