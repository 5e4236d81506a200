"""Production mode: several gunicorn workers, security headers, /healthz, no stack traces,
a killed worker replaced, and a broken bundle refused at start-up with exit code 2."""

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from conftest import LUTON, ROOT, free_port, slow_clients

pytestmark = pytest.mark.slow  # starts gunicorn with workers: the full suite's


def _get(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture(scope="module")
def prod_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--prod", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if _get(base + "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the production server did not start")
    deadline = time.time() + 60  # gunicorn forks its workers one after another
    while time.time() < deadline and len(_workers(proc)) < 2:
        time.sleep(0.2)
    yield base, proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)


def _workers(proc):
    return [c for c in psutil.Process(proc.pid).children() if c.is_running()]


def test_health_and_security_headers(prod_server):
    base, proc = prod_server
    status, headers, body = _get(base + "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, headers, body = _get(base + "/")
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"].split("script-src", 1)[1].split(";")[0]
    assert headers["Referrer-Policy"] == "same-origin"
    assert len(_workers(proc)) == 2


def test_bad_requests_get_no_stack_trace(prod_server):
    base, _ = prod_server
    for body in (b"{not json", json.dumps({"output": "nope.children", "inputs": []}).encode()):
        status, _, content = _get(
            base + "/_dash-update-component", data=body, headers={"Content-Type": "application/json"}
        )
        assert status >= 400
        assert b"Traceback" not in content and b'File "' not in content


def test_a_killed_worker_is_replaced_and_others_keep_serving(prod_server):
    base, proc = prod_server
    before = _workers(proc)
    victim = before[0]
    victim.send_signal(signal.SIGKILL)
    for _ in range(10):
        assert _get(base + "/healthz")[0] == 200
    deadline = time.time() + 30
    while time.time() < deadline:
        now = _workers(proc)
        if len(now) == 2 and victim.pid not in [w.pid for w in now]:
            break
        time.sleep(0.5)
    else:
        pytest.fail("gunicorn did not replace the killed worker")
    assert _get(base + "/")[0] == 200


@pytest.mark.parametrize("prod", [False, True])
def test_corrupt_bundle_refused_with_exit_code_2(tmp_path, prod):
    bundle = tmp_path / "bundle"
    shutil.copytree(LUTON, bundle)
    (bundle / "sites.csv").write_text("site_id,name\n")  # header only, required columns missing
    args = [sys.executable, "app.py", "--bundle", str(bundle), "--port", str(free_port())] + (
        ["--prod"] if prod else []
    )
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "sites.csv" in lines[0] and "Traceback" not in out.stderr


def test_long_links_the_app_makes_are_served_under_prod(prod_server):
    """A link up to the app's own limit (8,000 characters of query) is served by gunicorn (whose
    default request-line limit of 4,094 answered such links with a bare 414)."""
    from urllib.parse import quote

    labels = "|".join(f"{quote('অঞ্চল')}{i}@LU1 3QZ" for i in range(20))
    query = "?page=access&add=" + quote(labels)
    query += "&x=" + "y" * max(0, 7_900 - len(query))
    assert 6_000 < len(query) <= 8_000
    base, _ = prod_server
    status, _, body = _get(base + "/" + query)
    assert status == 200 and b"<html" in body.lower()


def test_slow_clients_do_not_stall_the_server(prod_server):
    """Ten clients that send their request headers one line a second (a slowloris) do not keep
    /healthz from answering within a second."""
    base, _ = prod_server
    host, port = base.removeprefix("http://").split(":")
    done = slow_clients(host, int(port), headers=10)
    try:
        time.sleep(1.5)  # the slow clients hold their connections
        for _ in range(3):
            started = time.perf_counter()
            status, _, _ = _get(base + "/healthz")
            assert status == 200 and time.perf_counter() - started < 1.0
    finally:
        done()


def _start_prod(port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "app.py", "--prod", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_healthy(base: str, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if _get(base + "/healthz")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def test_sigterm_during_a_job_frees_the_port_for_a_restart(luton_engine):
    """SIGTERM while a long optimiser run (10 sites among 3,181 postcodes, about 16 s here) is
    working: gunicorn stops within seconds, the job does not linger holding the port (it did
    for about 45 s), and a restart on the same port succeeds."""
    from conftest import DashJobClient

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_prod(port)
    restarted = None
    try:
        assert _wait_healthy(base, 90), "the production server did not start"
        client = DashJobClient.over_http(base)
        from dashboard import ids

        wards = sorted(set(luton_engine.bundle.wards["name"]))
        body = client.body(
            client.callback_for(ids.OPT_RUN),
            {ids.OPT_RUN: 1},
            {
                ids.OPT_OBJECTIVE: "coverage",
                ids.OPT_P: 10,
                ids.OPT_FIXED: [],
                ids.OPT_CANDIDATES: "postcodes",
                ids.OPT_WARDS: wards,
                ids.OPT_WEIGHT: [],
                ids.OPT_KEEP: "chosen",
            },
        )
        client.start(body)
        time.sleep(2)  # the job is under way
        job_processes = [
            p for w in psutil.Process(server.pid).children() for p in w.children(recursive=True) if p.is_running()
        ]
        assert job_processes, "no job process was running"
        stopped = time.time()
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        assert time.time() - stopped < 4, "gunicorn took more than 4 s to stop"
        deadline = time.time() + 2
        while time.time() < deadline and any(
            p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in job_processes
        ):
            time.sleep(0.1)
        assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in job_processes), (
            "a job process outlived the server by 2 s"
        )
        restarted = _start_prod(port)
        assert _wait_healthy(base, 90), "a restart on the same port failed"
        assert restarted.poll() is None
    finally:
        for proc in (server, restarted):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)


def test_every_worker_serves_the_page_scripts_from_the_start(tmp_path):
    """Dash registers the scripts it may serve when it renders the page; a worker that had not
    rendered it answered 500 for them, so a first visit could show a blank page. Each script of
    the page, asked over new connections (so both workers answer), is served."""
    import os
    import re

    from conftest import start_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_app(port, dict(os.environ, NEEDSMAP_DATA_DIR=str(tmp_path / "data")), prod=True, workers=2)
    try:
        page = _get(base + "/")[2].decode()
        scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', page)
        assert len(scripts) > 5
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(12) as pool:  # at once, as a browser does: both workers answer
            statuses = list(pool.map(lambda src: _get(base + src)[0], scripts * 6))
        assert statuses == [200] * len(statuses)
    finally:
        server.terminate()
        server.wait(30)


def test_callback_slots_run_one_callback_at_a_time_and_let_other_requests_through():
    """CallbackSlots: with one slot, callback requests of a process run one after another, in
    arrival order, while a page or /healthz request is served during a callback."""
    import threading

    from dashboard.serving import CallbackSlots

    running, most, order, lock = [0], [0], [], threading.Lock()
    release = threading.Event()

    def app(environ, start_response):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            order.append(environ["PATH_INFO"] + environ.get("QUERY_STRING", ""))
        if environ["QUERY_STRING"] == "first":
            release.wait(5)  # the first callback holds its slot until /healthz has been served
        with lock:
            running[0] -= 1
        start_response("200 OK", [])
        return [b"ok"]

    slots = CallbackSlots(app, slots=1)

    def call(method, path, query=""):
        env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
        return slots(env, lambda status, headers: None)

    first = threading.Thread(target=call, args=("POST", "/_dash-update-component", "first"))
    first.start()
    time.sleep(0.2)
    waiting = [threading.Thread(target=call, args=("POST", "/_dash-update-component", f"n{i}")) for i in range(3)]
    for t in waiting:
        t.start()
        time.sleep(0.05)
    assert call("GET", "/healthz") == [b"ok"]  # served while the first callback holds the slot
    assert order == ["/_dash-update-componentfirst", "/healthz"]
    release.set()
    for t in [first, *waiting]:
        t.join(5)
    assert most[0] == 2  # the callback and /healthz; never two callbacks
    assert order[2:] == [f"/_dash-update-componentn{i}" for i in range(3)]  # first come, first served


def test_a_callback_ending_while_others_wait_closes_its_connection_and_busy_is_told():
    """CallbackSlots tells the worker when callbacks run or wait (``callbacks_busy``), and asks
    gunicorn to close the connection of a callback that ends while another waits, so that
    user's next request may go to a free worker; one that ends with nobody waiting keeps it."""
    import threading

    from dashboard import serving

    release = threading.Event()

    def app(environ, start_response):
        if environ["QUERY_STRING"] == "first":
            release.wait(5)
        start_response("200 OK", [])
        return [b"ok"]

    class GunicornResponse:  # what gunicorn passes as start_response: a bound method
        def __init__(self):
            self.closed = False

        def start_response(self, status, headers):
            pass

        def force_close(self):
            self.closed = True

    slots = serving.CallbackSlots(app, slots=1)
    responses = {}

    def call(query):
        responses[query] = GunicornResponse()
        env = {"REQUEST_METHOD": "POST", "PATH_INFO": "/_dash-update-component", "QUERY_STRING": query}
        return slots(env, responses[query].start_response)

    assert not serving.callbacks_busy()
    first = threading.Thread(target=call, args=("first",))
    first.start()
    time.sleep(0.2)
    assert serving.callbacks_busy()  # one running
    second = threading.Thread(target=call, args=("second",))
    second.start()
    time.sleep(0.2)
    release.set()
    first.join(5)
    second.join(5)
    assert responses["first"].closed  # it ended while "second" waited
    assert not responses["second"].closed  # nobody waited behind it
    assert not serving.callbacks_busy()
    assert call("alone") == [b"ok"] and not responses["alone"].closed
    serving.close_after_response(lambda status, headers: None)  # any other server: nothing to do


def test_a_worker_with_callbacks_busy_takes_no_new_connections(monkeypatch):
    """BalancedThreadWorker: while a callback of its own runs or waits, the worker stops
    accepting (new connections go to free workers); when it is free it accepts again. The
    methods it extends are gthread's own, so an upgrade that renames them fails here."""
    import selectors
    import socket

    from gunicorn.workers.gthread import ThreadWorker

    from dashboard import gunicorn_worker, serving

    for name in ("set_accept_enabled", "accept"):
        assert callable(getattr(ThreadWorker, name, None)), f"gunicorn's gthread has no {name}"
    worker = object.__new__(gunicorn_worker.BalancedThreadWorker)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    worker.sockets = [listener]
    worker.poller = selectors.DefaultSelector()
    worker._accepting = False
    try:
        monkeypatch.setattr(serving, "_callbacks_busy", 1)
        worker.set_accept_enabled(True)
        assert not worker._accepting and not worker.poller.get_map()
        monkeypatch.setattr(serving, "_callbacks_busy", 0)
        worker.set_accept_enabled(True)
        assert worker._accepting and worker.poller.get_key(listener)
        monkeypatch.setattr(serving, "_callbacks_busy", 2)
        worker.set_accept_enabled(True)  # busy again: whoever asks, it stops accepting
        assert not worker._accepting and not worker.poller.get_map()
        # busy for longer than MAX_DEFER_S: it takes connections again, so nobody waits for ever
        worker._busy_since -= gunicorn_worker.MAX_DEFER_S
        worker.set_accept_enabled(True)
        assert worker._accepting and worker.poller.get_key(listener)
    finally:
        worker.poller.close()
        listener.close()


def test_every_asset_of_the_page_is_cached_for_good_under_a_versioned_address(prod_server, tmp_path):
    """Repeat visits: every asset the page asks for carries its modification time in its address
    and is served with a year's cache; the same file asked for without one is revalidated
    (no-cache), and a changed file gets a new address."""
    import os
    import re

    base, _ = prod_server
    page = _get(base + "/")[2].decode()
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)
    # the hand-added scripts (partial plotly.js, the late scripts) and Dash's own asset list
    assert any("plotly-needs-map" in a for a in assets) and any("late/deferred.js" in a for a in assets)
    for address in assets:
        assert re.search(r"\?m=\d", address), address
        status, headers, _ = _get(base + address)
        assert status == 200
        cache = headers["Cache-Control"].replace(" ", "").split(",")
        assert {"public", "max-age=31536000", "immutable"} <= set(cache), (address, cache)
    status, headers, _ = _get(base + assets[0].split("?")[0])
    assert status == 200 and "no-cache" in headers["Cache-Control"]

    from dashboard import serving

    class App:  # the two things versioned_asset_url reads of a Dash app
        config = type("Config", (), {"assets_folder": str(tmp_path)})

        @staticmethod
        def get_asset_url(name):
            return "/assets/" + name

    asset = tmp_path / "x.js"
    asset.write_text("1")
    os.utime(asset, (1_000_000_000, 1_000_000_000))
    first = serving.versioned_asset_url(App, "x.js")
    os.utime(asset, (1_000_000_100, 1_000_000_100))
    assert first == "/assets/x.js?m=1000000000" and serving.versioned_asset_url(App, "x.js") != first


