"""The dashboard's pages, one module each with its layout and its callbacks (the Dash Pages
shape): ``needs``, ``access``, ``options``, ``sites`` and ``about``. Each has ``layout(engine,
...)``; a page with callbacks has ``register(app, engine, ...)``. What several pages share lives
beside them: the page shell and shared sections in ``dashboard/layouts/``, the view-state
callback and shared panels' callbacks in ``dashboard/callbacks/``."""
