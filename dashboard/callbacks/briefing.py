"""Briefing download: rendered off the request thread (a Dash background callback, with
DiskcacheManager by default) while the button shows progress."""

from __future__ import annotations

import datetime as _dt

from dash import Input, Output, State, dcc, html

from dashboard import ids, jobs, runtime
from geo.errors import NeedsMapError
from geo.reports.briefing import FORMATS, render_briefing
from geo.viewstate import from_store


def briefing_download(engine, state: dict, fmt: str, link: str | None) -> dict:
    """The dcc.Download payload for the briefing of ``state`` (the link's address is the
    page's own, so the briefing reopens this dashboard)."""
    fmt = fmt if fmt in FORMATS else "pdf"
    # the page's own address, so the briefing reopens this dashboard; the link printed is the
    # view's short link (/v/<id>), kept in the scenario database
    base_url = (link or "http://127.0.0.1:8050/").split("?")[0]
    # An Access view with a comparison shows the equality impact section, so its briefing carries
    # the compact equality table too.
    equality = (
        state.get("page") == "access" and state.get("cmp") not in (None, "none") and bool(engine.bundle.equality_tables)
    )
    data = render_briefing(engine, state, fmt=fmt, base_url=base_url, equality=equality, store=runtime.scenario_store())
    name = f"needs-map-briefing-{engine.bundle.area_name.lower().replace(' ', '-')}-{_dt.date.today():%Y-%m-%d}.{fmt}"
    return dcc.send_bytes(data, name)


BRIEFING_TIMEOUT_S = 25  # a briefing takes 2-6 s here; past this the watchdog stops it and says so


def register(app, engine) -> None:
    jobs.register_watchdog(app, ids.BRIEF_JOB, ids.BRIEF_BUTTON, "The briefing", BRIEFING_TIMEOUT_S)

    @app.callback(
        Output(ids.BRIEF_DOWNLOAD, "data"),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Output(jobs.part_id(ids.BRIEF_JOB, "done"), "data"),
        Input(ids.BRIEF_BUTTON, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.BRIEF_FORMAT, "value"),
        State(ids.LINK_TEXT, "children"),
        background=True,
        prevent_initial_call=True,
        running=jobs.running((ids.BRIEF_BUTTON, "disabled"), ids.BRIEF_STATUS, "Preparing the briefing…"),
        cancel=[Input(jobs.part_id(ids.BRIEF_JOB, "cancel"), "data")],
    )
    def download(clicks, state, fmt, link):
        from dash import no_update

        runtime.prepare_job_process()
        state, _ = from_store(engine, state)
        link = link if isinstance(link, str) else None
        try:
            return briefing_download(engine, state, fmt, link), no_update, clicks
        except NeedsMapError as exc:
            return no_update, html.Div(f"The briefing could not be made: {exc}"), clicks
