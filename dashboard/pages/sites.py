"""Sites page: a map of the register beside its table (status, address, postcode, wards,
source and confidence). Internal site ids are kept in the CSV, not shown.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.figures import sites_figure
from dashboard.layouts.common import MAP_CONFIG
from dashboard.links import csv_name
from dashboard.tables import table_block
from dashboard.views import csv_safe_rows


def register_rows(engine) -> list[dict]:
    """One row per register site, with human values (the CSV keeps the site id)."""
    roles = engine.bundle.manifest["layers"]["sites"].get("roles", {})
    area = engine.bundle.area_name
    ward_columns = engine.site_wards()
    rows = []
    for site, r in engine.bundle.sites.iterrows():
        status = (
            "no sourced location: not counted"
            if not r["located"]
            else f"located, outside {area}"
            if r["outside_area"]
            else "located"
        )
        rows.append(
            {
                "site_id": site,
                "name": r["name"],
                "role": roles.get(r["role"], r["role"]),
                "group": r["group"],
                "status": status,
                **{f"ward_{k}": v.get(site, "—") for k, v in ward_columns.items()},
                "address": r["address"],
                "postcode": r["postcode"] or "—",
                "confidence": r["confidence"],
                "lat": None if not r["located"] else round(float(r["lat"]), 6),
                "lon": None if not r["located"] else round(float(r["lon"]), 6),
                "source": r["source"],
                "notes": r["notes"],
                "_class": "nm-warn" if not r["located"] else None,
            }
        )
    return csv_safe_rows(rows)


def layout(engine) -> html.Div:
    bundle = engine.bundle
    rows = register_rows(engine)
    columns = [
        {"name": n, "id": i, **({"csv_only": True} if i in ("site_id", "lat", "lon") else {})}
        for i, n in [
            ("name", "Name"),
            ("role", "Role"),
            ("group", "Neighbourhood"),
            ("status", "Status"),
            *[(f"ward_{k}", w.label) for k, w in engine.ward_sets.items()],
            ("address", "Address"),
            ("postcode", "Postcode"),
            ("confidence", "Confidence"),
            ("source", "Source"),
            ("notes", "Notes"),
            ("site_id", "Site id"),
            ("lat", "Latitude"),
            ("lon", "Longitude"),
        ]
    ]
    data = {
        "columns": columns,
        "rows": rows,
        "csv": {
            "filename": csv_name("sites", bundle.area_name),
            "about": [
                f"Needs Map ({bundle.area_name}): the site register",
                f"Data: {bundle.manifest['area'].get('vintage', '')}",
            ],
        },
    }
    located = bundle.located_sites.copy()
    role_labels = bundle.manifest["layers"]["sites"].get("roles", {})
    # the wards' boundaries come when the page is first shown (callbacks/state.py draw_sites_map):
    # in the first page's layout they were a third of a county's bytes
    figure = sites_figure(
        {"type": "FeatureCollection", "features": []},
        bundle.wards["code"],
        located,
        role_labels,
        bundle.area_name,
        tuple(bundle.wards.total_bounds),
    )
    unlocated = [r["name"] for r in rows if r["status"].startswith("no sourced")]
    outside = [r["name"] for r in rows if r["status"].startswith("located, outside")]
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(id=ids.SITES_MAP, figure=figure, config=MAP_CONFIG, style={"height": "420px"}), lg=6
                    ),
                    dbc.Col(
                        [
                            html.P(
                                [
                                    "Every site of the register with where its location comes from. Points are Code-Point Open "
                                    "postcode-unit centroids, not building entrances (typically within about 100 m)."
                                ],
                                className="small",
                            ),
                            html.P(
                                [
                                    html.B("Not on the map: "),
                                    f"{', '.join(unlocated)}. They have no sourced location, so "
                                    "they are listed but never placed at a guessed point, and no figure counts them. Place one "
                                    "by postcode on the Access page.",
                                ]
                                if unlocated
                                else "Every site has a sourced location.",
                                className="small",
                            ),
                            html.P(
                                [html.B(f"Outside {bundle.area_name}: "), ", ".join(outside) + "."], className="small"
                            )
                            if outside
                            else None,
                        ],
                        lg=6,
                    ),
                ]
            ),
            html.H2("The register", className="h6 mt-2"),
            table_block(ids.SITES_TABLE, "Site register", data, filterable=True, max_height="40rem"),
        ]
    )
