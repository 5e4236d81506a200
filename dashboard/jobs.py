"""A watchdog in the browser for each background job (the briefing, the optimiser).

Dash polls a background job until it answers. When the job cannot answer (its process was
killed, the cache disk is full, Redis went away, no Celery worker runs) Dash either stops
with no output (the button comes back and nothing happens) or keeps polling for ever (the
button stays on "Preparing…"). Both look to the user like a lost click.

The watchdog makes every outcome visible, within a bounded time, without a server round trip:

* the click records ``{n, t0}`` in a store (clientside) and starts a 1-second timer;
* the job's callback writes ``n`` to a *done* store with its answer (also when it answers
  with an error message);
* each tick compares the two. Answered: the timer stops. The button came back without an
  answer for two ticks: "stopped without an answer". Running longer than the timeout: the
  job is cancelled (through a cancel store the callback listens to), the button is enabled
  again, and the message says so. A user's own Cancel is reported as such.

Messages go to an element with ``role="alert"`` beside the button, so screen readers hear
them. Nothing in the view changes: the state lives in the URL and the stores.
"""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

PARTS = ("started", "done", "cancel", "tick", "alert", "elapsed")


def part_id(job: str, part: str) -> str:
    """The component id of one part of ``job``'s watchdog (``part`` in ``PARTS``).

    >>> part_id("briefing", "done")
    'briefing-job-done'
    """
    if part not in PARTS:
        raise ValueError(f"unknown watchdog part {part!r}")
    return f"{job}-job-{part}"


def watch_components(job: str) -> list:
    """The invisible parts of ``job``'s watchdog: put them anywhere in the layout."""
    return [
        dcc.Store(id=part_id(job, "started")),
        dcc.Store(id=part_id(job, "done")),
        dcc.Store(id=part_id(job, "cancel"), data=0),
        dcc.Interval(id=part_id(job, "tick"), interval=1000, disabled=True),
    ]


def elapsed(job: str) -> html.Span:
    """Where the seconds a running job has taken are shown (beside its button; not announced
    every second to screen readers: the status and the answer are)."""
    return html.Span(id=part_id(job, "elapsed"), className="small ms-2", **{"aria-live": "off"})


def alert(job: str, class_name: str = "small") -> html.Div:
    """Where the watchdog's message appears (beside the job's button)."""
    return html.Div(id=part_id(job, "alert"), role="alert", className=f"{class_name} empty-hide")


def running(busy: tuple[str, str], status: str, words: str) -> list:
    """A background job's ``running`` outputs: ``busy`` (an (id, property), a button's
    ``disabled`` or a store) true while it runs, and a spinner with ``words`` in ``status``."""
    return [
        (Output(*busy), True, False),
        (Output(status, "children"), [dbc.Spinner(size="sm", spinner_class_name="me-1"), words], ""),
    ]


def messages(what: str, timeout_s: float) -> dict[str, str]:
    """The watchdog's three messages for a job described as ``what`` (e.g. "The briefing").

    >>> messages("The briefing", 25)["timed_out"].split(".")[0]
    'The briefing took more than 25 s and was stopped'
    """
    unchanged = "Nothing you set has changed"
    return {
        "lost": f"{what} stopped without an answer (the server may be restarting or busy). {unchanged}: try again.",
        "timed_out": (
            f"{what} took more than {timeout_s:g} s and was stopped. {unchanged}: try again; if it happens "
            "again, tell the site's administrator (the server's /healthz page says what is wrong)."
        ),
        "cancelled": f"{what} was cancelled. {unchanged}.",
    }


def register_watchdog(
    app,
    job: str,
    button: str,
    what: str,
    timeout_s: float,
    user_cancel: tuple[str, str] | None = None,
    limit_note: str = "",
    start: tuple[str, str] | None = None,
    busy: tuple[str, str] | None = None,
) -> None:
    """The clientside callbacks of ``job``'s watchdog. ``button`` starts the job; the job's own
    callback must output ``n_clicks`` to ``part_id(job, "done")`` and list
    ``Input(part_id(job, "cancel"), "data")`` among its cancel inputs. ``user_cancel`` is the
    (id, property) of a Cancel button, if the job has one. While the job runs, ``elapsed(job)``
    shows the seconds so far and ``limit_note`` (for example "; the solver stops at 30 s").

    A job started by something other than a click (the Options page's maps, drawn whenever the
    choices change) names ``start``: the (id, property) holding a number that grows with each
    request, which the job writes back to its *done* store; and ``busy``: the (id, property)
    its ``running`` sets true while it runs (the button's ``disabled`` by default)."""
    start = start or (button, "n_clicks")
    busy = busy or (button, "disabled")
    settings = {"job": job, "timeout": float(timeout_s), "limit": limit_note, "messages": messages(what, timeout_s)}
    # with no Cancel button the state is the store's id, a string: "cancelled" never counts
    cancel_state = State(*user_cancel) if user_cancel else State(part_id(job, "cancel"), "id")
    # the logic is in assets/clientside.js (unit-tested with Node); here only its settings, as JSON
    app.clientside_callback(
        f"function(n, cancelled) {{ return window.dash_clientside.needsMap.jobStart(n, cancelled, {json.dumps(job)}); }}",
        Output(part_id(job, "started"), "data"),
        Output(part_id(job, "tick"), "disabled"),
        Output(part_id(job, "alert"), "children"),
        Input(*start),
        cancel_state,
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function(_tick, started, done, busy, cancelled) { return window.dash_clientside.needsMap.jobTick("
        f"started, done, busy, cancelled, {json.dumps(settings)}); }}",
        Output(part_id(job, "tick"), "disabled", allow_duplicate=True),
        Output(part_id(job, "alert"), "children", allow_duplicate=True),
        Output(*busy, allow_duplicate=True),
        Output(part_id(job, "cancel"), "data"),
        Output(part_id(job, "elapsed"), "children"),
        Input(part_id(job, "tick"), "n_intervals"),
        State(part_id(job, "started"), "data"),
        State(part_id(job, "done"), "data"),
        State(*busy),
        cancel_state,
        prevent_initial_call=True,
    )
