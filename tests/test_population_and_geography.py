"""Issue 10: population by age band and year, output-area origins, the calibrated travel model,
border sites and the 2023 ward set, each checked against the raw files or by hand."""

import csv
import math
import shutil

import numpy as np
import pytest
from pyproj import Transformer

import luton_oracle as oracle
from conftest import LUTON
from geo import load_bundle
from geo.errors import BundleError, ScenarioError


@pytest.fixture
def luton_copy(tmp_path):
    folder = tmp_path / "luton"
    shutil.copytree(LUTON, folder)
    return folder


def _edit_csv(path, row_index, column, value):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[row_index][column] = value
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize(
    "ages,year,expected",
    [("0-4", 2019, 17208), ("0-4", 2017, 17827), ("0-4", 2020, 17037), ("0-15", 2019, 52134), ("all", 2019, 213052)],
)
def test_bands_and_years_match_the_published_totals(luton_bundle, ages, year, expected):
    # PROVENANCE_2.md: Luton totals by year, and the single-year files summed by hand here.
    field = luton_bundle.population_field(ages, year)
    assert luton_bundle.lsoa_values[field].sum() == expected
    band = range(0, 5) if ages == "0-4" else range(0, 16) if ages == "0-15" else None
    by_hand = sum(
        float(r["total_population"]) if band is None else sum(float(r[str(a)]) for a in band)
        for r in oracle.rows(f"luton_sape_mid{year}_lsoa11_syoa.csv")
    )
    assert by_hand == expected


def test_any_band_and_its_label(luton_bundle):
    field = luton_bundle.population_field("16-19", 2020)
    assert luton_bundle.population_fields[field] == "People aged 16-19 (mid-2020)"
    by_hand = sum(
        sum(float(r[str(a)]) for a in range(16, 20)) for r in oracle.rows("luton_sape_mid2020_lsoa11_syoa.csv")
    )
    assert luton_bundle.lsoa_values[field].sum() == by_hand
    top = luton_bundle.population_field("90+", 2019)
    assert luton_bundle.lsoa_values[top].sum() == sum(
        float(r["90+"]) for r in oracle.rows("luton_sape_mid2019_lsoa11_syoa.csv")
    )


@pytest.mark.parametrize(
    "ages,year,message",
    [
        ("0-95", 2019, "--ages 0-95"),
        ("5-2", 2019, "--ages 5-2"),
        ("toddlers", 2019, "--ages 'toddlers'"),
        ("0-4", 2018, "--year 2018"),
        ("0-4", "soon", "--year 'soon'"),
    ],
)
def test_bad_band_or_year_names_the_option(luton_bundle, ages, year, message):
    with pytest.raises(ScenarioError, match=message):
        luton_bundle.population_field(ages, year)


def test_single_years_must_sum_to_the_total(luton_copy):
    _edit_csv(luton_copy / "luton_sape_mid2019_lsoa11_syoa.csv", 4, "3", "999")
    with pytest.raises(BundleError) as err:
        load_bundle(luton_copy)
    assert "luton_sape_mid2019_lsoa11_syoa.csv" in str(err.value) and "row 6" in str(err.value)
    assert "total_population" in str(err.value) and "sum to" in str(err.value)


def test_negative_count_is_refused(luton_copy):
    _edit_csv(luton_copy / "luton_sape_mid2017_lsoa11_syoa.csv", 0, "2", "-3")
    with pytest.raises(
        BundleError, match=r"luton_sape_mid2017_lsoa11_syoa.csv, row 2, field '2': count -3 is negative"
    ):
        load_bundle(luton_copy)


def test_output_area_origins_share_each_lsoa_by_residents(luton_engine):
    e = luton_engine
    assert e.origins.kind == "output_areas" and len(e.origins.xy) == 621
    pop = e.origin_population[e.default_population]
    by_hand = np.array(
        [people for *_, people, _lsoa, _res in [(a[0], a[1], a[2], a[3], a[4]) for a in oracle.output_areas()]]
    )
    assert pop == pytest.approx(by_hand)
    # every LSOA's population is kept whole
    per_lsoa = np.bincount(e.origin_lsoa_index, weights=pop, minlength=121)
    assert per_lsoa == pytest.approx(e.bundle.lsoa_values[e.default_population].to_numpy())


