"""Background jobs that always answer: one job per request, one signing secret for every
worker, a health check that tells the truth, and (in the browser) a visible message within a
bounded time whenever a job cannot answer."""

import os
import time

import pytest

from conftest import DashJobClient
from dashboard import ids, jobs, runtime


def test_two_identical_briefing_requests_both_get_their_file(luton_app):
    """Two users asking for the same briefing at the same moment (identical arguments) each get
    their file. With Dash's default job key (the arguments), both shared one result slot and the
    second user's poll found it already taken: HTTP 204 and no file."""
    client = DashJobClient.in_process(luton_app)
    dep = client.callback_for(ids.BRIEF_BUTTON)
    body = client.body(
        dep,
        {ids.BRIEF_BUTTON: 1, jobs.part_id(ids.BRIEF_JOB, "cancel"): 0},
        {ids.BRIEF_FORMAT: "html", ids.LINK_TEXT: "http://127.0.0.1:8050/"},
    )
    first, second = client.start(body), client.start(body)
    # the second user's poll comes first: under a shared slot it took the first job's result (and
    # stopped its own job), leaving the first user with nothing
    answers = [client.poll(body, handles) for handles in (second, first)]
    assert [status for status, _ in answers] == [200, 200]
    for _, response in answers:
        download = response[ids.BRIEF_DOWNLOAD]["data"]
        assert download["filename"].endswith(".html") and download["content"]
        assert response[jobs.part_id(ids.BRIEF_JOB, "done")]["data"] == 1


def test_one_signing_secret_from_the_environment_or_a_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv(runtime.SECRET_ENV, raising=False)
    monkeypatch.setenv(runtime.DATA_DIR_ENV, str(tmp_path / "data"))
    made = runtime.signing_secret()
    key_file = tmp_path / "data" / runtime.SECRET_FILE
    assert key_file.read_text() == made and len(made) == 64
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # every later process reads the same key, whatever order they start in
    assert runtime.signing_secret() == made
    monkeypatch.setenv(runtime.SECRET_ENV, "configured-by-the-operator-0123")
    assert runtime.signing_secret() == "configured-by-the-operator-0123"
    monkeypatch.setenv(runtime.SECRET_ENV, "short")
    with pytest.raises(runtime.RuntimeSetupError, match="NEEDSMAP_SECRET_KEY is too short"):
        runtime.signing_secret()


@pytest.mark.slow
def test_secret_key_file_created_once_by_racing_processes(tmp_path):
    """Workers starting together agree on one key (the first to create the file wins)."""
    import subprocess
    import sys

    env = dict(os.environ, NEEDSMAP_DATA_DIR=str(tmp_path))
    env.pop(runtime.SECRET_ENV, None)
    code = "from dashboard import runtime; print(runtime.signing_secret())"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(6)
    ]
    keys = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(keys) == 1 and keys == {(tmp_path / runtime.SECRET_FILE).read_text()}


def test_app_signs_with_the_configured_secret(luton_engine, monkeypatch):
    from dashboard import create_app

    monkeypatch.setenv(runtime.SECRET_ENV, "the-same-for-every-worker-42")
    a, b = create_app(engine=luton_engine), create_app(engine=luton_engine)
    assert a._get_signing_secret() == b._get_signing_secret()
    assert a.server.secret_key == "the-same-for-every-worker-42"


def test_healthz_is_503_when_the_job_cache_cannot_be_used(luton_engine, tmp_path, monkeypatch):
    from dashboard import create_app

    cache = tmp_path / "cache"
    monkeypatch.setenv(runtime.CACHE_DIR_ENV, str(cache))
    app = create_app(engine=luton_engine)
    client = app.server.test_client()
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.get_json()["status"] == "ok"
    runtime._health_cache.clear()
    import shutil

    shutil.rmtree(cache)
    bad = client.get("/healthz")
    assert bad.status_code == 503
    assert bad.get_json()["status"] == "degraded"
    assert bad.get_json()["problems"] == [f"job cache folder {cache} does not exist"]


def test_healthz_names_a_full_cache_disk(tmp_path, monkeypatch):
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(runtime.shutil, "disk_usage", lambda _folder: usage(10**9, 10**9 - 20_000_000, 20_000_000))
    assert runtime._folder_problems(str(tmp_path)) == [f"job cache folder {tmp_path} has 20 MB free (needs 50 MB)"]


