"""Equality impact section of the Access page: who loses access, by characteristic, against
the whole area (figures from ``geo.equality``)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.layouts.common import labelled


def section(engine) -> html.Div | None:
    """The section, or None when the bundle has no equality tables."""
    tables = engine.bundle.equality_tables
    if not tables:
        return None
    return html.Section(
        [
            html.H2("Equality impact: who loses access", className="h6 mt-4", id="equality-heading"),
            html.P(
                "Areas, not people: each area's census shares are applied to its population, so these are "
                "estimates of how many of the people losing access live in areas with each group's share. "
                "No characteristic is inferred for any person.",
                className="small text-muted mb-2",
            ),
            html.Div(id=ids.EQUALITY_SUMMARY, className="small mb-2", **{"aria-live": "polite"}),
            dbc.Row(
                [
                    dbc.Col(
                        labelled(
                            "Characteristic",
                            dbc.Select(
                                id=ids.EQUALITY_TABLE,
                                value=next(iter(tables)),
                                options=[{"label": t.label, "value": k} for k, t in tables.items()],
                            ),
                            ids.EQUALITY_TABLE,
                        ),
                        md=8,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Download this table (CSV)",
                            id=ids.EQUALITY_CSV_BUTTON,
                            color="secondary",
                            outline=True,
                            size="sm",
                            className="mt-md-4",
                        ),
                        md=4,
                    ),
                ]
            ),
            dcc.Graph(id=ids.EQUALITY_CHART, config={"displayModeBar": False}, style={"height": "320px"}),
            html.Div(id=ids.EQUALITY_DETAIL),
            dcc.Download(id=ids.EQUALITY_CSV),
        ],
        **{"aria-labelledby": "equality-heading"},
    )
