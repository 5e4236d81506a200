"""The Options page: two to six scenarios (presets, the Access page's view, saved scenarios)
side by side against a baseline: one sortable, downloadable table, a small map per option,
and a one-page options briefing (``geo.appraisal``, ``geo.reports.options_briefing``).

The Options page: the appraisal of the chosen options with the Access page's travel
settings, as a table (``dashboard.tables``), a small map per option and a one-page briefing.
"""

from __future__ import annotations

import base64
import dataclasses
import logging

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from dashboard import ids, jobs, runtime
from dashboard.layouts.common import labelled
from dashboard.tables import TABLE_UNCHANGED, table_block, table_outputs, table_shown, table_update
from dashboard.views import csv_safe_rows
from geo.appraisal import MAX_OPTIONS, MIN_OPTIONS, Option, appraise, preset
from geo.errors import NeedsMapError
from geo.options import from_state, option_links
from geo.store import ScenarioStore, StoreError
from geo.viewstate import OPTION_VIEW, default_options, from_store, threshold_kwargs, threshold_text

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


LOG = logging.getLogger(__name__)

COLUMNS = [
    ("label", "Option"),
    ("open_sites", "Open sites"),
    ("covered", "Within reach"),
    ("share_covered_pct", "Within reach (%)"),
    ("covered_range", "Range across the travel model"),
    ("change_vs_baseline", "Change against the baseline"),
    ("losing_access", "Losing access"),
    ("losing_deprived_pct", "Of them in the most deprived 20% (%)"),
    ("mean_minutes", "Mean minutes"),
    ("busiest_site", "Busiest site"),
    ("busiest_site_population", "Nearest site for"),
    ("beyond_capacity", "Beyond capacity"),
]


MAPS_TIMEOUT_S = 25  # six maps take about 1 s here; past this the watchdog stops the job and says so
BRIEFING_TIMEOUT_S = 25

OPTION_SAVED_LISTED = 50  # saved scenarios offered as options at once, the newest


def choices(engine, store: ScenarioStore | None) -> list[dict]:
    """Presets, the Access page's scenario, then this area's saved scenarios."""
    out = preset_choices(engine) + [{"label": "The scenario on the Access page", "value": VIEW_OPTION}]
    if store is not None:
        try:
            # the newest ones (a database of thousands would make a page of thousands of boxes);
            # any other is chosen by its link (opts=saved:<id>) or from the Access page's search
            out += [
                {"label": f"Saved: {s.name}", "value": f"saved:{s.id}"}
                for s in store.list_saved(area=engine.bundle.area_name, limit=OPTION_SAVED_LISTED)
            ]
        except StoreError:
            LOG.warning("saved scenarios could not be listed for the Options page", exc_info=True)
    return out


def build_options(engine, store, chosen: list, view: dict, labels: dict[str, str]) -> list[Option]:
    """The Option for each chosen value, in the order of the choices."""
    from geo.viewstate import open_saved

    options = []
    for value in chosen:
        if not isinstance(value, str):
            continue
        if value.startswith("preset:"):
            options.append(preset(engine, value.split(":", 1)[1]))
        elif value == VIEW_OPTION:
            state, _ = from_store(engine, view)
            options.append(from_state(engine, "view", "", state, "view"))  # called by its scenario's name
        elif value.startswith("saved:") and store is not None:
            state, notices = open_saved(engine, store, value.split(":", 1)[1])
            if state is None:
                raise NeedsMapError("; ".join(notices))
            options.append(from_state(engine, value, state["name"], state, "saved"))
    # two options of one name (the Access page's scenario unchanged from a preset) are numbered
    seen: dict[str, int] = {}
    for k, option in enumerate(options):
        seen[option.label] = seen.get(option.label, 0) + 1
        if seen[option.label] > 1:
            options[k] = dataclasses.replace(option, label=f"{option.label} [{seen[option.label]}]")
    return options


