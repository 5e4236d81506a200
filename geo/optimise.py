"""Location-allocation: which sites to add, solved exactly.

Two models over the engine's origin x candidate route matrix (spopt-style: a cost
matrix in, a typed result out):

* **Maximal covering (MCLP).** Choose ``p`` candidates, with some sites fixed open, to
  maximise the population (optionally weighted by the need index) whose nearest open
  site is within the threshold. Variables: x_j (candidate j chosen), y_i (origin i
  covered); max sum w_i y_i subject to y_i <= sum of x_j over candidates covering i
  (origins already covered by a fixed site are counted as a constant), sum x_j = p.
  Candidates that cover nothing another does not are dropped and origins covered alike
  are grouped (``_reduce_mclp``); one or two sites are found by trying every one and every
  pair, more by the integer program handed to HiGHS as arrays.
* **p-median.** Choose ``p`` candidates, with fixed sites, to minimise the population-
  weighted minutes to the nearest open site. Solved by ``lagrangian_pmedian``: a
  solution from greedy and interchange, a Lagrangian lower bound that proves it, and an
  exact search (enumeration or the integer program with HiGHS) over the candidates the
  bound cannot rule out. ``method="ip"`` and ``"enumerate"`` run those alone.

Every run has a time limit; results name the method that ran and its status, and
``optimal`` says whether optimality was proven. The gain of each chosen site is what the
objective loses if that site alone is dropped from the solution.

Need weighting: w_i = population_i x need_index_i / 100 (the need index ranks the
area's LSOAs 0-100), so a covered child in the neediest LSOA counts fully and one in the
least needy hardly at all. The reported ``covered`` figures are always plain population.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from geo.engine import METHOD_KINDS
from geo.errors import BundleError, ScenarioError
from geo.readers import csv_line, normalise_postcode

if TYPE_CHECKING:
    from geo.engine import Engine
    from geo.scenario import Scenario

MAX_P = 10
MAX_CANDIDATES = 5000
MAX_UPLOAD_BYTES = 1_000_000


@dataclass(frozen=True)
class Candidates:
    """Candidate locations: ids, labels, projected xy and WGS84 lon/lat."""

    ids: list[str]
    labels: list[str]
    xy: np.ndarray
    lonlat: np.ndarray
    kind: str


@dataclass
class OptimiseResult:
    """The optimiser's answer: chosen candidates with their gains, coverage and minutes before and after, and the solver's status."""

    objective: str  # "coverage" or "median"
    objective_value: float
    chosen: list[dict[str, Any]]
    fixed: list[str]
    covered_before: float
    covered_after: float
    minutes_before: float
    minutes_after: float
    optimal: bool
    message: str
    p: int
    n_candidates: int
    candidate_kind: str
    seconds: float
    baseline: dict[str, Any] | None = None
    assumptions: list[str] = field(default_factory=list)
    solver: str = ""  # which solver ran and what it said, e.g. "HiGHS: Optimal" or "exhaustive enumeration"
    unreachable: float = 0.0  # people no candidate and no kept site can serve (left out of the objective)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the CLI's JSON and the dashboard panel."""

        def num(v: float | None, d: int = 2) -> float | None:
            return None if v is None or not math.isfinite(v) else round(float(v), d)

        return {
            "objective_kind": self.objective,
            "objective": num(self.objective_value, 3),
            "chosen": self.chosen,
            "fixed": self.fixed,
            "covered_before": num(self.covered_before, 1),
            "covered_after": num(self.covered_after, 1),
            "mean_minutes_before": num(self.minutes_before),
            "mean_minutes_after": num(self.minutes_after),
            "optimal": self.optimal,
            "message": self.message,
            "p": self.p,
            "candidates": self.n_candidates,
            "candidate_set": self.candidate_kind,
            "solver": self.solver,
            "unreachable_population": num(self.unreachable, 1),
            "seconds": num(self.seconds, 3),
            "baseline": self.baseline,
            "assumptions": self.assumptions,
        }


# -- candidate sets ----------------------------------------------------------------------
def _candidates(engine: Engine, ids: Sequence[str], labels: Sequence[str], xy: ArrayLike, kind: str) -> Candidates:
    xy = np.asarray(xy, float).reshape(-1, 2)
    if len(ids) == 0:
        raise ScenarioError(f"the candidate set '{kind}' is empty")
    if len(ids) > MAX_CANDIDATES:
        raise ScenarioError(f"{len(ids)} candidates; at most {MAX_CANDIDATES}")
    lon, lat = engine.bundle.to_lonlat(xy[:, 0], xy[:, 1])
    return Candidates(list(ids), list(labels), xy, np.column_stack([lon, lat]), kind)


def register_candidates(engine: Engine, exclude: Iterable[str] = ()) -> Candidates:
    """The register's located sites as candidates (excluding ``exclude``)."""
    sites = engine.bundle.located_sites
    sites = sites[~sites.index.isin(list(exclude))]
    return _candidates(
        engine,
        list(sites.index),
        # the name and, where the register has one, the postcode ("Name" alone, never "Name ()")
        [f"{n.split(' (')[0]} ({p})" if p else n.split(" (")[0] for n, p in zip(sites["name"], sites["postcode"])],
        sites[["x", "y"]].to_numpy(),
        "sites",
    )


def lsoa_candidates(engine: Engine) -> Candidates:
    """The LSOA population-weighted centroids as candidates."""
    codes = list(engine.bundle.lsoa_values.index)
    names = dict(zip(engine.bundle.lsoas["code"], engine.bundle.lsoas["name"]))
    return _candidates(
        engine, [f"lsoa:{c}" for c in codes], [f"{names[c]} centroid" for c in codes], engine.bundle.origin_xy, "lsoas"
    )


