"""Needs Map engine: plain Python (no Dash) for need indicators, travel distance and
site coverage over an area's data bundle.

Typical use::

    from geo import load_bundle, Engine
    bundle = load_bundle("data/luton")
    engine = Engine(bundle)                      # fits and checks the travel model once
    population = engine.population_field("0-4", 2019)
    result = engine.coverage(engine.scenario("proposed_2020"), mode="walk", minutes=20,
                             population=population, wards="2023")
    result.covered, result.ranges["alt_covered"]
"""

from geo.bundle import Bundle, load_bundle
from geo.engine import Engine
from geo.errors import BundleError, BundleWarning, NeedsMapError, ScenarioError
from geo.scenario import AddedSite, Scenario

__all__ = [
    "AddedSite",
    "Bundle",
    "BundleError",
    "BundleWarning",
    "Engine",
    "NeedsMapError",
    "Scenario",
    "ScenarioError",
    "load_bundle",
]
