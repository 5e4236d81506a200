"""The optimiser: exact answers checked by brute force, against spopt, and by properties."""

import io
import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import BundleError, ScenarioError
from geo.cli import main
from geo.optimise import csv_candidates, optimise, parse_candidates, solve_mclp, solve_pmedian


def _highs_through_pulp(seconds: int):
    """spopt's models are PuLP problems: HiGHS through PuLP, quietly, with a time limit."""
    import pulp

    return pulp.HiGHS(msg=False, timeLimit=seconds)


def brute_mclp(cover, weights, fixed_cover, p):
    best = -1.0
    for combo in itertools.combinations(range(cover.shape[1]), p):
        covered = fixed_cover | cover[:, list(combo)].any(axis=1)
        best = max(best, float(weights[covered].sum()))
    return best


def brute_median(minutes, weights, fixed_minutes, p):
    best = np.inf
    for combo in itertools.combinations(range(minutes.shape[1]), p):
        nearest = np.minimum(fixed_minutes, minutes[:, list(combo)].min(axis=1))
        best = min(best, float((weights * nearest).sum()))
    return best


def random_problem(seed, n_o=12, n_c=7, with_fixed=True):
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(1, 40, size=(n_o, n_c)).round(1)
    weights = rng.integers(1, 100, size=n_o).astype(float)
    fixed = rng.uniform(5, 50, size=n_o).round(1) if with_fixed else np.full(n_o, np.inf)
    return minutes, weights, fixed


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_fixed", [False, True])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_solvers_match_brute_force(seed, with_fixed, p):
    minutes, weights, fixed = random_problem(seed, with_fixed=with_fixed)
    threshold = 15.0
    chosen, optimal, _ = solve_mclp(minutes <= threshold, weights, fixed <= threshold, p)
    covered = (fixed <= threshold) | (minutes[:, chosen] <= threshold).any(axis=1)
    assert optimal and len(chosen) == p == len(set(chosen))
    assert weights[covered].sum() == brute_mclp(minutes <= threshold, weights, fixed <= threshold, p)
    for method in ("ip", "enumerate", "lagrangian"):
        chosen, optimal, _ = solve_pmedian(minutes, weights, fixed, p, method=method)
        value = float((weights * np.minimum(fixed, minutes[:, chosen].min(axis=1))).sum())
        assert optimal and len(chosen) == p
        assert value == pytest.approx(brute_median(minutes, weights, fixed, p)), method


@pytest.mark.parametrize("seed", range(40))
def test_the_lagrangian_method_finds_the_brute_force_optimum_and_proves_it(seed):
    """Larger random problems than the test above (30 origins, 12 candidates, p = 1 to 5, with
    and without fixed sites, minutes rounded so that ties occur): whatever path the method takes
    (the bound closes, or a search on what it leaves), the answer is the least cost and proven."""
    rng = np.random.default_rng(1000 + seed)
    p = 1 + seed % 5
    minutes, weights, fixed = random_problem(seed, n_o=30, n_c=12, with_fixed=seed % 2 == 0)
    minutes = (minutes / 5).round() * 5  # ties between candidates
    weights[rng.random(30) < 0.1] = 0.0  # some origins of no weight
    chosen, optimal, status = solve_pmedian(minutes, weights, fixed, p, method="lagrangian")
    value = float((weights * np.minimum(fixed, minutes[:, chosen].min(axis=1))).sum())
    assert optimal and len(chosen) == p == len(set(chosen)), status
    assert value == pytest.approx(brute_median(minutes, weights, fixed, p), rel=1e-12), status


@pytest.mark.parametrize("seed", range(30))
def test_maximal_covering_after_its_reductions_finds_the_brute_force_optimum(seed):
    """Covers with repeated and nested candidates (what the reductions remove) and p = 1 to 5:
    the enumeration (p <= 2) and the integer program on the reduced problem agree with brute force."""
    rng = np.random.default_rng(2000 + seed)
    p = 1 + seed % 5
    base = rng.random((30, 6)) < 0.3
    extra = base[:, rng.integers(0, 6, 6)] & (rng.random((30, 6)) < 0.7)  # copies and subsets
    cover = np.concatenate([base, extra], axis=1)
    weights = rng.integers(0, 50, 30).astype(float)
    fixed_cover = rng.random(30) < 0.2
    chosen, optimal, status = solve_mclp(cover, weights, fixed_cover, p)
    covered = fixed_cover | cover[:, chosen].any(axis=1)
    assert optimal and len(chosen) == p == len(set(chosen)), status
    assert weights[covered].sum() == brute_mclp(cover, weights, fixed_cover, p), status


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(1, 2))
def test_adding_a_candidate_never_makes_the_optimum_worse(seed, p):
    minutes, weights, fixed = random_problem(seed, n_o=10, n_c=6)
    t = 12.0
    fewer, _, _ = solve_mclp(minutes[:, :5] <= t, weights, fixed <= t, p)
    more, _, _ = solve_mclp(minutes <= t, weights, fixed <= t, p)

    def cov(m, ch):
        return weights[(fixed <= t) | (m[:, ch] <= t).any(axis=1)].sum()

    assert cov(minutes, more) >= cov(minutes[:, :5], fewer)
    fewer, _, _ = solve_pmedian(minutes[:, :5], weights, fixed, p, method="ip")
    more, _, _ = solve_pmedian(minutes, weights, fixed, p, method="ip")

    def med(m, ch):
        return (weights * np.minimum(fixed, m[:, ch].min(axis=1))).sum()

    assert med(minutes, more) <= med(minutes[:, :5], fewer) + 1e-6


