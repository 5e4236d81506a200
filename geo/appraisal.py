"""Options appraisal: two to six scenarios side by side against a baseline, in one table.

An option is a scenario: a named preset of the bundle, a saved scenario (``geo.store``) or a
view state (a JSON file, or a link's state). Only an option's sites count (its preset and the
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

import json
from dataclasses import dataclass
from pathlib import Path

from geo.catchments import catchments
from geo.errors import ScenarioError
from geo.scenario import Scenario

MIN_OPTIONS, MAX_OPTIONS = 2, 6


@dataclass(frozen=True)
class Option:
    """One option: a name (unique in the appraisal), a label for people, its scenario, where it
    came from, and the view state that reopens it (None for a preset)."""

    name: str
    label: str
    scenario: Scenario
    source: str  # "preset" | "saved" | "file"
    state: dict | None = None


def preset(engine, name: str) -> Option:
    """A named scenario of the bundle."""
    if name not in engine.bundle.scenarios:
        raise ScenarioError(f"unknown scenario {name!r}; the bundle has {', '.join(engine.scenario_names())}")
    scenario = engine.scenario(name)
    return Option(name=name, label=scenario.label, scenario=scenario, source="preset")


def from_state(engine, name: str, label: str, state: dict, source: str, where: str | None = None) -> Option:
    """An option from a view state, checked like a link (``geo.viewstate.from_store``); any
    problem is an error naming ``where`` it came from (default: its name)."""
    from geo.viewstate import from_store, scenario_of

    checked, notices = from_store(engine, state)
    if notices:
        raise ScenarioError(f"option {where or name!r}: " + "; ".join(notices))
    scenario = scenario_of(engine, checked)
    return Option(name=name, label=label or scenario.label, scenario=scenario, source=source, state=checked)


MAX_VIEW_FILE_BYTES = 200_000  # a view-state file: the largest view the interface makes is about 20 KB


def resolve(engine, spec: str, store=None) -> Option:
    """An option named on a command line: a preset name, a saved scenario id (``store``), or a
    JSON file of a view state."""
    spec = spec.strip()
    if spec in engine.bundle.scenarios:
        return preset(engine, spec)
    if spec.lower().endswith(".json"):
        path = Path(spec)
        try:
            if path.stat().st_size > MAX_VIEW_FILE_BYTES:  # measured before any of it is read
                raise ScenarioError(f"option {spec!r}: over {MAX_VIEW_FILE_BYTES // 1000} KB; a view state is small")
            state = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ScenarioError(f"option {spec!r}: file not found") from None
        except RecursionError:
            raise ScenarioError(f"option {spec!r}: nested too deeply to be a view state") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"option {spec!r}: not a JSON view state ({exc})") from None
        if not isinstance(state, dict):
            raise ScenarioError(f"option {spec!r}: a view state is a JSON object")
        return from_state(engine, path.stem, str(state.get("label", "")) or path.stem, state, "file", where=spec)
    if store is not None:
        from geo.store import open_saved

        saved = store.get(spec)
        if saved is not None:
            state, notices = open_saved(engine, store, spec)
            if state is None or notices:
                raise ScenarioError(f"option {spec!r}: " + "; ".join(notices))
            return from_state(engine, spec, saved.name, state, "saved")
    where = "a preset, a saved scenario id or a .json file" if store is not None else "a preset or a .json file"
    raise ScenarioError(f"option {spec!r} is not {where} (presets: {', '.join(engine.scenario_names())})")


@dataclass
class Appraisal:
    """Rows per option, in the order given, and the settings they share."""

    baseline: str
    population_label: str
    mode: str
    threshold: dict
    rows: list[dict]

    def to_dict(self) -> dict:
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


def _rounded(key: str, value):
    places = JSON_PLACES.get(key)
    if places is None or value is None:
        return value
    if isinstance(value, list):
        return [round(float(v), places) for v in value]
    return round(float(value), places)


def appraise(engine, options: list[Option], baseline: Option | None = None, capacity=None, **travel) -> Appraisal:
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
                "losing_most_deprived_20pct_share": cmp.losing_in_most_deprived / losing if losing else None,
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
    )


TRAVEL_KEYS = ("mode", "unit", "threshold", "pop")


def option_links(
    engine, options: list[Option], base_url: str, settings: dict | None = None, store=None
) -> dict[str, str]:
    """The link that reopens each option on the Access page (a preset as its scenario), with the
    travel keys of the view state ``settings`` when given; short links with ``store``
    (``geo.briefing.view_link``).

    >>> option_links(engine, [preset(engine, "current_2020")], "http://x/")["current_2020"][:30]
    'http://x/?page=access&ind=need'
    """
    from geo.briefing import view_link
    from geo.viewstate import default_state

    links = {}
    for option in options:
        # every option opens on the Access page, whatever page its view was on
        state = {**(option.state or {**default_state(engine), "base": option.name}), "page": "access"}
        if settings:
            state = {**state, **{k: settings[k] for k in TRAVEL_KEYS}}
        links[option.name] = view_link(base_url, state, store)
    return links
