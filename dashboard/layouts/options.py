"""The Options page: two to six scenarios (presets, the Access page's view, saved scenarios)
side by side against a baseline: one sortable, downloadable table, a small map per option,
and a one-page options briefing (``geo.appraisal``, ``geo.reports.options_briefing``)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids, jobs
from dashboard.layouts.common import labelled
from dashboard.tables import table_block
from geo.viewstate import OPTION_VIEW, default_options

VIEW_OPTION = OPTION_VIEW  # the Access page's current scenario


def preset_choices(engine) -> list[dict]:
    return [{"label": engine.scenario(n).label, "value": f"preset:{n}"} for n in engine.scenario_names()]


def layout(engine) -> html.Div:
    choices = preset_choices(engine) + [{"label": "The scenario on the Access page", "value": VIEW_OPTION}]
    first_two = default_options(engine)
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H2("Options to compare", className="h6"),
                            html.P(
                                "Choose two to six. Saved scenarios appear here once saved on the Access page.",
                                className="small text-muted",
                            ),
                            html.Fieldset(
                                [
                                    html.Legend("Options", className="visually-hidden"),
                                    # the choices live in the view state and so in the link
                                    # (geo.viewstate: opts, optbase), not in browser storage
                                    dbc.Checklist(id=ids.OPTIONS_CHOICES, options=choices, value=first_two),
                                ],
                                className="mb-3",
                            ),
                            labelled(
                                "Baseline (the others are compared with it)",
                                dbc.Select(id=ids.OPTIONS_BASELINE, options=choices[:2], value=first_two[0]),
                                ids.OPTIONS_BASELINE,
                            ),
                            labelled(
                                "Briefing format",
                                dbc.Select(
                                    id=ids.OPTIONS_FORMAT,
                                    value="pdf",
                                    options=[
                                        {"label": "PDF", "value": "pdf"},
                                        {"label": "PNG image", "value": "png"},
                                        {"label": "HTML page", "value": "html"},
                                    ],
                                ),
                                ids.OPTIONS_FORMAT,
                            ),
                            dbc.Button(
                                "Download the options briefing",
                                id=ids.OPTIONS_DOWNLOAD_BUTTON,
                                size="sm",
                                color="primary",
                            ),
                            html.Span(id=ids.OPTIONS_BRIEF_STATUS, className="small ms-2", role="status"),
                            jobs.elapsed(ids.OPTIONS_BRIEF_JOB),
                            jobs.alert(ids.OPTIONS_BRIEF_JOB, "small text-danger mt-2"),
                            dcc.Download(id=ids.OPTIONS_DOWNLOAD),
                        ]
                    ),
                    className="shadow-sm",
                ),
                lg=3,
                md=12,
                className="mb-3",
            ),
            dbc.Col(
                [
                    html.H2("Options appraisal", className="h5"),
                    html.P(id=ids.OPTIONS_SETTINGS, className="small text-muted"),
                    html.Div(id=ids.OPTIONS_MESSAGE, role="status", className="small"),
                    dcc.Loading(
                        [
                            table_block(ids.OPTIONS_TABLE, "Options side by side", csv_label="Download CSV"),
                        ],
                        type="dot",
                    ),
                    html.H3("Minutes to the nearest open site, by option", className="h6 mt-3"),
                    dcc.Store(id=ids.OPTIONS_MAPS_REQUEST, data=0),
                    dcc.Store(id=ids.OPTIONS_MAPS_BUSY, data=False),
                    html.Span(id=ids.OPTIONS_MAPS_STATUS, className="small", role="status"),
                    jobs.elapsed(ids.OPTIONS_MAPS_JOB),
                    jobs.alert(ids.OPTIONS_MAPS_JOB, "small text-danger"),
                    html.Img(id=ids.OPTIONS_MAPS, className="img-fluid", alt=""),
                ],
                lg=9,
                md=12,
            ),
        ]
    )