LEAGRAVE_AREA = "postcodes:Leagrave,Lewsey,Limbury,Sundon Park"
FIXED = ["hub_manor", "outreach_london_road", "outreach_beech_hill"]


def _spopt_inputs(engine, candidates, mode="walk"):
    """spopt's inputs for the same problem: minutes (fixed sites first), weights, predefined mask."""
    speed = engine.modes[mode].metres_per_minute
    fixed_cols = [engine.route_matrix[:, engine.site_ids.index(s)] for s in FIXED]
    cand = engine.travel_model.route_m(engine.origins.xy, candidates.xy)
    predefined = np.array([1] * len(FIXED) + [0] * len(candidates.ids))
    return np.column_stack(fixed_cols + [cand]) / speed, engine.origin_population[engine.default_population], predefined


def test_luton_mclp_agrees_with_spopt(luton_engine):
    from spopt.locate import MCLP

    e = luton_engine
    candidates = parse_candidates(e, "sites", exclude=FIXED)
    res = optimise(e, objective="coverage", p=2, fixed=FIXED, candidates=candidates, minutes=20)
    cost, weights, predefined = _spopt_inputs(e, candidates)
    model = MCLP.from_cost_matrix(
        cost, weights, service_radius=20.0, p_facilities=len(FIXED) + 2, predefined_facilities_arr=predefined
    )
    model = model.solve(_highs_through_pulp(60))
    assert res.optimal
    assert res.objective_value == pytest.approx(model.problem.objective.value())
    assert res.covered_after == pytest.approx(model.problem.objective.value())


def test_luton_pmedian_agrees_with_spopt(luton_engine):
    from spopt.locate import PMedian

    e = luton_engine
    candidates = parse_candidates(e, "sites", exclude=FIXED)
    res = optimise(e, objective="median", p=1, fixed=FIXED, candidates=candidates, minutes=20)
    cost, weights, predefined = _spopt_inputs(e, candidates)
    model = PMedian.from_cost_matrix(cost, weights, p_facilities=len(FIXED) + 1, predefined_facilities_arr=predefined)
    model = model.solve(_highs_through_pulp(60))
    assert res.objective_value == pytest.approx(model.problem.objective.value(), rel=1e-9)


def test_leagrave_hub_question(luton_engine):
    """With Manor and both outreach bases fixed, where in the Leagrave area should the second
    hub go for a 20-minute walk, and how much better is it than the Leagrave Centre?"""
    e = luton_engine
    candidates = parse_candidates(e, LEAGRAVE_AREA)
    assert len(candidates.ids) > 200
    res = optimise(
        e, objective="coverage", p=1, fixed=FIXED, candidates=candidates, minutes=20, baseline="hub_leagrave_tbc"
    )
    assert res.optimal
    chosen = res.chosen[0]
    # check the answer directly with the engine: fixed sites + the chosen point
    check = e.coverage(e.scenario(None, open=FIXED, add=[chosen["spec"]]), minutes=20)
    assert check.covered == pytest.approx(res.covered_after, abs=1.0)
    proposed = e.coverage(e.scenario("proposed_2020"), minutes=20).covered
    assert res.baseline["covered"] == pytest.approx(proposed, abs=0.05)
    assert res.baseline["gain_of_optimum"] == pytest.approx(res.covered_after - proposed, abs=0.1)
    assert res.covered_after >= proposed  # the Leagrave Centre postcode is itself a candidate


def test_gains_are_marginal_contributions(luton_engine):
    e = luton_engine
    res = optimise(e, objective="coverage", p=2, fixed=[], candidates=parse_candidates(e, "lsoas"), minutes=15)
    specs = [c["spec"] for c in res.chosen]
    both = e.coverage(e.scenario(None, add=specs), minutes=15).covered
    for i, row in enumerate(res.chosen):
        alone = e.coverage(e.scenario(None, add=[specs[1 - i]]), minutes=15).covered
        assert row["gain"] == pytest.approx(both - alone, abs=1.0)


