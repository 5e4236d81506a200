"""Saved scenarios in a database (issue 14): SQLite by default, PostgreSQL with DATABASE_URL; the
schema is created by the Alembic migrations on first open; rows are read back like links."""

import io
import os

import pytest
import sqlalchemy

from conftest import ROOT
from geo.errors import NeedsMapError
from geo.store import ScenarioStore, StoreError, default_url
from geo.viewstate import default_state, encode, named, open_saved


def _round_trip(store, engine):
    state = {**default_state(engine), "page": "access", "add": ["Hub|A&B@LU4 9ND"], "mode": "walk"}
    saved = store.save(
        "Leagrave hub at the Centre", encode(state), note="For the 12 March paper", author="AB", area="Luton"
    )
    assert saved.id and len(saved.id) == 10
    back = store.get(saved.id)
    assert (back.name, back.note, back.author, back.area) == (
        "Leagrave hub at the Centre",
        "For the 12 March paper",
        "AB",
        "Luton",
    )
    restored, notices = open_saved(engine, store, saved.id)
    assert notices == [] and restored == named(state, "Leagrave hub at the Centre")  # called by its name
    assert [s.id for s in store.list_saved(area="Luton")] == [saved.id]
    renamed = store.rename(saved.id, "Option B", note="revised")
    assert (renamed.name, renamed.note) == ("Option B", "revised") and renamed.updated >= saved.updated
    second = store.save("Option C", encode(default_state(engine)), area="Luton")
    assert {s.id for s in store.list_saved()} == {saved.id, second.id}
    store.delete(saved.id)
    assert store.get(saved.id) is None and [s.id for s in store.list_saved()] == [second.id]
    with pytest.raises(StoreError, match="no saved scenario"):
        store.delete(saved.id)


def test_sqlite_store_is_created_on_first_open_and_round_trips(luton_engine, tmp_path):
    path = tmp_path / "data" / "needs-map.sqlite3"
    store = ScenarioStore(f"sqlite:///{path}")
    assert path.exists()
    with sqlalchemy.create_engine(f"sqlite:///{path}").connect() as db:
        tables = {r[0] for r in db.exec_driver_sql("select name from sqlite_master where type='table'")}
        assert {"saved_scenarios", "short_links", "audit_log", "users", "alembic_version"} <= tables
        assert db.exec_driver_sql("select version_num from alembic_version").scalar() == "0005"
    _round_trip(store, luton_engine)
    ScenarioStore(f"sqlite:///{path}")  # opening again upgrades nothing and loses nothing
    assert len(ScenarioStore(f"sqlite:///{path}").list_saved()) == 1


@pytest.mark.browser  # needs Debian's postgresql, like the Redis tests need redis-server
def test_postgresql_store_round_trips(luton_engine, postgres_url):
    store = ScenarioStore(postgres_url)
    for saved in store.list_saved():
        store.delete(saved.id)
    _round_trip(store, luton_engine)


def test_bad_values_are_refused_with_the_field_named(tmp_path):
    store = ScenarioStore(f"sqlite:///{tmp_path / 's.sqlite3'}")
    with pytest.raises(StoreError, match="give the scenario a name"):
        store.save("   ", "page=access")
    with pytest.raises(StoreError, match="the name is 81 characters; 80 at most"):
        store.save("x" * 81, "page=access")
    with pytest.raises(StoreError, match="the note is 1001 characters"):
        store.save("ok", "page=access", note="n" * 1001)
    with pytest.raises(StoreError, match="author must be text"):
        store.save("ok", "page=access", author=5)
    assert store.get("../../etc") is None and store.get("") is None and store.get(None) is None


def test_a_tampered_row_gets_the_same_notices_as_a_tampered_link(luton_engine, tmp_path):
    from geo.viewstate import decode

    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    store = ScenarioStore(url)
    saved = store.save("Edited by hand", "page=access&mode=teleport&open=nosite", area="Luton")
    state, notices = open_saved(luton_engine, store, saved.id)
    link_state, link_notices = decode(luton_engine, "?page=access&mode=teleport&open=nosite")
    assert state == named(link_state, "Edited by hand")
    assert notices == [f"Saved scenario 'Edited by hand': {n}" for n in link_notices] and len(notices) == 2
    assert open_saved(luton_engine, store, "aaaaaaaaaa") == (None, ["No saved scenario 'aaaaaaaaaa' in this database."])


def test_an_unreachable_database_is_one_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open the scenario database"):
        ScenarioStore("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_default_url_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("NEEDSMAP_DATA_DIR", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path / 'needs-map.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/maps")
    assert default_url() == "postgresql+psycopg://u:p@db.example:5432/maps"