def postcode_candidates(engine: Engine, wards: list[str]) -> Candidates:
    """Postcode centroids inside the named wards (names or codes; the manifest's aliases apply)."""
    import shapely

    bundle = engine.bundle
    codes = []
    for ward in wards:
        code = bundle.ward_lookup.get(ward.strip().lower())
        if code is None:
            raise ScenarioError(f"ward {ward!r} is not a ward of {bundle.area_name}")
        codes.append(code)
    area = bundle.wards.set_index("code").loc[codes].to_crs(bundle.projected_crs).geometry.union_all()
    pc = bundle.postcodes
    inside = shapely.contains_xy(area, pc["x"].to_numpy(), pc["y"].to_numpy())
    chosen = pc[inside]
    return _candidates(
        engine,
        [f"postcode:{p}" for p in chosen.index],
        list(chosen.index),
        chosen[["x", "y"]].to_numpy(),
        "postcodes:" + ",".join(wards),
    )


def _candidate_bytes(source: str | Path | bytes, name: str) -> tuple[bytes, str]:
    """The bytes of a candidates file (its size checked before it is read) and its name."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = path.name
        if not path.is_file():
            raise BundleError("file not found", file=name)
        size = path.stat().st_size  # checked before reading: a 600 MB file is never read
        if size > MAX_UPLOAD_BYTES:
            raise BundleError(f"is {size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}", file=name)
        return path.read_bytes(), name
    if len(source) > MAX_UPLOAD_BYTES:
        raise BundleError(f"is {len(source):,} bytes; the limit is {MAX_UPLOAD_BYTES:,}", file=name)
    return source, name


def _csv_rows(raw: bytes, name: str) -> list[dict[str, Any]]:
    """The rows of a UTF-8 CSV (a byte-order mark is fine); errors name the file and line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV", file=name) from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072-character limit
        # the line that failed is the one after the last line read
        raise BundleError(f"cannot be read as CSV ({exc})", file=name, row=reader.line_num + 1) from None


def csv_candidates(engine: Engine, source: str | Path | bytes, name: str = "candidates.csv") -> Candidates:
    """A user's CSV of candidates: columns ``name`` and either ``postcode`` or ``lat``/``lon``.
    Errors name the row and the field; nothing is skipped."""
    raw, name = _candidate_bytes(source, name)
    rows = _csv_rows(raw, name)
    if not rows:
        raise BundleError("has no data rows; expected columns name and postcode (or lat, lon)", file=name)
    columns = {c.strip().lower(): c for c in rows[0] if c is not None}
    if "name" not in columns:
        raise BundleError("missing column", file=name, field="name")
    if "postcode" not in columns and not {"lat", "lon"} <= set(columns):
        raise BundleError("needs a postcode column or lat and lon columns", file=name, field="postcode")
    ids, labels, xy = [], [], []
    for i, row in enumerate(rows):
        line = csv_line(i)
        label = (row.get(columns["name"]) or "").strip()
        if not label:
            raise BundleError("is blank", file=name, row=line, field="name")
        if label[0] in "=+-@":
            raise BundleError(
                f"{label!r} starts with {label[0]!r}, which spreadsheets run as a formula",
                file=name,
                row=line,
                field="name",
            )
        postcode = (row.get(columns.get("postcode", ""), "") or "").strip() if "postcode" in columns else ""
        try:
            if postcode:
                x, y = engine.bundle.postcode_xy(normalise_postcode(postcode))
            else:
                lat = float(row.get(columns["lat"], "") or "nan")
                lon = float(row.get(columns["lon"], "") or "nan")
                if not (math.isfinite(lat) and math.isfinite(lon)):
                    raise ScenarioError("give a postcode or both lat and lon as numbers")
                x, y = engine.bundle.to_projected(lon, lat)
                if not engine.bundle.inside_area(x, y):
                    raise ScenarioError(f"{lat}, {lon} is outside {engine.bundle.area_name}")
        except (ScenarioError, ValueError) as exc:
            field_name = "postcode" if postcode else "lat"
            raise BundleError(str(exc), file=name, row=line, field=field_name) from None
        ids.append(f"csv:{i + 1}")
        labels.append(label)
        xy.append((x, y))
    return _candidates(engine, ids, labels, xy, f"file:{name}")


def parse_candidates(engine: Engine, spec: str, exclude: Iterable[str] = ()) -> Candidates:
    """'sites' | 'lsoas' | 'postcodes:WARD,WARD' | a CSV file path."""
    if spec == "sites":
        return register_candidates(engine, exclude)
    if spec == "lsoas":
        return lsoa_candidates(engine)
    if spec.startswith("postcodes:"):
        wards = [w for w in spec.split(":", 1)[1].split(",") if w.strip()]
        if not wards:
            raise ScenarioError("postcodes: name at least one ward, e.g. postcodes:Leagrave,Lewsey")
        return postcode_candidates(engine, wards)
    if spec.lower().endswith(".csv"):
        return csv_candidates(engine, spec)
    raise ScenarioError(f"candidates {spec!r}: use sites, lsoas, postcodes:WARD,WARD or a .csv file")


# -- solving -------------------------------------------------------------------------------
METHODS = ("auto", "lagrangian", "enumerate", "ip")


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what solvers print (HiGHS prints a banner from C++ even with msg=False) to stderr,
    at the file-descriptor level, so ``--json`` output stays pure JSON."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (some test runners): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


# p-median assignment variables the integer program (method="ip") may have: a memory bound set
# when the model was built through PuLP (about 7 KB per variable); Luton's largest case (621 output
# areas x 625 postcodes = 388,125) fits. The default method never builds the whole program.
MAX_ASSIGNMENTS = 500_000


def _time_left(time_limit: float, started: float) -> float:
    """Seconds of ``time_limit`` left after building a model since ``started``; a clear error
    when building took it all."""
    spent = time.perf_counter() - started
    if spent >= time_limit:
        raise ScenarioError(
            f"building the model took {spent:.1f} s, more than the time limit of {time_limit:g} s; "
            "try fewer candidates or a longer limit"
        )
    return time_limit - spent


