"""Run the Needs Map dashboard (``python app.py`` in a checkout, ``needs-map`` when installed).

Development: ``python app.py [--bundle PATH] [--host H] [--port P] [--debug]`` (Flask's
server, one process). Production: ``python app.py --prod [--workers N]`` runs gunicorn with
N worker processes (the bundle is loaded and the travel matrix built once, before the
workers fork), debug off; a worker that dies is replaced by gunicorn.
"""

from __future__ import annotations

import argparse
import os
import sys

from dashboard import DEFAULT_BUNDLE

THREADS_PER_WORKER = 16


def _check_bundle(path: str) -> int:
    """Load the bundle once so a missing or corrupt file is one clear message and exit 2."""
    import warnings

    from geo.bundle import load_bundle
    from geo.errors import NeedsMapError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_bundle(path)
    except NeedsMapError as exc:
        print(f"error: cannot load the data bundle: {exc}", file=sys.stderr)
        return 2
    return 0


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
    if _check_bundle(args.bundle) or _check_runtime():
        return 2
    if args.prod:
        if args.debug:
            parser.error("--debug is for development; it cannot be used with --prod")
        env = dict(os.environ, NEEDSMAP_BUNDLE=os.path.abspath(args.bundle))
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "dashboard.wsgi:server",
            "--preload",
            "--config",
            "python:dashboard.gunicorn_hooks",
            "--workers",
            str(args.workers),
            "--bind",
            f"{args.host}:{args.port}",
            "--timeout",
            "120",
            # on SIGTERM, requests in flight get this long; background jobs end with their worker
            # (dashboard.runtime.prepare_job_process), so the port is free within seconds
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            # the longest request line gunicorn allows: links of up to MAX_QUERY (8,000) characters,
            # which the app itself makes, fit (gunicorn's default of 4,094 refused them with a bare 414)
            "--limit-request-line",
            "8190",
            # threads per worker: a client that sends its request slowly holds one thread, not a
            # whole worker, so /healthz and other users keep being served
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS_PER_WORKER),
        ]
        print(f"Needs Map (production, {args.workers} workers) at http://{args.host}:{args.port}/", flush=True)
        os.execvpe(command[0], command, env)
    from dashboard import create_app

    app = create_app(args.bundle, warm=not args.debug)
    print(f"Needs Map serving {app.engine.bundle.area_name} at http://{args.host}:{args.port}/")
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
