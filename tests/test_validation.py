"""One test per validation error: the message names the file, the row and the field."""

import json

import pytest

from bundle_factory import replace_in
from geo import BundleError, load_bundle


def _load_error(path) -> BundleError:
    with pytest.raises(BundleError) as info:
        load_bundle(path)
    return info.value


def test_missing_file(tiny_path):
    (tiny_path / "imd.csv").unlink()
    err = _load_error(tiny_path)
    assert err.file == "imd.csv" and "not found" in str(err)


def test_missing_manifest(tiny_path):
    (tiny_path / "bundle.toml").unlink()
    assert _load_error(tiny_path).file == "bundle.toml"


def test_missing_column(tiny_path):
    replace_in(tiny_path / "population.csv", "code,total,kids", "code,total,children")
    err = _load_error(tiny_path)
    assert (err.file, err.field) == ("population.csv", "kids")
    assert "missing column" in str(err)


def test_unparseable_csv(tiny_path):
    (tiny_path / "postcodes.csv").write_bytes(b'pc,e,n\n"AB1 1AA,1,2\n')
    err = _load_error(tiny_path)
    assert err.file == "postcodes.csv" and "cannot be parsed" in str(err)


def test_csv_not_utf8(tiny_path):
    (tiny_path / "population.csv").write_bytes("code,total,kids\nL1,1000,100\xa0\n".encode("latin-1"))
    err = _load_error(tiny_path)
    assert err.file == "population.csv" and "UTF-8" in str(err)


def test_unparseable_geojson(tiny_path):
    (tiny_path / "lsoas.geojson").write_text('{"type": "FeatureCollection", "features": [')
    err = _load_error(tiny_path)
    assert err.file == "lsoas.geojson" and "GeoJSON" in str(err)


def _edit_feature(path, index, geometry):
    data = json.loads(path.read_text())
    data["features"][index]["geometry"] = geometry
    path.write_text(json.dumps(data))


def test_invalid_geometry(tiny_path):
    # A bow-tie: the ring crosses itself.
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[500000, 200000], [501000, 202000], [501000, 200000], [500000, 202000], [500000, 200000]]],
    }
    _edit_feature(tiny_path / "lsoas.geojson", 2, bowtie)
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("lsoas.geojson", "feature 2", "geometry")
    assert "Self-intersection" in str(err)


def test_empty_geometry(tiny_path):
    _edit_feature(tiny_path / "wards.geojson", 1, {"type": "Polygon", "coordinates": []})
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("wards.geojson", "feature 1", "geometry")
    assert "empty" in str(err)


def test_unknown_crs(tiny_path):
    replace_in(
        tiny_path / "bundle.toml",
        'file = "lsoas.geojson"\nkey = "code"\nname = "name"\ncrs = "EPSG:27700"',
        'file = "lsoas.geojson"\nkey = "code"\nname = "name"\ncrs = "EPSG:999999"',
    )
    err = _load_error(tiny_path)
    assert (err.file, err.field) == ("bundle.toml", "layers.lsoas.crs") and "unknown CRS" in str(err)


def test_duplicate_codes(tiny_path):
    replace_in(tiny_path / "population.csv", "L2,1000,200", "L1,1000,200")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("population.csv", 3, "code")
    assert "duplicate code 'L1'" in str(err)


def test_lsoa_code_not_in_boundaries(tiny_path):
    replace_in(tiny_path / "imd.csv", "L3,5", "L9,5")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("imd.csv", 4, "code")
    assert "'L9' is not in the LSOA boundary file" in str(err)


def test_lsoa_code_missing_from_file(tiny_path):
    text = (tiny_path / "origins.csv").read_text().splitlines()
    (tiny_path / "origins.csv").write_text("\n".join(text[:-1]) + "\n")
    err = _load_error(tiny_path)
    assert err.file == "origins.csv" and "L4" in str(err) and err.field == "code"


def test_ward_name_matches_no_ward(tiny_path):
    replace_in(tiny_path / "ward_figures.csv", "Beta,count_zero", "Gamma,count_zero")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("ward_figures.csv", 3, "ward")
    assert "'Gamma' matches no ward" in str(err)


def test_site_outside_area(tiny_path):
    lines = (tiny_path / "sites.csv").read_text().splitlines()
    fields = lines[2].split(",")
    fields[4], fields[5] = fields[5], fields[4]  # swap lat and lon of s2
    lines[2] = ",".join(fields)
    (tiny_path / "sites.csv").write_text("\n".join(lines) + "\n")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("sites.csv", 3, "lat") and "outside" in str(err)


