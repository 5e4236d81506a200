"""Callbacks: turn UI events into engine calls. Each module has a ``register(app, engine, ...)``;
the functions they wrap are plain functions, unit-tested without a browser.

* ``state``: the one callback that keeps URL, view state and controls in step (events go
  through a handler table, ``EVENTS``), and the Access map's fast update;
* ``needs``, ``access``: each page's one callback for a new view (a site click is two requests:
  the state, then the page's panels); ``catchments``, ``equality``, ``ward``: the Access page's
  site table, equality section and ward card, which ``access`` fills;
* ``optimise``, ``briefing``: background jobs (the optimiser, briefing downloads).
A page callback renders the tables it refills (``dashboard.tables.table_update``);
``dashboard.tables.register`` sorts and filters them.
"""

from dash.exceptions import PreventUpdate


def only_when_shown(page_shown: str | None, page: str) -> None:
    """Stop a callback whose outputs sit on a page that is not shown.

    Why: at page load every page's callbacks would otherwise run at once (charts, tables, the
    equality section of the hidden Access page), competing with the first map for the server and
    the browser. Such a callback also takes the page store as an input, so it runs when its page
    is shown and catches up with the view then.

    >>> only_when_shown("access", "access")  # returns: the callback goes on
    >>> only_when_shown("needs", "access")
    Traceback (most recent call last):
    dash.exceptions.PreventUpdate
    """
    if page_shown != page:
        raise PreventUpdate