def test_health_is_bounded_and_names_no_host(tmp_path, monkeypatch):
    """A hung database is reported within the wait asked for; a deleted SQLite file is a
    problem, never a silent empty start; no message names a host, a port or a password."""
    import time as _time

    path = tmp_path / "needs-map.sqlite3"
    store = ScenarioStore(f"sqlite:///{path}")
    assert store.problems() == []

    class Hung:  # a server that accepts the connection and never answers
        def connect(self):
            _time.sleep(5)

        begin = connect

    real = store.db
    monkeypatch.setattr(store, "db", Hung())
    started = _time.perf_counter()
    problems = store.problems(wait_s=1.0)
    assert _time.perf_counter() - started < 2.0 and problems == ["scenario database: no answer within 1 s"]
    # and every other call gives up after its bounded wait, with a message, never a hang
    started = _time.perf_counter()
    with pytest.raises(StoreError, match="did not answer within 0.5 s"):
        store._run(lambda c: None, wait_s=0.5)
    assert _time.perf_counter() - started < 1.5
    monkeypatch.setattr(store, "db", real)
    _time.sleep(5)  # the waiting threads end
    assert store.problems() == []
    path.unlink()
    (problem,) = store.problems()
    assert "file is missing" in problem and str(tmp_path) not in problem
    pg = ScenarioStore.__new__(ScenarioStore)
    pg.url = "postgresql+psycopg://user:secret@db.internal:5432/maps"
    monkeypatch.setattr(pg, "_run", lambda work, **_: (_ for _ in ()).throw(StoreError("refused")))
    (problem,) = pg.problems()
    assert not any(word in problem for word in ("db.internal", "5432", "secret", "user"))


