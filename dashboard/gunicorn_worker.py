"""gunicorn's threaded worker, with new connections going to workers that are free.

gunicorn's workers share one listening socket and the first to wake takes a new connection,
busy or not; a browser then keeps that connection open between clicks (keep-alive), so all of
a user's clicks go to that worker. A worker runs one callback at a time
(``dashboard.serving.CallbackSlots``), so with connections spread unevenly one worker queued
clicks while another sat idle: with 50 simulated users on 4 workers, one worker answered 3,805
requests (median 52 ms) and another 1,319 (median 19 ms). Two rules even this out:

* a worker with a callback of its own running or waiting stops listening for new connections,
  and listens again as soon as its callbacks are done (gunicorn's loop turns after every
  finished request), so a new connection goes to a free worker; so that nobody waits long
  when every worker stays busy, it listens again after ``MAX_DEFER_S`` whatever;
* a callback that ends while others wait in the same worker has its connection closed after
  the answer (``CallbackSlots``), so that user's next click opens a new connection, which a
  free worker takes.

Measured (``benchmarks/load_bench.py``, 50 users, 4 workers, one killed at 20 s): the three
workers that ran throughout answered 2,316 to 2,583 requests each. The cost: a request on a new connection may wait up to
``MAX_DEFER_S`` when every worker is busy (the options' maps, polled on new connections,
took longer under that load), and under overload (200 users on 2 cores) more connections are
closed and opened again, so the p95 there rose (1.6 s to 2.5 s). gunicorn closes a connection
on its main loop and waits up to 2 s for the client to close its side; a browser closes at once
on "Connection: close" (a client can already cause the same wait by asking for that close
itself). Slow clients, keep-alive and timeouts are gunicorn's own.
"""

from __future__ import annotations

import time

from gunicorn.workers.gthread import ThreadWorker

from dashboard import serving

# the longest a busy worker leaves a waiting connection to the others (seconds): a safety bound
# for when every worker stays busy; under 50 users a worker is free again within milliseconds
MAX_DEFER_S = 1.0


class BalancedThreadWorker(ThreadWorker):
    """``gthread`` that leaves new connections to free workers while its callbacks are busy."""

    _busy_since: float | None = None

    def set_accept_enabled(self, enabled: bool) -> None:
        # gunicorn's loop asks for accepting on every turn it finds accepting off
        if enabled and serving.callbacks_busy():
            now = time.monotonic()
            if self._busy_since is None:
                self._busy_since = now
            enabled = now - self._busy_since >= MAX_DEFER_S
        elif not serving.callbacks_busy():
            self._busy_since = None
        super().set_accept_enabled(enabled)

    def accept(self, listener) -> None:
        super().accept(listener)
        if serving.callbacks_busy():
            self._busy_since = time.monotonic()
            self.set_accept_enabled(False)  # busy: others take the next connections
