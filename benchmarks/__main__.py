"""``python -m benchmarks [--skip browser,scale,...]``: run every benchmark, print the table
(Markdown) and write it to benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time

from benchmarks.common import ROOT, Row

SECTIONS = {
    "engine": ("benchmarks.engine_bench", "scenario_toggle"),
    "server": ("benchmarks.server_bench", "run"),
    "browser": ("benchmarks.browser_bench", "run"),
    "scale": ("benchmarks.scale_bench", "run"),
    "optimiser": ("benchmarks.engine_bench", "optimiser"),
    "briefing": ("benchmarks.engine_bench", "briefing"),
    "options": ("benchmarks.options_bench", "run"),
    "load": ("benchmarks.load_bench", "run"),
    "orlib": ("benchmarks.orlib_bench", "run"),
}


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def configuration() -> str:
    """What every section measures unless its row says otherwise: the app's own defaults."""
    from benchmarks.common import luton_engine

    engine = luton_engine()
    kind = "output areas" if len(engine.origins.xy) != len(engine.bundle.lsoas) else "LSOA centroids"
    return (
        f"Configuration (the defaults of `python app.py` and the CLI): {len(engine.origins.xy):,} origins "
        f"({kind}), population {engine.default_population}, mode {engine.default_mode}, "
        f"{engine.default_minutes:g} minutes."
    )


def table(rows: list[Row]) -> str:
    lines = ["| section | measure | result | goal | met |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    import importlib

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: " + ", ".join(SECTIONS))
    parser.add_argument("--bundle", default=None, help="measure this bundle only (benchmarks/area_bench.py)")
    parser.add_argument(
        "--area", action="append", default=None, help="build this authority with a stand-in register and measure it"
    )
    args = parser.parse_args()
    if args.bundle or args.area:
        from pathlib import Path

        from benchmarks.area_bench import run, run_area

        started = time.perf_counter()
        rows = run(Path(args.bundle)) if args.bundle else []
        for area in args.area or []:
            rows.extend(run_area(area))
        command = " ".join(["python -m benchmarks", *sys.argv[1:]])
        text = (
            f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {machine()}; took {time.perf_counter() - started:.0f} s.\n"
            f"Command: `{command}`\n\nDefaults of the bundle: output-area origins, children under 5 (mid-2019), "
            f"walking 20 minutes.\n\n{table(rows)}\n"
        )
        print(text)
        return
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    rows: list[Row] = []
    started = time.perf_counter()
    for name, (module, func) in SECTIONS.items():
        if name in skip:
            continue
        print(f"running {name} ...", flush=True)
        rows.extend(getattr(importlib.import_module(module), func)())
    took = time.perf_counter() - started
    text = (
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {machine()}; all benchmarks took {took:.0f} s.\n"
        f"Command: `python -m benchmarks`\n\n{configuration()}\n\n{table(rows)}\n"
    )
    print()
    print(text)
    (ROOT / "benchmarks" / "RESULTS.md").write_text("# Benchmark results\n\n" + text)


if __name__ == "__main__":
    main()
