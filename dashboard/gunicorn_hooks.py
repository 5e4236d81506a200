"""gunicorn server hooks, loaded by ``python app.py --prod`` (``--config python:dashboard.gunicorn_hooks``).

A worker that is stopping (SIGTERM to gunicorn, or a worker restart) ends the background jobs
it started (Diskcache jobs are its child processes). Without this the worker's exit waited
for them (``multiprocess`` joins its children at exit) until gunicorn killed it, and the
jobs were left running on their own.
"""

from __future__ import annotations


def worker_exit(server, worker) -> None:
    """Terminate this worker's job processes, then give them a moment to go."""
    import sys

    for name in ("multiprocess", "multiprocessing"):
        module = sys.modules.get(name)
        if module is None:
            continue
        children = module.active_children()
        for child in children:
            child.terminate()
        for child in children:
            child.join(2)
            if child.is_alive():
                child.kill()
