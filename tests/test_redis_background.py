"""Background work through Celery and Redis (REDIS_URL set): Debian's redis-server and a
Celery worker are started by the test on loopback, and briefings downloaded in the browser
are made by that worker. Also what happens when Redis goes away mid-job, and when Redis
restarts (losing everything, no persistence) and the worker is replaced."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from pypdf import PdfReader

from conftest import ROOT, DashJobClient, free_port, wait_for_download
from dashboard import ids, jobs

pytestmark = pytest.mark.browser


def start_redis(port: int, folder) -> subprocess.Popen:
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is not installed (.ci/run installs Debian's redis-server)"
    redis = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return redis
        except OSError:
            time.sleep(0.1)
    raise AssertionError("redis-server did not start")


def start_worker(url: str, log: Path | None = None) -> subprocess.Popen:
    """A Celery worker; with ``log``, its log (INFO) goes to that file, for a failure to show."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dashboard.celery_worker:celery_app", "worker"]
        # threads, not solo: a solo worker answers no control message (the /healthz ping) while it
        # runs a job, so a briefing redelivered after a restart read as "no worker" under load
        + ["--loglevel=INFO" if log else "--loglevel=WARNING", "--concurrency=1", "--pool=threads"]
        + ([f"--logfile={log}"] if log else []),
        cwd=ROOT,
        env=dict(os.environ, REDIS_URL=url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class RedisAndWorker:
    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.redis = start_redis(self.port, folder)
        self.workers_started = 1
        self.worker = start_worker(self.url, self.log(1))

    def log(self, number: int) -> Path:
        return Path(self.folder) / f"celery-worker-{number}.log"

    def worker_log_tail(self) -> str:
        """The current worker's start-up and last lines (for a failure message), without the
        PDF renderer's font-subsetting lines."""
        path = self.log(self.workers_started)
        if not path.exists():
            return "(no log)"
        font = ("subsett", "pruned", "dropped", "Unicode ranges", "CodePage", "gid0")
        lines = [line for line in path.read_text(errors="replace").splitlines() if not any(f in line for f in font)]
        return "\n".join(lines if len(lines) <= 30 else lines[:10] + ["..."] + lines[-20:])

    def restart_redis(self) -> None:
        stop(self.redis)
        self.redis = start_redis(self.port, self.folder)

    def replace_worker(self) -> None:
        stop(self.worker)
        self.workers_started += 1
        self.worker = start_worker(self.url, self.log(self.workers_started))

    def close(self) -> None:
        stop(self.worker)
        stop(self.redis)


@pytest.fixture
def redis_and_worker(tmp_path, monkeypatch):
    services = RedisAndWorker(tmp_path)
    monkeypatch.setenv("REDIS_URL", services.url)
    yield services
    services.close()


def _redis_state(url: str) -> str:
    """What Redis holds for Celery's control channel, for a failure message: the pub/sub channels
    and patterns subscribed to (the workers' broadcast queues), the kombu bindings and each client's
    last command, and the workers' heartbeat keys with their seconds left."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, decode_responses=True)
    try:
        channels = sorted(client.pubsub_channels())
        patterns = client.pubsub_numpat()
        bindings = {key: sorted(client.smembers(key)) for key in client.keys("_kombu.binding.*")}
        clients = [
            f"{c.get('name') or '-'} {c.get('cmd')} sub={c.get('sub')} psub={c.get('psub')}"
            for c in client.client_list()
        ]
        beats = {key: client.ttl(key) for key in client.keys("needs_map:worker:*")}
        return (
            f"heartbeats (key: seconds left) {beats}; channels {channels}; patterns {patterns}; "
            f"bindings {bindings}; clients {clients}"
        )
    except (redis.RedisError, OSError) as exc:
        return f"Redis could not be read ({exc})"
    finally:
        client.close()


def _healthz(base: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_briefing_made_by_a_celery_worker(dash_duo, redis_and_worker, luton_engine):
    from dashboard import create_app

    app = create_app(engine=luton_engine)
    assert type(app._background_manager).__name__ == "CeleryManager"
    dash_duo.start_server(app)
    dash_duo.wait_for_element(f"#{ids.NEEDS_MAP} .choroplethlocation", timeout=20)
    dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").click()
    files = wait_for_download(dash_duo.download_path, seconds=60)
    assert files, "no briefing was downloaded within 60 s"
    assert len(PdfReader(files[0]).pages) == 2


def _worker_answers(url: str) -> bool:
    from celery import Celery

    asker = Celery("needs_map_test", broker=url, backend=url)
    try:
        with asker.connection_for_write() as connection:
            return bool(asker.control.ping(timeout=1.0, connection=connection))
    except Exception:  # noqa: BLE001 - Redis not answering yet
        return False


def test_a_celery_worker_outlives_a_redis_outage(redis_and_worker):
    """Redis is away for 8 s: the worker waits for it and answers again (it used to exit for good,
    having taken the web side's one-retry broker setting)."""
    deadline = time.time() + 90
    while time.time() < deadline and not _worker_answers(redis_and_worker.url):
        time.sleep(1)
    assert _worker_answers(redis_and_worker.url), "the worker never answered"
    stop(redis_and_worker.redis)
    time.sleep(8)
    redis_and_worker.redis = start_redis(redis_and_worker.port, redis_and_worker.folder)
    deadline = time.time() + 60
    while time.time() < deadline and not _worker_answers(redis_and_worker.url):
        time.sleep(1)
    assert redis_and_worker.worker.poll() is None, "the worker exited while Redis was away"
    assert _worker_answers(redis_and_worker.url), "the worker did not answer after Redis came back"


def test_redis_stopped_mid_job_is_reported_within_30_s(dash_duo, redis_and_worker, luton_engine):
    """Redis goes away while a briefing is being made: the user reads a message beside the
    button within 30 s, the button works again, and /healthz stops saying "ok"."""
    from dashboard import create_app

    app = create_app(engine=luton_engine)
    dash_duo.start_server(app)
    dash_duo.wait_for_element(f"#{ids.NEEDS_MAP} .choroplethlocation", timeout=20)
    url_before = dash_duo.driver.current_url
    dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BRIEF_STATUS}", "Preparing", timeout=10)
    redis_and_worker.redis.send_signal(signal.SIGKILL)
    redis_and_worker.redis.wait(10)
    stopped = time.time()
    alert = f"#{jobs.part_id(ids.BRIEF_JOB, 'alert')}"
    dash_duo.wait_for_contains_text(alert, "Nothing you set has changed", timeout=30)
    assert time.time() - stopped < 30
    assert dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").is_enabled()
    assert dash_duo.driver.current_url == url_before
    status, body = _healthz(dash_duo.server_url)
    assert status == 503 and '"degraded"' in body and "Redis" in body


def test_briefings_survive_redis_restart_and_worker_replacement(dash_br, redis_and_worker, tmp_path):
    """Production (gunicorn, two workers) with Celery: Redis restarts with nothing kept, the
    Celery worker and a web worker are replaced; every briefing afterwards still arrives. The
    job handles are signed with one secret from configuration; Dash's fallback kept it in
    Redis, so the new web worker made a second secret and the other worker's pages got 204."""
    port = free_port()
    env = dict(os.environ, REDIS_URL=redis_and_worker.url, NEEDSMAP_DATA_DIR=str(tmp_path / "data"))
    env.pop("NEEDSMAP_SECRET_KEY", None)
    server = subprocess.Popen(
        [sys.executable, "app.py", "--prod", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if _healthz(base)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the production server with Celery did not become healthy")

        downloads = Path(dash_br.download_path)

        def download_briefings(count: int, already: int) -> None:
            for i in range(count):
                dash_br.driver.get(base + "/")  # a new page load: may land on either worker
                dash_br.wait_for_element(f"#{ids.NEEDS_MAP} .choroplethlocation", timeout=30)
                dash_br.find_element(f"#{ids.BRIEF_BUTTON}").click()
                deadline = time.time() + 60
                while time.time() < deadline and len(list(downloads.glob("*.pdf"))) < already + i + 1:
                    time.sleep(0.5)
                got = len(list(downloads.glob("*.pdf")))
                assert got == already + i + 1, f"briefing {already + i + 1} did not arrive"

        download_briefings(2, 0)
        for _ in range(8):  # every web worker has signed a page (and so settled on its secret)
            urllib.request.urlopen(base + "/", timeout=20).read()
        redis_and_worker.restart_redis()
        redis_and_worker.replace_worker()
        # a web worker is replaced too (killed; gunicorn starts another)
        web_workers = psutil.Process(server.pid).children()
        assert len(web_workers) == 2
        web_workers[0].kill()
        deadline = time.time() + 60
        while time.time() < deadline:
            alive = [w for w in psutil.Process(server.pid).children() if w.pid != web_workers[0].pid]
            if len(alive) == 2:
                break
            time.sleep(0.5)
        assert len(alive) == 2, "gunicorn did not replace the killed worker"
        # healthy on every web worker: each keeps its last check for 5 s (runtime.HEALTH_CACHE_SECONDS),
        # so one may still say what it saw while the Celery worker was being replaced when the
        # other, asked first, says "ok"; six answers in a row land on both
        deadline = time.time() + 60
        while time.time() < deadline and any(_healthz(base)[0] != 200 for _ in range(6)):
            time.sleep(1)
        status, body = _healthz(base)
        if status != 200:  # each web worker's answer (requests land on either)
            body += f"; answers now {[_healthz(base)[0] for _ in range(6)]}"
        # which check failed (cache, Redis, Celery, scenario DB), and whether the Celery worker still runs
        assert status == 200, (
            f"{body}; Celery worker running: {redis_and_worker.worker.poll() is None}; "
            f"a ping from the test {'answered' if _worker_answers(redis_and_worker.url) else 'did not answer'}; "
            f"Redis: {_redis_state(redis_and_worker.url)}; the worker's log ends:\n"
            + redis_and_worker.worker_log_tail()
        )
        # six briefings asked over new connections each time, so the page, the job's start and
        # its polls land on either worker; then one more in the browser
        answers = [DashJobClient.over_http(base).briefing("html")[0] for _ in range(6)]
        assert answers == [200] * 6
        download_briefings(1, 2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def test_health_follows_the_workers_heartbeat(redis_and_worker):
    """/healthz's worker check: a running worker's heartbeat key is there; a stopped worker's is
    gone at once (and would expire within 10 s had it been killed); a new worker's comes back;
    so does a worker's own after a Redis restart that kept nothing."""
    from celery import Celery

    from dashboard.runtime import WORKER_HEARTBEAT_TTL, _celery_problems

    asker = Celery("needs_map_test", broker=redis_and_worker.url)

    def problems_within(seconds: float, expect_problem: bool) -> list[str]:
        deadline = time.time() + seconds
        while True:
            found = _celery_problems(asker)
            if bool(found) == expect_problem or time.time() > deadline:
                return found
            time.sleep(0.5)

    assert problems_within(60, expect_problem=False) == []  # the worker has started
    stop(redis_and_worker.worker)
    (problem,) = problems_within(WORKER_HEARTBEAT_TTL + 2, expect_problem=True)
    assert problem.startswith("no Celery worker is running")
    redis_and_worker.replace_worker()
    assert problems_within(60, expect_problem=False) == []
    redis_and_worker.restart_redis()  # nothing kept: the key is gone until the worker's next beat
    assert problems_within(30, expect_problem=False) == []
