"""How the page's fixed files reach the browser quickly: compressed once, not per request.

Measured on the Luton bundle (2 cores): Dash serialises the whole layout (three map figures
with their boundaries, 650 KB of JSON) on every page load, 80-230 ms of server time, and
flask-compress compresses every script again for every visitor (1.4 MB of plotly.js alone).
Both are the same bytes each time:

* ``cache_layout`` serves the layout's JSON made once (the layout is fixed after ``create_app``;
  everything a view changes travels through callbacks);
* ``compress_with_cache`` compresses responses as before (Brotli or gzip, whichever the browser
  takes) but keeps the compressed bytes of fixed files: the layout, the dependency list, the
  scripts and assets (their addresses carry a version or modification time, so a changed file
  has a new address). Callback responses are compressed per request and never cached.

Repeat visits: Dash gives its own scripts versioned addresses with a year's cache; the app's
assets get their modification time in the address (``?m=``, ``versioned_asset_url`` for those the
app adds by hand), and ``cache_versioned_assets`` lets the browser keep those for a year without
asking again. Without it every asset, the 1.4 MB plotly.js build among them, was asked for again on each
visit (``no-cache``), a round trip each before the page could run.

And how callback requests are served: ``CallbackSlots`` runs one at a time per worker process, and
``fast_json`` serialises them with plotly's ``json`` engine (see each).
"""

from __future__ import annotations

import io
import re
import threading

import dash
import flask

# Responses whose bytes are fixed for the life of the process (their addresses carry versions).
FIXED_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico")


def is_fixed(request) -> bool:
    """True for a GET of a file whose bytes never change while the app runs."""
    return request.method == "GET" and request.path.startswith(FIXED_PREFIXES)


class FixedResponseCache:
    """flask-compress's cache backend: keeps only the keys ``fixed_key`` made (its other
    responses are compressed and sent, never stored)."""

    def __init__(self) -> None:
        self._items: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return self._items.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith("#fixed"):
            with self._lock:
                self._items[key] = value

    def __len__(self) -> int:
        return len(self._items)


def fixed_key(request) -> str:
    """The cache key of a response: its full address for fixed files, else one that is never kept."""
    return f"{request.full_path}#fixed" if is_fixed(request) else f"{id(request)}#dynamic"


def compress_with_cache(server: flask.Flask) -> FixedResponseCache:
    """Compress responses (Brotli, else gzip) with the compressed bytes of fixed files kept."""
    from flask_compress import Compress

    cache = FixedResponseCache()
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_CACHE_BACKEND=lambda: cache,
        COMPRESS_CACHE_KEY=fixed_key,
    )
    Compress(server)

    # Flask runs after-request functions in reverse order of registration: this one runs before
    # the compressor. Files are sent as streams, which flask-compress compresses chunk by chunk
    # and never caches; read a fixed file into memory (they are small) so the cached path applies.
    @server.after_request
    def buffer_fixed_files(response):
        if is_fixed(flask.request) and response.status_code == 200 and response.is_streamed:
            response.direct_passthrough = False
            response.set_data(response.get_data())
        return response

    return cache


ONE_YEAR = 365 * 24 * 3600


def versioned_asset_url(app, name: str) -> str:
    """The address of an asset with its modification time, as Dash writes its own assets': a
    changed file gets a new address, so a browser may keep each address for good."""
    import os

    modified = int(os.path.getmtime(os.path.join(app.config.assets_folder, name)))
    return f"{app.get_asset_url(name)}?m={modified}"


def cache_versioned_assets(server: flask.Flask) -> None:
    """A year's cache (``immutable``) for assets asked for by a versioned address (``?m=``);
    an unversioned address keeps Flask's ``no-cache`` (the browser asks whether it changed)."""

    @server.after_request
    def long_cache(response):
        request = flask.request
        if (
            request.method == "GET"
            and request.path.startswith("/assets/")
            and "m" in request.args
            and response.status_code == 200
        ):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        return response


def cache_layout(app) -> None:
    """Serve the layout's JSON made once (see the module docstring)."""
    from dash._utils import to_json

    body: dict[str, str] = {}

    def serve_layout():
        if "json" not in body:
            body["json"] = to_json(app.get_layout())
        return flask.Response(body["json"], mimetype="application/json")

    endpoint = next(r.endpoint for r in app.server.url_map.iter_rules() if r.rule.endswith("/_dash-layout"))
    app.server.view_functions[endpoint] = serve_layout


def warm(app) -> list[str]:
    """Request the page and every fixed file it loads once, in each encoding a browser may ask
    for, so the first visitor (and every gunicorn worker forked after this) finds them compressed.
    Returns the addresses warmed."""
    import re

    client = app.server.test_client()
    page = client.get("/").get_data(as_text=True)
    paths = re.findall(r'(?:src|href)="([^"]+)"', page)
    paths = [p for p in paths if p.startswith(FIXED_PREFIXES)] + ["/_dash-layout", "/_dash-dependencies"]
    paths += lazy_chunk_paths() + [f"/_favicon.ico?v={dash.__version__}"]
    for path in paths:
        for encoding in ("br", "gzip"):
            client.get(path, headers={"Accept-Encoding": encoding})
    # From here on what is compressed is mostly callback answers, each made and sent once: the
    # fastest levels (Brotli 1: 0.2 ms for the Access page's 170 KB panels answer, 17 KB; level 4,
    # which the fixed files above were kept at, took 0.7 ms for 15 KB)
    app.server.config.update(COMPRESS_BR_LEVEL=ANSWER_BR_LEVEL, COMPRESS_LEVEL=ANSWER_GZIP_LEVEL)
    return paths


