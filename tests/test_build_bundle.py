"""`python -m geo build-bundle`: bundles for authorities of every kind, checked against the
pack's own keys and published totals, run through the CLI and (one) the dashboard; the
national travel model; Luton from the pack against Luton by hand (the README's table)."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import Engine, load_bundle
from geo.build_bundle import build_bundle
from geo.cli import main
from geo.errors import BundleError, ScenarioError
from geo.pack import default_pack_path, open_pack

ROOT = Path(__file__).resolve().parent.parent
PACK = default_pack_path()
# One authority of each kind: unitary (with a register), metropolitan, London, county.
AUTHORITIES = {
    "E06000055": "Bedford",
    "E08000011": "Knowsley",
    "E09000021": "Kingston upon Thames",
    "E10000011": "East Sussex",
}


@pytest.fixture(scope="module")
def pack():
    return open_pack(PACK)


def _bedford_register(pack, path: Path) -> Path:
    """A register of five real places: Bedford's first five open state primary schools by URN,
    at their GIAS coordinates (the test needs sites; their names and places are the pack's)."""
    from geo.national_travel import state_primary_schools

    schools = state_primary_schools(pack.table("schools_gias_open_england_20250524"))
    schools = schools[schools["ltla_code"] == "E06000055"].sort_values("urn").head(5)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "role", "role_label", "status", "lat", "lon", "capacity"])
        for i, row in enumerate(schools.itertuples()):
            status = "closed" if i == 4 else "open"
            writer.writerow([row.name, "school_base", "School-based family centre", status, row.lat, row.lon, ""])
    return path


def _luton_register(path: Path) -> Path:
    """The hand-built Luton bundle's register as a council would give it: the current centres
    open, the 2020 proposal's sites proposed (the one group venue is left out: it is not a
    children's centre site), each at the hand bundle's sourced coordinates."""
    sites = pd.read_csv(ROOT / "data" / "luton" / "sites.csv", dtype=str, keep_default_na=False)
    sites = sites[sites["role"] != "venue"]
    status = {"current_centre": "open", "proposed_hub": "proposed", "proposed_outreach": "proposed"}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["site_id", "name", "role", "status", "lat", "lon"])
        for row in sites.itertuples():
            writer.writerow([row.site_id, row.name, row.role, status[row.role], row.lat, row.lon])
    return path


@pytest.fixture(scope="module")
def built(pack, tmp_path_factory):
    root = tmp_path_factory.mktemp("built")
    out = {}
    for code in AUTHORITIES:
        sites = _bedford_register(pack, root / "bedford_sites.csv") if code == "E06000055" else None
        build_bundle(pack, code, root / code, sites)
        out[code] = root / code
    return out


@pytest.fixture(scope="module")
def luton_pair(pack, tmp_path_factory):
    root = tmp_path_factory.mktemp("luton")
    build_bundle(pack, "Luton", root / "pack", _luton_register(root / "register.csv"))
    return Engine(load_bundle(ROOT / "data" / "luton")), Engine(load_bundle(root / "pack"))


def _members(pack, code: str) -> set[str]:
    """An authority's lower tiers (for these four, the same districts as in 2019, so the IoD 2019
    file's own lad19_code finds their LSOAs independently of the 2021 lookup the builder uses)."""
    ltla = pack.table("lookup_ltla_utla_region")
    return set(ltla.loc[(ltla["utla_code"] == code) | (ltla["ltla_code"] == code), "ltla_code"])


