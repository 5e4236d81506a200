"""Saved scenarios in the browser (issue 14): save a view, restart the app, open the saved
scenario by its short link ``/s/<id>`` and get the same headline figures; with SQLite in the
data folder and with PostgreSQL through DATABASE_URL."""

import os

import pytest

from conftest import free_port, start_app
from dashboard import ids

pytestmark = pytest.mark.browser


def _stop(server) -> None:
    server.terminate()
    server.wait(30)


def _type(browser, element_id: str, text: str) -> None:
    box = browser.find_element(f"#{element_id}")
    browser.driver.execute_script(
        "const box = arguments[0]; const proto = box.tagName === 'TEXTAREA' ? window.HTMLTextAreaElement.prototype"
        " : window.HTMLInputElement.prototype; Object.getOwnPropertyDescriptor(proto, 'value').set.call(box,"
        " arguments[1]); box.dispatchEvent(new Event('input', {bubbles: true}));",
        box,
        text,
    )


def _headlines(browser) -> str:
    browser.wait_for_element(f"#{ids.HEADLINES} .h4", timeout=60)
    return browser.find_element(f"#{ids.HEADLINES}").text


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_save_restart_and_open_by_short_link(dash_br, tmp_path, request, database):
    env = dict(os.environ, NEEDSMAP_DATA_DIR=str(tmp_path / "data"))
    env.pop("DATABASE_URL", None)
    if database == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_app(port, env)
    try:
        # a view that differs from the default: 15 minutes by bicycle against the current sites
        dash_br.driver.get(base + "/?page=access&mode=cycle&minutes=15&cmp=current_2020")
        before = _headlines(dash_br)
        _type(dash_br, ids.SAVE_NAME, f"Cycle 15 ({database})")
        _type(dash_br, ids.SAVE_NOTE, "For the options paper")
        _type(dash_br, ids.SAVE_AUTHOR, "Test")
        button = dash_br.find_element(f"#{ids.SAVE_BUTTON}")
        dash_br.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", button)
        dash_br.wait_for_contains_text(f"#{ids.SAVED_STATUS}", "/s/", timeout=20)
        link = dash_br.find_element(f"#{ids.SAVED_STATUS} a").get_attribute("href")
        assert link.startswith(base + "/s/") and len(link) == len(base) + 3 + 10
    finally:
        _stop(server)
    server = start_app(port, env)  # a new process: the scenario lives in the database
    try:
        dash_br.driver.get("about:blank")
        dash_br.driver.get(link)
        after = _headlines(dash_br)
        # the same figures, and the scenario now called by the name it was saved under
        assert after == before.replace("Proposed (2020):", f"Cycle 15 ({database}):")
        url = dash_br.driver.current_url
        assert "mode=cycle" in url and "minutes=15" in url and "cmp=current_2020" in url
        assert dash_br.find_element(f"#{ids.NOTICE}").text == ""
        # and it is listed, with its note and author
        dash_br.wait_for_contains_text(f"#{ids.SAVED_SELECT}", f"Cycle 15 ({database})", timeout=20)
    finally:
        _stop(server)
