"""Saved scenarios: save the current view, list, rename and delete (``geo.store``). Opening
one is a link, ``/s/<id>``: the page loads with ``?s=<id>`` and the state callback reads the
saved view through the same checks as a link."""

from __future__ import annotations

from dash import Input, Output, State, ctx, html, no_update

from dashboard import auth, ids
from geo.store import ScenarioStore, StoreError
from geo.viewstate import MAX_STATE_QUERY, encode, from_store

LISTED = 100  # saved scenarios in the select at once: the newest, or the newest that match a search


def options(store: ScenarioStore, area: str, search: str = "") -> list[dict]:
    """The saved scenarios of this area for the select, newest first (``LISTED`` at most)."""
    out = []
    for saved in store.list_saved(area=area, search=search, limit=LISTED):
        by = f", {saved.author}" if saved.author else ""
        out.append({"label": f"{saved.name} ({saved.updated:%d %b %Y}{by})", "value": saved.id})
    return out


def listed_words(store: ScenarioStore, area: str, search: str = "") -> str:
    """What the select holds, when it cannot hold everything (or nothing matches a search)."""
    total = store.count_saved(area=area, search=search)
    if search and not total:
        return f"No saved scenario's name holds “{search}”."
    if total > LISTED:
        return f"The {LISTED} newest of {total:,} are listed; type part of a name above to find others."
    return ""


OPEN_DISABLED = ("#", "btn btn-outline-primary btn-sm disabled", "true")  # href, class, aria-disabled


def detail(store: ScenarioStore, key) -> tuple[list, str, str, str]:
    """(text, Open link href, Open link class, aria-disabled) for the chosen saved scenario."""
    saved = store.get(key) if key else None
    if saved is None:
        return ([], *OPEN_DISABLED)
    words = [saved.note or "No note.", html.Br(), "Short link: ", html.A(f"/s/{saved.id}", href=f"/s/{saved.id}")]
    if saved.author:
        words[1:1] = [f" Saved by {saved.author}."]
    return words, f"/s/{saved.id}", "btn btn-outline-primary btn-sm", "false"


def write(engine, store: ScenarioStore, trigger, name, note, author, chosen, pending, view):
    """Save, rename or delete (the button pressed); (status words, the select's value, the id a
    first Delete press asked about). The server checked the person may (dashboard.auth)."""
    area = engine.bundle.area_name
    status, selected, pending_out = "", no_update, None
    if trigger == ids.SAVE_BUTTON:
        state, _ = from_store(engine, view)  # what the page shows, checked like a link
        query = encode(state)
        if len(query) > MAX_STATE_QUERY:
            raise StoreError("this view is too large to save")
        saved = store.save(name, query, note=note or "", author=author or "", area=area)
        selected = saved.id
        status = html.Span(
            [f"Saved “{saved.name}”. Its link: ", html.A(f"/s/{saved.id}", href=f"/s/{saved.id}")],
            className="text-success",
        )
    elif trigger == ids.SAVED_RENAME:
        if not chosen:
            raise StoreError("choose a saved scenario to rename")
        saved = store.rename(chosen, name, who=author or "")
        status = f"Renamed to “{saved.name}”."
    elif trigger == ids.SAVED_DELETE:
        if not chosen:
            raise StoreError("choose a saved scenario to delete")
        saved = store.get(chosen)
        if saved is None:
            raise StoreError("that saved scenario no longer exists")
        if pending != chosen:  # a second press confirms: nothing is lost to a slip
            status, pending_out = f"Press Delete again to delete “{saved.name}” for everyone.", chosen
        else:
            store.delete(chosen, who=author or "")
            status, selected = f"Deleted “{saved.name}”.", None
    return status, selected, pending_out


def _register_account(app, store: ScenarioStore) -> None:
    """Who is signed in, and the write controls for editors only, filled at load (on one's own
    machine, NEEDSMAP_ACCESS=open, nothing to fill: the callback is not even registered, so the
    first page costs no extra request)."""

    @app.callback(
        Output(ids.ACCOUNT, "children"),
        Output(ids.SIGN_IN, "hidden"),
        Output(ids.SIGN_OUT, "hidden"),
        Output(ids.SAVED_WRITE, "hidden"),
        Output(f"{ids.SAVED_WRITE}-manage", "hidden"),
        Input(ids.URL, "pathname"),
    )
    def account(_path):
        """Who is signed in, and the write controls for editors only (the server checks every
        write too: dashboard.auth)."""
        mode = getattr(app, "access_mode", "open")
        words, sign_in, hide_writes = auth.account_words(auth.current_user(store, mode), mode)
        signed_in = bool(words) and not sign_in
        return words, not sign_in, not signed_in, hide_writes, hide_writes


def register(app, engine, store: ScenarioStore) -> None:
    area = engine.bundle.area_name

    if getattr(app, "access_mode", "open") != "open":
        _register_account(app, store)

    @app.callback(
        Output(ids.SAVED_SELECT, "options"),
        Output(ids.SAVED_SELECT, "value"),
        Output(ids.SAVED_STATUS, "children"),
        Output(ids.SAVED_PENDING, "data"),
        Input(ids.SAVE_BUTTON, "n_clicks"),
        Input(ids.SAVED_RENAME, "n_clicks"),
        Input(ids.SAVED_DELETE, "n_clicks"),
        State(ids.SAVED_SEARCH, "value"),
        State(ids.SAVE_NAME, "value"),
        State(ids.SAVE_NOTE, "value"),
        State(ids.SAVE_AUTHOR, "value"),
        State(ids.SAVED_SELECT, "value"),
        State(ids.SAVED_PENDING, "data"),
        State(ids.STATE, "data"),
    )
    def manage(_save, _rename, _delete, search, name, note, author, chosen, pending, view):
        try:
            status, selected, pending_out = write(
                engine, store, ctx.triggered_id, name, note, author, chosen, pending, view
            )
            listed = options(store, area, search or "")
        except StoreError as exc:
            try:
                listed = options(store, area, search or "")
            except StoreError:
                listed = no_update
            message = str(exc)
            return listed, no_update, html.Span(message[:1].upper() + message[1:] + ".", className="text-danger"), None
        return listed, selected, status, pending_out

    @app.callback(
        Output(ids.SAVED_SELECT, "options", allow_duplicate=True),
        Output(ids.SAVED_MORE, "children"),
        Input(ids.SAVED_SEARCH, "value"),
        Input(ids.SAVED_SELECT, "options"),
        prevent_initial_call=True,
    )
    def find(search, _listed):
        """A read-only search of the saved list (anyone may search; writes are manage's)."""
        try:
            words = listed_words(store, area, search or "")
            if ctx.triggered_id == ids.SAVED_SEARCH:
                return options(store, area, search or ""), words
            return no_update, words
        except StoreError as exc:
            return no_update, str(exc)

    @app.callback(
        Output(ids.SAVED_DETAIL, "children"),
        Output(ids.SAVED_OPEN, "href"),
        Output(ids.SAVED_OPEN, "className"),
        Output(ids.SAVED_OPEN, "aria-disabled"),
        Input(ids.SAVED_SELECT, "value"),
    )
    def show(key):
        try:
            return detail(store, key)
        except StoreError as exc:
            return ([str(exc)], *OPEN_DISABLED)
