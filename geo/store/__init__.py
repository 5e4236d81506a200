"""Saved scenarios: named views a team keeps, in a real database.

A saved scenario is a view (its link's query string, ``geo.viewstate.encode``) with a name, a
note, an optional author and the area it belongs to. It is read back through the same checks
as a link (``geo.viewstate.decode``), so a row edited by hand gets the same clear notices as a
tampered link, never an error.

Storage is SQLAlchemy 2: SQLite by default (``needs-map.sqlite3`` in the data folder,
``NEEDSMAP_DATA_DIR``, default ``~/.local/share/needs-map``) and PostgreSQL (or any database
SQLAlchemy speaks) when ``DATABASE_URL`` is set. The schema is created and upgraded by the
Alembic migrations in ``geo/store/migrations`` when a store is opened, so the first start creates
the database. Ids are 10 random base-32 characters: short enough for ``/s/<id>`` and not
guessable from one another.

>>> store = ScenarioStore("sqlite://")  # in memory
>>> saved = store.save("Hub at Leagrave Centre", "page=access&base=proposed_2020", area="Luton")
>>> store.get(saved.id).name
'Hub at Leagrave Centre'
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as _dt
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from geo.errors import NeedsMapError
from geo.scenario import CONTROL_CHARACTERS

MAX_NAME = 80
MAX_NOTE = 1000
MAX_AUTHOR = 80
MAX_QUERY_STORED = 60_000
ID_PATTERN = re.compile(r"^[a-z2-7]{10}$")
VIEW_ID_PATTERN = re.compile(r"^[a-z2-7]{16}$")  # a short link's id (``view_id``)
MIGRATIONS = Path(__file__).parent / "migrations"
DB_TIMEOUT_S = 3.0  # seconds any database call may wait (connect, lock, statement)
# Beside a SQLite database, a small file that says it was created: with it, a missing database is
# an error at start-up (a restart after the file was deleted must not start empty and lose nothing
# visibly); without it (a new data folder), a new database is made
CREATED_SUFFIX = ".created"
# Short links nobody printed (the address bar's, for views too long to show) are removed this many
# days after they were last opened; those written into a briefing or a file are kept for good
SHORT_LINK_DAYS = 90
_DB_THREADS = 8  # database calls waiting at once per process (ScenarioStore._run)


class StoreError(NeedsMapError):
    """The database could not be reached, or a value to save was refused (the message says which)."""


@dataclass(frozen=True)
class SavedScenario:
    id: str
    name: str
    note: str
    author: str
    query: str
    area: str
    created: _dt.datetime
    updated: _dt.datetime
    deleted: _dt.datetime | None = None  # a deleted scenario, restorable until purged

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "note": self.note,
            "author": self.author,
            "area": self.area,
            "query": self.query,
            "created": self.created.isoformat(timespec="seconds"),
            "updated": self.updated.isoformat(timespec="seconds"),
        }


def view_id(query: str) -> str:
    """The short id of a view's query string (16 base-32 characters of its SHA-256).

    >>> view_id("page=access&add=Hub%40LU1%203QZ")
    'ddffb6fchpucwicm'
    """
    import base64
    import hashlib

    digest = hashlib.sha256(query.encode("utf-8")).digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def _data_folder_url() -> str:
    folder = Path(os.environ.get("NEEDSMAP_DATA_DIR") or Path.home() / ".local" / "share" / "needs-map")
    return f"sqlite:///{folder.expanduser() / 'needs-map.sqlite3'}"


def default_url() -> str:
    """``DATABASE_URL``, else a SQLite file in the data folder."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg named
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return _data_folder_url()


