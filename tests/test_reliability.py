"""Parts of issue 12 done so far: labels are data in links, repeated link problems are one
line, and oversized request bodies get 413 before they are read."""

from geo.viewstate import decode, default_state, encode


def test_labels_with_separators_restore_exactly(luton_engine):
    e = luton_engine
    state = {**default_state(e), "page": "access"}
    state["add"] = [
        "অঞ্চল|B & tiles=1 100%@LU1 3QZ",
        "Hall, north; x=y@LU4 8BW",
        "A|B@51.880000,-0.420000",
    ]  # as the app stores it (to_spec)
    state["move"] = {"hub_leagrave_tbc": "Hub|two@LU4 0PE"}
    back, notices = decode(e, encode(state))
    assert notices == [] and back == state
    assert "tiles" not in dict(p.split("=", 1) for p in encode(state).lstrip("?").split("&"))  # no tiles param


def test_repeated_link_problems_are_one_line(luton_engine):
    _, notices = decode(luton_engine, "?open=" + "," * 3000)
    assert len(notices) == 1 and "(3,001 times)" in notices[0]
    _, notices = decode(luton_engine, "?open=" + ",".join(f"nosite{i}" for i in range(40)))
    assert len(notices) == 5 and notices[-1].startswith("... and 36 more problems")


def test_oversized_request_body_gets_413(luton_app):
    client = luton_app.server.test_client()
    response = client.post(
        "/_dash-update-component", data=b"x" * 10_000_000, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and b"at most 3 MB" in response.data
    assert client.get("/healthz").status_code == 200  # and the server keeps serving


def test_html_in_labels_is_text_in_hovers(luton_engine):
    from dashboard.figures import suggestion_patch
    from dashboard.views import added_points

    state = {**default_state(luton_engine), "add": ["<b>big</b><img src=x>@LU1 3QZ"]}
    text = added_points(luton_engine, state)["text"][0]
    assert "&lt;b&gt;big&lt;/b&gt;&lt;img src=x&gt;" in text and "<img" not in text
    patch = suggestion_patch(__import__("dash").Patch(), [{"label": "<i>x</i>", "lat": 51.9, "lon": -0.4, "gain": 1}])
    assert "&lt;i&gt;x&lt;/i&gt;" in str(patch.to_plotly_json())
