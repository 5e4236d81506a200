"""The current schema, as SQLAlchemy Core tables (what the latest migration creates)."""

import datetime as _dt

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, false
from sqlalchemy.types import TypeDecorator


class StoredTime(TypeDecorator):
    """A UTC time. On SQLite it is kept as text the way SQLAlchemy writes it, and read back by us:
    a value edited by hand into nonsense reads as None (geo.store then shows 1 January 1970)
    instead of failing every query that touches its row."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(Text() if dialect.name == "sqlite" else DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def process_result_value(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        try:
            return _dt.datetime.fromisoformat(str(value)).replace(tzinfo=_dt.UTC)
        except ValueError:
            return None


metadata = MetaData()

saved_scenarios = Table(
    "saved_scenarios",
    metadata,
    Column("id", String(10), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("author", String(80), nullable=False, default=""),
    Column("query", Text, nullable=False),
    Column("area", String(120), nullable=False, default=""),
    Column("created", StoredTime(), nullable=False),
    Column("updated", StoredTime(), nullable=False),
    Column("deleted", StoredTime(), nullable=True),  # kept, restorable, until purged
)

short_links = Table(
    "short_links",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("query", Text, nullable=False),
    Column("created", StoredTime(), nullable=False),
    # printed in a briefing or a downloaded file: kept for good (paper cannot be updated)
    Column("printed", Boolean, nullable=False, server_default=false()),
    Column("last_used", StoredTime(), nullable=True),  # the last save or opening, to the day
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", StoredTime(), nullable=False),
    Column("who", String(80), nullable=False, default=""),
    Column("action", String(16), nullable=False),  # save, rename, delete, restore, purge, import
    Column("scenario_id", String(10), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

users = Table(
    "users",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("role", String(8), nullable=False),  # viewer, editor or admin
    Column("password_hash", Text, nullable=False, default=""),  # argon2; "" for proxy sign-in only
    Column("created", StoredTime(), nullable=False),
)