def table_data(engine, appraisal) -> dict:
    """The table store's content for an appraisal (the same rows as ``python -m geo appraise``)."""
    rows = []
    for r in appraisal.rows:
        low_high = r["covered_range"]
        rows.append(
            {
                "label": r["label"] + (" (baseline)" if r["is_baseline"] else ""),
                "open_sites": r["open_sites"],
                "covered": round(r["covered"]),
                "share_covered_pct": round(100 * r["share_covered"], 1),
                "covered_range": None if low_high is None else f"{low_high[0]:,.0f} to {low_high[1]:,.0f}",
                "change_vs_baseline": round(r["change_vs_baseline"]),
                "losing_access": round(r["losing_access"]),
                "losing_deprived_pct": None
                if r["losing_most_deprived_20pct_share"] is None
                else round(100 * r["losing_most_deprived_20pct_share"], 1),
                "mean_minutes": None if r["mean_minutes"] is None else round(r["mean_minutes"], 2),
                "busiest_site": (r["busiest_site"] or "").split(" (")[0] or None,
                "busiest_site_population": None
                if r["busiest_site_population"] is None
                else round(r["busiest_site_population"]),
                "beyond_capacity": "unknown" if r["beyond_capacity"] is None else round(r["beyond_capacity"]),
            }
        )
    return {
        # no deprivation measure, no deprivation column
        "columns": [{"id": k, "name": n} for k, n in COLUMNS if appraisal.deprivation or k != "losing_deprived_pct"],
        "rows": csv_safe_rows(rows),
        "csv": {
            "filename": "needs-map-options.csv",
            "about": [
                f"Options appraisal, {engine.bundle.area_name}: {appraisal.population_label}",
                f"Baseline: {appraisal.baseline}; mode {appraisal.mode}; threshold {appraisal.threshold}",
                "Nearest open located site by the bundle's travel model; every option with the same travel settings.",
            ],
        },
    }


