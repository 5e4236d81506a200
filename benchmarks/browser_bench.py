"""3. First map and click-to-painted-map in headless Chromium (selenium + Debian
chromium-driver), against the app served as users get it (``app.py --prod``: gunicorn) in a
separate process, and a naive Dash build of the same map served in this process, measured in
the same run.

How the times are taken (``performance.now()`` in the page, milliseconds from navigation or
from the click):

* first map: a script installed before the page loads (CDP) watches the DOM; when the Needs
  map's first area is drawn it waits for the next animation frame and then for the task after
  it, i.e. until that frame has been painted. The breakdown reads the browser's resource
  timings: scripts downloaded, page layout received (Dash asks for it once its scripts have
  run), map drawn, map painted.
* repeat visit: the same browser profile loads the page again, so what the browser kept from the
  first visit is not asked for again; the same first-map timing.
* click: a site's checkbox is clicked; the time runs until the map's colours (trace 0's ``z``)
  have changed and the next frame has been painted. The naive build redraws the whole figure
  from the server; Needs Map recolours it in the browser first (dashboard/preview.py).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time

from benchmarks.common import ROOT, Row, free_port, luton_engine, median_p95, ms

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1366,900",
)

# Installed before any page script: the moment the first map area is in the DOM, and the end of
# the frame that paints it.
WATCH_FIRST_MAP = """
window.__nmFirstMap = {};
new MutationObserver(function (records, observer) {
  if (document.querySelector('#needs-map .choroplethlocation')) {
    observer.disconnect();
    window.__nmFirstMap.drawn = performance.now();
    requestAnimationFrame(function () {
      setTimeout(function () { window.__nmFirstMap.painted = performance.now(); }, 0);
    });
  }
}).observe(document, {childList: true, subtree: true});
"""

READ_FIRST_MAP = """
const done = arguments[arguments.length - 1];
(function check() {
  const m = window.__nmFirstMap || {};
  if (m.painted === undefined) { setTimeout(check, 20); return; }
  const entries = performance.getEntriesByType('resource');
  const layout = entries.find(e => e.name.includes('_dash-layout'));
  // the page's own scripts (those its HTML asks for; not Dash's lazy chunks, async-*.js)
  const scripts = entries.filter(e => e.name.split('?')[0].endsWith('.js') && !e.name.includes('/async-'));
  done({
    scripts_downloaded: Math.max(...scripts.map(e => e.responseEnd)),
    layout_requested: layout ? layout.startTime : null,
    layout_received: layout ? layout.responseEnd : null,
    drawn: m.drawn,
    painted: m.painted,
  });
})();
"""

BYTES_TRANSFERRED = (
    "const n = performance.getEntriesByType('navigation')[0];"
    "return n.transferSize + performance.getEntriesByType('resource').reduce((s, r) => s + r.transferSize, 0);"
)

CLICK_AND_WAIT = """
const done = arguments[arguments.length - 1];
const g = document.querySelector(arguments[1] + ' .js-plotly-plot');
const before = JSON.stringify(g.data[0].z);
const box = document.querySelector("input[value='" + arguments[0] + "']");
const t0 = performance.now();
window.__nmClicked = t0;
box.click();
(function check() {
  if (JSON.stringify(g.data[0].z) !== before) {
    requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));  // painted
  } else if (performance.now() - t0 > 10000) { done(-1); }
  else { requestAnimationFrame(check); }
})();
"""


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='nm-bench-')}")
    driver = webdriver.Chrome(options=options)
    driver.set_script_timeout(40)  # WAIT_SETTLED gives up after 30 s
    return driver


def _wait_for_port(port: int, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listening on port {port} after {seconds:.0f} s")


# Counts the app's requests in flight (Dash calls window.fetch for every callback).
WATCH_REQUESTS = """
if (!window.__nmRequests) {
  window.__nmRequests = 0; window.__nmLastAnswer = performance.now(); window.__nmLastAsked = 0;
  const fetchFirst = window.fetch;
  window.fetch = function () {
    window.__nmRequests++; window.__nmLastAsked = performance.now();
    return fetchFirst.apply(this, arguments).finally(function () {
      window.__nmRequests--; window.__nmLastAnswer = performance.now();
    });
  };
}
"""

# Waits until the click's requests have started (the preview hands the click to Dash a few
# frames on) and none has been in flight for a second; answers the time from the click to its last
# answer received (every panel the click changes has its data), or -1 after 30 s.
WAIT_SETTLED = """
const done = arguments[arguments.length - 1];
const clicked = window.__nmClicked;
(function check() {
  const now = performance.now();
  if (window.__nmLastAsked > clicked && window.__nmRequests === 0 && now - window.__nmLastAnswer > 1000) {
    done(Math.max(0, window.__nmLastAnswer - clicked));
  } else if (now - clicked > 30000) { done(-1); }
  else { setTimeout(check, 50); }
})();
"""


def _clicks(driver, url: str, graph: str, site: str, n: int, settled: list[float] | None = None) -> list[float]:
    """Click to painted map, ``n`` site toggles, each from a settled page (no request in flight
    for a second: the previous click's answers have all landed, as between a user's clicks);
    ``settled`` receives each click's time to its last answer."""
    driver.get(url)
    time.sleep(4)
    driver.execute_script(WATCH_REQUESTS)
    out = []
    for _ in range(n):
        took = driver.execute_async_script(CLICK_AND_WAIT, site, graph)
        if took >= 0:
            out.append(took / 1000)
        last = driver.execute_async_script(WAIT_SETTLED)
        if settled is not None and last >= 0:
            settled.append(last / 1000)
    return out


