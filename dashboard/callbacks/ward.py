"""A councillor's own ward: the Access page's ward card (what the scenario does to the found
ward's families) and the one-page ward briefing, downloadable from that card and from the
Needs page's ward profile."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import ids
from dashboard.links import slug
from geo.errors import NeedsMapError
from geo.formatting import NO_FIGURE, people, percent
from geo.reports.briefing import uncounted_sites
from geo.reports.ward_briefing import render_ward_briefing, ward_numbers
from geo.results import range_bounds
from geo.viewstate import from_store, scenario_of

BRIEF = "ward-brief"  # pattern: {"type": BRIEF, "ward": code, "page": page}


def brief_button(ward_code: str, ward_name: str, page: str) -> html.Button:
    return html.Button(
        f"Download the {ward_name} ward briefing (PDF)",
        id={"type": BRIEF, "ward": ward_code, "page": page},
        type="button",
        className="btn btn-outline-primary btn-sm",
        n_clicks=0,
    )


def ward_card(engine, view: dict):
    """The found ward's figures in the view's scenario (and comparison), or nothing."""
    code = view.get("ward")
    if not code:
        return None
    try:
        numbers = ward_numbers(engine, view, code)
    except NeedsMapError as exc:
        return dbc.Alert(str(exc), color="warning", className="py-2 small")
    name = engine.ward_sets[engine.check_ward_set(view.get("wards"))].names[code]
    total = numbers["population"]

    def share(v, key):
        bounds = range_bounds(numbers["ranges"], key)
        spread = f"; range {bounds[0]}-{bounds[1]}" if bounds and bounds[0] != bounds[1] else ""
        return (percent(v / total) if total else NO_FIGURE) + spread

    items = [html.Li(f"{people(total)} {engine.bundle.population_fields[view['pop']].lower()} live in the ward.")]
    if "base_covered" in numbers:
        items.append(
            html.Li(
                f"{numbers['base_label']}: {people(numbers['base_covered'])} within reach "
                f"({share(numbers['base_covered'], 'base_covered')})."
            )
        )
    items.append(
        html.Li(
            f"{numbers['alt_label']}: {people(numbers['alt_covered'])} within reach "
            f"({share(numbers['alt_covered'], 'alt_covered')})."
        )
    )
    if "losing" in numbers:
        items.append(html.Li(f"Losing access: {people(numbers['losing'])} ({share(numbers['losing'], 'losing')})."))
        if numbers["changed_population"]:
            items.append(
                html.Li(
                    f"{people(numbers['changed_population'])} have a different nearest site, "
                    f"{numbers['added_minutes']:+.1f} minutes further on average."
                )
            )
    # open sites no figure counts: any of them may serve this ward, whose figures then undercount
    alt, cmp = scenario_of(engine, view, "alt"), scenario_of(engine, view, "cmp")
    items += [html.Li(line) for line in uncounted_sites(engine, (cmp, alt))]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2(f"{name} ward", className="h6"),
                html.Ul(items, className="small mb-2"),
                brief_button(code, name, "access"),
            ]
        ),
        className="mb-2 border-primary",
    )


def register(app, engine, store=None) -> None:
    @app.callback(
        Output(ids.WARD_BRIEF_DOWNLOAD, "data"),
        Output(ids.WARD_BRIEF_STATUS, "children"),
        Input({"type": BRIEF, "ward": ALL, "page": ALL}, "n_clicks"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def download(clicks, state):
        from flask import has_request_context, request

        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(t.get("value") for t in ctx.triggered):
            return no_update, no_update  # a button re-rendered, not pressed
        state, _ = from_store(engine, state)
        base_url = request.host_url if has_request_context() else "http://127.0.0.1:8050/"
        try:
            data = render_ward_briefing(engine, state, trigger["ward"], fmt="pdf", base_url=base_url, store=store)
        except NeedsMapError as exc:
            return no_update, f"No ward briefing: {exc}"
        name = engine.ward_sets[engine.check_ward_set(state.get("wards"))].names.get(trigger["ward"], "ward")
        return dcc.send_bytes(
            data, f"needs-map_ward-briefing_{slug(name)}_{dt.date.today().isoformat()}.pdf"
        ), f"The {name} ward briefing is downloading."
