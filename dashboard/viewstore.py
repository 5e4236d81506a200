"""Short links in the address bar: ``/?v=<id>`` (and ``/v/<id>``) for views whose full link
would be too long to share or to serve.

A view is its link's query string (``geo.viewstate.encode``). Short queries stay in the
address bar as they are, readable and independent of any server. A query longer than
``SHORTEN_OVER`` characters (20 added sites with 80-character Bengali labels make about
15,000) is kept in the database of the saved scenarios (``geo.store.ScenarioStore.save_view``:
one table, the same backups) and the address bar shows ``?v=<id>`` instead. Briefings and CSV
files use the same short links for every view, whatever its length.
"""

from __future__ import annotations

from geo.store import MAX_QUERY_STORED, ScenarioStore, StoreError

SHORTEN_OVER = 2_000  # characters of query; shorter links are left readable
MAX_STORED_QUERY = MAX_QUERY_STORED  # the longest view the interface can make is about 20,000


def shorten(store: ScenarioStore | None, search: str) -> tuple[str, list[str]]:
    """The address-bar query for a view: ``search`` itself when short, else ``?v=<id>`` with
    the view stored. When the store fails, the full query and a notice saying why."""
    if len(search) <= SHORTEN_OVER:
        return search, []
    if store is None:
        return search, ["This view has no short link (no database); its full link is in the address bar."]
    try:
        return f"?v={store.save_view(search)}", []
    except StoreError as exc:
        return search, [f"This view could not be given a short link ({exc}); its full link is in the address bar."]


def expand(store: ScenarioStore | None, search: str | None) -> tuple[str | None, int | None, list[str]]:
    """(query to decode, its length limit, notices) for an address-bar query: a short link
    ``?v=<id>`` becomes its stored query (limit ``MAX_STORED_QUERY``); anything else is
    returned as it is (limit None: the decoder's own)."""
    if not isinstance(search, str) or not search.startswith("?v="):
        return search, None, []
    key = search[3:].split("&", 1)[0]
    try:
        query = None if store is None else store.load_view(key)
    except StoreError as exc:
        return "", None, [f"The short link's view could not be read ({exc}); showing the default view."]
    if query is None:
        return (
            "",
            None,
            [f"No view is stored under the short link {key[:20]!r} on this server; showing the default view."],
        )
    return "?" + query, MAX_STORED_QUERY, []
