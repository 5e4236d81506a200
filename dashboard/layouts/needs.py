"""Needs page: choropleth of any indicator at ward or small-area (LSOA) level, with its metadata and a
ward profile on click."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.deferred import Deferred
from dashboard.layouts.common import MAP_CONFIG, labelled, ward_finder
from dashboard.tables import dom_id, table_block
from dashboard.views import map_note


def layout(engine, state, figure, indicator_options, ranked: dict | None = None, info=None) -> html.Div:
    weights = state["w"]
    candidates = engine.need_index_candidates()
    # Number boxes rather than sliders: native inputs with a label, typed or stepped with the
    # arrow keys (Dash's slider thumb has no accessible name).
    sliders = [
        labelled(
            f"Weight: {engine.bundle.indicators[i].label}",
            dbc.Input(
                type="number",
                min=0,
                max=1,
                step=0.05,
                value=float(weights.get(i, 0)),
                id={"type": ids.WEIGHTS, "indicator": i},
                debounce=True,
                size="sm",
                style={"maxWidth": "7rem"},
            ),
            dom_id({"type": ids.WEIGHTS, "indicator": i}),
        )
        for i in candidates
    ]
    controls = dbc.Card(
        dbc.CardBody(
            [
                ward_finder(engine, "needs"),
                labelled(
                    "Indicator",
                    dbc.Select(options=indicator_options, value=state["ind"], id=ids.INDICATOR),
                    ids.INDICATOR,
                ),
                labelled(
                    "Level",
                    dbc.RadioItems(
                        options=[
                            {"label": "Wards", "value": "ward"},
                            {"label": engine.bundle.small_area.level, "value": "lsoa"},
                        ]
                        + (
                            [{"label": engine.bundle.current_lsoas.label, "value": "lsoa_current"}]
                            if "lsoa_current" in engine.levels
                            else []
                        ),
                        value=state["level"],
                        id=ids.LEVEL,
                        name=ids.LEVEL,
                        inline=True,
                    ),
                    ids.LEVEL,
                    level_help(engine),
                ),
                labelled(
                    "Ward boundaries",
                    dbc.Select(
                        id=ids.NEEDS_WARD_SET,
                        value=state["wards"],
                        options=[
                            {"label": ward_set.label, "value": set_id} for set_id, ward_set in engine.ward_sets.items()
                        ],
                    ),
                    ids.NEEDS_WARD_SET,
                    "Figures published by ward exist only for the wards they were published for; "
                    f"figures of the {engine.bundle.small_area.many} are carried to any ward set through its "
                    "output areas.",
                )
                if len(engine.ward_sets) > 1
                else None,
                html.Details(
                    [
                        html.Summary("Need index weights", className="fw-semibold mb-2"),
                        *sliders,
                        dbc.FormText(
                            "The need index ranks areas within the area on each indicator (percentile, "
                            "oriented so 100 = most need) and takes the weighted mean."
                        ),
                    ],
                    open=False,
                    # a bundle with no need index ([need_index] weights) offers none to weigh
                    style=None if engine.has_need_index else {"display": "none"},
                ),
            ]
        ),
        className="shadow-sm",
    )
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col([controls, html.Div(info, id=ids.INDICATOR_INFO, className="mt-3")], lg=3, md=12),
                    dbc.Col(
                        [
                            html.P(
                                map_note(engine, state["ind"], state["level"]),
                                id=ids.NEEDS_MAP_NOTE,
                                className="small text-muted mb-1",
                            ),
                            dcc.Graph(id=ids.NEEDS_MAP, figure=figure, config=MAP_CONFIG, className="nm-map"),
                            html.H2("Areas ranked by this indicator", className="h6 mt-3"),
                            # after the map: a county's table of hundreds of rows delayed its first paint
                            Deferred(
                                table_block(ids.NEEDS_TABLE, "Areas ranked by this indicator", ranked, filterable=True)
                            ),
                        ],
                        lg=6,
                        md=12,
                    ),
                    dbc.Col(
                        html.Div(
                            id=ids.WARD_PROFILE,
                            children=html.P(
                                "Click a ward on the map, or find it by name or postcode, to see its profile: every indicator "
                                f"with its source, the {engine.bundle.small_area.many} in it, the sites in it, and its "
                                "one-page briefing.",
                                className="text-muted",
                            ),
                        ),
                        lg=3,
                        md=12,
                    ),
                ]
            ),
        ]
    )


def level_help(engine) -> str:
    """What each map level shows, in the bundle's words."""
    small = engine.bundle.small_area
    words = f"Ward-only figures have no values by {small.one}."
    if "lsoa_current" in engine.levels:
        current = engine.bundle.current_lsoas.label
        words += (
            f" {current} take the figures of the {small.level} they came from: a split area keeps its "
            "rates and shares counts by residents."
        )
        if any(s.level == "lsoa_current" for s in engine.bundle.indicators.values()):
            words += f" Figures published for {current} are shown by those, as published."
    return words
