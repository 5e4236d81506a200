"""Celery worker entry point, used when REDIS_URL is set:
``REDIS_URL=redis://host:6379/0 celery -A dashboard.celery_worker:celery_app worker``.

It builds the same Dash app as the web processes (bundle from NEEDSMAP_BUNDLE), which
registers the background callbacks (briefings, optimiser) as Celery tasks.
"""

import contextlib
import os

from celery import bootsteps

from dashboard import DEFAULT_BUNDLE, create_app
from dashboard.runtime import WORKER_HEARTBEAT_KEY, WORKER_HEARTBEAT_SECONDS, WORKER_HEARTBEAT_TTL

if not os.environ.get("REDIS_URL"):
    raise SystemExit("REDIS_URL is not set: the Celery worker needs Redis (see README, Production)")

app = create_app(os.environ.get("NEEDSMAP_BUNDLE", str(DEFAULT_BUNDLE)))
celery_app = app._background_manager.handle
# A worker waits for its broker for ever: the app's settings give up after one retry, which is
# right for a web request (the user is told at once) but made a worker exit for good when Redis
# was away for a few seconds (tests/test_redis_background.py).
celery_app.conf.broker_connection_max_retries = None
celery_app.conf.broker_connection_retry_on_startup = True


class Heartbeat(bootsteps.StartStopStep):
    """Every few seconds the worker writes a key with a short expiry to its Redis
    (``runtime.WORKER_HEARTBEAT_KEY``); /healthz reads it to know that a worker runs and is
    connected. (Asking the workers with a control ping instead failed for good in a web worker
    that had lived through a Redis restart: its replies never arrived, though a fresh process's
    did.) After a Redis restart the key is back within one beat."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None
        self.client = None

    def start(self, worker):
        import redis

        self.client = redis.Redis.from_url(worker.app.conf.broker_url, socket_timeout=2, socket_connect_timeout=2)
        self.beat(worker)
        self.timer_ref = worker.timer.call_repeatedly(WORKER_HEARTBEAT_SECONDS, self.beat, (worker,), priority=10)

    def beat(self, worker):
        import redis

        # Redis away: the key expires, /healthz says so, and the next beat writes it again
        with contextlib.suppress(redis.RedisError, OSError):
            self.client.set(WORKER_HEARTBEAT_KEY.format(worker.hostname), "1", ex=WORKER_HEARTBEAT_TTL)

    def stop(self, worker):
        import redis

        if self.timer_ref is not None:
            self.timer_ref.cancel()
        with contextlib.suppress(redis.RedisError, OSError, AttributeError):
            self.client.delete(WORKER_HEARTBEAT_KEY.format(worker.hostname))


celery_app.steps["worker"].add(Heartbeat)
