"""WSGI entry point for production servers: ``gunicorn 'dashboard.wsgi:server'``.

The bundle comes from NEEDSMAP_BUNDLE (default: the first bundle in data/). Run with
``--preload`` so the bundle is loaded and the travel matrix built once, in the master,
and shared by the workers, and with ``-k dashboard.gunicorn_worker.BalancedThreadWorker
--threads 16`` so new connections go to free workers, as ``python app.py --prod`` does.
"""

import os

from dashboard import DEFAULT_BUNDLE, create_app

app = create_app(os.environ.get("NEEDSMAP_BUNDLE", str(DEFAULT_BUNDLE)))
server = app.server
