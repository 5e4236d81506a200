"""The current schema, as SQLAlchemy Core tables (what the latest migration creates)."""

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

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
    Column("created", DateTime(timezone=True), nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
    Column("deleted", DateTime(timezone=True), nullable=True),  # kept, restorable, until purged
)

short_links = Table(
    "short_links",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("query", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
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
    Column("created", DateTime(timezone=True), nullable=False),
)
