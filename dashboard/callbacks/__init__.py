"""Callbacks: turn UI events into engine calls. Each module has a ``register(app, engine, ...)``;
the functions they wrap are plain functions, unit-tested without a browser.

* ``state``: the one callback that keeps URL, view state and controls in step (events go
  through a handler table, ``EVENTS``), and the Access map's fast update;
* ``needs``, ``access``, ``equality``, ``ward``: what each page shows for a view;
* ``optimise``, ``briefing``: background jobs (the optimiser, briefing downloads).
Tables on every page are driven by ``dashboard.tables.register``.
"""
