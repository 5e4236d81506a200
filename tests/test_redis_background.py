"""Background work through Celery and Redis (REDIS_URL set): Debian's redis-server and a
Celery worker are started by the test on loopback, and a briefing downloaded in the
browser is made by that worker."""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from pypdf import PdfReader

from conftest import ROOT, free_port, wait_for_download
from dashboard import ids

pytestmark = pytest.mark.browser


@pytest.fixture
def redis_and_worker(tmp_path, monkeypatch):
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is not installed (.ci/run installs Debian's redis-server)"
    port = free_port()
    redis = subprocess.Popen(
        [
            redis_server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    env = dict(os.environ, REDIS_URL=url)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dashboard.celery_worker:celery_app",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=1",
            "--pool=solo",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    monkeypatch.setenv("REDIS_URL", url)
    yield url
    worker.terminate()
    redis.terminate()
    worker.wait(20)
    redis.wait(20)


def test_briefing_made_by_a_celery_worker(dash_duo, redis_and_worker, luton_engine):
    from dashboard import create_app

    app = create_app(engine=luton_engine)
    assert type(app._background_manager).__name__ == "CeleryManager"
    dash_duo.start_server(app)
    dash_duo.wait_for_element(f"#{ids.NEEDS_MAP} .choroplethlocation", timeout=20)
    dash_duo.find_element(f"#{ids.BRIEF_BUTTON}").click()
    files = wait_for_download(dash_duo.download_path, seconds=60)
    assert files, "no briefing was downloaded within 60 s"
    assert len(PdfReader(files[0]).pages) == 1
