import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bundle_factory import make_bundle  # noqa: E402

LUTON = ROOT / "data" / "luton"

# The dashboard's own files (signing key, stored views) go to a folder of this test run, never
# to the developer's ~/.local/share/needs-map; servers started by tests inherit it.
os.environ.setdefault("NEEDSMAP_DATA_DIR", tempfile.mkdtemp(prefix="needs-map-test-data-"))


@pytest.fixture
def tiny_path(tmp_path):
    return make_bundle(tmp_path / "tiny")


@pytest.fixture(scope="session")
def tiny_engine(tmp_path_factory):
    from geo import Engine, load_bundle

    return Engine(load_bundle(make_bundle(tmp_path_factory.mktemp("tiny"))))


@pytest.fixture(scope="session")
def luton_bundle():
    from geo import load_bundle

    return load_bundle(LUTON)


@pytest.fixture(scope="session")
def luton_engine(luton_bundle):
    from geo import Engine

    return Engine(luton_bundle)


def pytest_setup_options():
    """Headless Debian Chromium for dash[testing] browser tests (dash_duo)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1366,900",
    ):
        options.add_argument(arg)
    return options


class DashJobClient:
    """Speaks Dash's background-callback protocol the way dash-renderer does: one POST starts
    the job and returns signed handles; further POSTs with the handles poll until the
    response arrives (HTTP 204 means "no answer"). In process (Flask's test client) or over
    HTTP with a new connection per request, so a server's workers take turns."""

    def __init__(self, get, post):
        import json
        import re

        self._get, self._post = get, post
        page = get("/")[1].decode()
        config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page)[1])
        self.end_id = config["end_id"]
        self.dependencies = json.loads(get("/_dash-dependencies")[1])

    @classmethod
    def in_process(cls, app):
        client = app.server.test_client()

        def get(path):
            response = client.get(path)
            return response.status_code, response.get_data()

        def post(path, body):
            response = client.post(path, json=body)
            return response.status_code, response.get_data()

        return cls(get, post)

    @classmethod
    def over_http(cls, base: str):
        import json
        import urllib.error
        import urllib.request

        def call(path, body=None):
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as err:
                return err.code, err.read()

        return cls(call, call)

    def callback_for(self, input_id: str) -> dict:
        (dep,) = [
            d
            for d in self.dependencies
            if any(i["id"] == input_id for i in d["inputs"])
            and d.get("background")
            and not d.get("clientside_function")
        ]
        return dep

    def body(self, dep: dict, inputs: dict, state: dict) -> dict:
        outputs = []
        for part in dep["output"].strip(".").split("..."):
            component, prop = part.rsplit(".", 1)
            outputs.append({"id": component, "property": prop})

        def values(items, given):
            return [{"id": i["id"], "property": i["property"], "value": given.get(i["id"])} for i in items]

        return {
            "output": dep["output"],
            "outputs": outputs,
            "inputs": values(dep["inputs"], inputs),
            "state": values(dep["state"], state),
            "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
        }

    def start(self, body: dict) -> dict:
        import json

        status, data = self._post(f"/_dash-update-component?endId={self.end_id}", body)
        assert status == 200, data[:300]
        return json.loads(data)

    def poll(self, body: dict, handles: dict, seconds: float = 60):
        """(status, response) of the first poll that is not "still running"."""
        import json
        import time
        from urllib.parse import quote

        url = (
            f"/_dash-update-component?endId={quote(self.end_id)}"
            f"&cacheKey={quote(handles['cacheKey'])}&job={quote(handles['job'])}"
        )
        deadline = time.time() + seconds
        while time.time() < deadline:
            status, data = self._post(url, body)
            if status != 200:
                return status, None
            answer = json.loads(data)
            if "response" in answer:
                return 200, answer["response"]
            time.sleep(0.2)
        raise AssertionError(f"the job gave no answer within {seconds} s")

    def briefing(self, fmt: str = "html", seconds: float = 60):
        """Start one briefing (as the header's button does) and wait for its answer."""
        from dashboard import ids, jobs

        body = self.body(
            self.callback_for(ids.BRIEF_BUTTON),
            {ids.BRIEF_BUTTON: 1, jobs.part_id(ids.BRIEF_JOB, "cancel"): 0},
            {ids.BRIEF_FORMAT: fmt, ids.LINK_TEXT: "http://127.0.0.1:8050/"},
        )
        return self.poll(body, self.start(body), seconds)