ANSWER_BR_LEVEL = 1
ANSWER_GZIP_LEVEL = 1


def lazy_chunk_paths() -> list[str]:
    """The addresses of dcc's lazily loaded scripts (the graph, markdown and upload code the page
    asks for after it starts), which the page's own script tags do not list."""
    import os

    from dash import dcc

    folder = os.path.dirname(dcc.__file__)
    return [
        f"/_dash-component-suites/dash/dcc/{name}"
        for name in sorted(os.listdir(folder))
        if name.startswith("async-") and name.endswith(".js")
    ]


# Callback requests one worker process runs at once. A worker has many threads so that slow
# clients (who hold a thread while they send) cannot stall it, but callbacks are CPU work under
# one GIL: with 16 running at once on 2 cores each took 16 times as long and the slowest waited
# longest. Measured with 50 simulated users (benchmarks/load_bench.py, 4 workers, 40 s): p95 latency
# 344 ms with 16 threads each running callbacks, 222 ms with 2 threads per worker, 181 ms with 16
# threads and one callback slot (which keeps the threads for slow clients).
CALLBACK_SLOTS_PER_WORKER = 1


MAX_CALLBACK_BODY = 3_000_000  # bytes: larger bodies are refused by the app (dashboard.MAX_REQUEST_BYTES)


_OUTPUT_KEY = re.compile(rb'"output"\s*:\s*"([^"\\]*)"')


_busy_lock = threading.Lock()
_callbacks_busy = 0  # callback requests of this process running or waiting for a slot


def callbacks_busy() -> bool:
    """Whether a callback request of this process is running or waiting for its slot (read by
    ``dashboard.gunicorn_worker`` to leave new connections to free workers)."""
    return _callbacks_busy > 0


def close_after_response(start_response) -> None:
    """Ask gunicorn to close this connection once the answer is sent. ``start_response`` is a
    bound method of gunicorn's response; under any other server nothing happens."""
    force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
    if callable(force_close):
        force_close()


class CallbackSlots:
    """WSGI middleware: at most ``slots`` Dash callback requests of this process run at once; the
    others wait their turn in arrival order (``threading.Semaphore`` wakes waiters first in,
    first out). Everything else (pages, files, /healthz) is served at once. How many callback
    requests run or wait here is what ``callbacks_busy`` tells ``dashboard.gunicorn_worker``; a
    callback that ends while others wait here has its connection closed after the answer, so
    that user's next click opens a connection, which a free worker takes."""

    def __init__(self, wsgi_app, slots: int = CALLBACK_SLOTS_PER_WORKER) -> None:
        self.wsgi_app = wsgi_app
        self._slots = threading.Semaphore(slots)
        # Bodies naming one of these callbacks run outside the slot: they wait on the scenario
        # database (each call bounded, geo.store.DB_TIMEOUT_S) and do little else, so a hung
        # database must not make everyone else's clicks queue behind them.
        self.outside_slot: frozenset[bytes] = frozenset()

    def watch_database_callbacks(self, app, outputs: tuple[str, ...]) -> None:
        """Run every callback of ``app`` with one of ``outputs`` ("id.property") outside the slot."""
        self.outside_slot = frozenset(key.encode() for key in app.callback_map if any(o in key for o in outputs))

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").endswith("/_dash-update-component"):
            # Read the whole body first, outside the slot: a client that drips its body (slowly,
            # or on purpose) holds only its own thread, never the slot other people's clicks need.
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if 0 < length <= MAX_CALLBACK_BODY:
                body = environ["wsgi.input"].read(length)
                environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
                named = _OUTPUT_KEY.search(body, 0, 4096)  # the renderer writes "output" first
                if named is not None and named.group(1) in self.outside_slot:
                    return self.wsgi_app(environ, start_response)
            global _callbacks_busy
            with _busy_lock:
                _callbacks_busy += 1
            try:
                with self._slots:  # Flask builds the whole response body inside this call
                    answer = self.wsgi_app(environ, start_response)
            finally:
                with _busy_lock:
                    _callbacks_busy -= 1
                    others_waiting = _callbacks_busy > 0
            if others_waiting:  # this user's next click opens a connection a free worker takes
                close_after_response(start_response)
            return answer
        return self.wsgi_app(environ, start_response)


def fast_json() -> None:
    """Serialise callback responses with plotly's ``json`` engine (the C encoder, which calls
    back only for numpy values and components). Its default with orjson installed first walks the
    whole response in Python to clean it: twice as long for the Access page's charts and tables
    (0.95 against 0.47 ms for a 52 KB response), and the same JSON."""
    import plotly.io as pio

    pio.json.config.default_engine = "json"
