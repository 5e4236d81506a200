"""WSGI entry point for production servers: ``gunicorn 'dashboard.wsgi:server'``.

The bundle comes from NEEDSMAP_BUNDLE (default: the first bundle in data/). Run with
``--preload`` so the bundle is loaded and the travel matrix built once, in the master,
and shared by the workers.
"""

import os

from dashboard import DEFAULT_BUNDLE, create_app

app = create_app(os.environ.get("NEEDSMAP_BUNDLE", str(DEFAULT_BUNDLE)))
server = app.server