def test_unwritable_cache_folder_is_one_message_at_start(tmp_path, monkeypatch):
    target = tmp_path / "file-not-folder"
    target.write_text("x")
    monkeypatch.setenv(runtime.CACHE_DIR_ENV, str(target / "cache"))
    with pytest.raises(runtime.RuntimeSetupError, match="NEEDSMAP_CACHE_DIR"):
        runtime.background_manager()


def test_watchdog_messages_name_the_job_and_the_time():
    text = jobs.messages("The optimiser", 60)
    assert text["timed_out"].startswith("The optimiser took more than 60 s and was stopped.")
    assert "Nothing you set has changed" in text["lost"] and "Nothing you set has changed" in text["cancelled"]


def test_forked_job_closes_inherited_listening_socket_and_ends_with_its_parent():
    """A job forked from a web worker must not keep the worker's port, nor outlive the worker."""
    import socket
    import subprocess
    import sys

    script = r"""
import os, socket, sys, time
import multiprocess
from dashboard import runtime

listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen()
port = listener.getsockname()[1]

def job():
    runtime.prepare_job_process()
    time.sleep(30)

if __name__ == "__main__":
    child = multiprocess.Process(target=job)
    child.start()
    print(port, child.pid, flush=True)
    time.sleep(1.0)  # the job sets itself up
    listener.close()
    os._exit(0)  # the worker dies (as on SIGTERM or a crash) without cleaning up its child
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    port, child = (int(x) for x in out.stdout.split())
    # the port is free at once: a new server can bind it
    server = socket.socket()
    server.bind(("127.0.0.1", port))
    server.close()
    deadline = time.time() + 5
    import psutil

    while time.time() < deadline and psutil.pid_exists(child):
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    alive = psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE
    assert not alive, "the orphaned job was still running 5 s after its parent died"


def test_a_forked_job_yields_the_cpu_to_the_web_workers():
    """A job forked from a web worker runs at a lower CPU priority than the worker (clicks go
    first on a busy machine); the worker's own priority is unchanged."""
    import subprocess
    import sys

    script = r"""
import os
import multiprocess
from dashboard import runtime

def job(queue):
    runtime.prepare_job_process()
    queue.put(os.nice(0))

if __name__ == "__main__":
    queue = multiprocess.Queue()
    child = multiprocess.Process(target=job, args=(queue,))
    child.start()
    print(os.nice(0), queue.get(timeout=30), flush=True)
    child.join(30)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    worker, job = (int(x) for x in out.stdout.split())
    assert job == min(worker + runtime.JOB_NICENESS, 19)
    assert worker == os.nice(0)


@pytest.mark.browser
def test_a_job_that_cannot_answer_gives_a_visible_message(dash_duo, luton_engine, tmp_path, monkeypatch):
    """The briefing's job process is killed mid-job: within seconds the user reads why beside the
    button, the button works again, and the view is as it was."""
    import psutil

    from dashboard import create_app

    monkeypatch.setenv(runtime.CACHE_DIR_ENV, str(tmp_path / "cache"))
    app = create_app(engine=luton_engine)
    dash_duo.start_server(app)
    dash_duo.wait_for_element(f"#{ids.NEEDS_MAP} .choroplethlocation", timeout=30)
    url_before = dash_duo.driver.current_url
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").click()
    killed = False
    deadline = time.time() + 10
    while time.time() < deadline and not killed:
        for proc in me.children(recursive=True):
            if proc.pid not in before and proc.name().startswith("python"):
                proc.kill()
                killed = True
        time.sleep(0.02)
    assert killed, "no job process was started"
    started = time.time()
    alert_id = jobs.part_id(ids.BRIEF_JOB, "alert")
    dash_duo.wait_for_contains_text(f"#{alert_id}", "stopped without an answer", timeout=30)
    assert time.time() - started < 30
    alert = dash_duo.find_element(f"#{alert_id}")
    assert alert.get_attribute("role") == "alert"
    assert dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").is_enabled()
    assert dash_duo.driver.current_url == url_before
    # and the next click works
    dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").click()
    from conftest import wait_for_download

    assert wait_for_download(dash_duo.download_path, seconds=60)
    dash_duo.wait_for_text_to_equal(f"#{alert_id}", "", timeout=5)


def test_healthz_is_503_when_the_scenario_database_stops_answering(luton_app):
    import sqlalchemy

    store = luton_app.scenario_store
    client = luton_app.server.test_client()
    assert client.get("/healthz").status_code == 200
    working = store.db
    store.db = sqlalchemy.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert any(p.startswith("scenario database:") for p in response.get_json()["problems"])
    finally:
        store.db = working
