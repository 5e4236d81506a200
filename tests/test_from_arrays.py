"""``Engine.from_arrays``: the engine on plain arrays, no files (geo/arrays.py). Every expected
number is worked out by hand below: route = 1.5 x straight line, 4.8 km/h (80 m a minute)."""

import math

import numpy as np
import pytest

from geo import Engine, ScenarioError
from geo.optimise import optimise, register_candidates
from geo.travel import StraightLineModel

ORIGINS = [[0, 0], [2000, 0], [0, 3000]]
PEOPLE = [10, 30, 60]
SITES = [[0, 600], [2000, 400]]


@pytest.fixture
def engine():
    return Engine.from_arrays(ORIGINS, PEOPLE, SITES, 1.5, crs="EPSG:27700", site_names=["North", "East"])


def test_coverage_from_arrays_by_hand(engine):
    result = engine.coverage(engine.scenario("all_open"), minutes=15)
    # origin 1: 600 m to North, 900 m route, 11.25 min; origin 2: 400 m to East, 7.5 min;
    # origin 3: 2,400 m to North (East is hypot(2000, 2600) = 3,280 m), 45 min: not covered
    minutes = [900 / 80, 600 / 80, 3600 / 80]
    assert result.covered == 40 and result.total == 100
    assert result.mean_minutes == pytest.approx(sum(p * m for p, m in zip(PEOPLE, minutes)) / 100)
    origins = result.origins.set_index("lsoa_code")
    assert list(origins["nearest_site"]) == ["site_1", "site_2", "site_1"]
    assert origins.loc["origin_3", "straight_m"] == pytest.approx(math.hypot(0, 2400))
    # no indicators, no deprivation measure: no deprivation figure
    assert engine.deprivation_label is None and np.isnan(engine.origin_decile).all()
    assert any("route = 1.5 x straight line" in line for line in result.assumptions)
    assert any("Origins: the points given, each with its own population" in line for line in result.assumptions)


def test_closing_a_site_from_arrays(engine):
    comparison = engine.compare(engine.scenario("all_open"), engine.scenario("all_open", close=["site_2"]), minutes=15)
    # without East, origin 2 is hypot(2000, 600) = 2,088 m from North: 39.2 min
    assert comparison.alt.covered == 10
    assert list(comparison.lost["lsoa_code"]) == ["origin_2"]
    assert engine.site_label("site_2") == "East"


def test_the_optimiser_runs_on_arrays(engine):
    # one site of the two, for the most people within 15 minutes: East (30) beats North (10)
    result = optimise(engine, objective="coverage", p=1, candidates=register_candidates(engine), minutes=15)
    assert result.optimal and [c["label"] for c in result.chosen] == ["East"]


def test_any_travel_model_names_itself():
    engine = Engine.from_arrays(ORIGINS, PEOPLE, SITES, StraightLineModel(name="as the crow flies"), crs="EPSG:27700")
    result = engine.coverage(engine.scenario("all_open"), minutes=10)
    # straight lines: 600 m = 7.5 min, 400 m = 5 min, 2,400 m = 30 min
    assert result.covered == 40
    assert any("'as the crow flies'" in line for line in result.assumptions)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ((ORIGINS, [1, 2], SITES, 1.5), "2 population values for 3 origins"),
        ((ORIGINS, [1, -2, 3], SITES, 1.5), "at least 0"),
        (([[0, 0, 0]], [1], SITES, 1.5), "expected an (n, 2) array"),
        ((ORIGINS, PEOPLE, SITES, 0.8), "at least the straight line"),
    ],
)
def test_bad_arrays_are_refused_in_words(arguments, words):
    with pytest.raises(ScenarioError) as error:
        Engine.from_arrays(*arguments, crs="EPSG:27700")
    assert words in str(error.value)


def test_a_crs_in_degrees_is_refused():
    with pytest.raises(ScenarioError, match="not a projected CRS"):
        Engine.from_arrays(ORIGINS, PEOPLE, SITES, 1.5, crs="EPSG:4326")