def test_no_output_is_set_by_two_callbacks_unless_marked(luton_app):
    """Dash's dev tools refuse an output two callbacks set unless one marks it allow_duplicate
    (which gives it an '@' suffix); production mode says nothing, and which callback wins is
    then a matter of order."""
    outputs = []
    for key in luton_app.callback_map:
        outputs += [part for part in key.strip(".").split("...") if part and "@" not in part]
    repeated = sorted({o for o in outputs if outputs.count(o) > 1})
    assert repeated == []


def test_debug_mode_starts_and_serves_the_page(tmp_path):
    """``python app.py --debug``: Dash's dev tools add an error handler, which Flask refuses once
    the app has served a request; the debug app is not warmed, so it starts."""
    import os

    port = free_port()
    env = dict(os.environ, NEEDSMAP_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--debug", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # the reloader starts a child: stop the whole group
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline and proc.poll() is None:
            try:
                status, _, body = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert status == 200 and b"_dash-config" in body
        status, _, layout = _get(f"http://127.0.0.1:{port}/_dash-layout")
        assert status == 200 and b"needs-map" in layout
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def test_every_link_written_for_a_twenty_site_view_opens_under_prod(prod_server, luton_engine):
    """The links that CSV headers, the three briefings and the Options page write for a view of
    20 added sites with long labels are short (/v/<id>, kept in the server's database) and each
    answers 200 under --prod, reopening that view."""
    import re

    from dashboard.links import page_link
    from dashboard.pages.access import access_detail_update
    from geo.appraisal import preset
    from geo.options import from_state, option_links
    from geo.reports.briefing import briefing_content
    from geo.reports.ward_briefing import ward_briefing_content
    from geo.store import ScenarioStore
    from geo.viewstate import MAX_ADDED, default_state

    e = luton_engine
    store = ScenarioStore()  # the server's own database (NEEDSMAP_DATA_DIR, as the tests set it)
    postcodes = ["LU1 3QZ", "LU1 3RH", "LU4 8BW", "LU2 0AB", "LU3 2NT"]
    label = "অঞ্চলকেন্দ্র family hub with a long name "
    state = {
        **default_state(e),
        "page": "access",
        "add": [f"{i:02d} {label}@{postcodes[i % 5]}" for i in range(MAX_ADDED)],
    }
    local = "http://127.0.0.1:8050/"
    links = [page_link(e, state, store)]
    csv_lines = access_detail_update(e, state, links[0])
    links += re.findall(r"Link: (\S+)", str(csv_lines))
    links.append(briefing_content(e, state, local, store=store).link)
    links.append(ward_briefing_content(e, state, "Saints", local, store=store).link)
    options = [preset(e, "current_2020"), from_state(e, "view", "", state, "view")]
    links += list(option_links(e, options, local, settings=state, store=store).values())
    base, _ = prod_server
    assert len(links) >= 6
    for link in set(links):
        assert len(link) <= 100, link
        status, _, body = _get(link.replace(local.rstrip("/"), base))
        assert status == 200 and b"<html" in body.lower(), link
    # the short link holds the whole view
    key = links[0].rsplit("/", 1)[1]
    assert store.load_view(key).count("family+hub+with+a+long+name@") == MAX_ADDED


def test_clients_dripping_callback_bodies_do_not_hold_the_callback_slots(prod_server):
    """Four clients that send a callback request's body a byte a second hold their own threads
    only: other people's callback requests are still answered at once (the body is read before
    a slot is taken: serving.CallbackSlots)."""
    base, _ = prod_server
    host, port = base.removeprefix("http://").split(":")
    done = slow_clients(host, int(port), bodies=4)
    try:
        time.sleep(1.5)
        for _ in range(4):
            started = time.perf_counter()
            status, _, _ = _get(
                base + "/_dash-update-component", data=b"{}", headers={"Content-Type": "application/json"}
            )
            assert status in (200, 204, 400, 500) and time.perf_counter() - started < 5
    finally:
        done()


def test_a_hung_database_is_reported_and_holds_no_one_up(postgres_url, luton_engine, tmp_path):
    """Issue 26: PostgreSQL paused with SIGSTOP (every process of it: the kernel still accepts
    bytes, so no socket or server timeout fires). /healthz answers 503 within 2 s naming no host
    or port; saves answer within their bounded wait with a message; site clicks, which do not use
    the database, are all answered meanwhile. Resumed, saving works again."""
    import concurrent.futures
    import os

    from benchmarks.server_bench import click_requests
    from conftest import start_app
    from dashboard import create_app
    from geo.viewstate import default_state
    from tests.test_access_control import _save_body

    app = create_app(engine=luton_engine, warm=False)  # the same layout: the page's request bodies
    state = {**default_state(luton_engine), "page": "access"}
    toggle, _, _ = click_requests(app, luton_engine, state, __import__("random").Random(4))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": postgres_url, "NEEDSMAP_ACCESS": "open", "NEEDSMAP_DATA_DIR": str(tmp_path)}
    server = start_app(port, env=env, prod=True)
    base = f"http://127.0.0.1:{port}"
    pg_port = postgres_url.rsplit(":", 1)[1].split("/")[0]
    postmaster = next(
        p
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and pg_port in (p.info["cmdline"] or [])
    )
    headers = {"Content-Type": "application/json"}

    def post(body):
        started = time.perf_counter()
        status, _, data = _get(base + "/_dash-update-component", data=json.dumps(body).encode(), headers=headers)
        return status, data, time.perf_counter() - started

    paused = []
    try:
        status, data, _ = post(_save_body(app, "Before the pause"))
        assert status == 200 and b"Saved" in data, data[:300]
        postmaster.suspend()  # first: no new connection's process is started after the list is made
        paused = [postmaster, *postmaster.children(recursive=True)]
        for process in paused[1:]:
            process.suspend()
        time.sleep(6)  # /healthz's last answer is kept 5 s per worker
        started = time.perf_counter()
        status, _, data = _get(base + "/healthz")
        assert time.perf_counter() - started < 2.0 and status == 503
        assert b"no answer within" in data and pg_port.encode() not in data and b"127.0.0.1" not in data
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            saves = [pool.submit(post, _save_body(app, f"During the pause {k}")) for k in range(2)]
            time.sleep(0.2)
            clicks = [pool.submit(post, toggle(state)) for _ in range(8)]
            for status, data, took in (c.result() for c in clicks):
                assert status == 200 and took < 5, (status, took, data[:200])
            for status, data, took in (s.result() for s in saves):
                # answered within the database wait (3 s) and the slot's queue, with the reason
                assert status == 200 and took < 10 and b"did not answer" in data, (status, took, data[:300])
        for process in paused:
            process.resume()
        # runuser, which started the server, stops itself when its child stops (as su does)
        postmaster.parent().resume()
        paused = []
        deadline = time.time() + 30
        while True:  # the threads left waiting end; the pool's pre-ping replaces dead connections
            status, data, _ = post(_save_body(app, "After the pause"))
            if b"Saved" in data or time.time() > deadline:
                break
            time.sleep(1)
        assert status == 200 and b"Saved" in data, data[:300]
    finally:  # whatever failed: the database resumed and the app stopped
        for process in paused:
            process.resume()
        if paused:
            postmaster.parent().resume()
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def test_answers_are_compressed_fast_and_fixed_files_kept_small(luton_app, luton_engine):
    """After start-up (``serving.warm``) a callback answer asked for as a browser asks is
    Brotli-compressed at the fast level and decodes to the very answer sent uncompressed; the
    fixed files were kept at the smaller level before that."""
    import re

    import brotli

    from dashboard import ids, serving

    assert luton_app.server.config["COMPRESS_BR_LEVEL"] == serving.ANSWER_BR_LEVEL == 1
    client = luton_app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    script = next(p for p in re.findall(r'src="([^"]+)"', page) if "plotly" in p)
    packed = client.get(script, headers={"Accept-Encoding": "br"})
    raw = client.get(script).data
    # kept from start-up: smaller than level 1 makes it (so not made again at level 1); the same
    # for the scripts the page loads later (dcc's lazy chunks), which no script tag lists
    assert len(packed.data) < len(brotli.compress(raw, quality=1))
    for chunk in ("async-markdown.js", "async-graph.js"):
        path = f"/_dash-component-suites/dash/dcc/{chunk}"
        assert path in serving.lazy_chunk_paths()
        kept, raw = client.get(path, headers={"Accept-Encoding": "br"}).data, client.get(path).data
        assert brotli.decompress(kept) == raw and len(kept) < len(brotli.compress(raw, quality=1))
    # a real answer: the Needs page's map, text and table for another indicator
    from benchmarks.dash_requests import CallbackRequests
    from geo.viewstate import default_state

    needs = CallbackRequests(luton_app, ids.NEEDS_MAP + ".figure")
    view = {k: v for k, v in default_state(luton_engine).items()}
    view["ind"] = "imd_rank"
    request = needs.body({(ids.NEEDS_VIEW, "data"): view, (ids.PAGE_VIEW, "data"): "needs"}, [f"{ids.NEEDS_VIEW}.data"])
    plain = client.post("/_dash-update-component", json=request)
    squeezed = client.post("/_dash-update-component", json=request, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert plain.status_code == squeezed.status_code == 200
    assert squeezed.headers["Content-Encoding"] == "br" and len(squeezed.data) < len(plain.data) / 3
    assert brotli.decompress(squeezed.data) == plain.data
