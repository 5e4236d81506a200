"""3. First page load and click-to-updated-map in headless Chromium (selenium + Debian
chromium-driver), against the production-like server started as a separate process."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time

from benchmarks.common import ROOT, Row, free_port, median_p95, ms

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

WAIT_FOR_MAP = """
const done = arguments[arguments.length - 1];
(function check() {
  if (document.querySelector('#needs-map .choroplethlocation')) { done(performance.now()); }
  else { requestAnimationFrame(check); }
})();
"""

CLICK_AND_WAIT = """
const done = arguments[arguments.length - 1];
const g = document.querySelector('#access-map .js-plotly-plot');
const before = JSON.stringify(g.data[0].z);
const box = document.querySelector("input[value='" + arguments[0] + "']");
const t0 = performance.now();
box.click();
(function check() {
  if (JSON.stringify(g.data[0].z) !== before) {
    requestAnimationFrame(() => done(performance.now() - t0));  // after the next paint
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
    driver.set_script_timeout(30)
    return driver


def run() -> list[Row]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        loads, sizes = [], []
        for _ in range(5):  # a fresh browser profile each time: nothing cached
            driver = _driver()
            try:
                driver.get(url)
                loads.append(driver.execute_async_script(WAIT_FOR_MAP) / 1000)
                time.sleep(1.0)  # let the remaining requests finish before counting bytes
                sizes.append(
                    driver.execute_script(
                        "const n = performance.getEntriesByType('navigation')[0];"
                        "return n.transferSize + performance.getEntriesByType('resource')"
                        ".reduce((s, r) => s + r.transferSize, 0);"
                    )
                )
            finally:
                driver.quit()
        driver = _driver()
        try:
            driver.get(url + "?page=access&base=current_2020")
            time.sleep(3)
            clicks = []
            for _i in range(20):
                took = driver.execute_async_script(CLICK_AND_WAIT, "pastures_way")
                if took >= 0:
                    clicks.append(took / 1000)
                time.sleep(0.3)
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(10)
    load_med, load_p95 = median_p95(loads)
    click_med, click_p95 = median_p95(clicks)
    return [
        Row(
            "3. browser", "first page load: bytes transferred", f"{sorted(sizes)[len(sizes) // 2] / 1024 / 1024:.2f} MB"
        ),
        Row(
            "3. browser",
            "time to first rendered map",
            f"median {ms(load_med)}, p95 {ms(load_p95)}",
            "< 1.5 s",
            load_med < 1.5,
        ),
        Row(
            "3. browser",
            f"click to updated map ({len(clicks)} site toggles)",
            f"median {ms(click_med)}, p95 {ms(click_p95)}",
            "< 100 ms",
            click_med < 0.1,
        ),
    ]