@pytest.mark.parametrize("code", list(AUTHORITIES))
def test_a_built_bundle_holds_the_packs_people_and_places(built, pack, code):
    bundle = load_bundle(built[code])
    engine = Engine(bundle)
    lower = _members(pack, code)
    # 2011 LSOAs by the IoD 2019 file's own district codes (unchanged since 2019 for these four)
    iod = pack.table("iod2019_lsoa11", ["lsoa11_code", "lad19_code"])
    lsoa11 = set(iod.loc[iod["lad19_code"].isin(lower), "lsoa11_code"])
    assert set(bundle.lsoa_values.index) == lsoa11
    sape = pack.table("population_sape_lsoa11_mid2019_mid2020_age0_19")
    mine = sape[sape["lsoa11_code"].isin(lsoa11)]
    for year in (2019, 2020):
        rows = mine[mine["year"] == year]
        under5 = rows[[f"age_{a}" for a in range(5)]].to_numpy().sum()
        field = bundle.population_field("0-4", year)
        assert engine.origin_population[field].sum() == pytest.approx(under5, abs=1e-6)
        assert engine.origin_population[bundle.population_field("all", year)].sum() == pytest.approx(
            rows["total"].sum(), abs=1e-6
        )
    # 2021 LSOAs and wards against the lookups' counts
    lookup21 = pack.table("lookup_lsoa21_ward2025_ltla_utla")
    in_area = (lookup21["utla_code"] == code) | (lookup21["ltla_code"] == code)
    assert len(bundle.current_lsoas.wards) == int(in_area.sum())
    wards = pack.table("lookup_ward2025_ltla_utla")
    assert len(bundle.wards) == int(((wards["utla_code"] == code) | (wards["ltla_code"] == code)).sum())
    assert bundle.area_name == AUTHORITIES[code]
    assert "all_open" in bundle.scenarios and "none" in bundle.scenarios
    assert bundle.scenarios["none"]["sites"] == []


def test_luton_under_fives_match_the_packs_published_check(luton_pair):
    """The pack's README publishes Luton's mid-2019 under-fives (its own check, from ONS)."""
    text = (PACK / "SOURCE_README.md").read_text(encoding="utf-8")
    published = int(re.search(r"Luton E06000032 under-5s mid-2019 \| ([\d,]+)", text).group(1).replace(",", ""))
    hand, built = luton_pair
    field = built.bundle.population_field("0-4", 2019)
    assert built.origin_population[field].sum() == pytest.approx(published)
    assert hand.origin_population[field].sum() == pytest.approx(published)


@pytest.mark.slow  # six commands on four authorities: the full suite (CI) runs them
@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["coverage", "--scenario", "all_open", "--ages", "0-4", "--year", "2019", "--json"],
        ["compare", "--base", "none", "--alt", "all_open", "--json"],
        ["equality", "--base", "all_open", "--alt", "none", "--json"],
        ["calibrate", "--json"],
        ["sites"],
    ],
)
def test_the_cli_runs_on_every_built_bundle(built, args, capsys):
    for code, folder in built.items():
        assert main(["--bundle", str(folder), *args]) == 0, (code, capsys.readouterr().err)
        assert "Luton" not in capsys.readouterr().out


