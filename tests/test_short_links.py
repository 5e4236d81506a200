"""Views that always restore: a view too long for a link is stored server-side and shared as
``?v=<id>`` (or ``/v/<id>``); labels with separators and words like ``tiles=1`` are data."""

import os
import sqlite3
import time

import pytest

from conftest import free_port, start_app
from dashboard import ids, viewstore
from geo.store import VIEW_ID_PATTERN, ScenarioStore, StoreError, view_id
from geo.viewstate import MAX_ADDED, MAX_QUERY, decode, default_state, encode

# 80 characters of Bengali with the separators and words the old link format mistook for syntax
LABEL_STEM = "অঞ্চলকেন্দ্র|A&B tiles=1 "


def label(i: int) -> str:
    text = f"{i:02d} " + LABEL_STEM * 4
    return text[:80]


def big_state(engine) -> dict:
    state = {**default_state(engine), "page": "access"}
    postcodes = ["LU1 3QZ", "LU1 3RH", "LU4 8BW", "LU2 0AB", "LU3 2NT"]
    state["add"] = [f"{label(i)}@{postcodes[i % len(postcodes)]}" for i in range(MAX_ADDED)]
    return state


def _store(tmp_path):
    return ScenarioStore(f"sqlite:///{tmp_path / 'needs-map.sqlite3'}")


def test_view_ids_are_stable_and_the_store_round_trips(tmp_path):
    store = _store(tmp_path)
    query = "page=access&add=" + "x" * 5000
    key = store.save_view(query)
    assert key == view_id(query) and VIEW_ID_PATTERN.match(key)
    assert store.save_view(query) == key  # the same view, the same id, stored once
    assert store.load_view(key) == query
    assert store.load_view("a" * 16) is None  # well formed, unknown
    assert store.load_view("../../etc/passwd") is None  # not an id at all
    with sqlite3.connect(tmp_path / "needs-map.sqlite3") as db:  # one table beside the saved scenarios
        assert db.execute("select count(*) from short_links").fetchone() == (1,)


def test_the_largest_view_the_interface_makes_is_shortened_and_restores_exactly(luton_engine, tmp_path):
    state = big_state(luton_engine)
    full = encode(state)
    assert len(full) > MAX_QUERY  # too long for a link: this is why it must be stored
    store = _store(tmp_path)
    short, notices = viewstore.shorten(store, full)
    assert notices == [] and short.startswith("?v=") and len(short) == 19
    query, longest, notices = viewstore.expand(store, short)
    assert notices == []
    back, notices = decode(luton_engine, query, max_query=longest)
    assert notices == [] and back == state
    assert [s.split("@")[0] for s in back["add"]] == [label(i) for i in range(MAX_ADDED)]


def test_short_views_keep_their_readable_link(luton_engine, tmp_path):
    store = _store(tmp_path)
    full = encode(default_state(luton_engine))
    assert viewstore.shorten(store, full) == (full, [])
    assert store.load_view(view_id(full[1:])) is None


def test_unknown_short_link_and_broken_store_are_named(tmp_path):
    store = _store(tmp_path)
    query, _, notices = viewstore.expand(store, "?v=aaaaaaaaaaaaaaaa")
    assert query == "" and notices == [
        "No view is stored under the short link 'aaaaaaaaaaaaaaaa' on this server; showing the default view."
    ]
    path = tmp_path / "needs-map.sqlite3"
    path.unlink()
    path.mkdir()  # the database file is now a folder: every query fails
    long_query = "?page=access&x=" + "y" * 3000
    search, notices = viewstore.shorten(store, long_query)
    assert search == long_query  # the view is kept in full, not lost
    assert len(notices) == 1 and "could not be given a short link" in notices[0]


def test_v_route_redirects_to_the_view(luton_app):
    response = luton_app.server.test_client().get("/v/ddffb6fchpucwicm")
    assert response.status_code == 302 and response.headers["Location"].endswith("/?v=ddffb6fchpucwicm")


