"""Alembic migrations of the saved-scenarios database (``geo.store``)."""
