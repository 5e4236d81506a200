"""Access page callbacks: a scenario view -> engine results -> map patch, headlines,
charts and tables."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, html

from dashboard import ids
from dashboard.figures import access_patch, access_values, curve_chart, decile_chart, site_styles
from dashboard.layouts.common import stat_card
from dashboard.views import (CURVE_GRID, added_points, headline, lost_rows, scenario_outputs, threshold_label,
                             ward_rows, ward_table_indicators)
from geo.errors import NeedsMapError

WARD_COLUMNS = [("ward", "Ward"), ("need_index", "Need index"), ("children_0_15", "Children 0-15"),
                ("imd_decile_mean", "Mean IMD decile"), ("base_covered_pct", "% within: comparison"),
                ("alt_covered_pct", "% within: scenario"), ("losing_access", "Losing access")]
LOST_COLUMNS = [("lsoa", "LSOA"), ("ward", "Ward"), ("population", "Population"), ("imd_decile", "IMD decile"),
                ("minutes_before", "Minutes before"), ("minutes_after", "Minutes after"),
                ("nearest_after", "Nearest open site after")]


def _n(v):
    return f"{v:,.0f}"


def _p(v):
    return "n/a" if v is None or v != v else f"{100 * v:.1f}%"


def headline_cards(h: dict, limit: str):
    cards = [dbc.Col(stat_card(f"{h['alt_label']}: {h['pop_label']} within a {limit}", _n(h["alt_covered"]),
                               f"{_p(h['alt_share'])} of {_n(h['total'])}", card_id="headline-alt"), md=3)]
    if "base_label" in h:
        cards.insert(0, dbc.Col(stat_card(f"{h['base_label']}: within a {limit}", _n(h["base_covered"]),
                                          f"{_p(h['base_share'])} of {_n(h['total'])}", card_id="headline-base"), md=3))
        cards.append(dbc.Col(stat_card("Losing access", _n(h["losing"]),
                                       f"{_p(h['losing_share_of_total'])} of all; change {h['change']:+,.0f}",
                                       colour="warning" if h["losing"] > 0 else "light", card_id="headline-losing"), md=3))
        cards.append(dbc.Col(stat_card("Of those, in the 20% most deprived areas", _n(h["losing_deprived"]),
                                       f"{_p(h['losing_deprived_share'])} of those losing access (IMD deciles 1-2)",
                                       card_id="headline-deprived"), md=3))
    mean = "no open site" if h["alt_mean"] != h["alt_mean"] or h["alt_mean"] == float("inf") else f"{h['alt_mean']:.1f}"
    base_mean = ""
    if "base_mean" in h and h["base_mean"] not in (float("inf"),):
        base_mean = f" (comparison {h['base_mean']:.1f})"
    return html.Div([dbc.Row(cards, className="g-2"),
                     html.P(f"Mean minutes to the nearest open site: {mean}{base_mean}.", className="small mt-1 mb-0",
                            id="headline-mean")])


def access_update(engine, view: dict, sites, role_labels):
    """All Access page outputs for one view; engine errors become a visible message."""
    try:
        out = scenario_outputs(engine, view)
        added = added_points(engine, view)
    except NeedsMapError as exc:
        alert = dbc.Alert(f"This scenario cannot be evaluated: {exc}", color="danger")
        return (Patch(), alert, {}, {}, [], [], [], [], None, None, None, None)
    alt, cmp = out["alt"], out["comparison"]
    limit = threshold_label(view, engine)
    open_ids = set(engine.open_site_ids(alt.scenario)) - set(view["move"])
    values = access_values(cmp if cmp is not None else alt, view["colour"], limit)
    styles = site_styles(sites, open_ids, role_labels)
    patch = access_patch(Patch(), values, styles, added, tiles=view.get("tiles", False))
    h = headline(out, view, engine)
    base_label = cmp.base.scenario_label if cmp is not None else None
    if cmp is not None:
        rows = cmp.to_dict()["by_imd_decile"]
    else:
        rows = [{"decile": r["decile"], "alt_share": r["share_covered"], "base_share": None}
                for r in alt.summary()["by_imd_decile"]]
    decile = decile_chart(rows, base_label, alt.scenario_label)
    curve = curve_chart(CURVE_GRID, out["base_curve"], out["alt_curve"], base_label, alt.scenario_label,
                        view["threshold"] if view["unit"] == "minutes" else None)
    decile_text = html.Table([html.Thead(html.Tr([html.Th("IMD decile"), html.Th(base_label or ""), html.Th(alt.scenario_label)])),
                              html.Tbody([html.Tr([html.Td(r["decile"]), html.Td(_p(r["base_share"]) if base_label else ""),
                                                   html.Td(_p(r["alt_share"]))]) for r in rows])],
                             className="table table-sm small")
    marks = [5, 10, 15, 20, 30, 45, 60]
    base_curve = out["base_curve"]
    curve_text = html.Table([html.Thead(html.Tr([html.Th("Within")] + ([html.Th(base_label)] if base_label else [])
                                                + [html.Th(alt.scenario_label)])),
                             html.Tbody([html.Tr([html.Td(f"{m} min")]
                                                 + ([html.Td(_p(base_curve[m]))] if base_label else [])
                                                 + [html.Td(_p(out["alt_curve"][m]))]) for m in marks])],
                            className="table table-sm small")
    wards = ward_rows(engine, out, view.get("w"))
    extra = [(i, engine.bundle.indicators[i].short_label) for i in ward_table_indicators(engine)]
    ward_cols = [{"name": n, "id": i, "type": "numeric" if i != "ward" else "text"}
                 for i, n in WARD_COLUMNS[:4] + extra + WARD_COLUMNS[4:] if wards and i in wards[0]]
    lost = lost_rows(engine, out)
    lost_cols = [{"name": n, "id": i} for i, n in LOST_COLUMNS]
    unlocated = None
    if alt.unlocated_sites:
        names = ", ".join(engine.site_label(s) for s in alt.unlocated_sites)
        unlocated = dbc.Alert([html.B("Not counted: "), f"{names} have no sourced location, so they are left out of "
                               "every figure. Place one with 'Add a site' if you know its postcode."],
                              color="secondary", className="py-2 small mb-2")
    assumptions = html.Div([html.B("Assumptions: "), html.Ul([html.Li(a) for a in alt.assumptions], className="mb-0")])
    return (patch, headline_cards(h, limit), decile, curve, wards, ward_cols, lost, lost_cols, unlocated, assumptions,
            decile_text, curve_text)


def register(app, engine) -> None:
    sites = engine.bundle.located_sites
    role_labels = engine.bundle.manifest["layers"]["sites"].get("roles", {})

    @app.callback(Output(ids.ACCESS_MAP, "figure"), Output(ids.HEADLINES, "children"),
                  Output(ids.DECILE_CHART, "figure"), Output(ids.CURVE_CHART, "figure"),
                  Output(ids.WARD_TABLE, "data"), Output(ids.WARD_TABLE, "columns"),
                  Output(ids.LOST_TABLE, "data"), Output(ids.LOST_TABLE, "columns"),
                  Output(ids.UNLOCATED, "children"), Output(ids.ASSUMPTIONS, "children"),
                  Output(ids.DECILE_TEXT, "children"), Output(ids.CURVE_TEXT, "children"),
                  Input(ids.ACCESS_VIEW, "data"), prevent_initial_call=True)
    def update(view):
        return access_update(engine, view, sites, role_labels)
