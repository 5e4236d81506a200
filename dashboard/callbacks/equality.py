"""Equality impact section: the comparison's breakdown by characteristic (``geo.equality``),
a chart, an accessible table with the caveats beside it, and a CSV download that says what
it holds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, html, no_update

from dashboard import ids
from dashboard.callbacks import only_when_shown
from dashboard.figures import equality_chart
from dashboard.links import page_link
from geo.errors import NeedsMapError
from geo.formatting import percent
from geo.viewstate import from_store, scenario_of, threshold_kwargs, threshold_text


def equality_result(engine, view: dict):
    """The engine's equality result for a view's comparison, or None without one."""
    base = scenario_of(engine, view, "cmp")
    if base is None:
        return None
    return engine.equality(base, scenario_of(engine, view, "alt"), **threshold_kwargs(view))


def _pp(x) -> str:
    return "—" if x is None else f"{x:+.1f}"


def summary(result, view: dict, engine) -> html.Div:
    lines = [
        html.P(
            f"{result.alt_label} against {result.base_label}: {result.losing_total:,.0f} "
            f"{result.population_label} lose {threshold_text(engine, view)}.",
            className="mb-1",
        )
    ]
    for line in result.headline_lines():
        kind = "estimated, " if line["estimate"] else ""
        lines.append(
            html.P(
                [
                    html.Strong(f"{line['group']} ({kind}Census {line['census_year']}): "),
                    f"{percent(line['losing_share'])} of those losing access live in such households, "
                    f"against {percent(line['all_share'])} across {engine.bundle.area_name}.",
                ],
                className="mb-1",
            )
        )
    flagged = [f"{r['group']} ({r['table']})" for r in result.largest_differences(50) if r["over_represented"]]
    lines.append(
        html.P(
            ("Over-represented among those losing access: " + "; ".join(flagged) + ".")
            if flagged
            else "No group is over-represented among those losing access by the rule below.",
            className="mb-0 fw-semibold",
        )
    )
    return html.Div(lines)


def detail_table(b, area_name: str) -> html.Div:
    """The breakdown as an accessible table, with its year, source and assumption beside it."""
    rows = b.rows()
    head = html.Thead(
        html.Tr(
            [
                html.Th(c, scope="col")
                for c in (
                    "Group",
                    f"Share across {area_name}",
                    "Share of those keeping access",
                    "Share of those losing access",
                    "Difference (points)",
                    "Losing access (estimate)",
                    "Gaining access (estimate)",
                    "Over-represented?",
                )
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(r["group"], scope="row", className="fw-normal"),
                    html.Td(percent(r["all_share"])),
                    html.Td(percent(r["keeping_share"])),
                    html.Td(percent(r["losing_share"])),
                    html.Td(_pp(r["difference_pp"])),
                    html.Td(f"{r['losing_count']:,.0f}"),
                    html.Td(f"{r['gaining_count']:,.0f}"),
                    html.Td("Yes" if r["over_represented"] else "No"),
                ]
            )
            for r in rows
        ]
    )
    t = b.table
    caption = html.Caption(
        f"{t.label}. Census {t.year}{', estimated' if t.estimate else ''}. Source: {t.source}.", className="small"
    )
    notes = [
        b.assumption,
        "Over-represented: a share among those losing access at least 5 points above, and at "
        "least 1.2 times, the share among all.",
    ]
    if t.note:
        notes.append(t.note)
    return html.Div(
        [
            html.Div(
                html.Table([caption, head, body], className="table table-sm small align-middle"),
                className="table-responsive",
                tabIndex=0,
                role="region",
                **{"aria-label": t.label},
            ),
            html.Ul([html.Li(n) for n in notes], className="small text-muted"),
        ]
    )


def equality_outputs(allow_duplicate: bool = False) -> dict:
    """The equality section's outputs (a dict grouping: summary, chart, detail)."""
    return {
        "summary": Output(ids.EQUALITY_SUMMARY, "children", allow_duplicate=allow_duplicate),
        "chart": Output(ids.EQUALITY_CHART, "figure", allow_duplicate=allow_duplicate),
        "detail": Output(ids.EQUALITY_DETAIL, "children", allow_duplicate=allow_duplicate),
    }


