"""Stored views: the short links ``/?v=<id>`` (and ``/v/<id>``) for views whose full link
would be too long to share or to serve.

A view is its link's query string (``geo.viewstate.encode``). Short queries stay in the
address bar as they are, readable and independent of any server. A query longer than
``SHORTEN_OVER`` characters (20 added sites with 80-character Bengali labels make about
15,000) is kept here and the address bar shows ``?v=<id>`` instead.

The id is the first 80 bits of the query's SHA-256, in base 32: the same view always gets the
same id, saving twice stores nothing new, and ids cannot be guessed from one another. The
store is one SQLite file in the data folder (``NEEDSMAP_DATA_DIR``) shared by every worker
process on the machine (WAL mode, so readers never wait for a writer). Stored views are
never changed or deleted by the app; back the file up with the rest of the data folder.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import time
from pathlib import Path

from geo.viewstate import MAX_STATE_QUERY

SHORTEN_OVER = 2_000  # characters of query; shorter links are left readable
MAX_STORED_QUERY = MAX_STATE_QUERY  # the longest view the interface can make is about 20,000
ID_PATTERN = re.compile(r"^[a-z2-7]{16}$")


class ViewStoreError(RuntimeError):
    """The store could not save or read a view (disk full, folder not writable...)."""


def view_id(query: str) -> str:
    """The short id of a view's query string.

    >>> view_id("page=access&add=Hub%40LU1%203QZ")
    'ddffb6fchpucwicm'
    """
    digest = hashlib.sha256(query.encode("utf-8")).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


class ViewStore:
    """Views by id in one SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=10)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS views (id TEXT PRIMARY KEY, query TEXT NOT NULL, saved REAL NOT NULL)"
            )
        except sqlite3.Error as exc:
            raise ViewStoreError(f"cannot open the view store {self.path}: {exc}") from None
        return connection

    def save(self, query: str) -> str:
        """Store ``query`` (a link's query string without "?") and return its id."""
        if len(query) > MAX_STORED_QUERY:
            raise ViewStoreError(f"the view is {len(query):,} characters; {MAX_STORED_QUERY:,} at most")
        key = view_id(query)
        connection = self._connect()
        try:
            with connection:
                connection.execute(
                    "INSERT OR IGNORE INTO views (id, query, saved) VALUES (?, ?, ?)", (key, query, time.time())
                )
        except sqlite3.Error as exc:
            raise ViewStoreError(f"cannot save the view in {self.path}: {exc}") from None
        finally:
            connection.close()
        return key

    def load(self, key: str) -> str | None:
        """The query stored under ``key``, or None when there is none."""
        if not isinstance(key, str) or not ID_PATTERN.match(key):
            return None
        connection = self._connect()
        try:
            row = connection.execute("SELECT query FROM views WHERE id = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise ViewStoreError(f"cannot read the view store {self.path}: {exc}") from None
        finally:
            connection.close()
        return row[0] if row else None


def default_store() -> ViewStore:
    """The store in the data folder (``NEEDSMAP_DATA_DIR``)."""
    from dashboard import runtime

    return ViewStore(runtime.data_dir() / "views.sqlite3")


def shorten(store: ViewStore, search: str) -> tuple[str, list[str]]:
    """The address-bar query for a view: ``search`` itself when short, else ``?v=<id>`` with
    the view stored. When the store fails, the full query and a notice saying why."""
    if len(search) <= SHORTEN_OVER:
        return search, []
    try:
        return f"?v={store.save(search.lstrip('?'))}", []
    except ViewStoreError as exc:
        return search, [f"This view could not be given a short link ({exc}); its full link is in the address bar."]


def expand(store: ViewStore, search: str | None) -> tuple[str | None, int | None, list[str]]:
    """(query to decode, its length limit, notices) for an address-bar query: a short link
    ``?v=<id>`` becomes its stored query (limit ``MAX_STORED_QUERY``); anything else is
    returned as it is (limit None: the decoder's own)."""
    if not isinstance(search, str) or not search.startswith("?v="):
        return search, None, []
    key = search[3:].split("&", 1)[0]
    try:
        query = store.load(key)
    except ViewStoreError as exc:
        return "", None, [f"The short link's view could not be read ({exc}); showing the default view."]
    if query is None:
        return (
            "",
            None,
            [f"No view is stored under the short link {key[:20]!r} on this server; showing the default view."],
        )
    return "?" + query, MAX_STORED_QUERY, []