def solve_mclp(
    cover: np.ndarray, weights: np.ndarray, fixed_cover: np.ndarray, p: int, time_limit: float = 30.0
) -> tuple[list[int], bool, str]:
    """``cover``: (n_origins, n_candidates) bool; ``fixed_cover``: (n_origins,) bool.
    Returns chosen candidate indices, whether optimal, and the solver's name and status.

    The problem is made smaller first (``_reduce_mclp``); one or two sites are then found by
    trying every one and every pair, more by the integer program built as arrays and passed to
    HiGHS directly.

    >>> cover = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], bool)
    >>> solve_mclp(cover, np.array([1.0, 1.0, 5.0, 1.0]), np.zeros(4, bool), 1)
    ([1], True, 'exhaustive enumeration: Optimal')
    >>> solve_mclp(cover, np.array([1.0, 1.0, 5.0, 1.0]), np.zeros(4, bool), 3)
    ([0, 1, 2], True, 'HiGHS: Optimal')
    """
    n_o, n_c = cover.shape
    started = time.perf_counter()
    # only origins that count and that some candidate covers get a variable
    open_origins = np.flatnonzero(~fixed_cover & (np.asarray(weights) > 0) & cover.any(axis=1))
    kept, groups, group_weights = _reduce_mclp(cover[open_origins], np.asarray(weights, float)[open_origins], p)
    if p <= 2:  # every single site or pair, by matrix arithmetic: exact and instant
        weighted = groups * group_weights[:, None]
        alone = weighted.sum(axis=0)
        if p == 1:
            return [kept[int(np.argmax(alone))]], True, "exhaustive enumeration: Optimal"
        together = alone[:, None] + alone[None, :] - weighted.T @ groups  # covered by either of a pair
        together[np.tril_indices(len(kept))] = -np.inf
        a, b = np.unravel_index(int(np.argmax(together)), together.shape)
        return sorted([kept[int(a)], kept[int(b)]]), True, "exhaustive enumeration: Optimal"
    chosen, optimal, status = _mclp_highs(groups, group_weights, p, time_limit, started)
    return sorted(kept[j] for j in chosen), optimal, status


