"""What the dashboard needs from the machine it runs on: its data folder, the secret that
signs background-job handles, the background-job manager, the set-up of job processes and
the health of the job backend.

Why these live together: each is a way a background job (briefing, optimiser) could fail
without answering. The rules kept here are

* **one job per request**: every request gets its own result slot (``cache_by`` a fresh
  random token), so two users asking for the same briefing at the same moment each get a
  file; Dash's default keys a job by its arguments, and the first poll to read a shared
  result deletes it, leaving the other user with HTTP 204 and nothing;
* **one signing secret** for every worker process, from ``NEEDSMAP_SECRET_KEY`` or a key
  file created once in the data folder, never one per worker or one that expires (Dash's own
  fallback keeps it in the result store, where a Redis restart loses it);
* **health that tells the truth**: ``backend_problems`` names what stops jobs from running.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
import uuid
from pathlib import Path

SECRET_ENV = "NEEDSMAP_SECRET_KEY"
DATA_DIR_ENV = "NEEDSMAP_DATA_DIR"
CACHE_DIR_ENV = "NEEDSMAP_CACHE_DIR"
SECRET_FILE = "secret.key"
MIN_FREE_BYTES = 50_000_000  # below this the job cache counts as full
HEALTH_CACHE_SECONDS = 5.0  # /healthz probes the backend at most this often per process


class RuntimeSetupError(RuntimeError):
    """The machine cannot give the dashboard what it needs (a folder, a secret)."""


def data_dir() -> Path:
    """The folder for the dashboard's own files (the signing key, stored views):
    ``NEEDSMAP_DATA_DIR`` or ``~/.local/share/needs-map``, created private to the user."""
    folder = Path(os.environ.get(DATA_DIR_ENV) or Path.home() / ".local" / "share" / "needs-map")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise RuntimeSetupError(
            f"cannot create the data folder {folder} ({exc.strerror}); set {DATA_DIR_ENV} to a writable folder"
        ) from None
    return folder


def signing_secret() -> str:
    """The secret that signs background-job handles, the same in every worker process.

    ``NEEDSMAP_SECRET_KEY`` when set; otherwise ``<data folder>/secret.key``, created once
    (atomically: the first process to create it wins, the others read it) with mode 0600.
    """
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        if len(configured) < 16:
            raise RuntimeSetupError(f"{SECRET_ENV} is too short: use at least 16 characters (32 random bytes is best)")
        return configured
    path = data_dir() / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise RuntimeSetupError(f"cannot create {path} ({exc.strerror}); set {SECRET_ENV} instead") from None
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    for _ in range(50):  # another process may have created the file and not yet written it
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise RuntimeSetupError(f"cannot read {path} ({exc.strerror}); set {SECRET_ENV} instead") from None
        if text:
            return text
        time.sleep(0.02)
    raise RuntimeSetupError(f"{path} is empty: delete it (a new key is made) or set {SECRET_ENV}")


def _fresh_token() -> str:
    return uuid.uuid4().hex


def cache_folder() -> str:
    """The disk cache's folder: ``NEEDSMAP_CACHE_DIR`` or ``<tmp>/needs-map-cache``."""
    return os.environ.get(CACHE_DIR_ENV) or os.path.join(tempfile.gettempdir(), "needs-map-cache")


def background_manager():
    """Where background work (briefings, the optimiser) runs.

    * REDIS_URL set: Celery with Redis as broker and result store (``dash.CeleryManager``),
      so several machines share the work; run workers with
      ``celery -A dashboard.celery_worker:celery_app worker``.
    * Otherwise: a disk cache shared by this machine's processes (``dash.DiskcacheManager``);
      NEEDSMAP_CACHE_DIR sets its folder.

    Either way each request is its own job (``cache_by`` a fresh token): see the module notes.
    """
    import dash

    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        from celery import Celery

        celery_app = Celery("needs_map", broker=redis_url, backend=redis_url)
        # a lost broker is reported, not retried for ever while the user waits
        celery_app.conf.broker_connection_timeout = 3
        celery_app.conf.broker_connection_max_retries = 1
        celery_app.conf.redis_socket_timeout = 3
        celery_app.conf.redis_socket_connect_timeout = 3
        return dash.CeleryManager(celery_app, cache_by=[_fresh_token])
    import diskcache

    folder = cache_folder()
    try:
        cache = diskcache.Cache(folder)
    except OSError as exc:
        raise RuntimeSetupError(
            f"cannot use the job cache folder {folder} ({exc.strerror or exc}); set {CACHE_DIR_ENV} to a writable folder"
        ) from None
    return dash.DiskcacheManager(cache, cache_by=[_fresh_token])


_job_process_ready = False
PARENT_CHECK_SECONDS = 0.5
# How much lower a forked job's CPU priority is than the web workers' (Linux nice steps). A
# job's answer (a map per option, a briefing, an optimiser run) takes seconds and shows its
# progress; a click's answer must come in tenths of a second, so on a busy machine the clicks
# go first. On an idle machine a job runs as fast as before: niceness only orders who waits.
JOB_NICENESS = 5


def prepare_job_process() -> None:
    """Called first thing in every background job. A Diskcache job runs in a process forked
    from a web worker: it inherited the worker's listening socket (so an orphaned job kept the
    port busy and a restart failed with "Address already in use") and it outlived its parent.
    Here, once per process, a forked job restores default signal handling (so SIGTERM ends
    it), closes inherited listening sockets, lowers its CPU priority (``JOB_NICENESS``) and
    starts a thread that ends the process when its parent has gone. Celery workers are left
    alone.

    Not ``PR_SET_PDEATHSIG``: Linux sends that when the *thread* that forked ends, and a
    threaded server ends request threads while their jobs still run."""
    global _job_process_ready
    if _job_process_ready or not _is_forked_job():
        return
    _job_process_ready = True
    _default_signal_handlers()
    _close_listening_sockets()
    with contextlib.suppress(OSError):  # a sandbox that forbids it leaves the job as it was
        os.nice(JOB_NICENESS)
    _end_with_parent(os.getppid())


