"""Property tests (hypothesis) on the Luton engine."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SITES = [
    "denbigh",
    "redgrave",
    "gill_blowers_leabank",
    "park_town",
    "whipperley",
    "the_mall",
    "dallow",
    "pastures_way",
    "foxdell",
    "beechwood",
    "mossdale_court",
    "leagrave",
    "blenheim_crescent",
    "hub_manor",
    "hub_leagrave_tbc",
    "outreach_london_road",
    "outreach_beech_hill",
    "limbury",
]
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

site_sets = st.sets(st.sampled_from(SITES), max_size=6)
modes = st.sampled_from(["walk", "cycle", "car"])


@FAST
@given(open_=site_sets, extra=st.sampled_from(SITES), minutes=st.floats(1, 60), mode=modes)
def test_opening_a_site_never_lowers_coverage(luton_engine, open_, extra, minutes, mode):
    e = luton_engine
    before = e.coverage(e.scenario(None, open=open_ - {extra}), minutes=minutes, mode=mode)
    after = e.coverage(e.scenario(None, open=open_ | {extra}), minutes=minutes, mode=mode)
    assert after.covered >= before.covered
    assert (after.origins["minutes"] <= before.origins["minutes"]).all()


@FAST
@given(open_=site_sets, t1=st.floats(0.5, 90), t2=st.floats(0.5, 90), mode=modes)
def test_coverage_never_falls_as_threshold_rises(luton_engine, open_, t1, t2, mode):
    e = luton_engine
    lo, hi = sorted((t1, t2))
    s = e.scenario(None, open=open_)
    assert e.coverage(s, minutes=hi, mode=mode).covered >= e.coverage(s, minutes=lo, mode=mode).covered


@FAST
@given(d=st.lists(st.floats(0, 50_000), min_size=1, max_size=50))
def test_estimated_route_is_never_shorter_than_straight_line(luton_engine, d):
    route = luton_engine.detour.network_m(np.array(d))
    assert (route >= np.array(d) - 1e-9).all()
    order = np.argsort(d)
    assert (np.diff(route[order]) >= -1e-9).all()  # a farther place is never estimated nearer


@FAST
@given(open_=site_sets, minutes=st.floats(1, 60), population=st.sampled_from(["age_0_15", "total"]))
def test_ward_and_decile_rows_sum_to_totals(luton_engine, open_, minutes, population):
    res = luton_engine.coverage(luton_engine.scenario(None, open=open_), minutes=minutes, population=population)
    for table in (res.by_ward, res.by_imd_decile):
        assert np.isclose(table["total"].sum(), res.total)
        assert np.isclose(table["covered"].sum(), res.covered)
