"""Run the Needs Map dashboard (``python app.py`` in a checkout, ``needs-map`` when installed).

Development: ``python app.py [--bundle PATH] [--host H] [--port P] [--debug]`` (Flask's
server, one process). Production: ``python app.py --prod [--workers N]`` runs gunicorn in this
process with N worker processes (the bundle is loaded and the travel matrix built once, here,
before the workers fork), debug off; a worker that dies is replaced by gunicorn.
"""

from __future__ import annotations

import argparse
import os
import sys

from dashboard import DEFAULT_BUNDLE

THREADS_PER_WORKER = 16


def _create_app(path: str, warm: bool):
    """The app for the bundle at ``path``, or None after one clear message (a missing or
    corrupt file) on stderr."""
    from dashboard import create_app
    from geo.errors import NeedsMapError

    try:
        return create_app(path, warm=warm)
    except NeedsMapError as exc:
        print(f"error: cannot load the data bundle: {exc}", file=sys.stderr)
        return None


def _gunicorn_settings(args) -> dict:
    """gunicorn's settings for ``--prod`` (what its command line would say), with the hooks of
    ``dashboard.gunicorn_hooks``."""
    from dashboard import gunicorn_hooks

    return {
        "worker_exit": gunicorn_hooks.worker_exit,
        "workers": args.workers,
        "bind": [f"{args.host}:{args.port}"],
        "timeout": 120,
        # on SIGTERM, requests in flight get this long; background jobs end with their worker
        # (dashboard.runtime.prepare_job_process), so the port is free within seconds
        "graceful_timeout": 5,
        "accesslog": "-",
        # the longest request line gunicorn allows: links of up to MAX_QUERY (8,000) characters,
        # which the app itself makes, fit (gunicorn's default of 4,094 refused them with a bare 414)
        "limit_request_line": 8190,
        # threads per worker: a client that sends its request slowly holds one thread, not a
        # whole worker, so /healthz and other users keep being served
        "worker_class": "dashboard.gunicorn_worker.BalancedThreadWorker",
        "threads": THREADS_PER_WORKER,
        "preload_app": True,
    }


def run_gunicorn(server, settings: dict) -> None:
    """gunicorn run in this process on an app already built (as ``--preload`` would build it):
    the bundle is loaded and the travel matrix built once, and the workers fork from here.
    ``gunicorn dashboard.wsgi:server`` (deploy/) builds the same app by import."""
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return server

    Application().run()


def _check_runtime() -> int:
    """The signing secret and the job backend, checked before serving: a missing folder or a
    short secret is one clear message and exit 2, not a traceback in every worker."""
    from dashboard import auth, runtime

    try:
        runtime.signing_secret()
        runtime.background_manager()
        runtime.scenario_store()
        runtime.optimiser_seconds()
        auth.access_mode()
    except (runtime.RuntimeSetupError, auth.AccessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Needs Map dashboard")
    parser.add_argument("--bundle", default=str(DEFAULT_BUNDLE), help=f"data bundle folder (default {DEFAULT_BUNDLE})")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (never on a shared server)")
    parser.add_argument("--prod", action="store_true", help="serve with gunicorn and several worker processes")
    parser.add_argument(
        "--public",
        action="store_true",
        help="a public site: everyone may look, nobody may save, rename or delete (NEEDSMAP_ACCESS=public)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=max(2, min(8, (os.cpu_count() or 1) * 2)),
        help="gunicorn worker processes with --prod (default: 2 per core, 2 to 8)",
    )
    args = parser.parse_args(argv)
    if args.public:
        os.environ["NEEDSMAP_ACCESS"] = "public"
    elif args.prod:  # a shared server: saving needs a signed-in editor unless configured otherwise
        os.environ.setdefault("NEEDSMAP_ACCESS", "signin")
    if _check_runtime():
        return 2
    if args.prod and args.debug:
        parser.error("--debug is for development; it cannot be used with --prod")
    # The bundle is loaded once, here: a missing or corrupt file is one clear message and exit 2;
    # under --prod gunicorn's workers fork from this very process, so they share what it built.
    app = _create_app(args.bundle, warm=not args.debug)
    if app is None:
        return 2
    if args.prod:
        os.environ["NEEDSMAP_BUNDLE"] = os.path.abspath(args.bundle)  # for anything the workers start
        print(f"Needs Map (production, {args.workers} workers) at http://{args.host}:{args.port}/", flush=True)
        run_gunicorn(app.server, _gunicorn_settings(args))
        return 0
    print(f"Needs Map serving {app.engine.bundle.area_name} at http://{args.host}:{args.port}/")
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
