"""Issue 12's smaller faults: labels are data in links, repeated link problems are one line,
oversized request bodies get 413 before they are read, and each of the other faults the
adversarial test found gets a clear message or the right behaviour."""

import math
import os
import pathlib

import pytest

from geo.errors import BundleError, ScenarioError
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


def test_a_site_listed_twice_in_a_link_is_the_same_site(luton_engine):
    site = luton_engine.bundle.sites.index[0]
    state, notices = decode(luton_engine, f"?page=access&base=none&open={site},{site}")
    assert notices == [] and state["open"] == [site]


def test_huge_need_index_weights_keep_their_proportions(luton_engine):
    names = luton_engine.need_index_candidates()[:2]
    small = luton_engine.need_index({names[0]: 1, names[1]: 1})
    huge = luton_engine.need_index({names[0]: 1.7e308, names[1]: 1.7e308})
    assert huge.max() == pytest.approx(small.max()) and huge.max() > 50  # not every area 0
    assert (huge - small).abs().max() < 1e-9
    assert math.isfinite(huge.sum())


def test_formula_guard_catches_signed_numbers_followed_by_a_formula():
    from dashboard.views import csv_safe

    assert csv_safe("+1 SUM(A1)") == "'+1 SUM(A1)"
    assert csv_safe("-1+A1") == "'-1+A1"
    assert [csv_safe(v) for v in ("-2.5 pts", "+18,750", "+3.2%")] == ["-2.5 pts", "+18,750", "+3.2%"]


def test_candidate_csv_with_a_giant_field_names_the_file_and_row(luton_engine):
    data = b"name,postcode\nA,LU4 0PE\n" + b"B" * 140_000 + b",LU4 0PE\n"
    with pytest.raises(BundleError) as info:
        __import__("geo.optimise").optimise.csv_candidates(luton_engine, data, "big.csv")
    assert info.value.file == "big.csv" and info.value.row == 3 and "field larger" in str(info.value)


def test_oversized_candidate_file_is_refused_before_reading(luton_engine, tmp_path, monkeypatch):
    from geo.optimise import csv_candidates

    big = tmp_path / "huge.csv"
    with open(big, "wb") as f:  # a sparse 600 MB file
        f.truncate(600_000_000)

    def never(self):
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(pathlib.Path, "read_bytes", never)
    with pytest.raises(BundleError, match="600,000,000 bytes; the limit is 1,000,000"):
        csv_candidates(luton_engine, big)


@pytest.mark.parametrize("p", [1.9, "2.5", True, "two"])
def test_optimiser_p_must_be_whole(luton_engine, p):
    from dashboard.callbacks.optimise import run_optimiser

    state = {**default_state(luton_engine), "page": "access"}
    with pytest.raises(ScenarioError, match="whole number"):
        run_optimiser(luton_engine, state, "coverage", p, [], "sites", [], None, None, [])


def test_briefing_into_a_missing_or_unwritable_folder_is_one_line(tmp_path, capsys):
    from geo.cli import main

    assert main(["briefing", "--scenario", "proposed_2020", "--out", str(tmp_path / "no" / "b.pdf")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: --out {tmp_path / 'no' / 'b.pdf'}: the folder {tmp_path / 'no'} does not exist"
    )
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["briefing", "--scenario", "proposed_2020", "--out", str(locked / "b.pdf")]) == 2
        assert "cannot be written to" in capsys.readouterr().err


def test_move_with_a_candidate_lacking_at_sign_is_a_message(luton_engine):
    from dashboard.callbacks.state import apply_event

    state = default_state(luton_engine)
    site = luton_engine.bundle.sites.index[0]
    new, msgs = apply_event(luton_engine, state, "move", None, {"site": site, "candidate": "LU1 3QZ"})
    assert new == state and msgs["move_error"].startswith("Choose a candidate")


def test_development_routes_are_off_in_production(luton_app):
    client = luton_app.server.test_client()
    assert client.get("/_reload-hash").status_code == 404
    assert client.get("/healthz").status_code == 200
