"""Who is asking, and what they may do: sign-in and roles, checked on the server.

Three roles (``geo.store.ROLES``), each able to do what the one before can:

* **viewer**: everything read-only (maps, scenarios built in the browser, downloads, opening
  saved scenarios);
* **editor**: also save, rename and delete saved scenarios;
* **admin**: also restore deleted scenarios (``python -m geo scenarios``) and manage users
  (``python -m geo users``).

How people are known depends on ``NEEDSMAP_ACCESS``:

* ``open`` (the default of ``python app.py``, one person on their own machine): everyone is an
  editor, no sign-in;
* ``signin`` (the default of ``--prod``): anyone may look; saving needs a signed-in editor,
  known by a built-in account (``/login``; argon2 hashes; a session cookie that is HttpOnly,
  SameSite=Lax, and Secure unless ``NEEDSMAP_INSECURE_COOKIES=1``), or by a trusted reverse
  proxy's header (``NEEDSMAP_PROXY_USER_HEADER``, believed only from the addresses in
  ``NEEDSMAP_TRUSTED_PROXIES``), with the role of that name in the users table (viewer if none);
* ``public`` (a consultation's public site): everyone is a viewer, there is no sign-in, and no
  write control is shown.

Every write is checked here, before Dash runs the callback: a request to save, rename or delete
from someone who is not an editor is refused with 403, and so is one whose ``Origin`` is another
site (cross-site request forgery); the sign-in form carries a token of its own.
"""

from __future__ import annotations

import hmac
import html
import os
import secrets
import threading
import time
from urllib.parse import urlsplit

MODES = ("open", "signin", "public")
ACCESS_ENV = "NEEDSMAP_ACCESS"
RANK = {"viewer": 0, "editor": 1, "admin": 2}
LOGIN_TRIES, LOGIN_WINDOW_S = 5, 300  # failed sign-ins per address before a pause, and the pause
# the presses that change saved scenarios (dashboard.ids SAVE_BUTTON, SAVED_RENAME, SAVED_DELETE): the
# callback acts on the press Dash names as changed, so that is what is checked
WRITE_TRIGGERS = ("saved-save.n_clicks", "saved-rename.n_clicks", "saved-delete.n_clicks")


class AccessError(RuntimeError):
    """A setting of sign-in or roles that cannot work (the message says which)."""


def access_mode(default: str = "open") -> str:
    """The access mode (``NEEDSMAP_ACCESS``, else ``default``)."""
    mode = os.environ.get(ACCESS_ENV, "").strip().lower() or default
    if mode not in MODES:
        raise AccessError(f"{ACCESS_ENV}={mode!r}: choose {', '.join(MODES)}")
    return mode


def _trusted_proxies() -> set[str]:
    return {a.strip() for a in os.environ.get("NEEDSMAP_TRUSTED_PROXIES", "").split(",") if a.strip()}


def current_user(store, mode: str) -> dict:
    """{"name", "role", "via"} of the person making this request (in a Flask request)."""
    import flask

    if mode == "public":
        return {"name": "", "role": "viewer", "via": "public"}
    if mode == "open":
        return {"name": "", "role": "editor", "via": "open"}
    header = os.environ.get("NEEDSMAP_PROXY_USER_HEADER", "").strip()
    if header and flask.request.remote_addr in _trusted_proxies():
        name = flask.request.headers.get(header, "").strip()
        if name:
            known = store.user(name)
            return {"name": name, "role": known["role"] if known else "viewer", "via": "proxy"}
    name = flask.session.get("user")
    known = store.user(name) if name else None
    if known is not None:  # a role changed or a user removed takes effect at once
        return {"name": known["name"], "role": known["role"], "via": "account"}
    return {"name": "", "role": "viewer", "via": "anonymous"}


def may(user: dict, role: str) -> bool:
    """Whether ``user`` has ``role`` or a higher one.

    >>> may({"role": "admin"}, "editor"), may({"role": "viewer"}, "editor")
    (True, False)
    """
    return RANK.get(user.get("role", ""), -1) >= RANK[role]


