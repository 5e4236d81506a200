"""7. Load: 50 simulated users for 60 seconds against ``python app.py --prod`` on loopback,
each clicking site toggles (the state callback, then the charts-and-tables callback), with
one worker killed (SIGKILL) 20 seconds in. Bounded in count and time; it stops by itself."""

from __future__ import annotations

import http.client
import json
import random
import signal
import subprocess
import sys
import threading
import time

from benchmarks.common import ROOT, Row, free_port, luton_engine, median_p95, ms

USERS = 50
SECONDS = 60
KILL_AT = 20
MAX_REQUESTS = 200_000


def run(users: int = USERS, seconds: float = SECONDS, workers: int = 4) -> list[Row]:
    import psutil

    from benchmarks.server_bench import click_requests
    from dashboard import create_app
    from geo.viewstate import default_state

    engine = luton_engine()
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
        latencies, errors, retried = [], [], [0]
        lock = threading.Lock()
        stop_at = time.time() + seconds
        count = [0]

        def user(seed: int):
            rng = random.Random(seed)
            toggle, details, keys = click_requests(app, engine, default_state(engine), rng)
            state = default_state(engine)
            state["page"] = "access"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

            def post(body):
                nonlocal conn
                payload = json.dumps(body)
                for attempt in (1, 2):  # one retry, as a browser does when a connection is reset
                    try:
                        started = time.perf_counter()
                        conn.request("POST", "/_dash-update-component", payload, {"Content-Type": "application/json"})
                        response = conn.getresponse()
                        data = response.read()
                        took = time.perf_counter() - started
                        if response.status != 200:
                            raise RuntimeError(f"HTTP {response.status}")
                        return took, data
                    except (OSError, http.client.HTTPException) as exc:
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                        if attempt == 2:
                            raise exc
                        with lock:
                            retried[0] += 1

            while time.time() < stop_at and count[0] < MAX_REQUESTS:
                try:
                    took, data = post(toggle(state))
                    state = json.loads(data)["response"]["view-state"]["data"]
                    took2, _ = post(details({k: state[k] for k in keys}))
                    with lock:
                        latencies.extend([took, took2])
                        count[0] += 2
                except Exception as exc:  # counted and reported, never hidden
                    with lock:
                        errors.append(repr(exc)[:120])
                time.sleep(rng.uniform(0.2, 0.6))  # think time between clicks

        threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
        for t in threads:
            t.start()
        time.sleep(min(KILL_AT, seconds / 3))
        master = psutil.Process(server.pid)
        victim = master.children()[0]
        victim.send_signal(signal.SIGKILL)
        for t in threads:
            t.join(seconds + 60)
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
    med, p95 = median_p95(latencies)
    return [
        Row(
            "7. load",
            f"{users} users x {seconds:g} s, {workers} workers: requests",
            f"{len(latencies):,} ({len(latencies) / seconds:.0f}/s)",
        ),
        Row("7. load", "latency per callback request", f"median {ms(med)}, p95 {ms(p95)}"),
        Row(
            "7. load",
            "errors (after one retry)",
            f"{len(errors)}; {retried[0]} request(s) retried after the kill",
            "0",
            len(errors) == 0,
        ),
        Row(
            "7. load",
            f"worker killed at {min(KILL_AT, seconds / 3):g} s replaced by gunicorn",
            "yes" if replaced else "no",
            "yes",
            replaced,
        ),
    ]
