"""Optimise panel: runs the engine's optimiser as a background callback (progress and
cancel), shows the suggestion on the map, and offers it for adoption."""

from __future__ import annotations

import base64
import binascii

import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, html, no_update

from dashboard import ids, jobs, runtime
from dashboard.figures import suggestion_patch
from geo.errors import NeedsMapError, ScenarioError
from geo.optimise import csv_candidates, optimise, parse_candidates
from geo.viewstate import from_store, scenario_of


def run_optimiser(
    engine, state: dict, objective, p, fixed, candidates, wards, upload, filename, weight, keep: str = "scenario"
) -> dict:
    """The optimiser's answer for the panel's options and the view's travel settings. With
    ``keep == "scenario"`` every site open in the view's scenario stays open (its "before" is
    that scenario's coverage); otherwise only the ``fixed`` register sites."""
    if objective not in ("coverage", "median"):
        raise ScenarioError("choose coverage or median")
    try:
        whole = int(p)
        if isinstance(p, bool) or float(p) != whole:  # 1.9 is not 1
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ScenarioError(f"the number of sites must be a whole number, not {str(p)[:20]!r}") from None
    p = whole
    if not isinstance(fixed, (list, type(None))) or not all(isinstance(f, str) for f in fixed or []):
        raise ScenarioError("the sites kept open must be a list of site ids")
    fixed = list(fixed or [])
    for site in fixed:
        engine.scenario(None, open=[site])  # unknown ids are named in the error
    fixed_scenario = scenario_of(engine, state) if keep == "scenario" else None
    if fixed_scenario is not None:
        fixed = [s for s in engine.open_site_ids(fixed_scenario) if s in engine.site_ids]
    if not isinstance(wards, (list, type(None))) or not all(isinstance(w, str) for w in wards or []):
        raise ScenarioError("the wards must be a list of ward names")
    if candidates == "upload":
        if not isinstance(upload, str) or "," not in upload:
            raise ScenarioError("choose a candidates CSV file first")
        try:
            data = base64.b64decode(upload.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError):
            raise ScenarioError("the uploaded file could not be read") from None
        filename = filename if isinstance(filename, str) else "candidates.csv"
        cands = csv_candidates(engine, data, filename or "candidates.csv")
    elif candidates == "postcodes":
        if not wards:
            raise ScenarioError("choose at least one ward for the candidate postcodes")
        cands = parse_candidates(engine, "postcodes:" + ",".join(wards))
    elif candidates in ("sites", "lsoas"):
        cands = parse_candidates(engine, candidates, exclude=fixed)
    else:
        raise ScenarioError(f"unknown candidate set {str(candidates)[:40]!r}")
    placeable = [s["site"] for s in engine.placeable_sites() if s["site"] not in fixed]
    threshold = {state["unit"]: float(state["threshold"])}
    result = optimise(
        engine,
        objective=objective,
        p=p,
        fixed=fixed,
        candidates=cands,
        mode=state["mode"],
        population=state["pop"],
        weight="need" if isinstance(weight, list) and "need" in weight else "population",
        baseline=placeable[0] if placeable and p == 1 else None,
        fixed_scenario=fixed_scenario,
        **threshold,
    )
    d = result.to_dict()
    d["kept"] = fixed_scenario.label if fixed_scenario is not None else "the ticked sites"
    return d


def result_panel(d: dict):
    unit = "covered" if d["objective_kind"] == "coverage" else "minutes saved (population-weighted)"
    items = [
        html.Li([html.B(c["label"]), f" ({c['lat']:.5f}, {c['lon']:.5f}): gain {c['gain']:,.0f} {unit}"])
        for c in d["chosen"]
    ]
    lines = [
        html.P(
            [
                dbc.Badge(
                    "optimal" if d["optimal"] else "not proven optimal",
                    color="success" if d["optimal"] else "warning",
                    className="me-1",
                ),
                f"{d['candidates']} candidates, {d['seconds']:.2f} s; {d.get('solver', '')}",
            ],
            className="mb-1",
        ),
        html.Ul(items, className="mb-1"),
        html.P(
            f"Covered: {d['covered_before']:,.0f} with {d.get('kept', 'the kept sites')} → "
            f"{d['covered_after']:,.0f}"
            + (f"; mean {d['mean_minutes_after']:.1f} min" if d["mean_minutes_after"] is not None else ""),
            className="mb-1",
        ),
    ]
    if d.get("baseline"):
        b = d["baseline"]
        lines.append(
            html.P(
                f"Versus {b['label']}: {b['covered']:,.0f} covered; this suggestion reaches "
                f"{b['gain_of_optimum']:+,.0f} more.",
                className="mb-1",
            )
        )
    if not d["optimal"]:
        lines.append(html.P(d["message"], className="text-warning mb-1"))
    return html.Div(lines)


# The solver stops itself at its time limit (30 s) and reports its best answer; the watchdog
# allows for building the model and a busy machine on top of that.
OPTIMISER_TIMEOUT_S = 60


def register(app, engine) -> None:
    jobs.register_watchdog(
        app, ids.OPT_JOB, ids.OPT_RUN, "The optimiser", OPTIMISER_TIMEOUT_S, user_cancel=(ids.OPT_CANCEL, "n_clicks")
    )

    @app.callback(
        Output(ids.OPT_RESULT, "children"),
        Output(ids.OPT_STORE, "data"),
        Output(ids.ACCESS_MAP, "figure", allow_duplicate=True),
        Output(ids.OPT_ADOPT, "disabled"),
        Output(jobs.part_id(ids.OPT_JOB, "done"), "data"),
        Input(ids.OPT_RUN, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.OPT_OBJECTIVE, "value"),
        State(ids.OPT_P, "value"),
        State(ids.OPT_FIXED, "value"),
        State(ids.OPT_CANDIDATES, "value"),
        State(ids.OPT_WARDS, "value"),
        State(ids.OPT_UPLOAD, "contents"),
        State(ids.OPT_UPLOAD, "filename"),
        State(ids.OPT_WEIGHT, "value"),
        State(ids.OPT_KEEP, "value"),
        background=True,
        prevent_initial_call=True,
        running=[
            (Output(ids.OPT_RUN, "disabled"), True, False),
            (Output(ids.OPT_CANCEL, "disabled"), False, True),
            (Output(ids.OPT_STATUS, "children"), [dbc.Spinner(size="sm"), " Solving…"], ""),
        ],
        cancel=[Input(ids.OPT_CANCEL, "n_clicks"), Input(jobs.part_id(ids.OPT_JOB, "cancel"), "data")],
    )
    def run(clicks, state, objective, p, fixed, candidates, wards, upload, filename, weight, keep):
        runtime.prepare_job_process()
        state, _ = from_store(engine, state)
        try:
            d = run_optimiser(
                engine,
                state,
                objective,
                p,
                fixed,
                candidates,
                wards,
                upload,
                filename,
                weight,
                keep if keep in ("scenario", "chosen") else "scenario",
            )
        except NeedsMapError as exc:
            return dbc.Alert(str(exc), color="danger", className="py-1 px-2 small"), None, no_update, True, clicks
        return result_panel(d), d, suggestion_patch(Patch(), d["chosen"]), False, clicks
