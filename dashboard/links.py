"""Names and links that downloads carry: which view a file came from, and how to reopen it."""

from __future__ import annotations

import datetime as dt
import re

from geo.viewstate import encode, from_store


def slug(text: str) -> str:
    """File-name-safe lower-case words joined by hyphens.

    >>> slug("Proposed (2020), modified")
    'proposed-2020-modified'
    """
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40]


def csv_name(*parts: str, today: dt.date | None = None) -> str:
    """'needs-map_<part>_<part>_<date>.csv' from the non-empty parts.

    >>> csv_name("wards", "Proposed (2020)", "walk-20min", today=dt.date(2026, 12, 1))
    'needs-map_wards_proposed-2020_walk-20min_2026-12-01.csv'
    """
    words = [slug(p) for p in parts if p]
    return "_".join(["needs-map", *words, (today or dt.date.today()).isoformat()]) + ".csv"


def page_link(engine, state, store=None) -> str:
    """The address that reopens ``state``: this server's own address when serving a request. A
    view too long for a link (``viewstore.SHORTEN_OVER``) is given its short link ``/v/<id>``
    (with ``store``), so every link a file carries opens under a server's limits."""
    from dashboard.viewstore import SHORTEN_OVER

    try:
        from flask import has_request_context, request

        base = request.host_url if has_request_context() else "http://127.0.0.1:8050/"
    except ImportError:  # pragma: no cover - flask comes with dash
        base = "http://127.0.0.1:8050/"
    query = encode(from_store(engine, state)[0])
    if len(query) > SHORTEN_OVER and store is not None:
        from geo.store import StoreError

        try:
            return f"{base.rstrip('/')}/v/{store.save_view(query, printed=True)}"
        except StoreError:
            pass  # the full link, as the address bar has it when the store fails
    return base + query