def _clean(value, field: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise StoreError(f"{field} must be text")
    text = " ".join(value.split()) if field != "note" else value.strip()
    if CONTROL_CHARACTERS.search(text.replace("\n", "").replace("\t", "") if field == "note" else text):
        raise StoreError(f"the {field} has a control character or a bidirectional override; type it plainly")
    if required and not text:
        raise StoreError(f"give the scenario a {field}")
    if len(text) > limit:
        raise StoreError(f"the {field} is {len(text)} characters; {limit} at most")
    return text


class ScenarioStore:
    """Saved scenarios in one database (created or upgraded on open)."""

    def __init__(self, url: str | None = None):
        from alembic.util.exc import CommandError
        from sqlalchemy import create_engine
        from sqlalchemy.exc import SQLAlchemyError

        self.url = url or default_url()
        path = self._sqlite_path()
        if path is not None and self.url == _data_folder_url():
            path.parent.mkdir(parents=True, exist_ok=True)  # the data folder is ours to make
        elif path is not None and path.parent.parent.is_dir():
            path.parent.mkdir(exist_ok=True)  # a URL someone gave: its own folder at most
        elif path is not None:  # never a chain of folders (a mistyped URL made them at the root)
            raise StoreError(f"the folder of the scenario database does not exist ({path.parent})")
        created = None if path is None else path.with_name(path.name + CREATED_SUFFIX)
        if path is not None and created is not None and created.exists() and not path.exists():
            # a database that existed and is gone is a loss to report, never a silent empty start
            raise StoreError(
                f"the scenario database file {path.name} is missing, though it was created here "
                f"({created.read_text(errors='replace').strip()[:80]}); restore it from a backup (python -m geo "
                f"scenarios import), or delete {created.name} beside it to start with an empty database"
            )
        try:
            # every wait is bounded: connecting, waiting for a lock, running a statement
            kwargs: dict[str, object] = {"pool_pre_ping": True, "pool_timeout": DB_TIMEOUT_S}
            if self.url.startswith("sqlite"):
                kwargs["connect_args"] = {"timeout": DB_TIMEOUT_S}
            elif self.url.startswith("postgresql"):
                kwargs["connect_args"] = {
                    "connect_timeout": int(DB_TIMEOUT_S),
                    "options": f"-c statement_timeout={int(DB_TIMEOUT_S * 1000)} "
                    f"-c lock_timeout={int(DB_TIMEOUT_S * 1000)}",
                }
            if self.url == "sqlite://":  # in memory: one connection, or each sees an empty database
                from sqlalchemy.pool import StaticPool

                kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            self.db = create_engine(self.url, **kwargs)
            self._upgrade()
            # gunicorn forks workers after this (--preload): no pooled connection may be shared
            # (an in-memory database lives in its one connection, so that one is kept)
            if self.url != "sqlite://":
                self.db.dispose()
            self._pid = os.getpid()
            self._threads: concurrent.futures.ThreadPoolExecutor | None = None
            self._slots = threading.BoundedSemaphore(_DB_THREADS)
            if created is not None and not created.exists():
                created.write_text(f"created {_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M} UTC\n")
        except ImportError as exc:  # a database whose driver is not installed (mysql://...)
            raise StoreError(
                f"cannot open the scenario database: no driver for {self.url.split(':', 1)[0]}:// ({exc.name}); "
                "use PostgreSQL (postgresql://...) or SQLite"
            ) from None
        except CommandError as exc:  # e.g. stamped by a newer Needs Map
            raise StoreError(
                f"cannot open the scenario database: its schema is not one this version knows ({_short(exc)}); "
                "run the newer Needs Map that made it, or restore a backup"
            ) from None
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise StoreError(f"cannot open the scenario database ({_short(exc)})") from None

    def _upgrade(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.db.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def _table(self):
        from geo.store.migrations.schema import saved_scenarios

        return saved_scenarios

    def save(self, name: str, query: str, note: str = "", author: str = "", area: str = "") -> SavedScenario:
        """Store a new scenario and return it (with its new id)."""
        name = _clean(name, "name", MAX_NAME, required=True)
        note = _clean(note, "note", MAX_NOTE)
        author = _clean(author, "author", MAX_AUTHOR)
        if not isinstance(query, str) or len(query) > MAX_QUERY_STORED:
            raise StoreError(f"the view is too long to save ({MAX_QUERY_STORED:,} characters at most)")
        now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
        row = {
            "id": "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(10)),
            "name": name,
            "note": note,
            "author": author,
            "query": query.lstrip("?"),
            "area": area,
            "created": now,
            "updated": now,
        }
        insert = self._table().insert().values(**row)
        self._write(str(row["id"]), "save", author, f"saved {name!r}", lambda c: c.execute(insert))
        return self._saved(row)

    def get(self, key: str) -> SavedScenario | None:
        """The saved scenario ``key``, or None (also for anything that is not an id)."""
        if not isinstance(key, str) or not ID_PATTERN.match(key):
            return None
        table = self._table()
        query = table.select().where(table.c.id == key, table.c.deleted.is_(None))
        row = self._run(lambda c: c.execute(query).mappings().first())
        return self._saved(row) if row else None

    def list_saved(self, area: str | None = None, search: str = "", limit: int | None = None) -> list[SavedScenario]:
        """Saved scenarios, newest first: those of ``area`` only, when given; whose name holds
        ``search`` (any case), when given; ``limit`` of them at most."""
        query = self._where(self._table().select(), area, search)
        table = self._table()
        query = query.order_by(table.c.updated.desc(), table.c.name)
        if limit is not None:
            query = query.limit(limit)
        rows = self._run(lambda c: c.execute(query).mappings().all())
        return [self._saved(r) for r in rows]

    def count_saved(self, area: str | None = None, search: str = "") -> int:
        """How many saved scenarios ``list_saved`` would give without a limit."""
        from sqlalchemy import func, select

        table = self._table()
        query = self._where(select(func.count()).select_from(table), area, search)
        return int(self._run(lambda c: c.execute(query).scalar()))

    def _where(self, query, area: str | None, search: str):
        table = self._table()
        query = query.where(table.c.deleted.is_(None))
        if area is not None:
            query = query.where(table.c.area == area)
        search = " ".join(str(search or "").split())[:MAX_NAME]
        if search:
            pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(table.c.name.ilike(pattern, escape="\\"))
        return query

    def rename(self, key: str, name: str, note: str | None = None, who: str = "") -> SavedScenario:
        """Give ``key`` a new name (and note, when given); logged with ``who``."""
        values: dict[str, object] = {"name": _clean(name, "name", MAX_NAME, required=True)}
        if note is not None:
            values["note"] = _clean(note, "note", MAX_NOTE)
        values["updated"] = _now()
        table = self._table()
        before = self.get(key)
        if before is None:
            raise StoreError(f"no saved scenario {str(key)[:20]!r}")
        update = table.update().where(table.c.id == key, table.c.deleted.is_(None)).values(**values)
        self._write(key, "rename", who, f"{before.name!r} -> {values['name']!r}", lambda c: c.execute(update))
        saved = self.get(key)
        assert saved is not None
        return saved

    def delete(self, key: str, who: str = "") -> None:
        """Delete ``key`` softly: it leaves every list and link, is logged, and an administrator
        can restore it (``restore``) until it is purged (``purge``, after ``KEEP_DELETED_DAYS``)."""
        saved = self.get(key)
        if saved is None:
            raise StoreError(f"no saved scenario {str(key)[:20]!r}")
        table = self._table()
        update = table.update().where(table.c.id == key).values(deleted=_now())
        self._write(key, "delete", who, f"deleted {saved.name!r}", lambda c: c.execute(update))

    def restore(self, key: str, who: str = "") -> SavedScenario:
        """Bring back a deleted scenario (an administrator's act, logged)."""
        table = self._table()
        row = self._run(lambda c: c.execute(table.select().where(table.c.id == key)).mappings().first())
        if row is None or row["deleted"] is None:
            raise StoreError(f"no deleted scenario {str(key)[:20]!r} to restore")
        update = table.update().where(table.c.id == key).values(deleted=None)
        self._write(key, "restore", who, f"restored {row['name']!r}", lambda c: c.execute(update))
        saved = self.get(key)
        assert saved is not None
        return saved

    def deleted(self) -> list[SavedScenario]:
        """Deleted scenarios not yet purged, most recently deleted first."""
        table = self._table()
        query = table.select().where(table.c.deleted.is_not(None)).order_by(table.c.deleted.desc())
        return [self._saved(r) for r in self._run(lambda c: c.execute(query).mappings().all())]

    def purge(self, older_than_days: float = 30.0, who: str = "") -> int:
        """Remove for good the scenarios deleted more than ``older_than_days`` ago; how many."""
        cutoff = _now() - _dt.timedelta(days=older_than_days)
        table = self._table()
        old = [s.id for s in self.deleted() if s.deleted is not None and s.deleted < cutoff]
        for key in old:
            remove = table.delete().where(table.c.id == key)
            detail = f"purged (deleted over {older_than_days:g} days ago)"
            self._write(key, "purge", who, detail, lambda c, statement=remove: c.execute(statement))
        return len(old)

    def audit(self, key: str | None = None) -> list[dict]:
        """The audit log (of ``key`` only, when given), oldest first: at, who, action, id, detail."""
        from geo.store.migrations.schema import audit_log

        query = audit_log.select().order_by(audit_log.c.id)
        if key is not None:
            query = query.where(audit_log.c.scenario_id == key)
        rows = self._run(lambda c: c.execute(query).mappings().all())
        return [
            {
                "at": _utc(r["at"]).isoformat(timespec="seconds"),
                "who": r["who"],
                "action": r["action"],
                "id": r["scenario_id"],
                "detail": r["detail"],
            }
            for r in rows
        ]

    def export(self) -> dict:
        """Every saved scenario (deleted ones too, marked) as plain data for a backup file."""
        table = self._table()
        rows = self._run(lambda c: c.execute(table.select().order_by(table.c.created)).mappings().all())
        scenarios = []
        for r in rows:
            item = self._saved(r).to_dict()
            item["deleted"] = None if r["deleted"] is None else _utc(r["deleted"]).isoformat(timespec="seconds")
            scenarios.append(item)
        from geo.store.migrations.schema import short_links

        printed = short_links.select().where(short_links.c.printed == True).order_by(short_links.c.id)  # noqa: E712
        links = [
            {"id": r["id"], "query": r["query"], "created": _utc(r["created"]).isoformat(timespec="seconds")}
            for r in self._run(lambda c: c.execute(printed).mappings().all())
        ]
        # the printed short links too: a briefing on paper must open after a restore elsewhere
        return {"format": "needs-map saved scenarios", "version": 1, "scenarios": scenarios, "short_links": links}

    def import_(self, data, who: str = "") -> tuple[int, int]:
        """Load a backup made by ``export`` (checked field by field, like a link); scenarios
        whose id is already here are left as they are. Returns (added, already here)."""
        if not isinstance(data, dict) or data.get("format") != "needs-map saved scenarios":
            raise StoreError("not a Needs Map scenarios file (no 'format': 'needs-map saved scenarios')")
        items = data.get("scenarios")
        if not isinstance(items, list):
            raise StoreError("the file has no list of 'scenarios'")
        table = self._table()
        added = present = 0
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise StoreError(f"scenario {i}: not an object")
            key = item.get("id")
            if not isinstance(key, str) or not ID_PATTERN.match(key):
                raise StoreError(f"scenario {i}: 'id' {str(key)[:20]!r} is not a scenario id")
            query = item.get("query")
            if not isinstance(query, str) or len(query) > MAX_QUERY_STORED:
                raise StoreError(f"scenario {i} ({key}): 'query' must be a link's query string")
            try:
                created, updated = (_dt.datetime.fromisoformat(item[f]) for f in ("created", "updated"))
                deleted = _dt.datetime.fromisoformat(item["deleted"]) if item.get("deleted") else None
            except (KeyError, TypeError, ValueError):
                raise StoreError(
                    f"scenario {i} ({key}): 'created', 'updated' and 'deleted' must be ISO dates"
                ) from None
            row = {
                "id": key,
                "name": _clean(item.get("name"), "name", MAX_NAME, required=True),
                "note": _clean(item.get("note"), "note", MAX_NOTE),
                "author": _clean(item.get("author"), "author", MAX_AUTHOR),
                "query": query.lstrip("?"),
                "area": _clean(item.get("area"), "area", 120),
                "created": _utc(created),
                "updated": _utc(updated),
                "deleted": None if deleted is None else _utc(deleted),
            }
            lookup = table.select().where(table.c.id == key)
            exists = self._run(lambda c, statement=lookup: c.execute(statement).first())
            if exists:
                present += 1
                continue
            insert = table.insert().values(**row)
            self._write(
                key, "import", who, f"imported {row['name']!r}", lambda c, statement=insert: c.execute(statement)
            )
            added += 1
        links = data.get("short_links", [])
        if not isinstance(links, list):
            raise StoreError("'short_links' must be a list")
        for i, link in enumerate(links, start=1):
            query = link.get("query") if isinstance(link, dict) else None
            # an id is the hash of its view: a link that does not match would open another view
            if not isinstance(query, str) or link.get("id") != view_id(query.lstrip("?")):
                raise StoreError(f"short link {i}: its 'id' is not the short id of its 'query'")
            self.save_view(query, printed=True)
        return added, present

    def _write(self, key: str, action: str, who: str, detail: str, work) -> None:
        """One change and its line in the audit log, in one transaction: both or neither."""
        from geo.store.migrations.schema import audit_log

        line = {
            "at": _now(),
            "who": _clean(who, "author", MAX_AUTHOR),
            "action": action,
            "scenario_id": key,
            "detail": detail,
        }

        def both(connection):
            work(connection)
            connection.execute(audit_log.insert().values(**line))

        self._run(both, write=True)

    def save_view(self, query: str, printed: bool = False) -> str:
        """Keep a view's query string under its short id and return the id (``/v/<id>``). The id
        is the first 80 bits of the query's SHA-256 in base 32 (``view_id``): one view, one
        id, so saving it again stores nothing new. ``printed``: the link is written into a
        briefing or a downloaded file, so it is kept for good; other links (the address bar's
        for long views) are removed ``SHORT_LINK_DAYS`` after they were last used
        (``purge_views``).

        >>> store = ScenarioStore("sqlite://")
        >>> key = store.save_view("page=access&base=proposed_2020")
        >>> store.load_view(key), store.save_view("?page=access&base=proposed_2020") == key
        ('page=access&base=proposed_2020', True)
        """
        from sqlalchemy.exc import IntegrityError

        from geo.store.migrations.schema import short_links

        query = str(query).lstrip("?")
        if len(query) > MAX_QUERY_STORED:
            raise StoreError(f"the view is {len(query):,} characters; {MAX_QUERY_STORED:,} at most")
        key = view_id(query)
        now = _now()
        row = self._run(lambda c: c.execute(short_links.select().where(short_links.c.id == key)).mappings().first())
        if row is None:
            new = {"id": key, "query": query, "created": now, "printed": printed, "last_used": now}
            try:
                self._run(lambda c: c.execute(short_links.insert().values(**new)), write=True)
            except StoreError as exc:  # another worker stored the same view first
                if not isinstance(exc.__cause__, IntegrityError) and self.load_view(key) is None:
                    raise
                if printed:
                    self._mark_printed(key)
            if not printed:
                self.purge_views_daily()
        elif printed and not row["printed"]:
            self._mark_printed(key)
        return key

    def purge_views_daily(self) -> None:
        """``purge_views`` at most once a day per process (called at start-up and as links are
        made), so unused address-bar links never pile up; a failure waits for the next day."""
        import time

        if time.monotonic() - getattr(self, "_views_purged", -1e9) < 86_400:
            return
        self._views_purged = time.monotonic()
        with contextlib.suppress(StoreError):
            self.purge_views()

    def _mark_printed(self, key: str) -> None:
        from geo.store.migrations.schema import short_links

        change = short_links.update().where(short_links.c.id == key).values(printed=True)
        self._run(lambda c: c.execute(change), write=True)

    def load_view(self, key: str) -> str | None:
        """The query stored under short id ``key``, or None (also for anything that is not an id).
        Opening a link counts as using it (recorded at most once a day)."""
        if not isinstance(key, str) or not VIEW_ID_PATTERN.match(key):
            return None
        from geo.store.migrations.schema import short_links

        row = self._run(lambda c: c.execute(short_links.select().where(short_links.c.id == key)).mappings().first())
        if row is None:
            return None
        now = _now()
        if not row["printed"] and (row["last_used"] is None or now - _utc(row["last_used"]) > _dt.timedelta(days=1)):
            used = short_links.update().where(short_links.c.id == key).values(last_used=now)
            with contextlib.suppress(StoreError):  # the view is still shown; only its clock stands still
                self._run(lambda c: c.execute(used), write=True)
        return row["query"]

    def purge_views(self, older_than_days: float = SHORT_LINK_DAYS) -> int:
        """Remove the short links nobody printed and nobody used for ``older_than_days``; returns
        how many. Printed links (briefings, downloaded files) are never removed.

        >>> store = ScenarioStore("sqlite://")
        >>> kept, gone = store.save_view("base=current_2020", printed=True), store.save_view("base=proposed_2020")
        >>> store.purge_views(older_than_days=0), store.load_view(kept) is not None, store.load_view(gone)
        (1, True, None)
        """
        from sqlalchemy import func

        from geo.store.migrations.schema import short_links

        if not older_than_days >= 0:
            raise StoreError(f"days must be 0 or more, not {older_than_days!r}")
        cutoff = _dt.datetime.now(_dt.UTC) + _dt.timedelta(seconds=1) - _dt.timedelta(days=older_than_days)
        stale = short_links.delete().where(
            short_links.c.printed == False,  # noqa: E712 (SQL, not Python)
            func.coalesce(short_links.c.last_used, short_links.c.created) < cutoff,
        )
        return self._run(lambda c: c.execute(stale).rowcount, write=True)

    def count_views(self) -> dict[str, int]:
        """How many short links are kept: ``{"printed": n, "address_bar": m}``."""
        from sqlalchemy import func, select

        from geo.store.migrations.schema import short_links

        rows = self._run(
            lambda c: c.execute(select(short_links.c.printed, func.count()).group_by(short_links.c.printed)).all()
        )
        counts = {"printed": 0, "address_bar": 0}
        for printed, n in rows:
            counts["printed" if printed else "address_bar"] += int(n)
        return counts

    # -- users: built-in accounts and the roles of proxy-signed-in people ---------------------
    def set_user(self, name: str, role: str, password: str | None = None, who: str = "") -> None:
        """Add a user or change one's role (and password, when given); an argon2 hash is kept,
        never the password. A user with no password can sign in only through the proxy."""
        from argon2 import PasswordHasher

        from geo.store.migrations.schema import users

        name = _clean(name, "user name", MAX_AUTHOR, required=True)
        if role not in ROLES:
            raise StoreError(f"role {role!r}: choose {', '.join(ROLES)}")
        if password is not None and len(password) < MIN_PASSWORD:
            raise StoreError(f"the password is {len(password)} characters; {MIN_PASSWORD} at least")
        values: dict[str, object] = {"role": role}
        if password is not None:
            values["password_hash"] = PasswordHasher().hash(password)
        known = self.user(name) is not None
        statement = (
            users.update().where(users.c.name == name).values(**values)
            if known
            else users.insert().values(**{"name": name, "created": _now(), "password_hash": "", **values})
        )
        self._write(name[:10], "user", who, f"{'changed' if known else 'added'} user {name!r} as {role}",
                    lambda c: c.execute(statement))  # fmt: skip

    def remove_user(self, name: str, who: str = "") -> None:
        from geo.store.migrations.schema import users

        if self.user(name) is None:
            raise StoreError(f"no user {str(name)[:40]!r}")
        delete = users.delete().where(users.c.name == name)
        self._write(name[:10], "user", who, f"removed user {name!r}", lambda c: c.execute(delete))

    def user(self, name: str) -> dict | None:
        """{"name", "role", "has_password"} of a user, or None."""
        from geo.store.migrations.schema import users

        if not isinstance(name, str) or not name:
            return None
        row = self._run(lambda c: c.execute(users.select().where(users.c.name == name)).mappings().first())
        return (
            None
            if row is None
            else {"name": row["name"], "role": row["role"], "has_password": bool(row["password_hash"])}
        )

    def users(self) -> list[dict]:
        from geo.store.migrations.schema import users

        rows = self._run(lambda c: c.execute(users.select().order_by(users.c.name)).mappings().all())
        return [{"name": r["name"], "role": r["role"], "has_password": bool(r["password_hash"])} for r in rows]

    def check_password(self, name: str, password: str) -> dict | None:
        """The user when ``password`` is theirs, else None (the same time spent either way)."""
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error

        from geo.store.migrations.schema import users

        hasher = PasswordHasher()
        row = None
        if isinstance(name, str) and name:
            row = self._run(lambda c: c.execute(users.select().where(users.c.name == name)).mappings().first())
        stored = row["password_hash"] if row is not None and row["password_hash"] else _DUMMY_HASH(hasher)
        try:
            hasher.verify(stored, str(password))
        except Argon2Error:
            return None
        if row is None or not row["password_hash"]:
            return None
        return {"name": row["name"], "role": row["role"], "has_password": True}

    def problems(self, wait_s: float = 1.5) -> list[str]:
        """[] when the database answers and takes writes; else one line saying why, naming no
        host, port or credentials (for /healthz, which anyone may read). Never waits more than
        ``wait_s``: a hung database is a problem to report, not a reason to hang."""
        path = self._sqlite_path()
        if path is not None and not path.exists():
            return ["scenario database: its file is missing (restore it from a backup, or remove DATABASE_URL "
                    "and NEEDSMAP_DATA_DIR settings that point at it)"]  # fmt: skip

        def write_and_undo(connection):
            # a real write, undone: the only test that sees a read-only file for every user
            # (root ignores permission bits, not an immutable file or a read-only disk). SQLite
            # is asked on a connection of its own: a pooled one opened before the file became
            # read-only still takes an uncommitted write.
            if path is None:
                connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
                connection.rollback()
                return
            import sqlite3

            try:
                probe = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=wait_s)
                try:
                    probe.execute("BEGIN IMMEDIATE")
                    probe.execute("UPDATE alembic_version SET version_num = version_num")
                    probe.rollback()
                finally:
                    probe.close()
            except sqlite3.Error as exc:
                raise StoreError(f"the scenario database: {'readonly' if 'readonly' in str(exc) else exc}") from None

        try:
            self._run(write_and_undo, wait_s=wait_s)
        except StoreError as exc:
            if "readonly" in str(exc).replace("-", "").replace(" ", "").lower():
                return ["scenario database: it cannot be written (saves would fail)"]
            if "within" in str(exc):
                return [f"scenario database: no answer within {wait_s:g} s"]
            return ["scenario database: it does not answer"]
        return []

    def _sqlite_path(self) -> Path | None:
        """The file of a SQLite database (None for another database, or one in memory)."""
        if self.url.startswith("sqlite:///"):
            return Path(self.url[len("sqlite:///") :]).expanduser()
        return None

    def _run(self, work, write: bool = False, wait_s: float = DB_TIMEOUT_S):
        """``work(connection)`` in a transaction (``write``) or on a connection, waiting at most
        ``wait_s``. A server that stops answering (a hung or paused PostgreSQL: its kernel still
        accepts the bytes, so no socket or server-side timeout fires) leaves a thread waiting,
        never the caller: the caller gets a ``StoreError`` and its request is answered. At most
        ``_DB_THREADS`` calls wait at once; past that, calls fail at once rather than queue."""
        from sqlalchemy.exc import SQLAlchemyError

        if os.getpid() != self._pid:  # a forked worker: fresh connections and threads of its own
            self.db.dispose(close=False)
            self._pid = os.getpid()
            self._threads = None

        def call():
            with self.db.begin() if write else self.db.connect() as connection:
                return work(connection)

        if self._threads is None:
            self._threads = concurrent.futures.ThreadPoolExecutor(_DB_THREADS, thread_name_prefix="scenario-db")
        if not self._slots.acquire(blocking=False):
            raise StoreError("the scenario database is not answering (every connection is waiting)")
        try:
            future = self._threads.submit(call)
        except RuntimeError:  # the interpreter is shutting down
            self._slots.release()
            raise StoreError("the scenario database is closing") from None
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return future.result(timeout=wait_s)
        except concurrent.futures.TimeoutError:
            raise StoreError(f"the scenario database did not answer within {wait_s:g} s") from None
        except SQLAlchemyError as exc:
            raise StoreError(f"the scenario database did not answer ({_short(exc)})") from None

    @staticmethod
    def _saved(row) -> SavedScenario:
        utc = _utc
        return SavedScenario(
            id=row["id"],
            name=row["name"],
            note=row["note"] or "",
            author=row["author"] or "",
            query=row["query"],
            area=row["area"] or "",
            created=utc(row["created"]),
            updated=utc(row["updated"]),
            deleted=utc(row["deleted"]) if row.get("deleted") else None,
        )


KEEP_DELETED_DAYS = 30  # a deleted scenario can be restored for this long (``purge``)
ROLES = ("viewer", "editor", "admin")  # each can do what the one before can, and more
MIN_PASSWORD = 12
_DUMMY: dict[str, str] = {}


def _DUMMY_HASH(hasher) -> str:  # noqa: N802 - a constant made once, on first use
    """A hash to verify against for an unknown user, so a wrong name takes as long as a wrong password."""
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = hasher.hash(secrets.token_hex(16))
    return _DUMMY["hash"]


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


UNREADABLE_TIME = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)  # a row's time that cannot be read


def _utc(value) -> _dt.datetime:
    """A stored time as an aware UTC datetime (SQLite gives naive ones or text). A time edited
    by hand into nonsense reads as 1 January 1970: the row stays listed and openable (one bad
    row made the saved list, Save and the Options page fail)."""
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            return UNREADABLE_TIME
    if not isinstance(value, _dt.datetime):
        return UNREADABLE_TIME
    return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)


def _short(exc: Exception) -> str:
    return str(exc).split("\n")[0][:200]
