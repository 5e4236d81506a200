"""The shipped reverse-proxy configuration (deploy/nginx.conf) in front of ``python app.py
--prod``: with 300 connections sending their headers slowly and 50 sending a callback body
slowly, /healthz answers within a second and callbacks are answered."""

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, free_port, slow_clients, start_app

pytestmark = pytest.mark.slow
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _get(url, data=None):
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture
def proxied(tmp_path):
    assert os.path.exists(NGINX), "nginx not found: .ci/run installs it (apt-get install nginx)"
    app_port, proxy_port = free_port(), free_port()
    env = dict(os.environ, NEEDSMAP_DATA_DIR=str(tmp_path / "data"))
    server = start_app(app_port, env, prod=True, workers=2)
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    conf = (
        conf.replace("server 127.0.0.1:8050;", f"server 127.0.0.1:{app_port};")
        .replace("listen 8080;", f"listen 127.0.0.1:{proxy_port};")
        .replace(
            "pid /run/needs-map-nginx.pid;", f"pid {tmp_path}/nginx.pid;\ndaemon off;\nerror_log {tmp_path}/error.log;"
        )
    )
    conf = conf.replace(
        "http {", f"http {{\n    client_body_temp_path {tmp_path}/body;\n    proxy_temp_path {tmp_path}/proxy;", 1
    )
    (tmp_path / "nginx.conf").write_text(conf, encoding="utf-8")
    proxy = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{proxy_port}"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if _get(base + "/healthz") == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        proxy.kill()
        server.terminate()
        pytest.fail("nginx did not answer")
    yield base, proxy_port
    proxy.terminate()
    proxy.wait(10)
    server.terminate()
    server.wait(30)


def test_the_shipped_proxy_keeps_the_app_answering_under_slow_clients(proxied):
    base, port = proxied
    done = slow_clients("127.0.0.1", port, headers=300, bodies=50)
    try:
        time.sleep(2.0)  # every slow client holds its connection
        for _ in range(5):
            started = time.perf_counter()
            assert _get(base + "/healthz") == 200
            assert time.perf_counter() - started < 1.0
            started = time.perf_counter()
            status = _get(base + "/_dash-update-component", data=b"{}")  # a callback request, answered
            assert status in (200, 204, 400, 500) and time.perf_counter() - started < 5
            time.sleep(0.5)
    finally:
        done()