def equality_panel(engine, view: dict, table_id: str) -> dict:
    """``equality_update`` as the outputs of ``equality_outputs`` (summary, chart, detail)."""
    return dict(zip(("summary", "chart", "detail"), equality_update(engine, view, table_id)))


def equality_update(engine, view: dict, table_id: str):
    """(summary, chart, detail) for a view and a chosen table."""
    try:
        result = equality_result(engine, view)
    except NeedsMapError as exc:
        return dbc.Alert(f"No equality figures: {exc}", color="warning", className="py-2"), go.Figure(), None
    if result is None:
        return (
            html.P(
                "Choose a comparison ('Compare against') to see who loses access, by characteristic.",
                className="text-muted",
            ),
            go.Figure(),
            None,
        )
    b = next((b for b in result.breakdowns if b.table.id == table_id), result.breakdowns[0])
    rows = b.rows()
    area = engine.bundle.area_name
    chart = equality_chart(
        [r["group"] for r in rows], [r["all_share"] for r in rows], [r["losing_share"] for r in rows], area
    )
    return summary(result, view, engine), chart, detail_table(b, area)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def equality_csv(engine, view: dict, table_id: str, link: str, today: dt.date | None = None) -> dict | None:
    """The chosen breakdown as CSV: a '#' header block (what, scenario, settings, sources, link)
    then one row per group with the labels shown on screen."""
    result = equality_result(engine, view)
    if result is None:
        return None
    b = next((b for b in result.breakdowns if b.table.id == table_id), result.breakdowns[0])
    today = today or dt.date.today()
    out = io.StringIO()
    t = b.table
    for line in (
        f"Needs Map equality impact: {t.label}",
        f"Comparison: {result.alt_label} against {result.base_label}",
        f"Population: {result.population_label}; threshold: {threshold_text(engine, view)}",
        f"Census {t.year}{' (estimated)' if t.estimate else ''}; source: {t.source}",
        f"Assumption: {b.assumption}",
        f"Link: {link}",
        f"Made: {today.isoformat()}",
    ):
        out.write(f"# {line}\n")
    writer = csv.writer(out)
    writer.writerow(
        [
            "Group",
            f"Share across {engine.bundle.area_name} (%)",
            "Share of those keeping access (%)",
            "Share of those losing access (%)",
            "Difference (points)",
            "Losing access (estimate)",
            "Gaining access (estimate)",
            "Over-represented",
        ]
    )
    for r in b.rows():
        writer.writerow(
            [
                r["group"],
                *(
                    None if r[k] is None else round(100 * r[k], 2)
                    for k in ("all_share", "keeping_share", "losing_share")
                ),
                None if r["difference_pp"] is None else round(r["difference_pp"], 2),
                round(r["losing_count"], 1),
                round(r["gaining_count"], 1),
                "yes" if r["over_represented"] else "no",
            ]
        )
    name = (
        f"needs-map_equality_{_slug(t.id)}_{_slug(result.alt_label)}-vs-{_slug(result.base_label)}_"
        f"{view['mode']}-{view['threshold']:g}{'min' if view['unit'] == 'minutes' else 'km'}_{today.isoformat()}.csv"
    )
    return {"content": out.getvalue(), "filename": name, "type": "text/csv"}


def register(app, engine, store=None) -> None:
    # A new view fills the section in the Access page's one callback (pages/access.py);
    # this one answers the choice of another table.
    @app.callback(
        output=equality_outputs(allow_duplicate=True),
        inputs={"table_id": Input(ids.EQUALITY_TABLE, "value")},
        state={"view": State(ids.ACCESS_VIEW, "data"), "page": State(ids.PAGE_VIEW, "data")},
        prevent_initial_call=True,
    )
    def update(table_id, view, page):
        only_when_shown(page, "access")
        state, _ = from_store(engine, view)  # the store may have been tampered with (or not set yet)
        return equality_panel(engine, state, table_id)

    @app.callback(
        Output(ids.EQUALITY_CSV, "data"),
        Input(ids.EQUALITY_CSV_BUTTON, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.EQUALITY_TABLE, "value"),
        prevent_initial_call=True,
    )
    def download(_clicks, state, table_id):
        state, _ = from_store(engine, state)
        try:
            return equality_csv(engine, state, table_id, page_link(engine, state, store))
        except NeedsMapError:
            return no_update
