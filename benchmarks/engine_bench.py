"""1. scenario evaluation in the engine; 5. optimiser; 6. briefing."""

from __future__ import annotations

import random
import time

from benchmarks.common import Row, luton_engine, median_p95, ms, timings


def scenario_toggle() -> list[Row]:
    rows = []
    for origins, label in (("lsoa", "LSOA origins"), ("postcode", "postcode origins")):
        engine = luton_engine(origins)
        sites = engine.site_ids
        rng = random.Random(1)

        def toggle(engine=engine, rng=rng, sites=sites):
            engine.clear_coverage_cache()  # the work itself, not a kept result
            closed = rng.sample(sites, 1)
            engine.coverage(
                engine.scenario(
                    "current_2020", close=[s for s in closed if s in engine.bundle.scenarios["current_2020"]["sites"]]
                ),
                mode="walk",
                minutes=20,
            )

        med, p95 = median_p95(timings(toggle, 200))
        n = len(engine.origins.xy)
        rows.append(
            Row(
                "1. engine",
                f"site toggle, {label} ({n:,})",
                f"median {ms(med)}, p95 {ms(p95)}",
                "interactive (< 100 ms)",
                p95 < 0.1,
            )
        )
    return rows


def optimiser() -> list[Row]:
    from geo.optimise import optimise, parse_candidates

    engine = luton_engine()
    fixed = ["hub_manor", "outreach_london_road", "outreach_beech_hill"]
    candidates = parse_candidates(engine, "postcodes:Leagrave,Lewsey,Limbury,Sundon Park")
    lsoas = parse_candidates(engine, "lsoas")
    rows = []
    for objective in ("coverage", "median"):
        for cands, fixed_sites, sizes in ((candidates, fixed, (1, 2, 3, 4, 5)), (lsoas, [], (1, 2, 3))):
            for p in sizes:
                started = time.perf_counter()
                res = optimise(
                    engine, objective=objective, p=p, fixed=fixed_sites, candidates=cands, mode="walk", minutes=20
                )
                took = time.perf_counter() - started
                limit = 10.0 if (objective == "median" and p == 5) else 2.0
                rows.append(
                    Row(
                        "5. optimiser",
                        f"{objective}, p={p}, {len(cands.ids)} {cands.kind.split(':')[0]}"
                        f"{' + 3 fixed' if fixed_sites else ''}, {len(engine.origins.xy)} origins",
                        f"{ms(took)} ({'optimal' if res.optimal else 'not proven'}; {res.solver})",
                        f"< {limit:g} s, proven optimal",
                        took < limit and res.optimal,
                    )
                )
    return rows


def briefing() -> list[Row]:
    from geo.reports.briefing import render_briefing
    from geo.viewstate import default_state

    engine = luton_engine()
    state = default_state(engine)
    state["page"] = "access"
    rows = []
    for fmt in ("pdf", "png", "html"):
        med, _ = median_p95(timings(lambda fmt=fmt: render_briefing(engine, state, fmt=fmt), 3, warmup=1))
        rows.append(Row("6. briefing", f"render {fmt.upper()}", ms(med), "< 10 s", med < 10))
    return rows