def _serve_naive(engine=None) -> tuple[int, object]:
    """The naive build (benchmarks/server_bench.naive_app with a checklist) of ``engine``
    (default Luton's), served by Werkzeug in a thread of this process."""
    from werkzeug.serving import make_server

    from benchmarks.server_bench import naive_app

    app = naive_app(engine or luton_engine(), checklist=True)
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return port, server


def run(first_loads: int = 9, clicks: int = 25) -> list[Row]:
    port = free_port()
    app_server = subprocess.Popen(
        [sys.executable, "app.py", "--prod", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    naive_port, naive_server = _serve_naive()
    try:
        _wait_for_port(port)
        time.sleep(2)
        loads, sizes, repeats, repeat_sizes = [], [], [], []
        for _ in range(first_loads):  # a fresh browser profile each time: nothing cached
            driver = _driver()
            try:
                driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_FIRST_MAP})
                driver.get(url)
                loads.append(driver.execute_async_script(READ_FIRST_MAP))
                time.sleep(1.0)  # let the remaining requests finish before counting bytes
                sizes.append(driver.execute_script(BYTES_TRANSFERRED))
                # then a repeat visit in the same profile: what the browser kept is not asked again
                driver.get("about:blank")
                driver.get(url)
                repeats.append(driver.execute_async_script(READ_FIRST_MAP))
                time.sleep(1.0)
                repeat_sizes.append(driver.execute_script(BYTES_TRANSFERRED))
            finally:
                driver.quit()
        # Needs Map and the naive build, clicked in turn in the same minutes
        driver = _driver()
        try:
            ours = _clicks(driver, url + "?page=access&base=current_2020", "#access-map", "pastures_way", clicks)
            naive = _clicks(driver, f"http://127.0.0.1:{naive_port}/", "#map", "pastures_way", clicks)
        finally:
            driver.quit()
    finally:
        app_server.terminate()
        app_server.wait(10)
        naive_server.shutdown()
    return _rows(loads, sizes, ours, naive) + _repeat_rows(repeats, repeat_sizes)


def _part(loads: list[dict], key: str) -> str:
    values = [load[key] / 1000 for load in loads if load.get(key) is not None]
    med, p95 = median_p95(values)
    return f"median {ms(med)}, p95 {ms(p95)}"


def _megabytes(sizes: list[float]) -> str:
    return f"{sorted(sizes)[len(sizes) // 2] / 1024 / 1024:.2f} MB"


def _repeat_rows(repeats: list[dict], sizes: list[float]) -> list[Row]:
    return [
        Row("3. browser", f"repeat visit ({len(repeats)}, same profile): bytes transferred", _megabytes(sizes)),
        Row("3. browser", "repeat visit: first map painted", _part(repeats, "painted")),
    ]


def _rows(loads: list[dict], sizes: list[float], ours: list[float], naive: list[float]) -> list[Row]:
    def part(key: str) -> str:
        return _part(loads, key)

    paint_med, _ = median_p95([load["painted"] / 1000 for load in loads])
    click_med, click_p95 = median_p95(ours)
    naive_med, naive_p95 = median_p95(naive)
    ratio = naive_med / click_med
    return [
        Row("3. browser", "first page load: bytes transferred", _megabytes(sizes)),
        Row("3. browser", f"first map: scripts downloaded ({len(loads)} fresh loads)", part("scripts_downloaded")),
        Row("3. browser", "first map: scripts run, page layout asked for", part("layout_requested")),
        Row("3. browser", "first map: page layout received", part("layout_received")),
        Row("3. browser", "first map: first area drawn", part("drawn")),
        Row("3. browser", "first map: painted (time to first map)", part("painted"), "< 1 s", paint_med < 1.0),
        Row(
            "3. browser",
            f"click to painted map, Needs Map ({len(ours)} site toggles)",
            f"median {ms(click_med)}, p95 {ms(click_p95)}",
            "< 50 ms",
            click_med < 0.05,
        ),
        Row(
            "3. browser",
            f"click to painted map, naive build ({len(naive)} toggles, same run)",
            f"median {ms(naive_med)}, p95 {ms(naive_p95)}",
        ),
        Row("3. browser", "click: naive / Needs Map", f"{ratio:.1f}x", ">= 3x", ratio >= 3),
    ]
