"""The "Saved scenarios" card: save the current view with a name, a note and an author, and
open, rename or delete the scenarios a team has saved (``geo.store``)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.layouts.common import labelled
from geo.store import MAX_AUTHOR, MAX_NAME, MAX_NOTE


def panel() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Saved scenarios", className="h6"),
                html.P(
                    "Save this view (every setting on every page) to open it again, or share its short link.",
                    className="small text-muted",
                ),
                html.Div(
                    [
                        labelled("Name", dbc.Input(id=ids.SAVE_NAME, type="text", maxLength=MAX_NAME), ids.SAVE_NAME),
                        labelled(
                            "Note (optional)", dbc.Textarea(id=ids.SAVE_NOTE, maxLength=MAX_NOTE, rows=2), ids.SAVE_NOTE
                        ),
                        labelled(
                            "Your name (optional)",
                            dbc.Input(id=ids.SAVE_AUTHOR, type="text", maxLength=MAX_AUTHOR, autoComplete="name"),
                            ids.SAVE_AUTHOR,
                        ),
                        dbc.Button("Save this view", id=ids.SAVE_BUTTON, size="sm", color="primary", className="mb-3"),
                    ],
                    id=ids.SAVED_WRITE,
                ),
                labelled(
                    "Find a saved scenario (part of its name)",
                    dbc.Input(id=ids.SAVED_SEARCH, type="search", debounce=True, maxLength=MAX_NAME),
                    ids.SAVED_SEARCH,
                ),
                labelled(
                    "Saved",
                    dbc.Select(id=ids.SAVED_SELECT, options=[], placeholder="No saved scenarios yet"),
                    ids.SAVED_SELECT,
                ),
                html.Div(id=ids.SAVED_MORE, className="small text-muted mb-1", role="status"),
                html.Div(id=ids.SAVED_DETAIL, className="small text-muted mb-2"),
                html.Div(
                    [
                        html.A(
                            "Open",
                            id=ids.SAVED_OPEN,
                            href="#",
                            className="btn btn-outline-primary btn-sm disabled",
                            role="button",
                            **{"aria-disabled": "true"},
                        ),
                        html.Span(
                            [
                                dbc.Button(
                                    "Rename to the name above",
                                    id=ids.SAVED_RENAME,
                                    size="sm",
                                    color="secondary",
                                    outline=True,
                                    className="me-1",
                                ),
                                dbc.Button("Delete", id=ids.SAVED_DELETE, size="sm", color="danger", outline=True),
                            ],
                            id=f"{ids.SAVED_WRITE}-manage",
                        ),
                    ],
                    className="d-flex flex-wrap gap-1",
                ),
                html.Div(id=ids.SAVED_STATUS, className="small mt-2", role="status"),
                dcc.Store(id=ids.SAVED_PENDING, data=None),  # the id a first Delete press asked about
            ]
        ),
        className="shadow-sm mt-3",
    )
