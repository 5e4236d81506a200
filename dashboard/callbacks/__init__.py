"""Callbacks: turn UI events into engine calls. Each module has a ``register(app, ctx)``;
the functions they wrap are plain functions, unit-tested without a browser."""
