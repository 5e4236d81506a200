"""9. OR-Library p-median instances (``benchmarks/orlib``): our exact p-median
(``geo.optimise.solve_pmedian``, the app's own code path) beside spopt's ``PMedian`` (the classic
integer program, solved by HiGHS through PuLP) on the same machine, and whether each reaches the
published optimum."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from benchmarks.common import Row, ms

ORLIB = Path(__file__).parent / "orlib"
SPOPT_SECONDS = 120  # spopt's time limit per instance
OURS_SECONDS = 600  # our time limit per instance (pmed40, n = 900 and p = 90, needs about 40 s)
# spopt's classic model has an assignment variable per vertex pair (n^2): 40,000 for n = 200
# took it 25 s on pmed6; pmed40's 810,000 are not built
SPOPT_MAX_VERTICES = 200


def checked(name: str) -> Path:
    """An OR-Library file, after its SHA-256 matches ``SHA256SUMS``."""
    sums = dict(line.split()[::-1] for line in (ORLIB / "SHA256SUMS").read_text().splitlines())
    path = ORLIB / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if sums.get(name) != digest:
        raise ValueError(f"{path}: its SHA-256 is not the one in SHA256SUMS")
    return path


def published_optima() -> dict[str, float]:
    lines = checked("pmedopt.txt").read_text().splitlines()[1:]
    return {name: float(value) for name, value in (line.split() for line in lines if line.strip())}


def instances() -> list[str]:
    """The instances in the repository, in OR-Library's order."""
    return sorted((p.stem for p in ORLIB.glob("pmed*.txt") if p.stem != "pmedopt"), key=lambda s: int(s[4:]))


def read_pmed(name: str) -> tuple[np.ndarray, int]:
    """(vertex x vertex shortest-path lengths, p) of OR-Library instance ``name`` ("pmed1").
    An edge listed twice takes its last length, as OR-Library says."""
    from scipy.sparse.csgraph import floyd_warshall

    numbers = [int(x) for x in checked(f"{name}.txt").read_text().split()]
    n, edges, p = numbers[:3]
    lengths = np.full((n, n), np.inf)
    np.fill_diagonal(lengths, 0.0)
    for k in range(edges):
        a, b, length = numbers[3 + 3 * k : 6 + 3 * k]
        lengths[a - 1, b - 1] = lengths[b - 1, a - 1] = length
    return floyd_warshall(lengths), p


def run() -> list[Row]:
    import pulp
    from spopt.locate import PMedian

    from geo.optimise import solve_pmedian

    optima = published_optima()
    rows = []
    for name in instances():
        cost, p = read_pmed(name)
        n = len(cost)
        started = time.perf_counter()
        chosen, optimal, _ = solve_pmedian(cost, np.ones(n), np.full(n, np.inf), p, time_limit=OURS_SECONDS)
        ours = time.perf_counter() - started
        value = float(cost[:, chosen].min(axis=1).sum())
        if n <= SPOPT_MAX_VERTICES:
            started = time.perf_counter()
            model = PMedian.from_cost_matrix(cost, np.ones(n), p_facilities=p).solve(
                pulp.HiGHS(msg=False, timeLimit=SPOPT_SECONDS)
            )
            theirs = time.perf_counter() - started
            finished = pulp.LpStatus[model.problem.status] == "Optimal" and theirs < SPOPT_SECONDS
            spopt = f"spopt {ms(theirs)} ({float(model.problem.objective.value()):,.0f}{'' if finished else ', stopped at its limit'})"
        else:
            spopt = f"spopt not run (its model would have {n * n:,} assignment variables)"
        matched = optimal and value == optima[name]
        rows.append(
            Row(
                "9. OR-Library",
                f"{name} (n = {n}, p = {p}; published optimum {optima[name]:,.0f})",
                f"ours {ms(ours)} ({value:,.0f}{', proven' if optimal else ', not proven'}); {spopt}",
                "the published optimum",
                matched,
            )
        )
    missing = [k for k in range(1, 41) if f"pmed{k}" not in instances()]
    if missing:
        rows.append(
            Row(
                "9. OR-Library",
                ", ".join(_ranges(missing)),
                "not run: their files are not in the repository (benchmarks/orlib/README.md)",
            )
        )
    return rows


def _ranges(numbers: list[int]) -> list[str]:
    """Instance numbers as runs: [11, 12, 13, 39] -> ["pmed11 to pmed13", "pmed39"].

    >>> _ranges([11, 12, 13, 39])
    ['pmed11 to pmed13', 'pmed39']
    """
    runs: list[list[int]] = []
    for k in numbers:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return [f"pmed{r[0]} to pmed{r[-1]}" if len(r) > 1 else f"pmed{r[0]}" for r in runs]