def _reduce_mclp(cover: np.ndarray, weights: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same maximal covering problem, smaller: (kept candidates' original positions, their
    cover of the distinct origin groups, each group's weight).

    * A candidate that covers the same origins as an earlier one, or a subset of another's, is
      left out: swapping it for the other never covers fewer (at least ``p`` are always kept).
    * Origins covered by exactly the same kept candidates become one row with their weights
      summed.

    >>> cover = np.array([[1, 1, 0], [0, 1, 0], [0, 1, 1]], bool)  # candidate 0 is within 1
    >>> kept, groups, weights = _reduce_mclp(cover, np.array([1.0, 2.0, 3.0]), 1)
    >>> kept, groups.shape, weights.tolist()
    ([1], (1, 1), [6.0])
    """
    n_c = cover.shape[1]
    _, first = np.unique(cover, axis=1, return_index=True)
    distinct = np.sort(first)
    members = cover[:, distinct].astype(np.int32)
    shared, size = members.T @ members, members.sum(axis=0)
    within_another = ((shared == size[:, None]) & (size[:, None] < size[None, :])).any(axis=1)
    kept = distinct[~within_another].tolist()
    if len(kept) < p:  # a solution needs p sites: add back any, they cover nothing more
        kept = sorted(kept + [j for j in range(n_c) if j not in set(kept)][: p - len(kept)])
    rows, group_of = np.unique(cover[:, kept], axis=0, return_inverse=True)
    return kept, rows, np.bincount(group_of.ravel(), weights=weights, minlength=len(rows))


def _mclp_highs(
    cover: np.ndarray, weights: np.ndarray, p: int, time_limit: float, started: float
) -> tuple[list[int], bool, str]:
    """The maximal covering integer program as arrays for HiGHS: x_j (candidate j open), y_i
    (origin group i covered); maximise sum w_i y_i with y_i <= sum of x_j covering i, sum x_j = p."""
    import highspy

    n_y, n_c = cover.shape
    origin_row, candidate = np.nonzero(cover)
    n_col, n_row = n_c + n_y, n_y + 1
    # rows: y_i - sum_{j covers i} x_j <= 0 for each origin; sum_j x_j = p
    row = np.concatenate([np.arange(n_y), origin_row, np.full(n_c, n_y)])
    col = np.concatenate([n_c + np.arange(n_y), candidate, np.arange(n_c)])
    value = np.concatenate([np.ones(n_y), -np.ones(len(candidate)), np.ones(n_c)])
    order = np.lexsort((col, row))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(n_c), weights])
    lp.col_lower_, lp.col_upper_ = np.zeros(n_col), np.ones(n_col)
    lp.row_lower_ = np.concatenate([np.full(n_y, -highspy.kHighsInf), [p]])
    lp.row_upper_ = np.concatenate([np.zeros(n_y), [p]])
    matrix = lp.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kRowwise
    matrix.num_col_, matrix.num_row_ = n_col, n_row
    matrix.start_ = np.searchsorted(row[order], np.arange(n_row + 1))
    matrix.index_, matrix.value_ = col[order], value[order]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_c + [highspy.HighsVarType.kContinuous] * n_y
    return _run_highs(lp, n_c, _time_left(time_limit, started))


def _run_highs(lp: Any, n_x: int, time_limit: float) -> tuple[list[int], bool, str]:
    """Solve ``lp`` with HiGHS; the first ``n_x`` columns are the 0/1 site choices."""
    import highspy

    with _stdout_to_stderr():  # the HiGHS banner is printed when the solver is first loaded
        solver = highspy.Highs()  # type: ignore[no-untyped-call, unused-ignore]
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("time_limit", float(time_limit))
        solver.passModel(lp)
        solver.run()
    status = solver.getModelStatus()
    has_solution = solver.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    chosen = np.flatnonzero(np.asarray(solver.getSolution().col_value[:n_x]) > 0.5).tolist() if has_solution else []
    if status == highspy.HighsModelStatus.kOptimal:
        return chosen, True, "HiGHS: Optimal"
    if chosen:
        return chosen, False, "HiGHS: stopped at the time limit with a feasible solution"
    return [], False, f"HiGHS: {solver.modelStatusToString(status)}"


# Origin x combination evaluations, after the reductions of reduce_pmedian, beyond which the
# integer program is used. Measured on 2 cores: numpy evaluates about 1.3 billion a second; for
# p = 3 on Luton's 625 postcodes with the three fixed sites (2.2 billion after the reductions) the
# enumeration took 1.4-2.2 s and HiGHS, given the model as arrays, 0.9 s.
ENUMERATION_BUDGET = 1_000_000_000


# Below this many evaluations the dominance check (about 30 ms for 625 candidates) is not worth it.
DOMINANCE_WORTH_IT = 200_000_000


def _combinations_count(n: int, p: int) -> int:
    return math.comb(n, p)


def reduce_pmedian(
    minutes: np.ndarray, weights: np.ndarray, fixed_minutes: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """The smaller problem an exact enumeration needs: (candidate x origin minutes, weights, minutes
    to the nearest fixed site, the kept candidates' original positions).

    * Origins that no candidate serves better than a fixed site (and origins of no weight) add the
      same cost to every combination: they are left out.
    * For large problems, a candidate no nearer than another to every remaining origin (dominated)
      is left out: a combination with it costs no less than the same combination with the other
      instead, so the least cost is unchanged; among candidates with the same minutes the first is
      kept. (At least ``p`` candidates are always kept.)

    >>> m = np.array([[1.0, 2.0, 9.0], [9.0, 9.5, 1.0]])  # candidate 1 is dominated by candidate 0
    >>> reduce_pmedian(m, np.array([1.0, 1.0]), np.full(2, np.inf), 2)[3]  # a small problem: all kept
    [0, 1, 2]
    """
    base = np.where(np.isfinite(fixed_minutes), fixed_minutes, np.inf)
    w = np.asarray(weights, float)
    useful = (w > 0) & (minutes.min(axis=1) < base)
    m = minutes[useful]
    n_c = m.shape[1]
    if _combinations_count(n_c, p) * len(m) <= DOMINANCE_WORTH_IT:  # the check would cost more than it saves
        return np.ascontiguousarray(m.T), w[useful], base[useful], list(range(n_c))
    earlier = np.arange(n_c)
    kept = []
    for c in range(n_c):
        no_farther = (m <= m[:, [c]]).all(axis=0)
        strictly = (m < m[:, [c]]).any(axis=0)
        no_farther[c] = False
        # dominated: another is nearer somewhere and no farther anywhere, or is earlier with the same minutes
        if not (no_farther & (strictly | (earlier < c))).any():
            kept.append(c)
    if len(kept) < p:
        kept = sorted(kept + [c for c in range(n_c) if c not in kept][: p - len(kept)])
    return np.ascontiguousarray(m[:, kept].T), w[useful], base[useful], kept


def enumerate_pmedian(minutes: np.ndarray, weights: np.ndarray, fixed_minutes: np.ndarray, p: int) -> list[int]:
    """Exact p-median for p <= 3 by evaluating every combination of the candidates
    ``reduce_pmedian`` keeps, vectorised with numpy (each origin's cost is its weight x minutes to
    the nearest of the fixed and chosen sites). Ties go to the lexicographically first combination
    of kept candidates.

    >>> enumerate_pmedian(np.array([[1.0, 5.0, 9.0], [9.0, 5.0, 1.0]]), np.array([1.0, 1.0]), np.full(2, np.inf), 2)
    [0, 2]
    """
    if not 1 <= p <= 3:
        raise ValueError("enumeration is for p <= 3")
    by_site, w, base, kept = reduce_pmedian(minutes, weights, fixed_minutes, p)
    n_c = len(kept)
    if p == 1:
        return [kept[int(np.argmin(np.minimum(by_site, base) @ w))]]
    buffer = np.empty_like(by_site)  # reused: no allocation per pair
    best_cost, best = np.inf, None

    def consider(served: np.ndarray, first: int, prefix: tuple[Any, ...]) -> None:
        """Score ``prefix`` + each candidate from ``first`` on, given minutes ``served`` so far."""
        nonlocal best_cost, best
        rest = buffer[: n_c - first]
        np.minimum(by_site[first:], served, out=rest)
        cost = rest @ w
        k = int(np.argmin(cost))
        if cost[k] < best_cost - 1e-9:
            best_cost, best = float(cost[k]), (*prefix, first + k)

    for j in range(n_c - p + 1):
        served_j = np.minimum(base, by_site[j])
        if p == 2:
            consider(served_j, j + 1, (j,))
        else:
            for k in range(j + 1, n_c - 1):
                consider(np.minimum(served_j, by_site[k]), k + 1, (j, k))
    assert best is not None  # n_c >= p, so some combination was scored
    return [kept[i] for i in best]


def _enumeration_work(minutes: np.ndarray, weights: np.ndarray, fixed_minutes: np.ndarray, p: int) -> int:
    """Origin x combination evaluations of an enumeration, after reduce_pmedian (only worked out
    when the unreduced work is over the budget)."""
    n_o, n_c = minutes.shape
    if _combinations_count(n_c, p) * n_o <= ENUMERATION_BUDGET:
        return int(_combinations_count(n_c, p) * n_o)
    by_site, *_ = reduce_pmedian(minutes, weights, fixed_minutes, p)
    return int(_combinations_count(by_site.shape[0], p) * by_site.shape[1])


def solve_pmedian(
    minutes: np.ndarray,
    weights: np.ndarray,
    fixed_minutes: np.ndarray,
    p: int,
    time_limit: float = 30.0,
    method: str = "auto",
) -> tuple[list[int], bool, str]:
    """``minutes``: (n_origins, n_candidates); ``fixed_minutes``: (n_origins,) minutes to the
    nearest fixed site (inf without fixed sites). ``method``: "lagrangian" (``lagrangian_pmedian``:
    a bound that proves the answer, exact search on what it leaves), "enumerate" (exhaustive,
    exact, p <= 3), "ip" (the integer program), or "auto" (the Lagrangian method when every origin
    has a route to every candidate, else the integer program)."""
    n_o, n_c = minutes.shape
    if method not in METHODS:
        raise ScenarioError(f"method {method!r}: use {', '.join(METHODS)}")
    if not 1 <= p <= n_c:
        raise ScenarioError(f"p = {p}: choose between 1 and the {n_c} candidates")
    if method == "enumerate" and p > 3:
        raise ScenarioError(f"exhaustive enumeration handles p <= 3, not {p}; use the integer program")
    if method == "enumerate" or (method == "auto" and p == 1 and np.isfinite(minutes).all()):
        return enumerate_pmedian(minutes, weights, fixed_minutes, p), True, "exhaustive enumeration: Optimal"
    finite = np.isfinite(minutes).all()
    if method == "lagrangian" or (method == "auto" and finite):
        if not finite:
            raise ScenarioError("the Lagrangian method needs a route from every origin to every candidate")
        return lagrangian_pmedian(minutes, weights, fixed_minutes, p, time_limit)
    program = _pmedian_program(minutes, weights, fixed_minutes)
    assignments = len(program[0])
    if assignments > MAX_ASSIGNMENTS:
        raise ScenarioError(
            f"this p-median problem needs {assignments:,} assignment variables, more than the "
            f"{MAX_ASSIGNMENTS:,} this server builds (memory); use fewer candidates or origins"
        )
    return _pmedian_program_highs(minutes, weights, fixed_minutes, p, time_limit, program)


# -- p-median: Lagrangian bound, reduced-cost elimination, exact search on what remains -------
# Relative gap under which the Lagrangian bound proves the incumbent optimal: far below the
# rounding of any figure shown (and HiGHS's own default MIP gap is 1e-4).
PROOF_GAP = 1e-9
LAGRANGIAN_ITERATIONS = 3000
SMALL_SEARCH = 2000  # combinations left by the bound below which the exact search starts at once


def _capped_problem(
    minutes: np.ndarray, weights: np.ndarray, fixed_minutes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(candidate x origin capped minutes, weights, fixed minutes, constant cost) over the
    origins a candidate can serve better than its nearest fixed site: each origin is served at
    its fixed site's minutes at worst, so minutes beyond it count as it, and the other origins
    cost the same whatever is chosen (the constant)."""
    w = np.asarray(weights, float)
    capped = np.minimum(minutes, fixed_minutes[:, None])
    useful = (w > 0) & (capped < fixed_minutes[:, None]).any(axis=1)
    rest = (w > 0) & ~useful
    constant = float(w[rest] @ fixed_minutes[rest]) if rest.any() else 0.0
    return np.ascontiguousarray(capped[useful].T), w[useful], fixed_minutes[useful], constant


def _served_cost(by_site: np.ndarray, w: np.ndarray, fixed: np.ndarray, chosen: Iterable[int]) -> float:
    return float(w @ np.minimum(fixed, by_site[list(chosen)].min(axis=0)))


def _greedy_interchange(
    by_site: np.ndarray, w: np.ndarray, fixed: np.ndarray, chosen: list[int]
) -> tuple[list[int], float]:
    """``chosen`` improved by swapping one site at a time for another while a swap lowers the
    cost (Teitz and Bart's interchange). Returns (sorted chosen, cost)."""
    chosen = list(chosen)
    best = _served_cost(by_site, w, fixed, chosen) if chosen else float(w @ fixed)
    improved = True
    while improved:
        improved = False
        for position in range(len(chosen)):
            others = chosen[:position] + chosen[position + 1 :]
            served = np.minimum(fixed, by_site[others].min(axis=0)) if others else fixed
            costs = np.minimum(by_site, served) @ w
            costs[others] = np.inf
            j = int(np.argmin(costs))
            if costs[j] < best - 1e-9 * max(1.0, abs(best)):
                chosen[position], best, improved = j, float(costs[j]), True
    return sorted(chosen), best


def _greedy(by_site: np.ndarray, w: np.ndarray, fixed: np.ndarray, p: int) -> list[int]:
    chosen: list[int] = []
    served = fixed.copy()
    for _ in range(p):
        costs = np.minimum(by_site, served) @ w
        costs[chosen] = np.inf
        j = int(np.argmin(costs))
        chosen.append(j)
        served = np.minimum(served, by_site[j])
    return chosen


# Python-level steps (combinations of p - 1 sites) an enumeration of any p may take: each scores
# every last site at once with numpy
ENUMERATION_PREFIXES = 200_000


def _enumerate_combinations(by_site: np.ndarray, w: np.ndarray, fixed: np.ndarray, p: int) -> list[int]:
    """The least-cost ``p`` of the candidates (rows of ``by_site``, capped minutes per origin) by
    trying every combination: depth-first over the first p - 1, every last one at once.

    >>> m = np.array([[1.0, 9.0, 9.0], [9.0, 1.0, 9.0], [9.0, 9.0, 1.0], [2.0, 2.0, 9.0]])
    >>> _enumerate_combinations(m, np.ones(3), np.full(3, np.inf), 2)
    [2, 3]
    """
    n_c = by_site.shape[0]
    best_cost, best = np.inf, None

    def extend(served: np.ndarray, first: int, prefix: tuple[Any, ...]) -> None:
        nonlocal best_cost, best
        if len(prefix) == p - 1:
            costs = np.minimum(by_site[first:], served) @ w
            k = int(np.argmin(costs))
            if best is None or costs[k] < best_cost - 1e-9 * max(1.0, abs(best_cost)):
                best_cost, best = float(costs[k]), (*prefix, first + k)
            return
        for j in range(first, n_c - (p - 1 - len(prefix))):
            extend(np.minimum(served, by_site[j]), j + 1, (*prefix, j))

    extend(fixed.copy(), 0, ())
    assert best is not None
    return list(best)


def _subgradient(
    by_site: np.ndarray, w: np.ndarray, fixed: np.ndarray, p: int, solution: list[int], upper: float, deadline: float
) -> tuple[list[int], float, float, np.ndarray | None]:
    """Subgradient steps on the Lagrangian bound (see ``lagrangian_pmedian``) until it reaches
    ``upper``, stalls, leaves a small search, or ``deadline`` (a ``time.perf_counter`` value)
    passes. Each step's sites are also tried as a solution. Returns (solution, its cost, the best
    bound, the reduced costs at the best bound)."""
    n_c = by_site.shape[0]
    weighted = by_site * w
    weighted_fixed = w * fixed
    multipliers = weighted.min(axis=0)
    lower, best_rho, step, stall = -np.inf, None, 2.0, 0
    tried: set[tuple[Any, ...]] = {tuple(solution)}
    for iteration in range(LAGRANGIAN_ITERATIONS):
        reduced = np.minimum(weighted - multipliers, 0.0)
        rho = reduced.sum(axis=1)
        opened = np.argpartition(rho, p - 1)[:p] if p < n_c else np.arange(n_c)
        fixed_part = np.minimum(weighted_fixed - multipliers, 0.0)
        bound = float(multipliers.sum() + fixed_part.sum() + rho[opened].sum())
        if bound > lower:
            lower, best_rho, stall = bound, rho, 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        key = tuple(sorted(int(j) for j in opened))
        if key not in tried:  # the relaxation's sites, as a solution
            tried.add(key)
            if _served_cost(by_site, w, fixed, key) < upper:
                solution, upper = _greedy_interchange(by_site, w, fixed, list(key))
        if upper - lower <= PROOF_GAP * max(1.0, abs(upper)) or step < 1e-8:
            break
        if time.perf_counter() > deadline:
            break
        if iteration % 25 == 24 and best_rho is not None:  # the bound leaves a search this small already
            pth = np.partition(best_rho, p - 1)[p - 1]
            if math.comb(int((lower + best_rho - pth < upper).sum()) + p, p) <= SMALL_SEARCH:
                break
        subgradient = 1.0 - (reduced[opened] < 0).sum(axis=0) - (fixed_part < 0)
        norm = float(subgradient @ subgradient)
        if norm == 0:
            break
        multipliers = multipliers + step * (upper - bound) / norm * subgradient
    return solution, upper, lower, best_rho


def lagrangian_pmedian(
    minutes: np.ndarray,
    weights: np.ndarray,
    fixed_minutes: np.ndarray,
    p: int,
    time_limit: float = 30.0,
) -> tuple[list[int], bool, str]:
    """Exact p-median: a good solution, a Lagrangian lower bound that proves it optimal, and,
    when the bound does not close, an exact search over the candidates the bound cannot rule out.

    1. Each origin is served at its nearest fixed site's minutes at worst (``_capped_problem``);
       origins no candidate improves on add a constant.
    2. An upper bound: greedy, then interchange (Teitz and Bart).
    3. A lower bound: relax "each origin is served once" with a multiplier per origin; for given
       multipliers the problem splits by candidate (open the p with the most negative reduced
       cost ``rho``), and subgradient steps raise the bound towards the linear relaxation's. Each
       step's p sites are also tried as a solution (and improved by interchange).
    4. If the bound reaches the solution (to ``PROOF_GAP``), it is optimal. Otherwise a candidate
       whose reduced cost shows that any solution with it costs at least the incumbent is ruled
       out, and what remains is solved exactly (enumeration for p <= 3, else the integer program
       with HiGHS), so the answer is always proven or said not to be.

    On Luton's largest question (p = 3 over 625 postcodes with three fixed sites and 621 output
    areas) the linear relaxation's value is the optimum itself and the bound closes in well under a
    second, where the integer program took over 20 s (issue 29's measurement: 23 s).

    >>> m = np.array([[1.0, 5.0, 9.0], [9.0, 5.0, 1.0], [4.0, 1.0, 4.0]])
    >>> lagrangian_pmedian(m, np.array([1.0, 1.0, 1.0]), np.full(3, np.inf), 2)
    ([0, 2], True, 'Lagrangian bound: Optimal')
    """
    started = time.perf_counter()
    by_site, w, fixed, _ = _capped_problem(minutes, weights, fixed_minutes)
    if by_site.shape[1] == 0:  # no candidate serves anyone better than the fixed sites
        return list(range(p)), True, "Lagrangian bound: Optimal (no candidate improves on the fixed sites)"
    solution, upper = _greedy_interchange(by_site, w, fixed, _greedy(by_site, w, fixed, p))
    solution, upper, lower, best_rho = _subgradient(by_site, w, fixed, p, solution, upper, started + time_limit / 3)
    if upper - lower <= PROOF_GAP * max(1.0, abs(upper)):
        return solution, True, "Lagrangian bound: Optimal"
    # candidates the bound rules out: any solution with j costs at least lower + rho_j - rho_(p)
    assert best_rho is not None
    pth = np.partition(best_rho, p - 1)[p - 1]
    remaining = sorted(set(np.flatnonzero(lower + best_rho - pth < upper).tolist()) | set(solution))
    sub = minutes[:, remaining]
    left = max(1.0, time_limit - (time.perf_counter() - started))
    if p <= 3 and _enumeration_work(sub, weights, fixed_minutes, p) <= ENUMERATION_BUDGET:
        found, optimal = enumerate_pmedian(sub, weights, fixed_minutes, p), True
        how = f"Lagrangian bound and enumeration of the {len(remaining)} candidates it leaves"
    elif (
        math.comb(len(remaining), p - 1) <= ENUMERATION_PREFIXES
        and math.comb(len(remaining), p) * by_site.shape[1] <= ENUMERATION_BUDGET
    ):
        found, optimal = _enumerate_combinations(by_site[remaining], w, fixed, p), True
        how = f"Lagrangian bound and enumeration of the {len(remaining)} candidates it leaves"
    else:
        found, optimal, how = _pmedian_program_highs(sub, weights, fixed_minutes, p, left)
        how = f"Lagrangian bound and {how.split(':')[0]} on the {len(remaining)} candidates it leaves"
    found = [remaining[j] for j in found]
    if len(found) == p and _median_value(minutes, weights, fixed_minutes, found) < _median_value(
        minutes, weights, fixed_minutes, solution
    ):
        solution = sorted(found)
    return solution, optimal, f"{how}: {'Optimal' if optimal else 'not proven optimal'}"


def _pmedian_program(
    minutes: np.ndarray, weights: np.ndarray, fixed_minutes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The p-median integer program's parts as arrays: (origin, candidate) of each assignment
    variable, and the origins that get a variable for their nearest fixed site.

    Only origins of weight and candidates nearer than the origin's nearest fixed site get an
    assignment variable; an origin with none keeps its fixed site whatever is chosen."""
    useful = (weights > 0)[:, None] & (minutes < fixed_minutes[:, None])
    origin_of, candidate_of = np.nonzero(useful)  # ordered by origin
    assigned = np.unique(origin_of)
    to_fixed = assigned[np.isfinite(fixed_minutes[assigned])]
    return origin_of, candidate_of, assigned, to_fixed


def _pmedian_program_highs(
    minutes: np.ndarray,
    weights: np.ndarray,
    fixed_minutes: np.ndarray,
    p: int,
    time_limit: float,
    program: tuple[Any, ...] | None = None,
) -> tuple[list[int], bool, str]:
    """The p-median integer program built as arrays and passed to HiGHS directly (through PuLP,
    building the model took as long as solving it).

    Columns: x_j (candidate j open, integer 0/1), z_ij (origin i served by candidate j), zf_i
    (origin i served by its nearest fixed site). Rows: sum_j z_ij + zf_i = 1 for each origin;
    z_ij - x_j <= 0 for each assignment; sum_j x_j = p. Minimise sum w_i m_ij z_ij + w_i f_i zf_i.
    ``program``: the parts from ``_pmedian_program``, when the caller has them already.
    """
    import highspy

    started = time.perf_counter()
    n_c = minutes.shape[1]
    origin_of, candidate_of, assigned, to_fixed = (
        program if program is not None else _pmedian_program(minutes, weights, fixed_minutes)
    )
    n_z, n_f, n_a = len(origin_of), len(to_fixed), len(assigned)
    z_col = n_c + np.arange(n_z)
    zf_col = n_c + n_z + np.arange(n_f)
    n_col, n_row = n_c + n_z + n_f, n_a + n_z + 1
    # (row, column, value) of every non-zero, then sorted into row-wise compressed form
    row = np.concatenate(
        [
            np.searchsorted(assigned, origin_of),  # assignment rows
            np.searchsorted(assigned, to_fixed),
            n_a + np.repeat(np.arange(n_z), 2),  # linking rows
            np.full(n_c, n_a + n_z),  # the count row
        ]
    )
    col = np.concatenate([z_col, zf_col, np.column_stack([z_col, candidate_of]).ravel(), np.arange(n_c)])
    value = np.concatenate([np.ones(n_z + n_f), np.tile([1.0, -1.0], n_z), np.ones(n_c)])
    order = np.lexsort((col, row))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_ = np.concatenate(
        [
            np.zeros(n_c),
            weights[origin_of] * minutes[origin_of, candidate_of],
            weights[to_fixed] * fixed_minutes[to_fixed],
        ]
    )
    lp.col_lower_, lp.col_upper_ = np.zeros(n_col), np.ones(n_col)
    lp.row_lower_ = np.concatenate([np.ones(n_a), np.full(n_z, -highspy.kHighsInf), [p]])
    lp.row_upper_ = np.concatenate([np.ones(n_a), np.zeros(n_z), [p]])
    matrix = lp.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kRowwise
    matrix.num_col_, matrix.num_row_ = n_col, n_row
    matrix.start_ = np.searchsorted(row[order], np.arange(n_row + 1))
    matrix.index_, matrix.value_ = col[order], value[order]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_c + [highspy.HighsVarType.kContinuous] * (n_z + n_f)

    return _run_highs(lp, n_c, _time_left(time_limit, started))


def _coverage_value(cover: np.ndarray, weights: np.ndarray, fixed_cover: np.ndarray, chosen: Sequence[int]) -> float:
    covered = fixed_cover.copy()
    if chosen:
        covered |= cover[:, list(chosen)].any(axis=1)
    return float(weights[covered].sum())


def _median_value(minutes: np.ndarray, weights: np.ndarray, fixed_minutes: np.ndarray, chosen: Sequence[int]) -> float:
    best = fixed_minutes.copy()
    if chosen:
        best = np.minimum(best, minutes[:, list(chosen)].min(axis=1))
    return float((weights * best).sum())


def _check_arguments(objective: str, p: int, candidates: Candidates, weight: str, time_limit: float) -> None:
    """Clear errors for arguments the solvers would otherwise crash on or quietly change."""
    if objective not in ("coverage", "median"):
        raise ScenarioError(f"objective {objective!r}: use coverage or median")
    if not isinstance(p, int) or isinstance(p, bool):
        raise ScenarioError(f"p = {p!r}: give a whole number of sites")
    if p < 1:
        raise ScenarioError(f"p = {p}: choose at least 1 site to add")
    if p > MAX_P:
        raise ScenarioError(f"p = {p}: at most {MAX_P} sites at once")
    if len(candidates.ids) == 0:
        raise ScenarioError("there are no candidate sites to choose from")
    if p > len(candidates.ids):
        raise ScenarioError(f"p = {p} but there are only {len(candidates.ids)} candidates")
    if weight not in ("population", "need"):
        raise ScenarioError(f"weight {weight!r}: use population or need")
    if not isinstance(time_limit, (int, float)) or not math.isfinite(time_limit) or time_limit <= 0:
        raise ScenarioError(f"time limit {time_limit!r}: give a positive number of seconds")


def optimise(
    engine: Engine,
    *,
    objective: str = "coverage",
    p: int = 1,
    fixed: Iterable[str] = (),
    candidates: Candidates,
    mode: str | None = None,
    minutes: float | None = None,
    km: float | None = None,
    detour: str | None = None,
    population: str | None = None,
    weight: str = "population",
    time_limit: float = 30.0,
    baseline: str | None = None,
    fixed_scenario: Scenario | None = None,
) -> OptimiseResult:
    """Best ``p`` candidates to add to the ``fixed`` sites (register ids) for the objective.

    ``fixed_scenario`` (a ``geo.scenario.Scenario``) keeps every site open in it instead,
    added and moved sites included, so "before" is that scenario's own coverage."""
    _check_arguments(objective, p, candidates, weight, time_limit)
    detour = engine.detour_name if detour is None else detour
    mode = mode or engine.default_mode
    population = population or engine.default_population
    if minutes is None and km is None:
        minutes = engine.default_minutes
    engine.check_options(mode, minutes, km, detour, population)
    if fixed_scenario is not None:
        open_now = set(engine.open_site_ids(fixed_scenario)) - set(fixed_scenario.moved_map)
        fixed = [s for s in engine.site_ids if s in open_now]  # located register sites (unlocated: not counted)
    else:
        fixed = list(fixed)
        fixed_scenario = engine.scenario(None, open=fixed)
    unlocated = [s for s in fixed if s in engine.bundle.unlocated_site_ids]
    if unlocated:
        raise ScenarioError(f"fixed site(s) {', '.join(unlocated)} have no location; place them first")

    started = time.perf_counter()
    model = engine.straight_model if detour == "none" else engine.travel_model
    cand_m = model.route_m(engine.origins.xy, candidates.xy)
    speed = engine.modes[mode].metres_per_minute
    cand_min = cand_m / speed
    if fixed or fixed_scenario.added or fixed_scenario.moved:
        _, _, _, fixed_m = engine.nearest_open(fixed_scenario, detour)
    else:
        fixed_m = np.full(len(engine.origins.xy), np.inf)
    fixed_min = fixed_m / speed
    pop = engine.origin_population[population].astype(float)
    weights = (
        pop * (engine.need_index().reindex(engine.origins.lsoa_code).to_numpy() / 100.0) if weight == "need" else pop
    )
    if minutes is not None:
        cover, fixed_cover = cand_min <= float(minutes), fixed_min <= float(minutes)
    else:
        limit_m = float(km or 0) * 1000  # check_options made sure exactly one threshold is given
        cover, fixed_cover = cand_m <= limit_m, fixed_m <= limit_m

    if objective == "coverage":
        chosen, optimal, status = solve_mclp(cover, weights, fixed_cover, p, time_limit)
        value = _coverage_value(cover, weights, fixed_cover, chosen)
        gains = [value - _coverage_value(cover, weights, fixed_cover, [k for k in chosen if k != j]) for j in chosen]
    else:
        chosen, optimal, status = solve_pmedian(cand_min, weights, fixed_min, p, time_limit)
        value = _median_value(cand_min, weights, fixed_min, chosen)
        gains = [_median_value(cand_min, weights, fixed_min, [k for k in chosen if k != j]) - value for j in chosen]
    seconds = time.perf_counter() - started
    if len(chosen) != p:
        raise ScenarioError(
            f"the solver found no solution within {time_limit:g} s ({status}); "
            "try fewer candidates or a longer time limit"
        )
    message = (
        "optimal"
        if optimal
        else (
            f"stopped at the time limit of {time_limit:g} s: the best solution found is "
            f"shown but not proven optimal ({status})"
        )
    )

    def plain_cover(indices: Sequence[int]) -> float:
        return _coverage_value(cover, pop, fixed_cover, indices)

    def plain_minutes(indices: Sequence[int]) -> float:
        total = pop.sum()
        return _median_value(cand_min, pop, fixed_min, indices) / total if total > 0 else math.nan

    rows = []
    for j, gain in zip(chosen, gains):
        rows.append(
            {
                "id": candidates.ids[j],
                "label": candidates.labels[j],
                "lat": round(float(candidates.lonlat[j, 1]), 6),
                "lon": round(float(candidates.lonlat[j, 0]), 6),
                "gain": round(float(gain), 3),
                "spec": f"{candidates.labels[j][:60]}@{candidates.lonlat[j, 1]:.6f},{candidates.lonlat[j, 0]:.6f}",
                "where": engine.place_words(*candidates.xy[j]),
            }
        )
    result = OptimiseResult(
        objective=objective,
        objective_value=value,
        chosen=rows,
        fixed=fixed,
        covered_before=plain_cover([]),
        covered_after=plain_cover(chosen),
        minutes_before=plain_minutes([]),
        minutes_after=plain_minutes(chosen),
        optimal=optimal,
        message=message,
        p=p,
        n_candidates=len(candidates.ids),
        candidate_kind=candidates.kind,
        seconds=seconds,
        assumptions=[
            a.text for a in engine.assumption_items(fixed_scenario, mode, detour, population) if a.kind in METHOD_KINDS
        ],
        solver=status,
        # people with no finite route to any candidate or kept site: no choice can serve them, so
        # the integer program leaves them out; say how many
        unreachable=float(pop[~np.isfinite(fixed_min) & ~np.isfinite(cand_min).any(axis=1)].sum()),
    )
    if baseline is not None:
        base_scn = engine.scenario(None, open=fixed + [baseline])
        base_res = engine.coverage(base_scn, mode=mode, minutes=minutes, km=km, detour=detour, population=population)
        result.baseline = {
            "site": baseline,
            "label": engine.site_label(baseline),
            "covered": round(base_res.covered, 1),
            "mean_minutes": round(base_res.mean_minutes, 2) if math.isfinite(base_res.mean_minutes) else None,
            "gain_of_optimum": round(result.covered_after - base_res.covered, 1),
        }
    return result
