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
    note = ""
    undecided = undecided_sites(engine, state)
    if keep == "place" and not undecided:
        keep = "scenario"
        note = (
            f"{scenario_of(engine, state).label} has no undecided site to place, so this adds "
            f"{p} new site{'s' * (p != 1)} to it."
        )
    if keep == "place":
        # the undecided sites are what is chosen: one candidate each, every other site kept open
        p = len(undecided)
        scenario = scenario_of(engine, state)
        fixed_scenario = engine.scenario(
            scenario.base, state["open"], [*state["close"], *undecided], state["add"], state["move"]
        )
        note = (
            "Places "
            + ", ".join(engine.site_label(s) for s in undecided)
            + f"; every other site of {scenario.label} stays open."
        )
    else:
        fixed_scenario = scenario_of(engine, state) if keep == "scenario" else None
    if fixed_scenario is not None:
        fixed = [s for s in engine.open_site_ids(fixed_scenario) if s in engine.site_ids]
    cands = _candidates(engine, candidates, wards, upload, filename, fixed)
    placeable = [s["site"] for s in engine.placeable_sites() if s["site"] not in fixed and keep != "place"]
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
        time_limit=runtime.optimiser_seconds(),
        **threshold,
    )
    d = result.to_dict()
    d["kept"] = fixed_scenario.label if fixed_scenario is not None else "the ticked sites"
    if keep == "place":
        d["kept"] = f"{scenario_of(engine, state).label} without " + ", ".join(
            engine.site_label(s).split(" (")[0] for s in undecided
        )
    d["question"] = note
    return d


def _candidates(engine, candidates, wards, upload, filename, fixed: list[str]):
    """The candidate set the panel chose (postcodes of wards, register sites, LSOA centroids or
    an uploaded CSV), each choice checked."""
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
        return csv_candidates(engine, data, filename or "candidates.csv")
    if candidates == "postcodes":
        if not wards:
            raise ScenarioError("choose at least one ward for the candidate postcodes")
        return parse_candidates(engine, "postcodes:" + ",".join(wards))
    if candidates in ("sites", "lsoas"):
        return parse_candidates(engine, candidates, exclude=fixed)
    raise ScenarioError(f"unknown candidate set {str(candidates)[:40]!r}")


def undecided_sites(engine, state: dict) -> list[str]:
    """Sites of the view's scenario whose place is undecided (a hub 'to be agreed', placed by
    the manifest as an assumption), open and not moved by the user."""
    scenario = scenario_of(engine, state)
    open_ids = set(engine.open_site_ids(scenario)) - set(scenario.moved_map)
    return [s["site"] for s in engine.placeable_sites() if s["site"] in open_ids]


def result_panel(d: dict):
    unit = "covered" if d["objective_kind"] == "coverage" else "minutes saved (population-weighted)"
    items = [
        html.Li(
            [
                html.B(c["label"]),
                f" ({c['lat']:.5f}, {c['lon']:.5f}): gain {c['gain']:,.0f} {unit}",
                html.Br(),
                c.get("where", ""),
            ]
        )
        for c in d["chosen"]
    ]
    lines = [
        *([html.P(d["question"], className="mb-1")] if d.get("question") else []),
        html.P(
            [
                dbc.Badge(
                    "optimal" if d["optimal"] else "may not be the best",
                    color="success" if d["optimal"] else "warning",
                    text_color=None if d["optimal"] else "dark",
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
        # plain words, dark on light (the yellow text it was read at 1.63:1)
        lines.append(
            dbc.Alert(
                "The solver stopped at its time limit before it could prove this the best answer: it is the best "
                "it found, and a better one may exist. Fewer candidates or fewer sites to choose finish sooner. "
                f"({d['message']})",
                color="warning",
                className="py-1 px-2 mb-1",
            )
        )
    return html.Div(lines)


# The solver stops itself at its time limit (30 s) and reports its best answer; the watchdog
# allows for building the model and a busy machine on top of that.
OPTIMISER_TIMEOUT_S = 60


def register(app, engine) -> None:
    jobs.register_watchdog(
        app,
        ids.OPT_JOB,
        ids.OPT_RUN,
        "The optimiser",
        OPTIMISER_TIMEOUT_S,
        user_cancel=(ids.OPT_CANCEL, "n_clicks"),
        limit_note=f"; the solver stops at {runtime.optimiser_seconds():g} s with its best answer and says so",
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
            *jobs.running((ids.OPT_RUN, "disabled"), ids.OPT_STATUS, "Solving…"),
            (Output(ids.OPT_CANCEL, "disabled"), False, True),
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
                keep if keep in ("place", "scenario", "chosen") else "place",
            )
        except NeedsMapError as exc:
            return dbc.Alert(str(exc), color="danger", className="py-1 px-2 small"), None, no_update, True, clicks
        return result_panel(d), d, suggestion_patch(Patch(), d["chosen"]), False, clicks