def test_travel_model_is_monotone_and_never_below_the_straight_line(luton_engine):
    d = np.linspace(0, 20000, 2001)
    route = luton_engine.detour.network_m(d)
    assert (np.diff(route) >= 0).all() and (route >= d).all()
    assert (luton_engine.route_matrix >= luton_engine.straight_matrix).all()


def test_cross_validation_never_sees_the_lsoa_it_predicts(luton_engine):
    """Changing one LSOA's official distance must not change its own out-of-sample estimate."""
    from geo.calibrate import FORMS, _Problem, build_model

    e = luton_engine
    sample = _sample(e)
    problem = _Problem(sample, e.origins.xy, e.origins.lsoa_code, e.origins.share)
    held_out = np.arange(0, problem.n, 10)
    train = np.setdiff1d(np.arange(problem.n), held_out)
    form = FORMS[1]
    before = problem.estimate(build_model(form, problem.fit(form, e.pairs_detour, train), e.pairs_detour))[held_out]
    problem.official = problem.official.copy()
    problem.official[held_out] *= 3.0
    after = problem.estimate(build_model(form, problem.fit(form, e.pairs_detour, train), e.pairs_detour))[held_out]
    assert after == pytest.approx(before)


def _sample(e):
    from geo.calibrate import load_road_sample

    return load_road_sample(
        e.bundle.path,
        e.bundle.manifest["layers"]["road_check"],
        list(e.bundle.lsoa_values.index),
        e.bundle.projected_crs,
        lambda crs, xs, ys: e.bundle._transformer(crs, e.bundle.projected_crs).transform(xs, ys),
    )


def test_calibration_before_figures_match_a_hand_computation(luton_engine):
    """The 'before' row: the pairs' curve from LSOA centroids to the nearest school, by hand."""
    xs, ys = oracle.pairs_curve()
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    schools = [(float(r["easting"]), float(r["northing"])) for r in oracle.rows("primary_schools_2017_luton_area.csv")]
    centroids = {
        r["lsoa11cd"]: to_bng.transform(float(r["X"]), float(r["Y"])) for r in oracle.rows("lsoa_pwc_2011_luton.csv")
    }
    ratios = []
    for r in oracle.rows("iod2019_road_km_primary_school_sample.csv"):
        d = min(math.dist(centroids[r["lsoa11_code"]], s) for s in schools)
        ratios.append(float(oracle.curve(d, xs, ys, 0.0)) / (float(r["road_km_primary_school"]) * 1000))
    before = luton_engine.calibration.before
    assert before["median_ratio"] == round(float(np.median(ratios)), 3)
    assert before["mean_abs_pct_error"] == round(float(np.mean(np.abs(np.array(ratios) - 1)) * 100), 1)


def test_a_site_in_dunstable_is_accepted_and_marked_outside(luton_engine):
    # Dunstable Icknield Lower School's EduBase point (calibration file), outside Luton's boundary.
    school = next(r for r in oracle.rows("primary_schools_2017_luton_area.csv") if r["urn"] == "109444")
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        float(school["easting"]), float(school["northing"])
    )
    e = luton_engine
    scenario = e.scenario("proposed_2020", add=[f"Dunstable@{lat:.6f},{lon:.6f}"])
    assert e.is_outside(scenario.added[0])
    res = e.coverage(scenario)
    assert "added:Dunstable" in res.open_sites
    assert any(a.startswith("Outside Luton") and "Dunstable" in a for a in res.assumptions)
    from dashboard.views import added_points
    from geo.viewstate import default_state

    state = {**default_state(e), "add": [scenario.added[0].to_spec(), "Inside@LU4 0PE"]}
    hover = added_points(e, state)["text"]
    assert "outside Luton" in hover[0] and "outside" not in hover[1]
    with pytest.raises(ScenarioError, match="latitude and longitude look swapped"):
        e.scenario("proposed_2020", add=[f"Swapped@{lon:.6f},{lat:.6f}"])