def test_site_postcode_not_in_lookup(tiny_path):
    replace_in(tiny_path / "sites.csv", "AB1 1AB", "AB9 9ZZ")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("sites.csv", 3, "postcode")
    assert "AB9 9ZZ is not in the postcode lookup" in str(err)


def test_non_numeric_indicator(tiny_path):
    replace_in(tiny_path / "imd.csv", "L2,2,", "L2,two,")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("imd.csv", 3, "decile") and "'two' is not a number" in str(err)


def test_infinite_population(tiny_path):
    replace_in(tiny_path / "population.csv", "L3,1000,300", "L3,1000,inf")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("population.csv", 4, "kids") and "finite" in str(err)


def test_scenario_names_unknown_site(tiny_path):
    replace_in(tiny_path / "bundle.toml", 'sites = ["s3"]', 'sites = ["s3", "s99"]')
    err = _load_error(tiny_path)
    assert err.file == "bundle.toml" and err.field == "scenarios[1].sites" and "'s99'" in str(err)


def test_unlocated_and_low_confidence_are_warnings(tiny_path):
    replace_in(tiny_path / "sites.csv", ",high\ns2", ",low\ns2")
    bundle = load_bundle(tiny_path)
    assert any("s1" in w and "low-confidence" in w for w in bundle.warnings)
    assert any("s4" in w and "no sourced location" in w for w in bundle.warnings)


def test_byte_order_mark_is_accepted(tiny_path):
    path = tiny_path / "population.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as Excel saves "CSV UTF-8"
    assert load_bundle(tiny_path).lsoa_values["age_0_15"].sum() == 1000


def test_header_only_file(tiny_path):
    (tiny_path / "imd.csv").write_text("code,decile,score\n")
    err = _load_error(tiny_path)
    assert err.file == "imd.csv" and "no data rows" in str(err)


def test_empty_file(tiny_path):
    (tiny_path / "imd.csv").write_text("")
    err = _load_error(tiny_path)
    assert err.file == "imd.csv" and "cannot be parsed" in str(err)


def test_nan_value(tiny_path):
    replace_in(tiny_path / "imd.csv", "L2,2,", "L2,NaN,")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("imd.csv", 3, "decile") and "finite" in str(err)


@pytest.mark.parametrize("typed", ["lu4 0pe", "LU40PE", " LU4\u00a00PE ", "Lu4  0Pe"])
def test_spreadsheet_mangled_postcodes_are_normalised(luton_engine, typed):
    # lower case, lost or doubled spaces, non-breaking spaces: all the same postcode
    scenario = luton_engine.scenario(None, add=[f"X@{typed}"])
    assert scenario.added[0].postcode == "LU4 0PE"


def test_an_indicator_of_current_lsoas_needs_current_lsoas(tiny_path):
    manifest = tiny_path / "bundle.toml"
    text = manifest.read_text()
    assert 'id = "score"\nlevel = "lsoa"' in text
    manifest.write_text(text.replace('id = "score"\nlevel = "lsoa"', 'id = "score"\nlevel = "lsoa_current"'))
    err = _load_error(tiny_path)
    assert err.file == "bundle.toml" and err.field == "indicators[1].level"
    assert "needs [layers.lsoas_current]" in str(err)


def test_duplicate_postcode_in_lookup(tiny_path):
    path = tiny_path / "postcodes.csv"
    path.write_text(path.read_text() + "ab1 1aa,500000,200000\n")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == ("postcodes.csv", 6, "pc") and "duplicate postcode 'AB1 1AA'" in str(err)


def test_a_postcode_not_shaped_like_one_is_named_with_its_row(tiny_path):
    path = tiny_path / "postcodes.csv"
    path.write_text(path.read_text() + "ZZ 999,500000,200000\n")
    err = _load_error(tiny_path)
    assert (err.file, err.row, err.field) == (
        "postcodes.csv",
        6,
        "pc",
    ) and "'ZZ 999' is not a valid UK postcode" in str(err)


@pytest.mark.parametrize(
    ("crs", "words"),
    [
        ("EPSG:3857", "stretches distances over this area by up to"),  # Web Mercator: ~60% too long here
        ("EPSG:32610", "stretches distances over this area by up to"),  # UTM zone 10N: the Pacific coast
        ("EPSG:4326", "is not a projected CRS"),
    ],
)
def test_a_projected_crs_must_be_true_to_scale_over_the_area(tiny_path, crs, words):
    manifest = tiny_path / "bundle.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('projected_crs = "EPSG:27700"', f'projected_crs = "{crs}"'),
        encoding="utf-8",
    )
    err = _load_error(tiny_path)
    assert (err.file, err.field) == ("bundle.toml", "area.projected_crs") and words in str(err)