def register(app, engine, store: ScenarioStore | None) -> None:
    from geo.reports.options_briefing import maps_png, render_options_briefing

    @app.callback(
        Output(ids.OPTIONS_CHOICES, "options"),
        Input(ids.PAGE_VIEW, "data"),
        Input(ids.SAVED_SELECT, "options"),  # a scenario saved, renamed or deleted
    )
    def refresh_choices(_page, _saved):
        return choices(engine, store)

    def _appraise(chosen, baseline, view, listed):
        labels = {c["value"]: c["label"] for c in listed or []}
        chosen = [c for c in (chosen or []) if isinstance(c, str)]
        if not MIN_OPTIONS <= len(chosen) <= MAX_OPTIONS:
            raise NeedsMapError(f"Choose {MIN_OPTIONS} to {MAX_OPTIONS} options (now {len(chosen)}).")
        options = build_options(engine, store, chosen, view, labels)
        state, _ = from_store(engine, view)
        travel = threshold_kwargs(state)
        base = next((o for o, v in zip(options, chosen) if v == baseline), options[0])
        capacity = state.get("cap") or None  # the capacities set on the Access page, for every option
        return options, appraise(engine, options, base, capacity=capacity, **travel), state, travel

    @app.callback(
        output={
            "table": table_outputs(ids.OPTIONS_TABLE),
            "baselines": Output(ids.OPTIONS_BASELINE, "options"),
            # (its value is the state callback's: the view state holds the baseline, and moves it
            # to the first option chosen when it is unchosen)
            "message": Output(ids.OPTIONS_MESSAGE, "children"),
            "settings": Output(ids.OPTIONS_SETTINGS, "children"),
            "maps_request": Output(ids.OPTIONS_MAPS_REQUEST, "data"),
        },
        inputs={
            "chosen": Input(ids.OPTIONS_CHOICES, "value"),
            "baseline": Input(ids.OPTIONS_BASELINE, "value"),
            "page": Input(ids.PAGE_VIEW, "data"),
        },
        state={
            # the travel settings are set on the Access page: read when this page is shown, so a
            # click on the Access page costs no request here
            "view": State(ids.ACCESS_VIEW, "data"),
            "listed": State(ids.OPTIONS_CHOICES, "options"),
            "maps_request": State(ids.OPTIONS_MAPS_REQUEST, "data"),
            "table": table_shown(ids.OPTIONS_TABLE),
        },
    )
    def update(chosen, baseline, page, view, listed, maps_request, table):
        """The table (array arithmetic: tens of milliseconds); the maps follow in a job."""
        unchanged = {
            "table": TABLE_UNCHANGED,
            "baselines": no_update,
            "message": no_update,
            "settings": no_update,
            "maps_request": no_update,
        }
        if page != "options":  # computed when the page is shown, not on every load and click
            return unchanged
        listed = listed or []
        picked = [c for c in listed if c["value"] in (chosen or [])]
        base_options = [{"label": c["label"], "value": c["value"]} for c in picked]
        if baseline not in [c["value"] for c in picked]:
            baseline = picked[0]["value"] if picked else None
        try:
            _, result, state, _ = _appraise(chosen, baseline, view, listed)
        except NeedsMapError as exc:
            return {**unchanged, "baselines": base_options, "message": html.Span(str(exc), className="text-danger")}
        capacity = state.get("cap") or {}
        settings = (
            f"{result.population_label} within {threshold_text(engine, state)} of an open site "
            "(the travel settings of the Access page), each option against the baseline. Change against the "
            "baseline: those who gain access minus those who lose it. "
            + (
                "Capacities set on the Access page apply to every option alike: "
                + ", ".join(f"{engine.site_label(s)} {v:,.0f}" for s, v in sorted(capacity.items()))
                + ". Beyond capacity: people within reach of a site but given no place at any."
                if capacity
                else "No site capacity is set, so 'Beyond capacity' is unknown."
            )
        )
        return {
            "table": table_update(ids.OPTIONS_TABLE, table_data(engine, result), table),
            "baselines": base_options,
            "message": "",
            "settings": settings,
            "maps_request": (maps_request or 0) + 1,
        }

    jobs.register_watchdog(
        app,
        ids.OPTIONS_MAPS_JOB,
        ids.OPTIONS_DOWNLOAD_BUTTON,  # (not used: the job starts with each table, not a click)
        "Drawing the maps",
        MAPS_TIMEOUT_S,
        start=(ids.OPTIONS_MAPS_REQUEST, "data"),
        busy=(ids.OPTIONS_MAPS_BUSY, "data"),
    )

    @app.callback(
        Output(ids.OPTIONS_MAPS, "src"),
        Output(ids.OPTIONS_MAPS, "alt"),
        Output(jobs.part_id(ids.OPTIONS_MAPS_JOB, "done"), "data"),
        Input(ids.OPTIONS_MAPS_REQUEST, "data"),
        State(ids.OPTIONS_CHOICES, "value"),
        State(ids.OPTIONS_BASELINE, "value"),
        State(ids.ACCESS_VIEW, "data"),
        State(ids.OPTIONS_CHOICES, "options"),
        background=True,
        prevent_initial_call=True,
        running=jobs.running((ids.OPTIONS_MAPS_BUSY, "data"), ids.OPTIONS_MAPS_STATUS, "Drawing a map per option…"),
        cancel=[Input(jobs.part_id(ids.OPTIONS_MAPS_JOB, "cancel"), "data")],
    )
    def draw_maps(request, chosen, baseline, view, listed):
        """A map per option (matplotlib, 0.2-1 s), in a background job so that it holds no
        callback slot: other people's clicks are answered while it draws."""
        runtime.prepare_job_process()
        try:
            options, result, _, travel = _appraise(chosen, baseline, view, listed)
        except NeedsMapError:
            return no_update, no_update, request  # the table's callback has said why
        png = maps_png(engine, result, options, **travel)
        src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        alt = (
            "Maps of minutes to the nearest open site for "
            + ", ".join(o.label for o in options)
            + "; the table above gives each option's figures."
        )
        return src, alt, request

    jobs.register_watchdog(
        app, ids.OPTIONS_BRIEF_JOB, ids.OPTIONS_DOWNLOAD_BUTTON, "The options briefing", BRIEFING_TIMEOUT_S
    )

    @app.callback(
        Output(ids.OPTIONS_DOWNLOAD, "data"),
        Output(ids.OPTIONS_MESSAGE, "children", allow_duplicate=True),
        Output(jobs.part_id(ids.OPTIONS_BRIEF_JOB, "done"), "data"),
        Input(ids.OPTIONS_DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.OPTIONS_CHOICES, "value"),
        State(ids.OPTIONS_BASELINE, "value"),
        State(ids.ACCESS_VIEW, "data"),
        State(ids.OPTIONS_CHOICES, "options"),
        State(ids.OPTIONS_FORMAT, "value"),
        State(ids.URL, "href"),
        background=True,
        prevent_initial_call=True,
        running=jobs.running(
            (ids.OPTIONS_DOWNLOAD_BUTTON, "disabled"), ids.OPTIONS_BRIEF_STATUS, "Preparing the options briefing…"
        ),
        cancel=[Input(jobs.part_id(ids.OPTIONS_BRIEF_JOB, "cancel"), "data")],
    )
    def download(clicks, chosen, baseline, view, listed, fmt, href):
        """The options briefing (matplotlib, 1-3 s), in a background job like the town briefing."""
        runtime.prepare_job_process()
        if not clicks:
            return no_update, no_update, clicks
        fmt = fmt if fmt in ("pdf", "png", "html") else "pdf"
        try:
            options, result, state, travel = _appraise(chosen, baseline, view, listed)
        except NeedsMapError as exc:
            return no_update, html.Span(str(exc), className="text-danger"), clicks
        links = option_links(
            engine, options, (href or "http://127.0.0.1:8050/").split("?")[0], settings=state, store=store
        )
        data = render_options_briefing(engine, result, options, fmt=fmt, links=links, **travel)
        return (
            {
                "content": base64.b64encode(data).decode("ascii"),
                "base64": True,
                "filename": f"needs-map-options.{fmt}",
            },
            "",
            clicks,
        )
