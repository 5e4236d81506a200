"""Nonsense bundles are refused by `validate` with the key or file named, and the app refuses
exactly what `validate` refuses (both load the bundle the same way)."""

import json

import pytest

from bundle_factory import replace_in
from geo import load_bundle
from geo.cli import main
from geo.errors import BundleError


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('projected_crs = "EPSG:27700"', 'projected_crs = "EPSG:4326"', "area.projected_crs.*not a projected CRS"),
        ("site_tolerance_m = 500", 'site_tolerance_m = "far"', "area.site_tolerance_m.*'far' is not a number"),
        ("speed_kmh = 4.8", 'speed_kmh = "fast"', "travel.modes.walk.speed_kmh.*'fast' is not a number"),
        ("speed_kmh = 4.8", "speed_kmh = 0", "travel.modes.walk.speed_kmh.*must be more than 0"),
        ("band_edges_km = [0.0]", "band_edges_km = [2.0, 1.0]", "band_edges_km.*increasing order"),
        (
            "weights = { imd_decile = 1.0 }",
            "weights = { imd_decile = 1.0, votes = 2 }",
            "need_index.weights.votes.*not an indicator",
        ),
        (
            "[travel.modes.walk]",
            '[travel]\ndefault_mode = "teleport"\n\n[travel.modes.walk]',
            "travel.default_mode.*'teleport'",
        ),
        ('[layers.sites]\nfile = "sites.csv"', '[layers.sites_old]\nfile = "sites.csv"', r"layers\.sites"),
    ],
)
def test_nonsense_manifests_are_refused(tiny_path, old, new, message, capsys):
    replace_in(tiny_path / "bundle.toml", old, new)
    with pytest.raises(BundleError, match=message):
        load_bundle(tiny_path)
    assert main(["validate", "--bundle", str(tiny_path)]) == 2
    assert "bundle.toml" in capsys.readouterr().err


def test_sites_must_be_a_table(tiny_path):
    text = (tiny_path / "bundle.toml").read_text()
    (tiny_path / "bundle.toml").write_text(
        "[layers]\nsites = 5\n" + text.replace("[layers.sites]", "[layers.site_list]")
    )
    with pytest.raises(BundleError, match=r"field 'layers.sites': must be a table"):
        load_bundle(tiny_path)


def test_origins_in_the_wrong_crs_are_named(tiny_path):
    replace_in(
        tiny_path / "bundle.toml",
        '[layers.origins]\nfile = "origins.csv"\nkey = "code"\nx = "x"\ny = "y"\ncrs = "EPSG:27700"',
        '[layers.origins]\nfile = "origins.csv"\nkey = "code"\nx = "x"\ny = "y"\ncrs = "EPSG:3857"',
    )
    with pytest.raises(BundleError, match=r"origins.csv.*outside the wards.*layers.origins.crs = 'EPSG:3857'"):
        load_bundle(tiny_path)


def test_wards_in_the_wrong_crs_are_named_not_blamed_on_sites(tiny_path):
    replace_in(
        tiny_path / "bundle.toml",
        '[layers.wards]\nfile = "wards.geojson"\nkey = "code"\nname = "name"\ncrs = "EPSG:27700"',
        '[layers.wards]\nfile = "wards.geojson"\nkey = "code"\nname = "name"\ncrs = "EPSG:3857"',
    )
    with pytest.raises(BundleError, match=r"wards.geojson.*do not overlap"):
        load_bundle(tiny_path)


def test_too_few_calibration_rows(tiny_path):
    (tiny_path / "calibration.csv").write_text("s,n\n1.0,1.5\n")
    with pytest.raises(BundleError, match="calibration.csv: 1 calibration row"):
        load_bundle(tiny_path)


def test_byte_order_mark_is_accepted(tiny_path):
    path = tiny_path / "bundle.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_bundle(tiny_path).area_name == "Testshire"


def test_deeply_nested_geojson_is_refused(tiny_path):
    (tiny_path / "wards.geojson").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(BundleError, match="wards.geojson.*nested too deeply"):
        load_bundle(tiny_path)
    json.dumps({})  # the module stays usable


def test_the_published_json_schema_is_the_models_and_checks_real_manifests(tiny_path):
    """docs/bundle.schema.json is what ``python -m geo schema`` prints, and an independent JSON
    Schema validator (jsonschema) accepts the example bundle's and the test bundle's manifests
    and refuses what ``validate`` refuses (a speed that is text, an unknown direction)."""
    import tomllib

    import jsonschema

    from conftest import ROOT
    from geo.manifest import json_schema

    published = json.loads((ROOT / "docs" / "bundle.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema()
    validator = jsonschema.Draft202012Validator(published)
    for path in (ROOT / "data" / "luton" / "bundle.toml", tiny_path / "bundle.toml"):
        assert list(validator.iter_errors(tomllib.loads(path.read_text(encoding="utf-8")))) == []
    manifest = tomllib.loads((tiny_path / "bundle.toml").read_text())
    manifest["travel"]["modes"]["walk"]["speed_kmh"] = "fast"
    manifest["indicators"][0]["direction"] = "up"
    wrong = {tuple(e.absolute_path) for e in validator.iter_errors(manifest)}
    assert ("travel", "modes", "walk", "speed_kmh") in wrong and ("indicators", 0, "direction") in wrong


@pytest.mark.parametrize("source", ["", "   ", 5])
def test_a_stop_list_says_what_it_is_in_words(source):
    """``[layers.stops] source`` is printed beside every stop figure: when given, it is text."""
    import tomllib

    from conftest import ROOT
    from geo.manifest import check_manifest

    manifest = tomllib.loads((ROOT / "data" / "luton" / "bundle.toml").read_text(encoding="utf-8"))
    assert check_manifest(manifest).layers.stops.source.startswith("today's NaPTAN register")
    manifest["layers"]["stops"]["source"] = source
    with pytest.raises(BundleError, match=r"field 'layers.stops.source': .* must be non-empty text"):
        check_manifest(manifest)
