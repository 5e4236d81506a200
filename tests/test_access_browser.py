"""Sign-in and roles in a real browser: the public site shows no write control; an editor signs
in with a built-in account, saves and deletes (both in the audit log), and an administrator
restores the deleted scenario."""

import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT, free_port, start_app
from dashboard import ids

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


def _cli(env, *args):
    done = subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _shown(driver, element_id: str) -> bool:
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return !!e && e.offsetParent !== null;", element_id
    )


def _wait(predicate, seconds: float = 20) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_public_site_offers_no_write_control(dash_duo, tmp_path):
    port = free_port()
    env = dict(os.environ, NEEDSMAP_DATA_DIR=str(tmp_path), NEEDSMAP_ACCESS="public")
    server = start_app(port, env)
    try:
        driver = dash_duo.driver
        driver.get(f"http://127.0.0.1:{port}/?page=access")
        dash_duo.wait_for_element("#headline-alt", timeout=30)
        assert _wait(lambda: not _shown(driver, ids.SAVE_BUTTON))
        for control in (ids.SAVE_BUTTON, ids.SAVED_RENAME, ids.SAVED_DELETE, ids.SIGN_IN):
            assert not _shown(driver, control), control
    finally:
        server.terminate()
        server.wait(20)


def test_an_editor_signs_in_saves_and_deletes_and_an_admin_restores(dash_duo, tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        NEEDSMAP_DATA_DIR=str(tmp_path),
        NEEDSMAP_ACCESS="signin",
        NEEDSMAP_INSECURE_COOKIES="1",  # http on loopback
        NEEDSMAP_PASSWORD=PASSWORD,
    )
    _cli(env, "users", "add", "Ana", "--role", "editor")
    server = start_app(port, env)
    driver = dash_duo.driver
    base = f"http://127.0.0.1:{port}"
    try:
        driver.get(base + "/?page=access")
        dash_duo.wait_for_element("#headline-alt", timeout=30)
        assert _wait(lambda: _shown(driver, ids.SIGN_IN)) and not _shown(driver, ids.SAVE_BUTTON)
        driver.get(base + "/login")
        driver.find_element("id", "name").send_keys("Ana")
        driver.find_element("id", "password").send_keys(PASSWORD)
        driver.find_element("css selector", "button[type=submit]").click()
        dash_duo.wait_for_contains_text(f"#{ids.ACCOUNT}", "Signed in as Ana (editor)", timeout=30)
        driver.get(base + "/?page=access")
        assert _wait(lambda: _shown(driver, ids.SAVE_BUTTON))
        name = dash_duo.find_element(f"#{ids.SAVE_NAME}")
        driver.execute_script("arguments[0].scrollIntoView();", name)
        name.send_keys("Plan A")
        driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.SAVE_BUTTON}"))
        dash_duo.wait_for_contains_text(f"#{ids.SAVED_STATUS}", "Saved", timeout=20)
        for _ in range(2):  # Delete asks for a second press
            driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.SAVED_DELETE}"))
            time.sleep(1.0)
        dash_duo.wait_for_contains_text(f"#{ids.SAVED_STATUS}", "Deleted", timeout=20)
        audit = _cli(env, "scenarios", "audit")
        assert "save" in audit and "delete" in audit and "Ana" in audit
        (line,) = _cli(env, "scenarios", "deleted").splitlines()
        key = line.split()[0]
        _cli(env, "scenarios", "restore", key, "--who", "admin")
        assert "Plan A" in _cli(env, "scenarios", "list")
        driver.get(f"{base}/s/{key}")
        dash_duo.wait_for_contains_text("#headline-alt", "Plan A", timeout=30)
    finally:
        server.terminate()
        server.wait(20)


def test_five_failed_sign_ins_pause_the_form_in_the_browser(dash_duo, tmp_path):
    """Five wrong passwords from one address: the sixth try, even with the right password, is
    refused with a message saying how long to wait, and nobody is signed in."""
    port = free_port()
    env = dict(
        os.environ,
        NEEDSMAP_DATA_DIR=str(tmp_path),
        NEEDSMAP_ACCESS="signin",
        NEEDSMAP_INSECURE_COOKIES="1",
        NEEDSMAP_PASSWORD=PASSWORD,
    )
    _cli(env, "users", "add", "Ana", "--role", "editor")
    server = start_app(port, env)
    driver = dash_duo.driver
    base = f"http://127.0.0.1:{port}"

    def sign_in(password: str) -> str:
        driver.get(base + "/login")
        driver.find_element("id", "name").send_keys("Ana")
        driver.find_element("id", "password").send_keys(password)
        driver.find_element("css selector", "button[type=submit]").click()
        assert _wait(lambda: driver.find_elements("css selector", "[role=alert]") or "/login" not in driver.current_url)
        return " ".join(e.text for e in driver.find_elements("css selector", "[role=alert]"))

    try:
        for attempt in range(5):
            assert sign_in(f"wrong password {attempt}") == "That name and password do not match."
        message = sign_in(PASSWORD)
        assert "Too many failed sign-ins from here: wait 5 minutes." in message
        driver.get(base + "/?page=access")
        dash_duo.wait_for_element("#headline-alt", timeout=30)
        assert _wait(lambda: _shown(driver, ids.SIGN_IN)) and not _shown(driver, ids.SAVE_BUTTON)
    finally:
        server.terminate()
        server.wait(20)