def test_bedford_coverage_counts_the_packs_under_fives(built, pack, capsys):
    assert (
        main(
            ["--bundle", str(built["E06000055"]), "coverage", "--scenario", "all_open", "--ages", "0-4"]
            + ["--year", "2019", "--json"]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    iod = pack.table("iod2019_lsoa11", ["lsoa11_code", "lad19_code"])
    codes = set(iod.loc[iod["lad19_code"] == "E06000055", "lsoa11_code"])
    sape = pack.table("population_sape_lsoa11_mid2019_mid2020_age0_19")
    rows = sape[(sape["year"] == 2019) & sape["lsoa11_code"].isin(codes)]
    assert result["total"] == pytest.approx(rows[[f"age_{a}" for a in range(5)]].to_numpy().sum())
    assert len(result["open_sites"]) == 4  # the register's fifth site is closed
    assert 0 < result["covered"] < result["total"]


def _median_by_hand(values: np.ndarray, weights: np.ndarray) -> float:
    """The smallest value at or below which half the weight lies (the test's own)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def test_iod_2025_is_the_current_deprivation_measure_with_iod_2019_beside_it(built, pack, capsys):
    folder = built["E06000055"]
    engine = Engine(load_bundle(folder))
    areas = engine.bundle.output_areas
    # every output area carries the IoD 2025 decile of its own 2021 LSOA (the pack's files)
    centroids = pack.table("centroids_oa21_pwc_population", ["oa21_code", "lsoa21_code"]).set_index("oa21_code")
    iod25 = pack.table("iod2025_lsoa21", ["lsoa21_code", "imd_decile", "imd_rank"]).set_index("lsoa21_code")
    expected = iod25.loc[centroids.loc[areas.codes, "lsoa21_code"], "imd_decile"].to_numpy(float)
    assert np.array_equal(engine.origin_decile[: len(areas.codes)], expected)
    assert engine.deprivation_label == "IMD 2025 decile (1 = most deprived 10% in England)"
    # shown on the 2021 LSOAs as published, never carried onto the 2011 ones
    current = engine.indicator_values("imd2025_rank", "lsoa_current")
    assert current.to_dict() == iod25.loc[current.index, "imd_rank"].astype(float).to_dict()
    assert engine.shown_level("imd2025_rank", "lsoa")[0] == "lsoa_current"
    # and so the Needs map draws it (the values, not a stand-in)
    from dashboard.maps import needs_values
    from geo.viewstate import default_state

    view_state = {**default_state(engine), "ind": "imd2025_rank", "level": "lsoa_current"}
    view = needs_values(engine, view_state, engine.primary_ward_set, "lsoa_current")
    assert dict(zip(view["locations"], view["z"])) == iod25.loc[view["locations"], "imd_rank"].astype(float).to_dict()
    with pytest.raises(ScenarioError, match="published for the current LSOAs"):
        engine.indicator_values("imd2025_rank", "lsoa")
    # a ward's decile: the median over its under-fives, each in its output area's 2021 LSOA
    weights = engine.origin_population[engine.default_population]
    table = engine.ward_table()
    for j, code in enumerate(engine.ward_codes):
        inside = engine.origin_ward_index == j
        if weights[inside].sum() > 0:
            assert table.at[code, "imd2025_decile"] == _median_by_hand(expected[inside], weights[inside]), code
    # IoD 2019 beside it, on the 2011 LSOAs, IDACI included
    iod19 = pack.table("iod2019_lsoa11", ["lsoa11_code", "idaci_score"]).set_index("lsoa11_code")
    idaci = engine.indicator_values("idaci_score", "lsoa")
    assert idaci.to_dict() == iod19.loc[idaci.index, "idaci_score"].to_dict()
    # the share of those losing access who live in IMD 2025 deciles 1-2, from the pack's deciles
    assert main(["--bundle", str(folder), "compare", "--base", "all_open", "--alt", "none", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    base = engine.evaluate(engine.scenario("all_open"))
    losing = base.covered[: len(areas.codes)] * base.population[: len(areas.codes)]
    by_hand = losing[expected <= 2].sum() / losing.sum()
    assert result["share_losing_access_in_most_deprived_20pct"] == pytest.approx(by_hand, abs=1e-6)
    assert main(["--bundle", str(folder), "compare", "--base", "all_open", "--alt", "none"]) == 0
    text = capsys.readouterr().out
    assert "in the 20% most deprived LSOAs (IMD 2025 decile 1-2)" in text
    assert "no open site, so no travel time" in text and "None" not in text


def test_census_2021_age_groups_are_shown_by_2021_lsoa_and_summed_by_ward(built, pack):
    folder = built["E06000055"]
    engine = Engine(load_bundle(folder))
    ages = pack.table("population_census2021_lsoa21_age6").set_index("lsoa21_code")
    centroids = pack.table("centroids_oa21_pwc_population").set_index("oa21_code")
    areas = engine.bundle.output_areas
    oa = centroids.loc[areas.codes]
    for column in ("age_0_15", "age_65_plus"):
        ident = f"census2021_{column}"
        # by 2021 LSOA: the published counts
        current = engine.indicator_values(ident, "lsoa_current")
        assert current.to_dict() == ages.loc[current.index, column].astype(float).to_dict()
        # by ward: each output area holds its LSOA's count in proportion to its residents (from the
        # pack's residents, not the engine's shares), summed over the ward's output areas
        lsoa_residents = oa.groupby("lsoa21_code")["usual_residents_2021"].transform("sum").to_numpy(float)
        share = oa["usual_residents_2021"].to_numpy(float) / lsoa_residents
        per_area = ages.loc[oa["lsoa21_code"], column].to_numpy(float) * share
        wards = engine.indicator_values(ident, "ward")
        for j, code in enumerate(engine.ward_codes):
            assert wards[code] == pytest.approx(per_area[engine.origin_ward_index[: len(share)] == j].sum()), code
        assert wards.sum() == pytest.approx(current.sum())
        assert engine.bundle.indicators[ident].direction == "none"  # a count of people, not of need
    label = engine.bundle.indicators["census2021_age_65_plus"].label
    assert label == "Residents aged 65 and over (Census 2021)"
    # as people read it: whole people in the ranked table and the hover, a count not called need
    from dashboard.pages.needs import needs_update
    from dashboard.views import map_note

    view = {"ind": "census2021_age_0_15", "level": "ward", "wards": engine.primary_ward_set, "w": {}}
    patch, _card, data = needs_update(engine, view, engine.ward_sets[engine.primary_ward_set].names)
    children = engine.indicator_values("census2021_age_0_15", "ward")
    by_name = {engine.ward_sets[engine.primary_ward_set].names[c]: v for c, v in children.items()}
    for row in data["rows"]:
        assert row["value"] == f"{round(by_name[row['area']]):,} usual residents"
    assert data["columns"][0]["name"] == "Rank (1 = highest)"
    ops = patch.to_plotly_json()["operations"]
    hover = next(
        op["params"]["value"]
        for op in ops
        if str(op["location"]).endswith("'text']") and len(op["params"]["value"]) > 5
    )
    assert all(re.search(r": [\d,]+ usual residents", text) for text in hover)
    assert map_note(engine, "census2021_age_0_15", "ward").startswith("Darker = a higher value.")
    assert map_note(engine, "imd2025_rank", "lsoa_current").startswith("Darker = more need.")


def test_a_built_bundles_no_sites_scenario_is_named_and_is_no_comparison_target(built):
    from geo.viewstate import default_state, scenario_of

    engine = Engine(load_bundle(built["E06000055"]))
    state = {**default_state(engine), "base": "none", "cmp": "all_open"}
    assert scenario_of(engine, state).label == "No sites"  # the bundle's own scenario, not "Custom"
    assert engine.open_site_ids(scenario_of(engine, state)) == []
    # in a link and the comparison control, "none" is no comparison
    assert scenario_of(engine, {**state, "cmp": "none"}, "cmp") is None


def test_the_needs_map_draws_a_grey_layer_only_where_a_ward_lacks_a_figure(built, luton_engine):
    from dashboard.maps import MapAssets, needs_map
    from geo.viewstate import default_state

    # Bedford: every ward has every figure, so no second copy of the wards is drawn or sent
    engine = Engine(load_bundle(built["E06000055"]))
    assets = MapAssets.of(engine)
    table = engine.ward_table()
    assert not table[list(engine.bundle.indicators)].isna().any().any()
    figure = needs_map(engine, assets, default_state(engine))
    assert figure.data[0].geojson is None and len(figure.data[1].geojson["features"]) == len(engine.ward_codes)
    # Luton publishes some figures for some wards only: the grey layer stays
    luton = needs_map(luton_engine, MapAssets.of(luton_engine), default_state(luton_engine))
    assert len(luton.data[0].geojson["features"]) == len(luton_engine.ward_codes)


def test_calibrate_against_any_official_file(built, pack, tmp_path, capsys):
    """The bundle's model against an official file given on the command line: the JSON's rows
    recompute from the file, and the summary from the rows. (Bedford's official distances are
    among those the pack keeps back, so Knowsley's serve here.)"""
    folder = built["E08000011"]
    road = pd.read_csv(folder / "iod2019_road_km_primary_school.csv")
    against = tmp_path / "official.csv"
    road.rename(columns={"lsoa11_code": "lsoa_code", "road_km_primary_school": "km"}).to_csv(against, index=False)
    schools = pd.read_csv(folder / "primary_schools_2025.csv")
    services = tmp_path / "services.csv"
    schools[["name", "easting", "northing"]].to_csv(services, index=False)
    args = ["--bundle", str(folder), "calibrate", "--against", str(against), "--services", str(services), "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    rows = pd.DataFrame(out["rows"])
    assert set(rows.columns) == {"lsoa_code", "estimate_km", "official_km"}
    official = road.set_index("lsoa11_code")["road_km_primary_school"]
    assert np.allclose(rows.set_index("lsoa_code")["official_km"], official.reindex(rows["lsoa_code"]))
    ratio = rows["estimate_km"] / rows["official_km"]
    assert out["summary"]["median_ratio"] == pytest.approx(np.median(ratio), abs=2e-3)
    assert out["summary"]["mean_abs_pct_error"] == pytest.approx(100 * np.mean(np.abs(ratio - 1)), abs=0.1)
    # an LSOA from elsewhere is left out and counted; a bad distance names its row
    with open(against, "a", encoding="utf-8") as handle:
        handle.write("E01000001,0.7\n")
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["rows_outside_bundle"] == 1
    road.iloc[:3].rename(columns={"lsoa11_code": "lsoa_code", "road_km_primary_school": "km"}).assign(
        km=["1.0", "x", "2.0"]
    ).to_csv(against, index=False)
    assert main(args) == 2
    assert "official.csv, row 3, field 'km'" in capsys.readouterr().err


def test_the_register_is_checked_row_by_row(pack, tmp_path):
    bad = tmp_path / "sites.csv"
    bad.write_text("name,role,status,postcode\nA hub,hub,open,LU1 3QZ\nB hub,hub,maybe,LU1 3QZ\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"sites.csv, row 3, field 'status'"):
        build_bundle(pack, "Luton", tmp_path / "a", bad)
    assert not (tmp_path / "a").exists()  # no half-written bundle: the same command works once fixed
    bad.write_text("name,role,status,postcode\nA hub,hub,open,LU1 3QZ\nB hub,hub,open,LU1 3QZ\n", encoding="utf-8")
    assert build_bundle(pack, "Luton", tmp_path / "a", bad)["sites"] == 2
    bad.write_text("name,role,status,postcode\nA hub,hub,open,ZZ9 9ZZ\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"row 2, field 'postcode'.*not in Code-Point"):
        build_bundle(pack, "Luton", tmp_path / "b", bad)
    bad.write_text("name,role,status,postcode\n=HYPERLINK(1),hub,open,LU1 3QZ\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"row 2, field 'name'"):
        build_bundle(pack, "Luton", tmp_path / "c", bad)
    with pytest.raises(ScenarioError, match="no English authority called 'Lutonia'"):
        build_bundle(pack, "Lutonia", tmp_path / "d")


def test_roles_and_their_legend_come_from_the_register(built):
    bundle = load_bundle(built["E06000055"])
    assert bundle.manifest["layers"]["sites"]["roles"] == {"school_base": "School-based family centre"}
    assert len(bundle.scenarios["all_open"]["sites"]) == 4


def test_a_changed_pack_file_is_refused(tmp_path):
    for entry in PACK.iterdir():
        (tmp_path / entry.name).symlink_to(entry)
    victim = "lookup_ltla_utla_region.parquet"
    (tmp_path / victim).unlink()
    shutil.copyfile(PACK / victim, tmp_path / victim)
    with open(tmp_path / victim, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BundleError, match=f"{victim}: its SHA-256 differs"):
        open_pack(tmp_path)


@pytest.mark.slow  # the national cross-validation: 5 fits over 32,133 LSOAs
def test_the_national_model_is_checked_out_of_authority(pack):
    """Cross-validation by whole authorities: each fold's fit never sees its authorities, and
    the reported error recomputes from the out-of-authority estimates."""
    from geo.national_travel import calibration_sample, cross_validate, error_row

    sample = calibration_sample(pack)
    result = cross_validate(sample)
    estimate = result["out_of_sample_km"]
    assert result["overall"] == error_row(estimate, sample.official_km)
    assert 0.92 <= result["overall"]["median_ratio"] <= 1.08
    # the bundle's [travel.model] is this fit
    spec = load_bundle(ROOT / "data" / "luton").manifest  # the hand bundle has none
    assert "model" not in spec["travel"]
    folds = sorted(set(sample.authority))
    assert len(folds) == result["authorities"]


@pytest.mark.slow  # the national cross-validation: 5 fits over 32,133 LSOAs
def test_readme_gives_the_national_model_by_settlement_type(pack):
    from geo.national_travel import calibration_sample, cross_validate

    result = cross_validate(calibration_sample(pack))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settlement_table(result) in readme


def settlement_table(result: dict) -> str:
    """The README's table of the national model's out-of-authority error."""
    lines = [
        "| settlement type (LSOA density) | LSOAs | median estimate / official | mean absolute error | within 20% |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in [*result["by_settlement"], {"settlement": "**all**", **result["overall"]}]:
        lines.append(
            f"| {row['settlement']} | {row['lsoas']:,} | {row['median_ratio']:.3f} | "
            f"{row['mean_abs_pct_error']:.1f}% | {100 * row['share_within_20pct']:.1f}% |"
        )
    return "\n".join(lines)


def luton_table(hand: Engine, built: Engine) -> str:
    """The README's table: Luton built from the pack against the hand-built bundle."""
    rows = []

    def row(what, a, b, why):
        rows.append(f"| {what} | {a} | {b} | {why} |")

    field = hand.bundle.population_field("0-4", 2019)
    row(
        "children under 5, mid-2019",
        f"{hand.origin_population[field].sum():,.0f}",
        f"{built.origin_population[field].sum():,.0f}",
        "same ONS estimates",
    )
    row(
        "2011 LSOAs / 2021 LSOAs / output areas",
        f"{len(hand.bundle.lsoa_values)} / {len(hand.bundle.current_lsoas.wards)} / {len(hand.bundle.output_areas.codes)}",
        f"{len(built.bundle.lsoa_values)} / {len(built.bundle.current_lsoas.wards)} / {len(built.bundle.output_areas.codes)}",
        "same geography",
    )
    current = hand.scenario("current_2020")
    opened = built.scenario("all_open")
    one_km = (hand.coverage(current, km=1, detour="none"), built.coverage(opened, km=1, detour="none"))
    row(
        "under-5s within 1 km (straight line) of the 2020 sites",
        f"{one_km[0].covered:,.0f}",
        f"{one_km[1].covered:,.0f}",
        "same sites and origins",
    )
    walk = (hand.coverage(current), built.coverage(opened))
    row(
        "under-5s within a 20-minute walk of the 2020 sites",
        f"{walk[0].covered:,.0f}",
        f"{walk[1].covered:,.0f}",
        "travel models differ: Luton's own fit (cycle routes and 73 LSOAs) against the national curve",
    )
    hand_wards = hand.coverage(current, wards="2023").by_ward
    built_wards = built.coverage(opened).by_ward
    population = [c for c in hand_wards.columns if c in ("population", "total")][0]
    gap = (hand_wards.set_index("ward_code")[population] - built_wards.set_index("ward_code")[population]).abs().max()
    row(
        "largest difference in a ward's under-5s (20 wards of May 2023 = May 2025)",
        "",
        f"{gap:,.0f}",
        "same wards, and every output area in the same ward; the row below moves people between output areas",
    )
    hand_areas, built_areas = hand.bundle.output_areas, built.bundle.output_areas
    order = {code: i for i, code in enumerate(built_areas.codes)}
    j = np.array([order[c] for c in hand_areas.codes])
    other_parent = int((np.asarray(hand_areas.parent) != np.asarray(built_areas.parent)[j]).sum())
    other_residents = int((np.asarray(hand_areas.residents) != np.asarray(built_areas.residents)[j]).sum())
    row(
        "output areas with another 2021 LSOA / other residents",
        "",
        f"{other_parent} / {other_residents}",
        "the hand bundle derived these output areas' 2021 LSOA (point in polygon) where its sources had no "
        "ONS lookup; the pack has the ONS lookup and counts, so these areas share another LSOA's estimate",
    )
    row(
        "postcodes",
        f"{len(hand.bundle.postcodes):,}",
        f"{len(built.bundle.postcodes):,}",
        "Code-Point Open 2014 (LU1-LU4) against 2025.4 (within 5 km of Luton)",
    )
    head = ["| figure | by hand | from the pack | why they differ or agree |", "|---|---:|---:|---|"]
    return "\n".join(head + rows)


def test_readme_compares_luton_from_the_pack_with_luton_by_hand(luton_pair):
    hand, built = luton_pair
    table = luton_table(hand, built)
    assert table in (ROOT / "README.md").read_text(encoding="utf-8"), table
    # the register is the hand bundle's sites: the same places open
    opened = built.scenario("all_open")
    assert sorted(built.open_site_ids(opened)) == sorted(hand.open_site_ids(hand.scenario("current_2020")))


@pytest.mark.slow
def test_the_largest_county_builds_and_validates(pack, tmp_path, capsys):
    assert main(["build-bundle", "Kent", "--out", str(tmp_path / "kent"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Kent (E10000016, county): 938 LSOAs (2021)" in out
    assert "No sites yet" in out


@pytest.mark.browser
def test_a_built_bundle_serves_the_dashboard(built, dash_duo):
    from bundle_factory import dashboard_smoke

    dashboard_smoke(dash_duo, Engine(load_bundle(built["E06000055"])), "all_open", "Bedford")


def test_a_site_over_the_border_is_kept_and_marked_outside(pack, tmp_path):
    """A register site in a neighbouring authority (within 5 km) is placed and marked outside."""
    built = tmp_path / "first"
    build_bundle(pack, "Luton", built)
    near = set(pd.read_csv(built / "postcodes.csv")["postcode"])
    codepoint = pack.table("postcodes_england_codepoint_open_2025_4", ["postcode", "lad_code"])
    outside = sorted(
        codepoint.loc[codepoint["postcode"].isin(near) & (codepoint["lad_code"] != "E06000032"), "postcode"]
    )
    inside = sorted(
        codepoint.loc[codepoint["postcode"].isin(near) & (codepoint["lad_code"] == "E06000032"), "postcode"]
    )
    register = tmp_path / "sites.csv"
    # the middle postcodes of each list: well inside, and well over the border
    register.write_text(
        f"name,role,status,postcode\nIn town,hub,open,{inside[len(inside) // 2]}\n"
        f"Over the border,hub,open,{outside[len(outside) // 2]}\n",
        encoding="utf-8",
    )
    build_bundle(pack, "Luton", tmp_path / "second", register)
    sites = load_bundle(tmp_path / "second").sites
    assert not sites.loc["in_town", "outside_area"]
    assert sites.loc["over_the_border", "outside_area"]


def test_schools_are_a_candidate_set_for_the_optimiser(built, capsys):
    """The bundle's candidate_schools.csv goes straight to `optimise --candidates`; the answer
    is one of its schools, proven optimal."""
    folder = built["E08000011"]
    schools = pd.read_csv(folder / "candidate_schools.csv")
    assert len(schools) > 10 and {"name", "lat", "lon"} <= set(schools.columns)
    args = ["--bundle", str(folder), "optimise", "--p", "2", "--candidates", str(folder / "candidate_schools.csv")]
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["optimal"] is True
    assert {c["label"] for c in result["chosen"]} <= set(schools["name"])
