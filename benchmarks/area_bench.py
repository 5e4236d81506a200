"""``python -m benchmarks --bundle DIR`` (or ``--area NAME``): what a user of a built bundle runs,
at the size of a county.

* **App start**: ``python app.py --prod --bundle DIR`` spawned until ``/healthz`` answers.
* **First map**: fresh browser profiles, time from navigation to the first map painted.
* **Click to painted map**: a site toggled on the Access page, Needs Map against the naive build
  of the same bundle (``benchmarks/server_bench.naive_app``), clicked in turn in the same minutes,
  each click from a settled page (the previous click's answers all landed); and the time from
  the click to its last answer (every panel updated).
* **Optimiser**: the coverage question (maximal covering, p = 1 to 5 new sites over the area's
  2011 LSOA centroids, walking 20 minutes), proven optimal or not.

``--area NAME`` first builds the bundle from the national pack into a temporary folder with a
stand-in register: about 20 open state primary schools inside the area, evenly spaced by URN (real places from the
pack's GIAS extract), all open. A council's own register is what ``--bundle`` measures.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.common import ROOT, Row, free_port, median_p95, ms


def stand_in_register(bundle_dir: Path, out: Path, sites: int = 20) -> Path:
    """About ``sites`` of the area's own schools (inside its boundary), evenly spaced by URN,
    as open sites."""
    import pandas as pd
    from pyproj import Transformer

    from geo import load_bundle

    bundle = load_bundle(bundle_dir)
    schools = pd.read_csv(bundle_dir / "primary_schools_2025.csv", dtype={"urn": str}).sort_values("urn")
    inside = [not bundle.outside_boundary(float(x), float(y)) for x, y in zip(schools["easting"], schools["northing"])]
    schools = schools[inside]
    chosen = schools.iloc[:: max(1, len(schools) // sites)]
    to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(chosen["easting"].to_numpy(float), chosen["northing"].to_numpy(float))
    frame = pd.DataFrame({"name": chosen["name"], "role": "school_base", "status": "open", "lat": lat, "lon": lon})
    frame.to_csv(out, index=False)
    return out


def build_for_benchmark(area: str, folder: Path) -> Path:
    """The area's bundle with the stand-in register (built twice: the register needs the area)."""
    from geo.build_bundle import build_bundle
    from geo.pack import default_pack_path, open_pack

    pack = open_pack(default_pack_path())
    bare = folder / "bare"
    build_bundle(pack, area, bare)
    register = stand_in_register(bare, folder / "register.csv")
    build_bundle(pack, area, folder / "bundle", register)
    return folder / "bundle"


def _start(bundle_dir: Path, port: int) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "app.py", "--prod", "--bundle", str(bundle_dir), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return server, time.perf_counter() - started
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"the app exited with {server.returncode}") from None
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the app did not answer /healthz within 180 s")


def run(bundle_dir: Path, first_loads: int = 5, clicks: int = 15) -> list[Row]:
    import warnings

    from benchmarks.browser_bench import READ_FIRST_MAP, WATCH_FIRST_MAP, _clicks, _driver, _serve_naive
    from geo import Engine, load_bundle
    from geo.optimise import optimise, parse_candidates

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = Engine(load_bundle(bundle_dir))
    name = engine.bundle.area_name
    section = f"area: {name}"
    size = (
        f"{len(engine.bundle.lsoa_values)} LSOAs (2011), {len(engine.origins.xy):,} origins (output areas), "
        f"{len(engine.site_ids)} sites"
    )
    rows = [Row(section, "size", size)]
    port = free_port()
    server, start_s = _start(bundle_dir, port)
    rows.append(Row(section, "app start (--prod) to /healthz 200", ms(start_s), "< 10 s", start_s < 10))
    naive_port, naive_server = _serve_naive(engine)
    url = f"http://127.0.0.1:{port}/"
    try:
        loads = []
        for _ in range(first_loads):
            driver = _driver()
            try:
                driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_FIRST_MAP})
                driver.get(url)
                loads.append(driver.execute_async_script(READ_FIRST_MAP)["painted"] / 1000)
            finally:
                driver.quit()
        med, p95 = median_p95(loads)
        rows.append(
            Row(
                section,
                f"first map painted ({first_loads} fresh profiles)",
                f"median {ms(med)}, p95 {ms(p95)}",
                "< 1.5 s",
                med < 1.5,
            )
        )
        if engine.site_ids:
            site = engine.site_ids[0]
            base = next(iter(engine.bundle.scenarios))
            driver = _driver()
            try:
                settled: list[float] = []
                ours = _clicks(driver, url + f"?page=access&base={base}", "#access-map", site, clicks, settled)
                naive = _clicks(driver, f"http://127.0.0.1:{naive_port}/", "#map", site, clicks)
            finally:
                driver.quit()
            ours_med, ours_p95 = median_p95(ours)
            naive_med, _ = median_p95(naive)
            rows.append(
                Row(
                    section,
                    f"click to painted map ({len(ours)} site toggles)",
                    f"median {ms(ours_med)}, p95 {ms(ours_p95)}",
                    "< 50 ms",
                    ours_med < 0.05,
                )
            )
            settled_med, settled_p95 = median_p95(settled)
            rows.append(
                Row(
                    section,
                    "click to its last answer received (every panel updated)",
                    f"median {ms(settled_med)}, p95 {ms(settled_p95)}",
                    "",
                    None,
                )
            )
            rows.append(
                Row(
                    section,
                    "click: naive / Needs Map",
                    f"{naive_med / ours_med:.1f}x (naive {ms(naive_med)})",
                    ">= 3x",
                    naive_med / ours_med >= 3,
                )
            )
    finally:
        server.terminate()
        server.wait(10)
        naive_server.shutdown()
    candidates = parse_candidates(engine, "lsoas")
    for p in (1, 3, 5):
        started = time.perf_counter()
        result = optimise(engine, objective="coverage", p=p, candidates=candidates, mode="walk", minutes=20)
        took = time.perf_counter() - started
        rows.append(
            Row(
                section,
                f"optimiser: coverage, p={p} over {len(candidates.ids)} LSOA centroids",
                f"{ms(took)} ({'optimal' if result.optimal else 'not proven'})",
                "proven, in seconds",
                result.optimal and took < 10,
            )
        )
    return rows


def run_area(area: str) -> list[Row]:
    """Build ``area`` with the stand-in register in a temporary folder, then run."""
    with tempfile.TemporaryDirectory(prefix="nm-area-") as folder:
        return run(build_for_benchmark(area, Path(folder)))