def test_a_restart_after_the_database_file_was_deleted_never_starts_empty(tmp_path, capsys):
    """Issue 26: the database file deleted while the app ran is reported by /healthz (above); a
    restart then refuses to start with an empty database (exit 2, one line saying how to restore
    or to start afresh) for the CLI and the app alike; a new data folder still starts empty."""
    import subprocess
    import sys

    from geo.cli import main

    path = tmp_path / "needs-map.sqlite3"
    store = ScenarioStore(f"sqlite:///{path}")
    store.save("Plan A", "page=access")
    path.unlink()
    with pytest.raises(StoreError, match="needs-map.sqlite3 is missing, though it was created here"):
        ScenarioStore(f"sqlite:///{path}")
    assert not path.exists()  # nothing was made in its place
    assert main(["scenarios", "list", "--db", f"sqlite:///{path}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "restore it from a backup" in err and "Traceback" not in err
    env = {**os.environ, "NEEDSMAP_DATA_DIR": str(tmp_path)}
    app = subprocess.run(
        [sys.executable, "app.py", "--port", "1"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert app.returncode == 2 and "is missing, though it was created here" in app.stderr
    assert "Traceback" not in app.stderr and not path.exists()
    (tmp_path / "needs-map.sqlite3.created").unlink()  # the administrator's choice: start afresh
    assert ScenarioStore(f"sqlite:///{path}").list_saved() == []


def test_a_read_only_database_file_is_reported_for_root_too(tmp_path):
    """A SQLite file that cannot be written makes /healthz's check fail with a reason, whoever
    runs the app: permission bits for other users, an immutable file for root (which ignores
    permission bits, so only a real write shows it)."""
    import subprocess

    path = tmp_path / "needs-map.sqlite3"
    store = ScenarioStore(f"sqlite:///{path}")
    assert store.problems() == []
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o444)
    try:
        assert store.problems() == ["scenario database: it cannot be written (saves would fail)"]
        with pytest.raises(StoreError):
            store.save("Plan", "page=access")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    assert store.list_saved() == []  # nothing half-written


def _nothing_lost(store_a, store_b, tmp_path):
    """Save, rename and delete in one store (each logged); export; import into an empty one:
    every scenario comes back, the deleted one still deleted and restorable."""
    from geo.cli import main

    kept = store_a.save("Plan A", "page=access&base=current_2020", author="AB", area="Luton")
    gone = store_a.save("Plan B", "page=access&close=denbigh", author="AB", area="Luton")
    store_a.rename(kept.id, "Plan A, revised", who="CD")
    store_a.delete(gone.id, who="EF")
    assert store_a.get(gone.id) is None and [s.id for s in store_a.deleted()] == [gone.id]
    actions = [(line["action"], line["who"]) for line in store_a.audit()]
    assert actions == [("save", "AB"), ("save", "AB"), ("rename", "CD"), ("delete", "EF")]
    backup = tmp_path / "scenarios.json"
    assert main(["scenarios", "export", str(backup), "--db", store_a.url]) == 0
    assert main(["scenarios", "import", str(backup), "--db", store_b.url, "--who", "admin"]) == 0
    assert main(["scenarios", "import", str(backup), "--db", store_b.url]) == 0  # twice: nothing doubled
    assert [(s.id, s.name, s.query) for s in store_b.list_saved()] == [(kept.id, "Plan A, revised", kept.query)]
    assert store_b.get(gone.id) is None and [s.id for s in store_b.deleted()] == [gone.id]
    assert main(["scenarios", "restore", gone.id, "--db", store_b.url, "--who", "admin"]) == 0
    restored = store_b.get(gone.id)
    assert restored is not None and restored.query == gone.query and restored.created == gone.created
    assert store_b.audit(gone.id)[-1]["action"] == "restore"
    assert store_b.purge(0) == 0  # nothing deleted any more
    store_b.delete(gone.id, who="admin")
    assert store_b.purge(-1) == 1 and store_b.deleted() == []  # gone for good once purged


def test_nothing_is_lost_on_sqlite(tmp_path):
    _nothing_lost(
        ScenarioStore(f"sqlite:///{tmp_path / 'a.sqlite3'}"),
        ScenarioStore(f"sqlite:///{tmp_path / 'b.sqlite3'}"),
        tmp_path,
    )


@pytest.mark.browser  # needs Debian's postgresql
def test_nothing_is_lost_on_postgresql(tmp_path, postgres_url):
    import sqlalchemy as sa

    store_a = ScenarioStore(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    store_b = ScenarioStore(postgres_url)
    with store_b.db.begin() as db:  # an empty database for the import
        db.execute(sa.text("DELETE FROM saved_scenarios"))
        db.execute(sa.text("DELETE FROM audit_log"))
    _nothing_lost(store_a, store_b, tmp_path)


def test_a_bad_backup_file_is_named(tmp_path):
    from geo.cli import main

    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    bad = tmp_path / "bad.json"
    for text, words in (
        ("{not json", "is not JSON"),
        ('{"format": "other"}', "not a Needs Map scenarios file"),
        ('{"format": "needs-map saved scenarios", "scenarios": [{"id": "../etc"}]}', "scenario 1: 'id'"),
    ):
        bad.write_text(text, encoding="utf-8")
        err = io.StringIO()
        assert main(["scenarios", "import", str(bad), "--db", url], err=err) == 2 and words in err.getvalue()


def test_a_long_saved_list_is_paged_and_searchable(tmp_path):
    """150 saved scenarios: the select holds the 100 newest and says so; a search finds any of
    them by part of its name; the Options page offers the 50 newest."""
    from dashboard.callbacks.saved import LISTED, listed_words, options
    from dashboard.pages.options import OPTION_SAVED_LISTED

    store = ScenarioStore(f"sqlite:///{tmp_path / 'many.sqlite3'}")
    for i in range(150):
        store.save(f"Option {i:03d}", "page=access", area="Luton")
    assert len(options(store, "Luton")) == LISTED == 100
    assert listed_words(store, "Luton") == "The 100 newest of 150 are listed; type part of a name above to find others."
    assert [o["label"].split(" (")[0] for o in options(store, "Luton", "option 007")] == ["Option 007"]
    assert listed_words(store, "Luton", "nothing like it").startswith("No saved scenario's name holds")
    assert len(store.list_saved(area="Luton", limit=OPTION_SAVED_LISTED)) == 50


def test_a_row_with_an_unreadable_date_keeps_the_list_working(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = ScenarioStore(f"sqlite:///{path}")
    good = store.save("Good", "page=access", area="Luton")
    bad = store.save("Edited by hand", "page=access", area="Luton")
    with sqlalchemy.create_engine(f"sqlite:///{path}").begin() as db:
        db.exec_driver_sql("UPDATE saved_scenarios SET updated = 'not a date' WHERE id = ?", (bad.id,))
    listed = {s.id: s for s in store.list_saved(area="Luton")}
    assert set(listed) == {good.id, bad.id} and listed[bad.id].updated.year == 1970
    assert store.get(bad.id).name == "Edited by hand"


def test_an_option_file_too_large_or_too_deep_is_named(luton_engine, tmp_path):
    from geo.options import resolve

    big = tmp_path / "big.json"
    big.write_text('{"page": "' + "x" * 300_000 + '"}', encoding="utf-8")
    with pytest.raises(NeedsMapError, match="over 200 KB"):
        resolve(luton_engine, str(big))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(NeedsMapError, match="nested too deeply"):
        resolve(luton_engine, str(deep))


def test_databases_that_cannot_be_opened_are_one_clear_line(tmp_path):
    """No traceback and no folders made: a driver that is not installed, a folder that does not
    exist, a schema stamped by a newer version."""
    with pytest.raises(StoreError, match="no driver for mysql://"):
        ScenarioStore("mysql://user:pw@localhost/maps")
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(StoreError, match="folder of the scenario database does not exist"):
        ScenarioStore(f"sqlite:///{missing / 'x.sqlite3'}")
    assert not (tmp_path / "no").exists()
    path = tmp_path / "newer.sqlite3"
    ScenarioStore(f"sqlite:///{path}")
    with sqlalchemy.create_engine(f"sqlite:///{path}").begin() as db:
        db.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match="its schema is not one this version knows"):
        ScenarioStore(f"sqlite:///{path}")
