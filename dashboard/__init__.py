"""Needs Map dashboard: a thin Dash layer over the ``geo`` engine.

``create_app(bundle_path)`` loads the bundle, builds the engine (the origin x site
matrix is computed here, once) and the first figures (the only time boundary GeoJSON
is sent), and registers the callbacks. The view state lives in the browser (URL and
dcc.Store), so any worker process can answer any request.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import auth, ids, jobs, runtime, serving, tables
from dashboard.callbacks import briefing as briefing_callbacks
from dashboard.callbacks import equality as equality_callbacks
from dashboard.callbacks import optimise as optimise_callbacks
from dashboard.callbacks import saved as saved_callbacks
from dashboard.callbacks import state as state_callbacks
from dashboard.callbacks import ward as ward_callbacks
from dashboard.figures import legend_items
from dashboard.layouts.common import header, page_tabs
from dashboard.maps import NOT_DRAWN, MapAssets, needs_map
from dashboard.pages import about, access, needs, options, sites
from dashboard.views import indicator_options
from geo.bundle import default_bundle_path
from geo.reports.briefing import warm_up as warm_up_reports
from geo.viewstate import default_state, encode, scenario_of

DEFAULT_BUNDLE = default_bundle_path()


def build_layout(engine, assets: MapAssets) -> html.Div:
    bundle = engine.bundle
    state = default_state(engine)
    # only the boundaries of the level shown: the LSOA levels' are sent when first shown
    shown = frozenset({state["level"]})
    needs_fig = needs_map(engine, assets, state, lsoa_levels=shown)
    # The Needs page (the first page) starts complete: its info card and ranked table are in the
    # layout and its view store holds the default view, so nothing about it is answered again at
    # load (every answer the browser applies at load delays the first map's paint).
    needs_view = {k: state[k] for k in state_callbacks.NEEDS_KEYS}
    _, needs_info, needs_ranked = needs.needs_update(engine, needs_view, {}, encode(state), assets)
    role_labels = bundle.manifest["layers"]["sites"].get("roles", {})
    open_ids = engine.open_site_ids(scenario_of(engine, state))
    tabs = page_tabs(
        state["page"],
        {
            "needs": needs.layout(engine, state, needs_fig, indicator_options(engine), needs_ranked, needs_info),
            # The Access page's map and charts are drawn when it is first shown (callbacks/state.py,
            # pages/access.py): drawn hidden at load they delayed the Needs map by 150 ms.
            "access": access.layout(
                engine, state, NOT_DRAWN, legend_items(role_labels), open_ids, (NOT_DRAWN, NOT_DRAWN)
            ),
            "options": options.layout(engine),
            "sites": sites.layout(engine),
            "about": about.layout(engine),
        },
    )
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE),
            dcc.Store(id=ids.NEEDS_VIEW, data=needs_view),
            dcc.Store(id=ids.ACCESS_VIEW),
            dcc.Store(id=ids.MAP_PREVIEW),
            dcc.Store(id=ids.ACCESS_MAP_DRAWN, data=False),
            dcc.Store(id=ids.SITES_MAP_DRAWN, data=False),
            dcc.Store(id=ids.NEEDS_LSOA_LEVELS_DRAWN, data=sorted(shown - {"ward"})),
            dcc.Store(id=ids.TILES_VIEW),
            dcc.Store(id=ids.PAGE_VIEW, data=state["page"]),
            *jobs.watch_components(ids.BRIEF_JOB),
            *jobs.watch_components(ids.OPT_JOB),
            *jobs.watch_components(ids.OPTIONS_MAPS_JOB),
            *jobs.watch_components(ids.OPTIONS_BRIEF_JOB),
            header(engine),
            html.Main(
                dbc.Container(
                    [
                        html.Div(id=ids.NOTICE, role="status", className="alert alert-warning py-2 small empty-hide"),
                        jobs.alert(ids.BRIEF_JOB, "alert alert-danger py-2 small"),
                        tabs,
                    ],
                    fluid=True,
                )
            ),
            html.Footer(
                dbc.Container(
                    " ".join(bundle.manifest["area"].get("attribution", [])[:2]) + " See About the data.", fluid=True
                ),
                className="small text-muted border-top pt-2 mt-4 mb-3",
            ),
        ]
    )


PARTIAL_PLOTLY = "vendor/plotly-needs-map-4.1.1.min.js"


def _use_partial_plotly(app) -> None:
    """Serve the small plotly.js build (see plotly_bundle/README.md) unless the page asks for
    web tiles, which need the full plotly.js that Dash loads by itself."""
    import flask

    plain = app.interpolate_index

    def interpolate_index(**kwargs):
        tiles = flask.has_request_context() and flask.request.args.get("tiles") == "1"
        if not tiles:
            src = serving.versioned_asset_url(app, PARTIAL_PLOTLY)
            kwargs["scripts"] = f'<script src="{src}"></script>' + kwargs["scripts"]
        return plain(**kwargs)

    app.interpolate_index = interpolate_index


LATE_SCRIPTS = ("late/lazy_warmup.js", "late/deferred.js")


def _load_late_scripts(app) -> None:
    """Scripts that must run after Dash's component libraries and before Dash renders the page
    (assets/late; Dash runs the assets folder's own scripts before the component libraries)."""
    tags = "".join(f'<script src="{serving.versioned_asset_url(app, name)}"></script>' for name in LATE_SCRIPTS)
    app.index_string = app.index_string.replace("{%renderer%}", tags + "{%renderer%}", 1)


def create_app(bundle_path: str | Path = DEFAULT_BUNDLE, engine=None, warm=True, **dash_kwargs) -> dash.Dash:
    """The Dash app for one bundle. ``engine`` may be passed in (tests reuse one). ``warm=False``
    leaves the page unrequested, for Dash's debug mode: its dev tools add an error handler,
    which Flask refuses once the app has served a request."""
    from geo import Engine, load_bundle

    if engine is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            engine = Engine(load_bundle(bundle_path))
    # Bootstrap 5.3.9 CSS is vendored in assets/ (MIT): the app must work with no internet.
    app = dash.Dash(
        __name__,
        title=f"Needs Map · {engine.bundle.area_name}",
        background_callback_manager=runtime.background_manager(),
        compress=False,  # compressed by serving.compress_with_cache, fixed files once
        assets_path_ignore=["vendor", "late"],  # loaded by hand: _use_partial_plotly, _load_late_scripts
        assets_folder=str(Path(__file__).parent / "assets"),
        **dash_kwargs,
    )
    serving.compress_with_cache(app.server)
    serving.cache_versioned_assets(app.server)
    slots = app.server.wsgi_app = serving.CallbackSlots(app.server.wsgi_app)
    serving.fast_json()
    # One secret for every worker process signs the background-job handles (see runtime).
    app.server.secret_key = runtime.signing_secret()
    # The page's language, for screen readers (WCAG 3.1.1).
    # Dash's own <footer> (its scripts) would be a second contentinfo landmark beside the page's.
    app.index_string = (
        app.index_string.replace("<html>", '<html lang="en">', 1)
        .replace("<footer>", "<div>", 1)
        .replace("</footer>", "</div>", 1)
    )
    app.scenario_store = runtime.scenario_store()  # created (or upgraded) on first start
    app.scenario_store.purge_views_daily()  # address-bar short links unused for 90 days
    auth.register(app, app.scenario_store, auth.access_mode())  # sign-in, roles, every write checked
    assets = MapAssets.of(engine)
    app.layout = build_layout(engine, assets)
    _use_partial_plotly(app)
    _load_late_scripts(app)
    state_callbacks.register(app, engine, assets, app.scenario_store)
    saved_callbacks.register(app, engine, app.scenario_store)
    options.register(app, engine, app.scenario_store)
    briefing_callbacks.register(app, engine)
    optimise_callbacks.register(app, engine)
    needs.register(app, engine, assets, app.scenario_store)
    access.register(app, engine, app.scenario_store)
    tables.register(app)
    ward_callbacks.register(app, engine, app.scenario_store)
    if engine.bundle.equality_tables:  # the section exists only then
        equality_callbacks.register(app, engine, app.scenario_store)
    add_server_routes(app)
    slots.watch_database_callbacks(app, ids.DATABASE_OUTPUTS)
    app.engine = engine
    # Dash registers the script files it may serve when it first renders the page. Render it once
    # here: gunicorn's workers are forked after this (--preload), so a worker that did not render
    # the page itself still serves the scripts of one another worker rendered (else a 500 and a
    # blank page, depending on which worker each request lands on).
    # (serving.warm does that, and compresses the page's fixed files once, before any visitor.)
    serving.cache_layout(app)
    if warm:
        serving.warm(app)
        # matplotlib's first figure in a process costs about 350 ms more than the next: paid here
        # once, so the background jobs forked from this process (a map per option, briefings) do
        # not each pay it again
        warm_up_reports()
    return app


# Tile hosts used only by the optional street basemap (MapLibre, from plotly.js).
TILE_HOSTS = "https://tile.openstreetmap.org https://*.tile.openstreetmap.org"


MAX_REQUEST_BYTES = 3_000_000


def add_server_routes(app) -> None:
    """Security headers on every response and a /healthz endpoint for load balancers."""
    import flask

    # Dash's own inline scripts (the renderer start-up and clientside callbacks) are allowed
    # by hash, so the policy needs no 'unsafe-inline' for scripts.
    script_hashes = " ".join(app.csp_hashes())
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {script_hashes}",
            "style-src 'self' 'unsafe-inline'",  # React and plotly.js set inline styles
            f"img-src 'self' data: blob: {TILE_HOSTS}",
            f"connect-src 'self' {TILE_HOSTS}",
            "worker-src 'self' blob:",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    server = app.server
    # A request body beyond this gets 413 before it is read. The largest legitimate body is the
    # optimiser's candidate upload: 1 MB of CSV, base64-encoded in a callback (about 1.4 MB).
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES

    @server.errorhandler(413)
    def too_large(_error):
        return (
            f"Request too large: at most {MAX_REQUEST_BYTES // 1_000_000} MB (a candidates CSV may be 1 MB).",
            413,
            {"Content-Type": "text/plain; charset=utf-8"},
        )

    @server.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @server.before_request
    def development_routes_off():
        # Dash always registers its hot-reload endpoint; it only serves while a developer
        # runs with --debug (hot reload on), never in production.
        if flask.request.path.endswith("/_reload-hash") and not app._dev_tools.get("hot_reload"):
            flask.abort(404)

    @server.route("/s/<key>")
    def saved_scenario(key: str):
        """``/s/<id>``: a saved scenario's page (the page reads it through the link checks)."""
        from urllib.parse import quote

        return flask.redirect("/?s=" + quote(key[:40], safe=""), code=302)

    @server.route("/v/<key>")
    def short_link(key: str):
        """``/v/<id>``: the stored view's page (the id is checked when the page reads it)."""
        from urllib.parse import quote

        return flask.redirect("/?v=" + quote(key[:40], safe=""), code=302)

    @server.route("/healthz")
    def healthz():
        """200 and "ok" when the app can serve and run background jobs; 503 and "degraded",
        with the problems named, when the job backend cannot run work (see runtime)."""
        bundle = app.engine.bundle
        problems = runtime.backend_problems(app._background_manager) + app.scenario_store.problems()
        body = {
            "status": "degraded" if problems else "ok",
            "area": bundle.area_name,
            "lsoas": len(bundle.lsoas),
            "sites_located": int(bundle.sites["located"].sum()),
            "jobs": type(app._background_manager).__name__,
        }
        if problems:
            body["problems"] = problems
        return flask.jsonify(body), 503 if problems else 200
