"""Options appraisal: two to six scenarios side by side against a baseline, in one table.

An option is a scenario: a named preset of the bundle, or one made elsewhere from a saved
scenario or a view state (``geo.options``: the view-state layer above this core module). Only an option's sites count (its preset and the
sites it opens, closes, adds or moves); every option is measured with the same travel settings
(mode, threshold, travel model, population), the appraisal's own, so the options differ only in
where the sites are. Each row gives:

* open sites (located ones counted; unlocated ones named, since they are left out of distances);
* people within the threshold (count, share, and the low-high range across the travel model's
  error range), and the change against the baseline;
* people losing access against the baseline, and the share of them in England's 20% most
  deprived LSOAs;
* mean minutes to the nearest open site;
* the busiest site: the largest nearest-site catchment (``geo.catchments``);
* with capacities known: people in a catchment but beyond capacity.

>>> result = appraise(engine, [preset(engine, "current_2020"), preset(engine, "proposed_2020")])
>>> [row["name"] for row in result.rows]
['current_2020', 'proposed_2020']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from geo.catchments import catchments
from geo.errors import ScenarioError
from geo.scenario import Scenario

if TYPE_CHECKING:
    from geo.engine import Engine

MIN_OPTIONS, MAX_OPTIONS = 2, 6


@dataclass(frozen=True)
class Option:
    """One option: a name (unique in the appraisal), a label for people, its scenario, where it
    came from, and the view state that reopens it (None for a preset)."""

    name: str
    label: str
    scenario: Scenario
    source: str  # "preset" | "saved" | "file"
    state: Mapping[str, Any] | None = None


def preset(engine: Engine, name: str) -> Option:
    """A named scenario of the bundle."""
    if name not in engine.bundle.scenarios:
        raise ScenarioError(f"unknown scenario {name!r}; the bundle has {', '.join(engine.scenario_names())}")
    scenario = engine.scenario(name)
    return Option(name=name, label=scenario.label, scenario=scenario, source="preset")


@dataclass
class Appraisal:
    """Rows per option, in the order given, and the settings they share."""

    baseline: str
    population_label: str
    mode: str
    threshold: dict[str, Any]
    rows: list[dict[str, Any]]
    deprivation: bool = True  # the bundle has a deprivation measure (else no such figure)

    def to_dict(self) -> dict[str, Any]:
        """For JSON: people to 0.1, shares to 6 places, minutes to 0.01 (the rows themselves
        are unrounded, so a page that shows whole people rounds once, not twice)."""
        return {
            "baseline": self.baseline,
            "population": self.population_label,
            "mode": self.mode,
            "threshold": self.threshold,
            "options": [{k: _rounded(k, v) for k, v in row.items()} for row in self.rows],
        }


# JSON decimal places of the rows' figures (``Appraisal.to_dict``)
JSON_PLACES = {
    "covered": 1,
    "share_covered": 6,
    "covered_range": 1,
    "change_vs_baseline": 1,
    "losing_access": 1,
    "losing_most_deprived_20pct_share": 6,
    "mean_minutes": 2,
    "busiest_site_population": 1,
    "beyond_capacity": 1,
}


def _rounded(key: str, value: Any) -> Any:
    places = JSON_PLACES.get(key)
    if places is None or value is None:
        return value
    if isinstance(value, list):
        return [round(float(v), places) for v in value]
    return round(float(value), places)


def appraise(
    engine: Engine,
    options: list[Option],
    baseline: Option | None = None,
    capacity: dict[str, float] | None = None,
    **travel: Any,
) -> Appraisal:
    """Each option against ``baseline`` (default: the first option) with the same ``travel``
    options (as for ``Engine.evaluate``)."""
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ScenarioError(f"choose {MIN_OPTIONS} to {MAX_OPTIONS} options, not {len(options)}")
    names = [o.name for o in options]
    if len(set(names)) != len(names):
        raise ScenarioError(
            "each option may appear once: " + ", ".join(sorted({n for n in names if names.count(n) > 1}))
        )
    baseline = baseline or options[0]
    rows = []
    first = None
    for option in options:
        cmp = engine.compare(baseline.scenario, option.scenario, **travel)
        alt = cmp.alt
        first = first or cmp
        load = catchments(engine, option.scenario, capacity=capacity, **travel)
        busiest = max(load.sites, key=lambda s: s.population, default=None)
        low_high = cmp.ranges.get("alt_covered")
        losing = cmp.population_losing_access
        rows.append(
            {
                "name": option.name,
                "label": option.label,
                "source": option.source,
                "is_baseline": option.name == baseline.name,
                "open_sites": len([s for s in alt.open_sites if s not in alt.unlocated_sites]),
                "open_site_ids": list(alt.open_sites),
                "unlocated_sites": list(alt.unlocated_sites),
                "covered": alt.covered,
                "share_covered": alt.share_covered,
                "covered_range": None if low_high is None else list(low_high),
                "change_vs_baseline": alt.covered - cmp.base.covered,
                "losing_access": losing,
                "losing_most_deprived_20pct_share": cmp.losing_in_most_deprived / losing
                if losing and engine.deprivation_name is not None
                else None,
                "mean_minutes": alt.mean_minutes,
                "busiest_site": None if busiest is None else busiest.label,
                "busiest_site_population": None if busiest is None else busiest.population,
                "beyond_capacity": None if load.capacity is None else load.capacity.beyond_capacity,
            }
        )
    assert first is not None
    return Appraisal(
        baseline=baseline.name,
        population_label=first.alt.population_label,
        mode=first.alt.mode,
        threshold=first.alt.threshold,
        rows=rows,
        deprivation=engine.deprivation_name is not None,
    )