class _Failures:
    """Failed sign-ins per address in the last ``LOGIN_WINDOW_S`` seconds (one process's count)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._times: dict[str, list[float]] = {}

    def blocked(self, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._times.get(address, []) if now - t < LOGIN_WINDOW_S]
            self._times[address] = recent
            return len(recent) >= LOGIN_TRIES

    def add(self, address: str) -> None:
        with self._lock:
            self._times.setdefault(address, []).append(time.monotonic())


def _form(message: str, token: str, status: str = "") -> str:
    note = f'<p role="alert" class="text-danger">{html.escape(message)}</p>' if message else ""
    done = f'<p role="status">{html.escape(status)}</p>' if status else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in · Needs Map</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/assets/00-bootstrap-5.3.9.min.css"></head>'
        '<body><main class="container py-4" style="max-width:28rem"><h1 class="h4">Sign in to Needs Map</h1>'
        f"{note}{done}"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="token" value="{html.escape(token)}">'
        '<div class="mb-3"><label class="form-label" for="name">Name</label>'
        '<input class="form-control" id="name" name="name" autocomplete="username" required></div>'
        '<div class="mb-3"><label class="form-label" for="password">Password</label>'
        '<input class="form-control" id="password" name="password" type="password" '
        'autocomplete="current-password" required></div>'
        '<button class="btn btn-primary" type="submit">Sign in</button> '
        '<a class="btn btn-link" href="/">Back to the map without signing in</a>'
        "</form></main></body></html>"
    )


def register(app, store, mode: str) -> None:
    """The sign-in routes, the session cookie's flags, and the server-side check of every write."""
    import flask

    server = app.server
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=mode == "signin" and os.environ.get("NEEDSMAP_INSECURE_COOKIES") != "1",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )
    failures = _Failures()
    app.access_mode = mode

    @server.before_request
    def check_writes():
        request = flask.request
        if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
            return None
        body = request.get_json(silent=True) or {}
        changed = body.get("changedPropIds") if isinstance(body, dict) else None
        if not isinstance(changed, list) or not any(str(c) in WRITE_TRIGGERS for c in changed):
            return None  # not a write (the saved list's first load, a search, any other click)
        origin = request.headers.get("Origin")
        # the site's own address as the browser sees it (a proxy passes the Host header on)
        if origin and urlsplit(origin).netloc != request.host:
            return flask.jsonify({"error": "a write from another site is refused"}), 403
        if not may(current_user(store, mode), "editor"):
            return flask.jsonify({"error": "saving, renaming and deleting need a signed-in editor"}), 403
        return None

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if mode != "signin":
            return flask.redirect("/", code=302)
        request = flask.request
        if request.method == "GET":
            flask.session["login_token"] = token = secrets.token_urlsafe(16)
            return _form("", token)
        address = request.remote_addr or ""
        expected = flask.session.get("login_token", "")
        sent = request.form.get("token", "")
        new_token = secrets.token_urlsafe(16)
        flask.session["login_token"] = new_token
        if not expected or not hmac.compare_digest(str(expected), str(sent)):
            return _form("The form had expired: please sign in again.", new_token), 400
        if failures.blocked(address):
            return _form(f"Too many failed sign-ins from here: wait {LOGIN_WINDOW_S // 60} minutes.", new_token), 429
        user = store.check_password(request.form.get("name", "")[:80], request.form.get("password", "")[:200])
        if user is None:
            failures.add(address)
            return _form("That name and password do not match.", new_token), 401
        flask.session.clear()
        flask.session["user"] = user["name"]
        flask.session.permanent = True
        return flask.redirect("/", code=303)

    @server.route("/logout", methods=["POST"])
    def logout():
        flask.session.clear()
        return flask.redirect("/", code=303)


def account_words(user: dict, mode: str) -> tuple[str, bool, bool]:
    """(what the header says about who is signed in, show the sign-in link, hide write controls).

    >>> account_words({"name": "Ana", "role": "editor", "via": "account"}, "signin")
    ('Signed in as Ana (editor)', False, False)
    >>> account_words({"name": "", "role": "viewer", "via": "public"}, "public")
    ('', False, True)
    """
    if mode == "open":
        return "", False, False
    if mode == "public":
        return "", False, True
    if user["name"]:
        return f"Signed in as {user['name']} ({user['role']})", False, not may(user, "editor")
    return "Viewing only", True, True
