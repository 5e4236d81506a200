"""An appraisal's options from where people keep them: presets, saved scenarios (``geo.store``),
view states (a JSON file, or a link's state) and the links that reopen each option.

Above the core (``geo.appraisal`` compares options; it knows nothing of files, databases or
view states) and beside the view-state codec (``geo.viewstate``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from geo.appraisal import Option, preset
from geo.errors import ScenarioError
from geo.viewstate import ViewState, default_state, from_store, open_saved, scenario_of, view_link


def from_state(
    engine, name: str, label: str, state: Mapping[str, Any], source: str, where: str | None = None
) -> Option:
    """An option from a view state, checked like a link (``geo.viewstate.from_store``); any
    problem is an error naming ``where`` it came from (default: its name)."""
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
        saved = store.get(spec)
        if saved is not None:
            state, notices = open_saved(engine, store, spec)
            if state is None or notices:
                raise ScenarioError(f"option {spec!r}: " + "; ".join(notices))
            return from_state(engine, spec, saved.name, state, "saved")
    where = "a preset, a saved scenario id or a .json file" if store is not None else "a preset or a .json file"
    raise ScenarioError(f"option {spec!r} is not {where} (presets: {', '.join(engine.scenario_names())})")


TRAVEL_KEYS = ("mode", "unit", "threshold", "pop")


def option_links(
    engine, options: list[Option], base_url: str, settings: dict | None = None, store=None
) -> dict[str, str]:
    """The link that reopens each option on the Access page (a preset as its scenario), with the
    travel keys of the view state ``settings`` when given; short links with ``store``
    (``geo.viewstate.view_link``).

    >>> option_links(engine, [preset(engine, "current_2020")], "http://x/")["current_2020"][:30]
    'http://x/?page=access&ind=need'
    """
    links = {}
    for option in options:
        # every option opens on the Access page, whatever page its view was on
        state = {**(option.state or {**default_state(engine), "base": option.name}), "page": "access"}
        if settings:
            state = {**state, **{k: settings[k] for k in TRAVEL_KEYS}}
        links[option.name] = view_link(base_url, cast(ViewState, state), store)
    return links