def _default_signal_handlers() -> None:
    """A forked job inherits the web server's Python signal handlers: under gunicorn, SIGTERM
    only set the *worker's* "stop accepting" flag, so terminating a job did nothing."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for name in (
        "SIGTERM",
        "SIGINT",
        "SIGHUP",
        "SIGQUIT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGABRT",
        "SIGWINCH",
        "SIGTTIN",
        "SIGTTOU",
    ):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)


def _is_forked_job() -> bool:
    import sys

    # Dash's DiskcacheManager starts jobs with ``multiprocess`` (a fork of multiprocessing)
    for name in ("multiprocess", "multiprocessing"):
        module = sys.modules.get(name)
        if module is not None and module.parent_process() is not None:
            return True
    return False


def _close_listening_sockets() -> None:
    import socket

    fd_dir = "/proc/self/fd"
    if not os.path.isdir(fd_dir):
        return
    for name in os.listdir(fd_dir):
        fd = int(name)
        if fd < 3:
            continue
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue  # not a socket
        try:
            listening = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        except OSError:
            listening = 0
        finally:
            sock.close()
        if listening:
            with contextlib.suppress(OSError):
                os.close(fd)


def _end_with_parent(parent: int) -> None:
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(3)  # the web worker that asked for this job has gone: nobody can collect it

    threading.Thread(target=watch, name="needs-map-parent-watch", daemon=True).start()


_health_cache: dict[int, tuple[float, list[str]]] = {}


def backend_problems(manager, now: float | None = None) -> list[str]:
    """What stops background jobs from running, in words (empty when they can run).

    Checks the job cache folder (exists, writable, at least 50 MB free) for the disk cache,
    and Redis (answers a ping) and Celery (at least one worker answers) for Celery. Results
    are kept for 5 seconds per process so load balancers polling /healthz cost little.
    """
    now = time.monotonic() if now is None else now
    cached = _health_cache.get(id(manager))
    if cached and now - cached[0] < HEALTH_CACHE_SECONDS:
        return cached[1]
    kind = type(manager).__name__
    problems: list[str] = []
    if kind == "DiskcacheManager":
        folder = getattr(manager.handle, "directory", cache_folder())
        problems += _folder_problems(folder)
    elif kind == "CeleryManager":
        problems += _celery_problems(manager.handle)
    _health_cache[id(manager)] = (now, problems)
    return problems


def _folder_problems(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return [f"job cache folder {folder} does not exist"]
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-"):
            pass
    except OSError as exc:
        return [f"job cache folder {folder} is not writable ({exc.strerror})"]
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        return [f"job cache folder {folder} has {free / 1e6:.0f} MB free (needs {MIN_FREE_BYTES / 1e6:.0f} MB)"]
    return []


# Each Celery worker renews this key (its hostname in place of {}) every few seconds.
WORKER_HEARTBEAT_KEY = "needs_map:worker:{}"
WORKER_HEARTBEAT_SECONDS = 2.0
WORKER_HEARTBEAT_TTL = 10


def _celery_problems(celery_app) -> list[str]:
    import redis

    url = celery_app.conf.broker_url
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            # /healthz is public: name no host, port or credentials
            return [f"Redis does not answer ({type(exc).__name__})"]
        # a worker's heartbeat (dashboard/celery_worker.py Heartbeat): a key it renews every few seconds
        try:
            alive = next(client.scan_iter(match=WORKER_HEARTBEAT_KEY.format("*"), count=100), None)
        except (redis.RedisError, OSError) as exc:
            return [f"Redis does not answer ({type(exc).__name__})"]
    finally:
        client.close()
    if alive is None:
        return [
            f"no Celery worker is running (none has renewed its heartbeat in {WORKER_HEARTBEAT_TTL} s): "
            "start one with `celery -A dashboard.celery_worker:celery_app worker`"
        ]
    return []


def scenario_store():
    """The saved-scenarios database (``geo.store``): ``DATABASE_URL``, else a SQLite file in the
    data folder. Created and migrated here, at start-up; a database that cannot be opened is one
    clear ``RuntimeSetupError``."""
    from geo.store import ScenarioStore, StoreError

    try:
        return ScenarioStore()
    except StoreError as exc:
        raise RuntimeSetupError(f"{exc} (set DATABASE_URL, or NEEDSMAP_DATA_DIR for the SQLite file)") from None


OPTIMISER_SECONDS_ENV = "NEEDSMAP_OPTIMISER_SECONDS"


def optimiser_seconds() -> float:
    """The dashboard optimiser's time limit in seconds (``NEEDSMAP_OPTIMISER_SECONDS``, default
    30, from 1 to 50: the job's watchdog stops it at 60 s). A run that reaches it shows its best
    answer and says it may not be the best."""
    raw = os.environ.get(OPTIMISER_SECONDS_ENV, "").strip()
    try:
        value = float(raw) if raw else 30.0
    except ValueError:
        raise RuntimeSetupError(f"{OPTIMISER_SECONDS_ENV}={raw!r}: give a number of seconds") from None
    if not 1 <= value <= 50:
        raise RuntimeSetupError(f"{OPTIMISER_SECONDS_ENV}={raw!r}: give 1 to 50 seconds")
    return value
