"""Alembic environment: run on the connection ``geo.store.ScenarioStore`` passes in."""

from alembic import context

from geo.store.migrations.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