def test_candidates_csv_validation(luton_engine, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("\ufeffname,postcode,lat,lon\nA,LU4 0PE,,\nB,,51.89,-0.43\n")
    cands = csv_candidates(luton_engine, good)
    assert cands.labels == ["A", "B"]
    cases = {
        "name,postcode\n,LU4 0PE\n": ("row 2", "name", "is blank"),
        "name,postcode\nA,ZZ9 9ZZ\n": ("row 2", "postcode", "not in this area's postcode list"),
        "name,lat,lon\nA,51.89,-0.43\nB,-0.43,51.89\n": ("row 3", "lat", "outside"),
        "name,postcode\n=HYPERLINK(1),LU4 0PE\n": ("row 2", "name", "formula"),
        "title,postcode\nA,LU4 0PE\n": (None, "name", "missing column"),
        "name,postcode\n": (None, None, "no data rows"),
    }
    for text, (row, field, message) in cases.items():
        path = tmp_path / "bad.csv"
        path.write_text(text)
        with pytest.raises(BundleError) as info:
            csv_candidates(luton_engine, path)
        err = info.value
        assert message in str(err) and err.file == "bad.csv"
        assert (f"row {err.row}" if err.row is not None else None) == row and err.field == field
    with pytest.raises(BundleError, match="limit"):
        csv_candidates(luton_engine, b"name,postcode\n" + b"A,LU4 0PE\n" * 200_000)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"p": 0}, "at least 1 site"),
        ({"p": 99}, "at most 10 sites"),
        ({"objective": "best"}, "objective"),
        ({"weight": "votes"}, "weight"),
        ({"fixed": ["limbury"]}, "no location"),
        ({"minutes": -1}, "more than 0"),
    ],
)
def test_bad_optimiser_options(luton_engine, kwargs, message):
    args = {"objective": "coverage", "p": 1, "fixed": [], "candidates": parse_candidates(luton_engine, "sites")}
    args.update(kwargs)
    with pytest.raises(ScenarioError, match=message):
        optimise(luton_engine, **args)


def test_cli_optimise_json_contract():
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "optimise",
            "--objective",
            "coverage",
            "--p",
            "1",
            "--fixed",
            ",".join(FIXED),
            "--candidates",
            LEAGRAVE_AREA,
            "--mode",
            "walk",
            "--minutes",
            "20",
            "--json",
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    d = json.loads(out.getvalue())
    for key in ("objective", "chosen", "fixed", "covered_before", "covered_after", "optimal"):
        assert key in d
    assert d["optimal"] is True and d["fixed"] == FIXED and len(d["chosen"]) == 1
    assert set(d["chosen"][0]) >= {"id", "label", "lat", "lon", "gain"}
    assert d["objective"] == pytest.approx(d["covered_after"], abs=0.05)
    code = main(["optimise", "--candidates", "postcodes:Atlantis"], out=io.StringIO(), err=err)
    assert code == 2 and "not a ward" in err.getvalue()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"p": 0}, "choose at least 1 site"),
        ({"p": 11}, "at most 10 sites"),
        ({"p": True}, "whole number"),
        ({"p": 2, "candidate_ids": ["a"]}, "only 1 candidates"),
        ({"p": 1, "candidate_ids": []}, "no candidate sites"),
        ({"p": 1, "time_limit": 0}, "positive number of seconds"),
        ({"p": 1, "time_limit": -1}, "positive number of seconds"),
        ({"p": 1, "time_limit": float("inf")}, "positive number of seconds"),
        ({"p": 1, "time_limit": float("nan")}, "positive number of seconds"),
    ],
)
def test_optimiser_edge_cases_get_clear_errors(luton_engine, kwargs, message):
    import numpy as np

    from geo.optimise import Candidates, optimise

    ids = kwargs.pop("candidate_ids", ["a", "b", "c"])
    n = len(ids)
    xy = luton_engine.site_xy[:n] if n else np.zeros((0, 2))
    cands = Candidates(ids, list(ids), xy, np.zeros((n, 2)), "test")
    with pytest.raises(ScenarioError, match=message):
        optimise(luton_engine, candidates=cands, **kwargs)


def test_pmedian_solver_checks_method_and_p():
    import numpy as np

    from geo.optimise import solve_pmedian

    minutes = np.array([[1.0, 5.0], [4.0, 2.0]])
    with pytest.raises(ScenarioError, match="method 'magic'"):
        solve_pmedian(minutes, np.ones(2), np.full(2, np.inf), 1, method="magic")
    with pytest.raises(ScenarioError, match="between 1 and the 2 candidates"):
        solve_pmedian(minutes, np.ones(2), np.full(2, np.inf), 3, method="enumerate")
    chosen, optimal, status = solve_pmedian(minutes, np.ones(2), np.full(2, np.inf), 1, method="ip")
    assert chosen == [0] and optimal and status in ("HiGHS: Optimal", "CBC: Optimal")  # 1+4 < 5+2


