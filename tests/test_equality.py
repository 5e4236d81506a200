"""Equality impact: one characteristic recomputed from the raw CSV files, the shares and
counts reconciled with the comparison, the CLI's JSON contract, and bad tables refused."""

import json
import shutil

import numpy as np
import pytest

import luton_oracle as oracle
from conftest import LUTON
from geo.bundle import load_bundle
from geo.cli import main
from geo.errors import BundleError


@pytest.fixture(scope="module")
def result(luton_engine):
    e = luton_engine
    return e.equality(e.scenario("current_2020"), e.scenario("proposed_2020"), minutes=20)


def test_religion_split_matches_the_raw_files(result):
    """Independent: each 2021 output area takes its 2021 LSOA's religion shares (raw CSV), times
    its under-fives (ONS single-year file shared by residents), summed over those losing access
    under a walk model refitted here (tests/luton_oracle.py)."""
    areas, covered = oracle.walk_covered(oracle.fitted_access())
    religion = {r["lsoa21_code"]: r for r in oracle.rows("religion_2021_lsoa21.csv")}
    groups = [
        "Muslim",
        "Christian",
        "No religion",
        "Hindu",
        "Sikh",
        "Buddhist",
        "Jewish",
        "Other religion",
        "Not answered",
    ]
    current_code = [r["lsoa21_code"] for r in oracle.rows("oa21_luton_pwc_population.csv")]
    lost = covered["current"] & ~covered["proposed"]
    expected_losing = np.zeros(len(groups))
    expected_all = np.zeros(len(groups))
    for (_x, _y, people, *_), code, is_lost in zip(areas, current_code, lost):
        counts = np.array([float(religion[code][g]) for g in groups])
        share = counts / counts.sum()
        expected_all += people * share
        if is_lost:
            expected_losing += people * share
    got = next(b for b in result.breakdowns if b.table.id == "religion_2021")
    assert list(got.table.group_columns) == groups
    np.testing.assert_allclose(got.groups["losing"], expected_losing, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got.groups["all"], expected_all, rtol=1e-9, atol=1e-6)
    assert 100 * expected_losing[0] / expected_losing.sum() == pytest.approx(100 * got.shares("losing")[0])


def test_shares_sum_to_one_and_counts_reconcile(result, luton_engine):
    e = luton_engine
    cmp = e.compare(e.scenario("current_2020"), e.scenario("proposed_2020"), minutes=20)
    assert result.losing_total == pytest.approx(cmp.population_losing_access)
    assert len(result.breakdowns) == 7
    for b in result.breakdowns:
        for who in ("all", "keeping", "losing"):
            assert b.shares(who).sum() == pytest.approx(1.0)
        assert b.groups["losing"].sum() == pytest.approx(cmp.population_losing_access)
        assert b.groups["all"].sum() == pytest.approx(cmp.base.total)
        assert b.groups["keeping"].sum() + b.groups["losing"].sum() == pytest.approx(cmp.base.covered)
        # the flag follows the stated rule and nothing else
        diff, losing, whole = b.difference_pp, b.shares("losing"), b.shares("all")
        assert list(b.over_represented) == [d >= 5 and lo >= 1.2 * w for d, lo, w in zip(diff, losing, whole)]


def test_flag_rule_on_a_hand_made_case():
    from geo.equality import EqualityTable, breakdown

    table = EqualityTable(
        "t",
        "T",
        "t.csv",
        "lsoa",
        "residents",
        2021,
        "s",
        False,
        ("a", "b"),
        ("A", "B"),
        ("L1", "L2"),
        np.array([[1.0, 1.0], [1.0, 1.0]]),
    )
    # 100 people all in group A lose access; the area is 100 A + 300 B: A is 25% of all, 100% of losing
    rates = np.array([[1.0, 0.0], [0.0, 1.0]])
    b = breakdown(table, rates, np.array([100.0, 300.0]), np.array([True, True]), np.array([False, True]), "people")
    assert b.shares("all").tolist() == [0.25, 0.75]
    assert b.shares("losing").tolist() == [1.0, 0.0]
    assert b.difference_pp.tolist() == [75.0, -75.0]
    assert b.over_represented.tolist() == [True, False]