@pytest.mark.browser
def test_twenty_long_non_latin_labels_restore_from_the_link_under_prod(dash_br, luton_engine, tmp_path):
    """Built in the interface (20 sites added through the form) on the production server with two
    workers, the view's link is short, and opening it in a fresh page restores every label."""
    port = free_port()
    env = dict(os.environ, NEEDSMAP_DATA_DIR=str(tmp_path / "data"))
    server = start_app(port, env, prod=True, workers=2)
    base = f"http://127.0.0.1:{port}"
    try:
        dash_br.driver.get(base + "/?page=access")
        dash_br.wait_for_element(f"#{ids.ACCESS_MAP} .choroplethlocation", timeout=60)
        # open the "Add a site" section, as a user does
        dash_br.driver.execute_script(
            "document.getElementById(arguments[0]).closest('details').open = true;", ids.ADD_BUTTON
        )
        deadline = time.time() + 20
        while time.time() < deadline and not dash_br.find_element(f"#{ids.ADD_BUTTON}").is_displayed():
            time.sleep(0.2)
        postcodes = ["LU1 3QZ", "LU1 3RH", "LU4 8BW", "LU2 0AB", "LU3 2NT"]
        for i in range(MAX_ADDED):
            for field, value in ((ids.ADD_LABEL, label(i)), (ids.ADD_WHERE, postcodes[i % len(postcodes)])):
                box = dash_br.find_element(f"#{field}")
                dash_br.driver.execute_script(
                    "const box = arguments[0]; const set = Object.getOwnPropertyDescriptor("
                    "window.HTMLInputElement.prototype, 'value').set; set.call(box, arguments[1]);"
                    "box.dispatchEvent(new Event('input', {bubbles: true}));",
                    box,
                    value,
                )
            button = dash_br.find_element(f"#{ids.ADD_BUTTON}")
            dash_br.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", button
            )
            button.click()
            dash_br.wait_for_element(f"#{ids.ADDED_LIST} li:nth-child({i + 1})", timeout=20)
        wanted = [f"{label(i)} at {postcodes[i % len(postcodes)]}" for i in range(MAX_ADDED)]

        def added_texts():
            items = dash_br.driver.find_elements("css selector", f"#{ids.ADDED_LIST} li")
            return [li.get_attribute("textContent") for li in items]  # the list may be folded away

        assert added_texts() == wanted
        deadline = time.time() + 10
        while time.time() < deadline and "?v=" not in dash_br.driver.current_url:
            time.sleep(0.2)
        link = dash_br.driver.current_url
        assert "?v=" in link and len(link) < 100, link
        dash_br.driver.get("about:blank")
        dash_br.driver.get(link)  # a fresh page load, on either worker
        dash_br.wait_for_element(f"#{ids.ADDED_LIST} li:nth-child({MAX_ADDED})", timeout=60)
        assert added_texts() == wanted
        assert dash_br.driver.current_url == link  # no reload loop, no reset
        assert dash_br.find_element(f"#{ids.NOTICE}").text == ""
    finally:
        server.terminate()
        server.wait(30)


def test_unused_address_bar_links_are_removed_and_printed_ones_kept(tmp_path, monkeypatch):
    """Issue 26: the short links nobody printed (the address bar's, for long views) are removed
    90 days after their last use; links written into a briefing or a file are kept for good and
    travel with the scenarios' backup; `python -m geo links` counts and purges."""
    import datetime as dt
    import io
    import json

    from geo.cli import main
    from geo.store import ScenarioStore
    from geo.store.migrations.schema import short_links

    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    store = ScenarioStore(url)
    printed = store.save_view("base=current_2020&close=denbigh", printed=True)
    opened = store.save_view("base=current_2020&close=foxdell")
    stale = store.save_view("base=current_2020&close=mossdale_court")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=91)
    for key in (printed, opened, stale):  # all three last used 91 days ago
        change = short_links.update().where(short_links.c.id == key).values(last_used=long_ago, created=long_ago)
        store._run(lambda c, statement=change: c.execute(statement), write=True)
    assert store.load_view(opened) is not None  # opening one counts as using it
    out = io.StringIO()
    assert main(["links", "purge", "--db", url], out=out) == 0
    assert out.getvalue().splitlines() == [
        "Removed 1 short links nobody printed or opened for 90 days",
        "1 printed short links (kept for good); 1 address-bar links (removed 90 days after their last use)",
    ]
    assert store.load_view(stale) is None and store.load_view(printed) and store.load_view(opened)
    # printed links travel with the backup, checked: an id must be its view's own
    backup = store.export()
    assert [link["id"] for link in backup["short_links"]] == [printed]
    fresh = ScenarioStore(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    fresh.import_(backup)
    assert fresh.load_view(printed) == "base=current_2020&close=denbigh"
    forged = json.loads(json.dumps(backup))
    forged["short_links"][0]["query"] = "base=proposed_2020"
    with pytest.raises(StoreError, match="short link 1: its 'id' is not the short id of its 'query'"):
        ScenarioStore(f"sqlite:///{tmp_path / 'c.sqlite3'}").import_(forged)


def test_links_made_before_the_retention_rule_are_kept_for_good(tmp_path):
    """Migration 0005 marks every short link already stored as printed: it may be on paper."""
    import sqlalchemy
    from alembic import command
    from alembic.config import Config

    from geo.store import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db = sqlalchemy.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        query = "base=current_2020&close=denbigh"
        connection.exec_driver_sql(
            "INSERT INTO short_links (id, query, created) VALUES (?, ?, '2025-01-01 00:00:00')", (view_id(query), query)
        )
    store = ScenarioStore(url)  # upgrades to the latest revision
    assert store.purge_views(older_than_days=0) == 0 and store.load_view(view_id(query)) == query
    assert store.count_views() == {"printed": 1, "address_bar": 0}
