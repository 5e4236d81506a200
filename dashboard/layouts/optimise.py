"""Optimise panel (Access page): where should new sites go?"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids, jobs
from dashboard.layouts.common import labelled
from geo.optimise import MAX_P


def panel(engine) -> dbc.Card:
    bundle = engine.bundle
    defaults = bundle.manifest.get("optimiser", {})
    sites = [
        {"label": f"{r['name'].split(' (')[0]} ({r['postcode']})", "value": s}
        for s, r in bundle.located_sites.iterrows()
    ]
    wards = [{"label": n, "value": n} for n in sorted(bundle.wards["name"])]
    undecided = [s["name"].split(" (")[0] for s in engine.placeable_sites()]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Optimise: where should sites go?", className="h6"),
                dbc.FormText(
                    "Exact integer-programming answer for the travel settings above (mode, threshold, population)."
                ),
                labelled(
                    "Goal",
                    dbc.RadioItems(
                        id=ids.OPT_OBJECTIVE,
                        name=ids.OPT_OBJECTIVE,
                        value="coverage",
                        options=[
                            {"label": "Reach the most people within the threshold", "value": "coverage"},
                            {"label": "Shortest average journey (p-median)", "value": "median"},
                        ],
                    ),
                    ids.OPT_OBJECTIVE,
                ),
                labelled(
                    "Number of sites to choose (placing undecided sites: one each)",
                    dbc.Input(id=ids.OPT_P, type="number", min=1, max=MAX_P, step=1, value=1),
                    ids.OPT_P,
                ),
                labelled(
                    "Question",
                    dbc.RadioItems(
                        id=ids.OPT_KEEP,
                        name=ids.OPT_KEEP,
                        # the question users have first: where the undecided site should go
                        value="place" if undecided else "scenario",
                        options=[
                            *(
                                [
                                    {
                                        "label": f"Place the undecided {' and '.join(undecided)}; keep every other "
                                        "site of my scenario open",
                                        "value": "place",
                                    }
                                ]
                                if undecided
                                else []
                            ),
                            {"label": "Add new sites; keep every site open in my scenario", "value": "scenario"},
                            {"label": "Add new sites; keep only the sites ticked below", "value": "chosen"},
                        ],
                    ),
                    ids.OPT_KEEP,
                ),
                html.Fieldset(
                    [
                        html.Legend(
                            "Sites kept open (with 'Only the sites ticked below')", className="small fw-semibold mb-1"
                        ),
                        dbc.Checklist(
                            id=ids.OPT_FIXED, options=sites, value=defaults.get("default_fixed", []), className="small"
                        ),
                    ],
                    className="nm-scroll-list mb-3",
                    tabIndex="0",
                ),
                labelled(
                    "Candidates",
                    dbc.RadioItems(
                        id=ids.OPT_CANDIDATES,
                        name=ids.OPT_CANDIDATES,
                        value="postcodes",
                        options=[
                            {"label": "Postcodes in these wards", "value": "postcodes"},
                            {"label": "Sites in the register", "value": "sites"},
                            {
                                "label": f"{engine.bundle.small_area.one} population-weighted centroids",
                                "value": "lsoas",
                            },
                            {"label": "My CSV file (name, postcode or lat/lon)", "value": "upload"},
                        ],
                    ),
                    ids.OPT_CANDIDATES,
                ),
                html.Fieldset(
                    [
                        html.Legend("Wards for candidate postcodes", className="small fw-semibold mb-1"),
                        dbc.Checklist(
                            id=ids.OPT_WARDS,
                            options=wards,
                            value=defaults.get("default_candidate_wards", []),
                            className="small",
                        ),
                    ],
                    className="nm-scroll-list mb-3",
                    tabIndex="0",
                ),
                dcc.Upload(
                    id=ids.OPT_UPLOAD,
                    children=html.Div(["Drop or ", html.U("choose"), " a candidates CSV (1 MB max)"]),
                    max_size=1_000_000,
                    accept=".csv,text/csv",
                    className="border border-secondary-subtle rounded p-2 small text-center mb-2",
                ),
                dbc.Checklist(
                    id=ids.OPT_WEIGHT,
                    options=[{"label": "Weight people by the need index", "value": "need"}],
                    value=[],
                    className="small mb-2",
                ),
                html.Div(
                    [
                        dbc.Button("Run", id=ids.OPT_RUN, color="primary", size="sm", className="me-2"),
                        dbc.Button(
                            "Cancel", id=ids.OPT_CANCEL, color="secondary", outline=True, size="sm", disabled=True
                        ),
                        html.Span(id=ids.OPT_STATUS, className="small ms-2", role="status"),
                        jobs.elapsed(ids.OPT_JOB),
                    ],
                    className="mb-2",
                ),
                jobs.alert(ids.OPT_JOB, "small text-danger mb-2"),
                html.Div(id=ids.OPT_RESULT, className="small", **{"aria-live": "polite"}),
                dbc.Button(
                    "Adopt into my scenario",
                    id=ids.OPT_ADOPT,
                    color="success",
                    size="sm",
                    disabled=True,
                    className="mt-1",
                ),
                dcc.Store(id=ids.OPT_STORE),
            ]
        ),
        className="shadow-sm mt-3",
    )
