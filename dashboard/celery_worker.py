"""Celery worker entry point, used when REDIS_URL is set:
``REDIS_URL=redis://host:6379/0 celery -A dashboard.celery_worker:celery_app worker``.

It builds the same Dash app as the web processes (bundle from NEEDSMAP_BUNDLE), which
registers the background callbacks (briefings, optimiser) as Celery tasks.
"""

import os

from dashboard import DEFAULT_BUNDLE, create_app

if not os.environ.get("REDIS_URL"):
    raise SystemExit("REDIS_URL is not set: the Celery worker needs Redis (see README, Production)")

app = create_app(os.environ.get("NEEDSMAP_BUNDLE", str(DEFAULT_BUNDLE)))
celery_app = app._background_manager.handle
# A worker waits for its broker for ever: the app's settings give up after one retry, which is
# right for a web request (the user is told at once) but made a worker exit for good when Redis
# was away for a few seconds (tests/test_redis_background.py).
celery_app.conf.broker_connection_max_retries = None
celery_app.conf.broker_connection_retry_on_startup = True
