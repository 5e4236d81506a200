"""4. Scale: England-sized synthetic inputs through the engine's nearest-site index.

Origins and sites are drawn around 300 'towns' spread over a 600 x 600 km box (British
National Grid-like metres), with town sizes from a heavy-tailed distribution, so the
points cluster like real population. Each case runs in its own process so its peak
memory (max RSS) is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.common import ROOT, Row, ms

CASES = [
    (32_844, 3_000, "every LSOA in England x 3,000 sites", 1.0),
    (1_500_000, 3_000, "1.5 million postcodes x 3,000 sites", 5.0),
]


def synthetic(n: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    towns = rng.uniform(0, 600_000, size=(300, 2))
    weights = rng.pareto(1.2, size=300) + 1
    which = rng.choice(300, size=n, p=weights / weights.sum())
    spread = rng.uniform(1_000, 8_000, size=300)[which]
    return towns[which] + rng.normal(size=(n, 2)) * spread[:, None]


def worker(n_origins: int, n_sites: int) -> dict:
    import importlib
    import resource
    import time

    import numpy as np

    importlib.import_module("scipy.spatial")  # before timing: import time is not the engine's

    from geo.nearest import NearestSiteIndex
    from geo.travel import DetourModel

    origins = synthetic(n_origins, 1)
    sites = synthetic(n_sites, 2)
    population = np.random.default_rng(3).integers(200, 3_000, size=n_origins).astype(float)
    detour = DetourModel.fit([1.0, 2.0, 3.0, 5.0, 7.0], [1.40, 2.86, 3.93, 6.45, 8.93], [0, 1.5, 2.5, 4, 6])
    start = time.perf_counter()
    index = NearestSiteIndex(origins, sites, detour.network_m)
    build = time.perf_counter() - start
    open_mask = np.random.default_rng(4).random(n_sites) < 0.9  # a scenario: 10% of sites closed
    start = time.perf_counter()
    _, _, route = index.nearest(open_mask)
    minutes = route / 80.0
    covered = float(population[minutes <= 20].sum())
    evaluate = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "build_s": build,
        "evaluate_s": evaluate,
        "peak_mb": peak_mb,
        "dense": index.dense,
        "covered_share": covered / population.sum(),
    }


def run() -> list[Row]:
    rows = []
    for n_origins, n_sites, label, goal in CASES:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale_bench", str(n_origins), str(n_sites)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout)
        total = r["build_s"] + r["evaluate_s"]
        structure = "k-d tree of the open sites, built per scenario" if not r["dense"] else "dense matrix"
        rows.append(
            Row(
                "4. scale",
                f"{label}: build the nearest-site structure and evaluate a scenario",
                f"{ms(total)}; peak memory {r['peak_mb']:.0f} MB ({structure})",
                f"< {goal:g} s",
                total < goal,
            )
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(worker(int(sys.argv[1]), int(sys.argv[2]))))