ARTIFACTS = ROOT / "artifacts"


def free_port() -> int:
    from benchmarks.common import free_port as _free

    return _free()


def wait_for_download(folder, pattern: str = "*.pdf", seconds: float = 30) -> list:
    """Files matching ``pattern`` that appear in a browser's download folder within ``seconds``."""
    import time

    deadline = time.time() + seconds
    while time.time() < deadline:
        files = list(Path(folder).glob(pattern))
        if files:
            return files
        time.sleep(0.5)
    return []


@pytest.fixture
def luton_app(luton_engine):
    from dashboard import create_app

    return create_app(engine=luton_engine)


def _postgres_bin() -> Path | None:
    import glob
    import shutil

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A throw-away PostgreSQL server (Debian's postgresql, installed by .ci/run) on a free port,
    trust authentication on loopback; its URL for SQLAlchemy. Stopped at the end of the session."""
    import os
    import shutil
    import signal
    import subprocess

    bindir = _postgres_bin()
    assert bindir is not None, "PostgreSQL is not installed (.ci/run installs Debian's postgresql)"
    # its own folder under /tmp: pytest's temporary folders are private to root (0700), and
    # the server runs as the postgres user
    folder = Path(tempfile.mkdtemp(prefix="needs-map-postgres-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(folder, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    subprocess.run(
        as_postgres + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    server = subprocess.Popen(
        as_postgres
        + [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder), "-h", "127.0.0.1"]
        + ["-c", "fsync=off"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    import sqlalchemy

    deadline = time.time() + 30
    while True:
        try:
            with sqlalchemy.create_engine(url).connect() as connection:
                connection.exec_driver_sql("select 1")
            break
        except sqlalchemy.exc.OperationalError:
            if time.time() > deadline or server.poll() is not None:
                raise AssertionError("PostgreSQL did not start") from None
            time.sleep(0.3)
    yield url
    # an immediate shutdown (SIGQUIT to the postmaster) of this throw-away server: the default
    # "smart" one waits for every client to leave, and runuser does not pass SIGTERM on in time
    try:
        os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGQUIT)
    except (OSError, ValueError, IndexError):
        server.terminate()
    server.wait(20)
    shutil.rmtree(folder, ignore_errors=True)


def start_app(port: int, env: dict | None = None, prod: bool = False, workers: int = 2, wait: float = 120):
    """``python app.py`` (``--prod`` with ``workers``) on ``port`` as a subprocess, returned once
    ``/healthz`` answers 200; fails the test if it exits or does not answer within ``wait`` s."""
    import subprocess
    import urllib.request

    args = [sys.executable, "app.py", "--port", str(port)] + (["--prod", "--workers", str(workers)] if prod else [])
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"the app exited with {server.returncode}") from None
        time.sleep(0.5)
    server.terminate()
    raise AssertionError("the app did not answer /healthz")


def pytest_collection_modifyitems(config, items):
    """Every browser test is slow too: ``pytest -m "not slow"`` is the everyday tier."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)


def slow_clients(host: str, port: int, headers: int = 0, bodies: int = 0):
    """Open ``headers`` connections that send a request's header lines one a second and
    ``bodies`` that send a callback request's body a byte a second (a slowloris, by accident or
    on purpose). Returns a function that stops them and closes the connections."""
    import socket
    import threading

    stop = threading.Event()
    sockets = []

    def slow_header(sock):
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            for i in range(30):
                if stop.wait(1.0):
                    return
                sock.sendall(f"X-Slow-{i}: y\r\n".encode())
        except OSError:
            return  # the server may close a connection that is too slow: that is fine too

    def slow_body(sock):
        try:
            sock.sendall(
                b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000\r\n\r\n{"
            )
            while not stop.wait(1.0):
                sock.sendall(b" ")
        except OSError:
            return

    for kind, count in ((slow_header, headers), (slow_body, bodies)):
        for _ in range(count):
            sock = socket.create_connection((host, int(port)), timeout=30)
            sockets.append(sock)
            threading.Thread(target=kind, args=(sock,), daemon=True).start()

    def done():
        stop.set()
        for sock in sockets:
            sock.close()

    return done
