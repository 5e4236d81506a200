"""Sites page: the register with status, address, postcode, source and confidence."""

from __future__ import annotations

from dash import dash_table, html

from dashboard import ids
from dashboard.layouts.access import TABLE_STYLE
from dashboard.views import csv_safe_rows


def layout(engine) -> html.Div:
    roles = engine.bundle.manifest["layers"]["sites"].get("roles", {})
    area = engine.bundle.area_name
    ward_columns = engine.site_wards()
    rows = []
    for site, r in engine.bundle.sites.iterrows():
        status = ("unlocated: not counted" if not r["located"]
                  else f"located, outside {area}" if r["outside_area"] else "located")
        rows.append({"site_id": site, "name": r["name"], "role": roles.get(r["role"], r["role"]),
                     "group": r["group"], "status": status,
                     **{f"ward_{k}": v.get(site, "—") for k, v in ward_columns.items()},
                     "address": r["address"], "postcode": r["postcode"] or "—", "confidence": r["confidence"],
                     "lat": None if not r["located"] else round(float(r["lat"]), 6),
                     "lon": None if not r["located"] else round(float(r["lon"]), 6),
                     "source": r["source"], "notes": r["notes"]})
    rows = csv_safe_rows(rows)
    columns = [{"name": n, "id": i} for i, n in [("site_id", "Id"), ("name", "Name"), ("role", "Role"),
                                                ("group", "Neighbourhood"), ("status", "Status"),
                                                *[(f"ward_{k}", w.label) for k, w in engine.ward_sets.items()],
                                                ("address", "Address"),
                                                ("postcode", "Postcode"), ("lat", "Lat"), ("lon", "Lon"),
                                                ("confidence", "Confidence"),
                                                ("source", "Source"), ("notes", "Notes")]]
    return html.Div([
        html.P(["Every site of the register with where its location comes from. Coordinates are Code-Point Open "
                "postcode-unit centroids, not building points. Sites without a sourced postcode are ",
                html.B("unlocated"), ": they are listed but never placed at a guessed point, and coverage figures "
                "do not count them. Place one by postcode on the Access page."], className="small"),
        dash_table.DataTable(id=ids.SITES_TABLE, data=rows, columns=columns, sort_action="native",
                             filter_action="native", export_format="csv", page_size=25,
                             style_table={"overflowX": "auto"},
                             style_cell={**TABLE_STYLE["style_cell"], "maxWidth": "16rem"},
                             # Long citations are cut to one line here (hover shows them whole; the CSV keeps them).
                             style_cell_conditional=[{"if": {"column_id": c}, "whiteSpace": "nowrap", "overflow": "hidden",
                                                      "textOverflow": "ellipsis", "maxWidth": "14rem"}
                                                     for c in ("source", "notes")],
                             tooltip_data=[{c: {"value": row[c], "type": "text"} for c in ("source", "notes")}
                                           for row in rows],
                             tooltip_duration=None,
                             style_header=TABLE_STYLE["style_header"],
                             style_data_conditional=[{"if": {"filter_query": '{status} contains "unlocated"'},
                                                      "backgroundColor": "#fff3cd"}]),
    ])