def test_optimise_json_is_only_json(capfd):
    import json

    from geo.cli import main

    assert main(["optimise", "--objective", "coverage", "--p", "1", "--candidates", "sites", "--json"]) == 0
    d = json.loads(capfd.readouterr().out)  # no solver banner before the JSON (capfd: C-level output too)
    assert d["solver"].split(":")[0] in ("HiGHS", "CBC", "exhaustive enumeration")


def test_pmedian_too_large_is_refused_before_building(monkeypatch):
    """A p-median integer program beyond the memory budget is refused with the reason (pmed40,
    900 x 900, once took 5.7 GB), not built."""
    import geo.optimise as opt

    monkeypatch.setattr(opt, "MAX_ASSIGNMENTS", 10)
    rng = np.random.default_rng(1)
    minutes = rng.uniform(1, 30, size=(5, 4))  # 20 assignment variables > 10
    with pytest.raises(ScenarioError, match="20 assignment variables"):
        opt.solve_pmedian(minutes, np.ones(5), np.full(5, np.inf), 2, method="ip")


def test_time_limit_covers_building_the_model(monkeypatch):
    import geo.optimise as opt

    clock = iter([0.0, 5.0])  # building "took" 5 s of a 1 s limit
    monkeypatch.setattr(opt.time, "perf_counter", lambda: next(clock))
    cover = np.eye(3, dtype=bool)  # three sites: the integer program (one or two are enumerated)
    with pytest.raises(ScenarioError, match="building the model took 5.0 s, more than the time limit of 1 s"):
        opt.solve_mclp(cover, np.ones(3), np.zeros(3, bool), 3, time_limit=1)


def test_reduced_enumeration_finds_the_brute_force_least_cost(monkeypatch):
    """With the dominance check forced on (it runs only for large problems), the enumeration of the
    reduced problem reaches the least cost found by trying every combination in plain Python."""
    import itertools

    import numpy as np

    import geo.optimise as go

    monkeypatch.setattr(go, "DOMINANCE_WORTH_IT", 0)
    rng = np.random.default_rng(7)
    minutes = rng.uniform(1, 40, (30, 14))
    minutes[:, 5] = minutes[:, 2] + 1.0  # candidate 5 is dominated by candidate 2
    minutes[:, 9] = minutes[:, 3]  # candidate 9 has the same minutes as candidate 3
    weights = rng.uniform(0, 10, 30)
    weights[4] = 0.0
    fixed = rng.uniform(5, 60, 30)
    _, _, _, kept = go.reduce_pmedian(minutes, weights, fixed, 3)
    assert 5 not in kept and 9 not in kept and 2 in kept and 3 in kept

    def cost(combo):
        return sum(weights[o] * min([fixed[o]] + [minutes[o, c] for c in combo]) for o in range(30))

    for p in (2, 3):
        least = min(cost(c) for c in itertools.combinations(range(14), p))
        chosen = go.enumerate_pmedian(minutes, weights, fixed, p)
        assert abs(cost(chosen) - least) < 1e-9


@pytest.mark.parametrize(
    "name",
    [f"pmed{k}" for k in range(1, 11)] + [pytest.param("pmed40", marks=pytest.mark.slow)],
)
def test_or_library_instances_reach_their_published_optima(name):
    """Beasley's OR-Library p-median problems (benchmarks/orlib, checksums checked): the exact
    method proves the published optimum (shortest paths over the graph, every vertex a client of
    weight 1 and a candidate). pmed40 (n = 900, p = 90) takes about 40 s: the slow tier."""
    from benchmarks.orlib_bench import OURS_SECONDS, published_optima, read_pmed

    cost, p = read_pmed(name)
    n = len(cost)
    chosen, optimal, status = solve_pmedian(cost, np.ones(n), np.full(n, np.inf), p, time_limit=OURS_SECONDS)
    assert optimal and len(set(chosen)) == p, status
    assert float(cost[:, chosen].min(axis=1).sum()) == published_optima()[name]


def test_or_library_files_are_checked_before_use(tmp_path, monkeypatch):
    import benchmarks.orlib_bench as orlib

    copy = tmp_path / "orlib"
    copy.mkdir()
    for path in orlib.ORLIB.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    (copy / "pmed1.txt").write_text((copy / "pmed1.txt").read_text().replace(" 1 2 30", " 1 2 31", 1))
    monkeypatch.setattr(orlib, "ORLIB", copy)
    with pytest.raises(ValueError, match="pmed1.txt: its SHA-256 is not the one in SHA256SUMS"):
        orlib.read_pmed("pmed1")