def test_register_sites_far_outside_are_still_refused(luton_copy):
    _edit_csv(luton_copy / "sites.csv", 0, "lat", "-0.42")
    _edit_csv(luton_copy / "sites.csv", 0, "lon", "51.88")
    with pytest.raises(BundleError, match="sites.csv, row 2.*swapped"):
        load_bundle(luton_copy)


def test_2023_wards_partition_the_population(luton_engine):
    e = luton_engine
    assert len(e.ward_sets["2023"].codes) == 20 and len(e.ward_sets["2013"].codes) == 19
    res = e.coverage(e.scenario("proposed_2020"), wards="2023")
    assert len(res.by_ward) == 20 and res.by_ward["total"].sum() == pytest.approx(res.total)
    assert "Beech Hill" in set(res.by_ward["ward_name"])  # a ward created in 2023
    # Each output area's ward is the 2023 ward polygon that holds it (an independent overlay), not
    # the ONS best-fit LSOA-to-ward lookup, which puts 66 of the 621 in another ward.
    overlay = oracle.ward_of_output_areas()
    codes = np.array(e.ward_sets["2023"].codes)[e.origin_ward_index_by_set["2023"][: len(overlay)]]
    assert list(codes) == overlay
    lookup = {r["lsoa21_code"]: r["ward24_code"] for r in oracle.rows("lookup_lsoa21_ward2023.csv")}
    areas = oracle.rows("oa21_luton_pwc_population.csv")
    assert sum(lookup[a["lsoa21_code"]] != c for a, c in zip(areas, overlay)) == 66


def test_unknown_ward_set_names_the_option(luton_engine):
    with pytest.raises(ScenarioError, match="--wards 2019"):
        luton_engine.ward_table("2019")


def test_cli_population_options(capsys):
    from geo.cli import main

    assert main(["coverage", "--scenario", "proposed_2020", "--ages", "0-4", "--population", "total"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["coverage", "--scenario", "proposed_2020", "--year", "2031"]) == 2
    assert "--year 2031" in capsys.readouterr().err
    assert main(["coverage", "--scenario", "proposed_2020", "--population", "age_0_15"]) == 0
    assert "children aged 0-15 (mid-2015, IoD 2019 denominators)" in capsys.readouterr().out
    assert main(["validate", "--bundle", str(LUTON)]) == 0


def test_no_product_text_says_luton_was_rewarded_in_2019():
    from conftest import ROOT

    for path in [ROOT / "README.md", LUTON / "bundle.toml", *ROOT.glob("dashboard/**/*.py"), *ROOT.glob("geo/*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "re-warded in May 2019" not in text.replace("NOT re-warded", ""), path
        assert "re-warding" not in text, path


def test_a_best_fit_ward_lookup_is_refused(luton_copy):
    """Origins are placed in wards by position: a manifest that names an LSOA-to-ward lookup is
    refused, naming the field and why."""
    manifest = luton_copy / "bundle.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        text.replace(
            '[ward_sets.2023]\nfile = "wards_2023.geojson"',
            '[ward_sets.2023]\nfile = "wards_2023.geojson"\n'
            'lookup = { file = "lookup_lsoa21_ward2023.csv", area = "lsoa21_code", ward = "ward24_code" }',
        ),
        encoding="utf-8",
    )
    with pytest.raises(BundleError, match="best fit, not a nesting") as err:
        load_bundle(luton_copy)
    assert err.value.field == "ward_sets.2023.lookup"


def test_an_unknown_aggregate_is_refused(luton_copy):
    manifest = luton_copy / "bundle.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('aggregate = "median"', 'aggregate = "mode"', 1), encoding="utf-8")
    with pytest.raises(BundleError, match="aggregate 'mode': expected one of mean, median, sum"):
        load_bundle(luton_copy)