def test_cli_json_contract(capsys):
    assert main(["equality", "--base", "current_2020", "--alt", "proposed_2020", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d) >= {
        "base",
        "alt",
        "population",
        "settings",
        "losing_access_total",
        "flag_rule",
        "headline_groups",
        "characteristics",
        "method",
    }
    assert d["population"] == "children under 5 (mid-2019)"
    for c in d["characteristics"]:
        assert c["census_year"] in (2011, 2021)
        assert sum(g["losing_share"] for g in c["groups"]) == pytest.approx(1.0)
        assert sum(g["losing_count"] for g in c["groups"]) == pytest.approx(d["losing_access_total"])
    car = d["headline_groups"][0]
    assert car["group"] == "No car or van" and car["estimate"] is True


def _copy(tmp_path):
    target = tmp_path / "luton"
    shutil.copytree(LUTON, target)
    return target


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda text: text.replace("E01015693,1753.0,1.0,531.0", "E01015693,1753.0,-1.0,531.0", 1),
            r"religion_2021_lsoa21.csv, row 2, field 'Buddhist': count -1 is negative",
        ),
        (
            lambda text: text.replace("E01015693,1753.0,1.0,531.0", "E01015693,9753.0,1.0,531.0", 1),
            r"religion_2021_lsoa21.csv, row 2, field 'total_residents': the groups sum to 1753",
        ),
        (
            lambda text: text.replace("E01015693,1753.0,1.0,531.0", "E09999999,1753.0,1.0,531.0", 1),
            r"religion_2021_lsoa21.csv, row 2, field 'lsoa21_code': area code 'E09999999' is not in the lsoa_current",
        ),
        (
            lambda text: text.replace("E01015693,1753.0,1.0,531.0", "E01015693,1753.0,one,531.0", 1),
            r"religion_2021_lsoa21.csv, row 2, field 'Buddhist': value 'one' is not a number",
        ),
    ],
)
def test_bad_equality_tables_are_refused(tmp_path, edit, message):
    folder = _copy(tmp_path)
    path = folder / "religion_2021_lsoa21.csv"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(BundleError, match=message):
        load_bundle(folder)


def test_dashboard_section_csv_and_briefing_show_the_same_figures(luton_engine):
    """The Access page's equality section, its CSV and the briefing's equality table agree
    with the engine."""
    import datetime as dt
    import io as _io

    import pandas as pd
    from pypdf import PdfReader

    from dashboard.callbacks.equality import equality_csv, equality_update
    from geo.reports.briefing import briefing_content, render_briefing
    from geo.viewstate import default_state

    e = luton_engine
    state = {**default_state(e), "page": "access"}  # proposed against current, 20-minute walk, under-fives
    result = e.equality(e.scenario("current_2020"), e.scenario("proposed_2020"), minutes=20)
    religion = next(b for b in result.breakdowns if b.table.id == "religion_2021")
    summary, chart, detail = equality_update(e, state, "religion_2021")
    shown = str(detail)
    for row in religion.rows():
        assert f"{100 * row['losing_share']:.1f}%" in shown and f"{100 * row['all_share']:.1f}%" in shown
    assert f"{result.losing_total:,.0f}" in str(summary)
    assert list(chart["data"][1]["x"]) == pytest.approx([100 * r["losing_share"] for r in religion.rows()])

    payload = equality_csv(e, state, "religion_2021", "http://host/?page=access", dt.date(2026, 12, 1))
    assert payload["filename"] == (
        "needs-map_equality_religion-2021_proposed-2020-vs-current-2020_walk-20min_2026-12-01.csv"
    )
    header = [line for line in payload["content"].splitlines() if line.startswith("#")]
    assert any("children under 5 (mid-2019)" in line for line in header)
    assert any("Link: http://host/?page=access" in line for line in header)
    frame = pd.read_csv(_io.StringIO(payload["content"]), comment="#")
    assert list(frame["Group"]) == list(religion.table.group_labels)
    assert frame["Share of those losing access (%)"].sum() == pytest.approx(100, abs=0.05)

    content = briefing_content(e, state, equality=True)
    assert content.equality == result.largest_differences(5)
    pdf = render_briefing(e, state, fmt="pdf", equality=True)
    text = "\n".join(p.extract_text() for p in PdfReader(_io.BytesIO(pdf)).pages)
    top = content.equality[0]
    assert "Equality impact" in text and f"{100 * top['losing_share']:.1f}%" in text
