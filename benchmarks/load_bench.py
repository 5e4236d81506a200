"""7. Load: simulated users for 60 seconds against ``python app.py --prod`` on loopback (the app's
defaults: output-area origins, under-fives mid-2019, a 20-minute walk), with one worker killed
(SIGKILL) 20 seconds in; run at 50 and at 200 users. All but ``COMPARERS`` of them click site
toggles (the state callback, then the charts-and-tables callback); ``COMPARERS`` compare options
on the Options page over and over (the table, then the map per option, a background job polled
as the browser polls it). Every request asks for a compressed answer as Chromium does (the server
compresses, the client decompresses). The latency goal is the clickers'. Bounded in count and
time; it stops by itself.

No request is retried. Failures are sorted into three kinds:

* in flight on the killed worker: started before the kill and failed within 2 s after it (the
  request the kill cost; a browser shows it as a failed click);
* a stale connection to the killed worker: a keep-alive connection opened before the kill, whose
  next request failed at once after it (a browser resends these itself, before showing anything);
* other errors: anything else, which should be none.

Why not Locust: the client must build Dash's callback bodies from the app exactly as the browser
does (``benchmarks.dash_requests``), so it runs with the app's own code; Locust's gevent
patching of sockets and threads in the same process as geopandas and Dash proved more to
maintain than this one loop. The users are spread over client processes of
``USERS_PER_CLIENT`` each (forked after the app is built), as they would be over browsers:
with all 50 in one Python process, an answer that had arrived waited for the client's own GIL
before it was counted (the server's own log gave a p95 60 ms below the client's). The clients
run on the same 2 cores as the server, so the figures include their CPU use (reported).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import signal
import subprocess
import sys
import threading
import time

from benchmarks.common import ROOT, Row, free_port, luton_engine, median_p95, ms

USERS = (50, 200)
COMPARERS = 4  # of the users, comparing two presets on the Options page again and again
SECONDS = 60
KILL_AT = 20
MAX_REQUESTS = 400_000
USERS_PER_CLIENT = 10  # simulated users per client process (each its own GIL, as browsers are)
IN_FLIGHT_WINDOW = 2.0  # seconds after the kill in which a failure of an earlier request is the kill's
# as Chromium sends them: the server compresses each answer (Brotli) as it does for a browser
HEADERS = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate, br, zstd"}


def decoded(response, data: bytes | None = None) -> bytes:
    """The answer's bytes (``data``: already read), decompressed as the browser does (the
    latency counts the server's compressing; the load generator's CPU, reported, counts this)."""
    data = response.read() if data is None else data
    encoding = response.getheader("Content-Encoding")
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(data)
    return data


def run() -> list[Row]:
    rows: list[Row] = []
    for users in USERS:
        rows.extend(run_users(users))
    return rows


def run_users(users: int, seconds: float = SECONDS, workers: int = 4) -> list[Row]:
    import psutil

    from dashboard import create_app

    engine = luton_engine(None)  # the app's own origins (output areas), as the server uses
    app = create_app(engine=engine)  # only to build request bodies exactly as the browser does
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "app.py", "--prod", "--workers", str(workers), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        stop_at = time.time() + seconds
        clickers = users - COMPARERS
        # one client process per USERS_PER_CLIENT users, forked with the app's request builders
        groups = [list(range(i, min(i + USERS_PER_CLIENT, clickers))) for i in range(0, clickers, USERS_PER_CLIENT)]
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        clients = [
            context.Process(
                target=_client,
                args=(results, app, engine, port, stop_at, seeds, (), max(1, MAX_REQUESTS // len(groups))),
            )
            for seeds in groups
        ]
        clients.append(
            context.Process(
                target=_client,
                args=(results, app, engine, port, stop_at, (), range(1000, 1000 + COMPARERS), MAX_REQUESTS),
            )
        )
        for client in clients:
            client.start()
        time.sleep(min(KILL_AT, seconds / 3))
        master = psutil.Process(server.pid)
        victim = master.children()[0]
        killed_at = time.time()
        victim.send_signal(signal.SIGKILL)
        reports = [results.get(timeout=seconds + 120) for _ in clients]
        for client in clients:
            client.join(30)
        replaced = False
        for _ in range(60):  # gunicorn notices the dead worker and forks a new one
            children = [c.pid for c in master.children()]
            if len(children) == workers and victim.pid not in children:
                replaced = True
                break
            time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    latencies = [x for report in reports for x in report["latencies"]]
    comparisons = [x for report in reports for x in report["comparisons"]]
    client_cpu = sum(report["cpu"] for report in reports)
    failures: dict[str, list[str]] = {"in_flight": [], "stale": [], "other": []}
    for report in reports:
        for started, failed, opened, what in report["failures"]:
            if started is None:
                kind = "other"  # an answer that came, but not 200
            elif started < killed_at <= failed <= killed_at + IN_FLIGHT_WINDOW:
                kind = "in_flight"
            elif opened < killed_at <= started:
                kind = "stale"
            else:
                kind = "other"
            failures[kind].append(what)
    med, p95 = median_p95(latencies)
    label = f"{users} users ({COMPARERS} comparing options)"
    compare_med, compare_p95 = median_p95(comparisons) if comparisons else (float("nan"), float("nan"))
    goal = "< 250 ms" if users == 50 else ""
    return [
        Row(
            "7. load",
            f"{label} x {seconds:g} s, {workers} workers: requests answered",
            f"{len(latencies):,} ({len(latencies) / seconds:.0f}/s); load generator used {client_cpu:.0f} s of CPU",
        ),
        Row(
            "7. load",
            f"{label}: comparisons, choice to the maps drawn",
            f"{len(comparisons)}; median {ms(compare_med)}, p95 {ms(compare_p95)}",
        ),
        Row(
            "7. load",
            f"{label}: latency per site-click callback request",
            f"median {ms(med)}, p95 {ms(p95)}",
            goal,
            (p95 * 1000 < 250) if goal else None,
        ),
        Row(
            "7. load",
            f"{label}: failed requests, no retries",
            f"{len(failures['in_flight'])} in flight on the killed worker; "
            f"{len(failures['stale'])} on stale connections to it; {len(failures['other'])} other",
            "0 other",
            not failures["other"],
        ),
        Row(
            "7. load",
            f"{label}: worker killed at {min(KILL_AT, seconds / 3):g} s replaced by gunicorn",
            "yes" if replaced else "no",
            "yes",
            replaced,
        ),
    ]


def _client(results, app, engine, port: int, stop_at: float, user_seeds, comparer_seeds, max_requests: int) -> None:
    """One client process: a thread per simulated user (clickers ``user_seeds``, comparers
    ``comparer_seeds``) until ``stop_at``; puts its latencies, comparisons, failures (as raw
    times, sorted by the parent, which knows when the worker was killed) and CPU time on
    ``results``. Users are spread over processes as they are over browsers: one Python
    process for all of them made each answer wait for the client's own GIL before it was
    counted (up to 60 ms at p95 with 50 users), which no browser adds."""
    from benchmarks.server_bench import click_requests
    from geo.viewstate import default_state

    latencies: list[float] = []
    comparisons: list[float] = []  # seconds from choosing options to the maps drawn
    failures: list[tuple] = []  # (started, failed, connection opened, what)
    lock = threading.Lock()
    count = [0]
    cpu_start = time.process_time()

    def user(seed: int):
        rng = random.Random(seed)
        toggle, details, keys = click_requests(app, engine, default_state(engine), rng)
        state = default_state(engine)
        state["page"] = "access"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        opened = time.time()

        def post(body):
            nonlocal conn, opened
            payload = json.dumps(body)
            started = time.time()
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/_dash-update-component", payload, HEADERS)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    failures.append((started, time.time(), opened, repr(exc)[:120]))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                opened = time.time()
                return None
            took = time.perf_counter() - t0  # to the answer's last byte (decompressed after)
            data = decoded(response, data)
            if response.status != 200:
                with lock:
                    failures.append((None, None, None, f"HTTP {response.status}"))
                return None
            with lock:
                latencies.append(took)
                count[0] += 1
            return data

        while time.time() < stop_at and count[0] < max_requests:
            data = post(toggle(state))
            if data is not None:
                state = json.loads(data)["response"]["view-state"]["data"]
                post(details({k: state[k] for k in keys}))
            time.sleep(rng.uniform(0.2, 0.6))  # think time between clicks

    def comparer(seed: int):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        bodies = options_requests(app, engine)
        k = 0
        while time.time() < stop_at:
            k += 1
            t0 = time.perf_counter()
            try:
                for query, body in bodies(k):
                    while True:  # a background job: polled until its answer comes
                        conn.request("POST", "/_dash-update-component" + query, body, HEADERS)
                        response = conn.getresponse()
                        data = decoded(response)
                        if response.status != 200:
                            raise http.client.HTTPException(f"HTTP {response.status}")
                        if b"cacheKey" in data and not query:
                            handle = json.loads(data)
                            query = f"?cacheKey={handle['cacheKey']}&job={handle['job']}"
                        elif query and b'"response"' not in data:
                            pass  # still running
                        else:
                            break
                        time.sleep(0.5)  # the renderer's polling interval
                        if time.time() > stop_at + 30:
                            raise http.client.HTTPException("no answer")
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue  # the kill, or the end: the clickers' figures are the goal
            with lock:
                comparisons.append(time.perf_counter() - t0)
            time.sleep(rng.uniform(1.0, 3.0))  # reading the table before changing the choice

    threads = [threading.Thread(target=user, args=(seed,), daemon=True) for seed in user_seeds]
    threads += [threading.Thread(target=comparer, args=(seed,), daemon=True) for seed in comparer_seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, stop_at - time.time()) + 60)
    with lock:
        results.put(
            {
                "latencies": latencies,
                "comparisons": comparisons,
                "failures": failures,
                "cpu": time.process_time() - cpu_start,
            }
        )


def options_requests(app, engine):
    """For the ``k``-th comparison: the Options table's request, then the maps job's, each as
    (query, JSON body); the choices alternate between the two presets and those two with the
    Access page's scenario."""
    from benchmarks.dash_requests import CallbackRequests
    from dashboard import ids
    from dashboard.pages.options import VIEW_OPTION, preset_choices
    from geo.viewstate import default_state

    table = CallbackRequests(app, '{"table":"options-table"')
    maps = CallbackRequests(app, f"{ids.OPTIONS_MAPS}.src")
    listed = preset_choices(engine) + [{"label": "The scenario on the Access page", "value": VIEW_OPTION}]
    view = {**default_state(engine), "page": "options"}

    def bodies(k: int):
        chosen = [c["value"] for c in listed][: 2 + k % 2]
        values = {
            (ids.OPTIONS_CHOICES, "value"): chosen,
            (ids.OPTIONS_BASELINE, "value"): chosen[0],
            (ids.PAGE_VIEW, "data"): "options",
            (ids.ACCESS_VIEW, "data"): view,
            (ids.OPTIONS_CHOICES, "options"): listed,
            (ids.OPTIONS_MAPS_REQUEST, "data"): k,
        }
        yield "", json.dumps(table.body(values, [f"{ids.OPTIONS_CHOICES}.value"]))
        yield "", json.dumps(maps.body(values, [f"{ids.OPTIONS_MAPS_REQUEST}.data"]))

    return bodies
