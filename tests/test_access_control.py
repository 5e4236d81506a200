"""Sign-in and roles, checked on the server: in public mode, or for anyone who is not a signed-in
editor, a crafted request to save, rename or delete is refused (403) and changes nothing;
built-in accounts sign in with a password (argon2, rate-limited, a form token); a trusted
proxy's header is believed only from its own address; a write from another site is refused."""

import json
import re

import pytest

from dashboard import ids

EDITOR, PASSWORD = "Ana Editor", "a long enough password"


def _app(monkeypatch, luton_engine, mode: str, **env):
    from dashboard import create_app

    monkeypatch.setenv("NEEDSMAP_ACCESS", mode)
    monkeypatch.setenv("NEEDSMAP_INSECURE_COOKIES", "1")  # the test client speaks http
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app(engine=luton_engine, warm=False)
    app.scenario_store.set_user(EDITOR, "editor", PASSWORD)
    return app


def _save_body(app, name: str) -> dict:
    """The save callback's request, as the page sends it."""
    deps = json.loads(app.server.test_client().get("/_dash-dependencies").get_data())
    (dep,) = [d for d in deps if f"{ids.SAVED_STATUS}.children" in d["output"]]
    values = {ids.SAVE_BUTTON: 1, ids.SAVE_NAME: name, ids.SAVE_NOTE: "", ids.SAVE_AUTHOR: EDITOR}
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in dep["output"].strip(".").split("...")
    ]
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": [{"id": i["id"], "property": i["property"], "value": values.get(i["id"])} for i in dep["inputs"]],
        "state": [{"id": s["id"], "property": s["property"], "value": values.get(s["id"])} for s in dep["state"]],
        "changedPropIds": [f"{ids.SAVE_BUTTON}.n_clicks"],
    }


def _login(client, name: str, password: str):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page)[1]
    return client.post("/login", data={"token": token, "name": name, "password": password})


@pytest.mark.parametrize("mode", ["public", "signin"])
def test_a_crafted_write_from_a_viewer_is_refused_and_changes_nothing(monkeypatch, luton_engine, mode):
    app = _app(monkeypatch, luton_engine, mode)
    client = app.server.test_client()
    before = len(app.scenario_store.list_saved())
    response = client.post("/_dash-update-component", json=_save_body(app, "Sneaky"))
    assert response.status_code == 403
    assert len(app.scenario_store.list_saved()) == before and app.scenario_store.audit()[-1]["action"] == "user"
    # the same callback's first load (no press) lists the saved scenarios for anyone
    app.scenario_store.save("Shown to all", "page=access", area=luton_engine.bundle.area_name)
    listing = {**_save_body(app, ""), "changedPropIds": []}
    response = client.post("/_dash-update-component", json=listing)
    assert response.status_code == 200 and "Shown to all" in response.get_data(as_text=True)


def test_an_editor_signs_in_and_saves(monkeypatch, luton_engine):
    app = _app(monkeypatch, luton_engine, "signin")
    client = app.server.test_client()
    assert _login(client, EDITOR, "not the password").status_code == 401
    response = _login(client, EDITOR, PASSWORD)
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    response = client.post("/_dash-update-component", json=_save_body(app, "Plan A"))
    assert response.status_code == 200, response.get_data()[:200]
    (saved,) = [s for s in app.scenario_store.list_saved() if s.name == "Plan A"]
    assert app.scenario_store.audit(saved.id)[0]["action"] == "save"
    # from another site, with the same session: refused
    other = client.post(
        "/_dash-update-component", json=_save_body(app, "Plan B"), headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 403
    client.post("/logout")
    assert client.post("/_dash-update-component", json=_save_body(app, "Plan C")).status_code == 403


def test_sign_in_needs_the_forms_token_and_is_rate_limited(monkeypatch, luton_engine):
    app = _app(monkeypatch, luton_engine, "signin")
    client = app.server.test_client()
    client.get("/login")
    forged = client.post("/login", data={"token": "guessed", "name": EDITOR, "password": PASSWORD})
    assert forged.status_code == 400
    codes = [_login(client, EDITOR, "wrong password").status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert _login(client, EDITOR, PASSWORD).status_code == 429  # paused, even with the right password


def test_a_proxy_header_counts_only_from_the_trusted_address(monkeypatch, luton_engine):
    app = _app(
        monkeypatch,
        luton_engine,
        "signin",
        NEEDSMAP_PROXY_USER_HEADER="X-Remote-User",
        NEEDSMAP_TRUSTED_PROXIES="10.0.0.5",
    )
    client = app.server.test_client()
    body = _save_body(app, "From the proxy")
    header = {"X-Remote-User": EDITOR}
    untrusted = client.post(
        "/_dash-update-component", json=body, headers=header, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert untrusted.status_code == 403
    trusted = client.post(
        "/_dash-update-component", json=body, headers=header, environ_base={"REMOTE_ADDR": "10.0.0.5"}
    )
    assert trusted.status_code == 200
    unknown = client.post(
        "/_dash-update-component",
        json=_save_body(app, "Nobody"),
        headers={"X-Remote-User": "not a user"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert unknown.status_code == 403  # a name the users table does not know is a viewer


def test_the_header_says_who_is_signed_in_and_hides_writes_from_viewers(monkeypatch, luton_engine):
    from dashboard.auth import account_words

    assert account_words({"name": "", "role": "viewer", "via": "anonymous"}, "signin") == ("Viewing only", True, True)
    assert account_words({"name": "Ana", "role": "viewer", "via": "account"}, "signin")[2] is True
    assert account_words({"name": "", "role": "editor", "via": "open"}, "open") == ("", False, False)
    from dashboard.auth import AccessError, access_mode

    monkeypatch.setenv("NEEDSMAP_ACCESS", "everyone")
    with pytest.raises(AccessError, match="choose open, signin, public"):
        access_mode()
