"""The one callback that keeps URL, view state and controls in step.

``apply_event`` is the pure core: given the current state and one UI event it returns
the next state and messages. The registered callback unpacks Dash's inputs, re-checks the
new state like a link (so every state the page holds is valid), and returns in the same
response the Access map and headline update (``access_map_update``), so a click is one
round trip.
"""

from __future__ import annotations

import copy
import json
import logging
import math

from dash import ALL, Input, Output, Patch, State, ctx, html, no_update

from dashboard import ids, viewstore
from dashboard.figures import lsoa_geometry_patch
from dashboard.maps import access_map, needs_map
from dashboard.pages.access import access_map_update, checklist_values, site_groups
from dashboard.preview import kernel_key, preview_kernel
from geo.errors import NeedsMapError
from geo.scenario import parse_added_site
from geo.viewstate import (
    MAX_ADDED,
    PAGES,
    base_scenario_id,
    chosen_options,
    decode,
    default_state,
    encode,
    from_store,
)

LOG = logging.getLogger(__name__)
INTERNAL_ERROR = "Something went wrong on the server; the view was kept as it was. (The error is logged.)"

NEEDS_KEYS = ("ind", "level", "wards", "w", "tiles", "ward", "labels")
ACCESS_KEYS = (
    "base",
    "open",
    "close",
    "add",
    "move",
    "mode",
    "unit",
    "threshold",
    "pop",
    "wards",
    "cmp",
    "colour",
    "w",
    "tiles",
    "ward",
    "labels",
    "cap",
    "name",  # a saved scenario's name, and the sites it names: its cards and briefings say it
    "named",
)


def effective_open(engine, state: dict) -> list[str]:
    scenario = engine.scenario(base_scenario_id(engine, state), state["open"], state["close"])
    return engine.open_site_ids(scenario)


def _set_open(engine, state: dict, wanted: set[str]) -> None:
    start = base_scenario_id(engine, state)
    base = set(engine.bundle.scenarios[start]["sites"]) if start is not None else set()
    order = list(engine.bundle.sites.index)
    state["open"] = [s for s in order if s in wanted - base]
    state["close"] = [s for s in order if s in base - wanted]


def apply_event(engine, state: dict, event: str, value=None, extra: dict | None = None) -> tuple[dict, dict]:
    """Next state after one event, and messages {"add_error", "move_error", "notice", ...}.

    Values come from the browser and may be anything a modified browser sends: each handler
    checks the shape it needs and says what it ignored. Only the engine's own errors become
    messages for the user; anything else is a bug, logged with its traceback and reported as
    an internal error (the fuzz tests fail on it)."""
    try:
        return _apply_event(engine, state, event, value, extra if isinstance(extra, dict) else {})
    except Exception:
        LOG.exception("internal error applying event %r", event)
        return copy.deepcopy(state), {"add_error": "", "move_error": "", "notice": INTERNAL_ERROR}


def _apply_event(engine, state: dict, event: str, value=None, extra: dict | None = None) -> tuple[dict, dict]:
    """Look the event up in EVENTS and let its handler change a copy of the state."""
    state = copy.deepcopy(state)
    msgs = {"add_error": "", "move_error": "", "notice": ""}
    handler = EVENTS.get(event)
    if handler is not None:
        handler(engine, state, value, extra or {}, msgs)
    return state, msgs


# -- event handlers: (engine, state to change, value, extra, messages to fill) -> None -------
def _on_page(engine, state, value, extra, msgs):
    state["page"] = value


def _text(value) -> str:
    """A browser value that should be text: text, else empty."""
    return value if isinstance(value, str) else ""


def _on_indicator(engine, state, value, extra, msgs):
    if not isinstance(value, str) or not value:
        return
    state["ind"] = value
    state["level"] = engine.shown_level(value, state["level"])[0]


def _on_level(engine, state, value, extra, msgs):
    if not isinstance(value, str) or value not in engine.levels:
        return
    state["level"], why = engine.shown_level(state["ind"], value)
    if why:
        msgs["notice"] = why


def _on_weights(engine, state, value, extra, msgs):
    if not isinstance(value, dict):
        msgs["notice"] = "The need-index weights were not understood and were left as they were."
        return
    try:
        weights = {str(k): float(v or 0) for k, v in value.items()}
    except (TypeError, ValueError):
        msgs["notice"] = "A need-index weight must be a number; the weights were left as they were."
        return
    if not engine.has_need_index:
        return  # no need index in this bundle: nothing to weigh (the sliders are not shown)
    try:
        engine.need_index(weights)
        state["w"] = weights
    except NeedsMapError as exc:
        msgs["notice"] = str(exc)


def _on_base(engine, state, value, extra, msgs):
    value = _text(value)
    state["base"] = value if value in engine.bundle.scenarios or value == "none" else state["base"]
    state["open"], state["close"] = [], []


def _on_checklist(engine, state, value, extra, msgs):
    sites = [s for s in value if isinstance(s, str)] if isinstance(value, list) else []
    _set_open(engine, state, set(sites))


def _on_toggle(engine, state, value, extra, msgs):
    if isinstance(value, str) and value in engine.bundle.sites.index:
        _set_open(engine, state, set(effective_open(engine, state)) ^ {value})


def _on_add(engine, state, value, extra, msgs):
    label = _text(extra.get("label")).strip() or "New site"
    where = _text(extra.get("where")).strip()
    if not where:
        msgs["add_error"] = "Enter a postcode or latitude,longitude."
    elif len(state["add"]) >= MAX_ADDED:
        msgs["add_error"] = f"At most {MAX_ADDED} added sites."
    else:
        spec = f"{label}@{where}"
        try:
            engine.scenario(None, add=[spec])
            state["add"] = state["add"] + [parse_added_site(spec).to_spec()]
        except NeedsMapError as exc:
            msgs["add_error"] = str(exc)


def _on_clear_added(engine, state, value, extra, msgs):
    state["add"] = []


def added_words(engine, spec: str) -> str:
    """An added site in the list: its name and place, and "outside <area>" for one beyond the
    boundary (within the buffer: families at the edge use such sites)."""
    site = parse_added_site(spec)
    words = spec.replace("@", " at ")
    try:
        return words + (f" (outside {engine.bundle.area_name})" if engine.is_outside(site) else "")
    except NeedsMapError:
        return words


def _on_move(engine, state, value, extra, msgs):
    site = _text(extra.get("site"))
    where = _text(extra.get("text")).strip()
    candidate = _text(extra.get("candidate"))
    if where and "@" in candidate:  # two answers: say so rather than silently take one
        msgs["move_error"] = (
            "Both a candidate site and a postcode or lat,lon are given: clear the text box to place at the "
            "candidate, or choose no candidate to place at the text."
        )
        return
    if not where and "@" in candidate:
        where = candidate.rsplit("@", 1)[1]
    if not site:
        msgs["move_error"] = "Choose the site to place."
        return
    if not where:
        msgs["move_error"] = "Choose a candidate or type a postcode or latitude,longitude."
        return
    sites = engine.bundle.sites
    name = sites.at[site, "name"].split(" (")[0][:40] if site in sites.index else site
    spec = f"{name}@{where}"
    try:
        engine.scenario(None, move={site: spec})
        state["move"] = {**state["move"], site: parse_added_site(spec).to_spec()}
    except NeedsMapError as exc:
        msgs["move_error"] = str(exc)


def _on_adopt(engine, state, value, extra, msgs):
    suggestion = extra.get("suggestion") if isinstance(extra.get("suggestion"), dict) else {}
    chosen = suggestion.get("chosen") if isinstance(suggestion.get("chosen"), list) else []
    specs = [c["spec"] for c in chosen if isinstance(c, dict) and isinstance(c.get("spec"), str)]
    if not specs:
        msgs["notice"] = "Run the optimiser first."
        return
    # The first suggestion takes the place of the site whose placement is an assumption
    # (e.g. a hub "to be agreed") when it is open and was not kept fixed; the rest are added.
    open_now = set(effective_open(engine, state))
    movable = [
        s["site"]
        for s in engine.placeable_sites()
        if s["site"] in open_now
        and s["site"] not in (suggestion.get("fixed") if isinstance(suggestion.get("fixed"), list) else [])
    ]
    if movable:
        state["move"] = {**state["move"], movable[0]: specs[0]}
        specs = specs[1:]
    state["add"] = (state["add"] + specs)[:MAX_ADDED]


def _on_cap_set(engine, state, value, extra, msgs):
    from geo.viewstate import MAX_CAPACITY

    site = _text(extra.get("cap_site"))
    raw = extra.get("cap_value")
    if site not in engine.bundle.located_sites.index:
        msgs["cap_error"] = "Choose the site."
        return
    try:
        people = float(raw)
        if not (math.isfinite(people) and 0 <= people <= MAX_CAPACITY):
            raise ValueError
    except (TypeError, ValueError):
        msgs["cap_error"] = f"A capacity is a number of people from 0 to {MAX_CAPACITY:,}."
        return
    state["cap"] = {**state["cap"], site: float(round(people))}


def _on_cap_clear(engine, state, value, extra, msgs):
    state["cap"] = {}


def _on_move_reset(engine, state, value, extra, msgs):
    state["move"] = {k: v for k, v in state["move"].items() if k != _text(extra.get("site"))}


def _on_flag(key):
    def handler(engine, state, value, extra, msgs):
        state[key] = bool(value)

    return handler


def _on_find(engine, state, value, extra, msgs):
    try:
        state["ward"] = engine.find_ward(value if isinstance(value, str) else "", state["wards"])
        msgs["find_error"] = ""
    except NeedsMapError as exc:
        text = str(exc)[:1].upper() + str(exc)[1:]
        msgs["find_error"] = text if text.endswith(("?", ".")) else text + "."


def _on_find_clear(engine, state, value, extra, msgs):
    state["ward"] = None
    msgs["find_error"] = ""


def _on_setting(key):
    """A plain setting (checked again as a link when the state is stored)."""

    def handler(engine, state, value, extra, msgs):
        if key == "wards" and value != state["wards"]:
            state["ward"] = None  # a found ward belongs to the other ward set
        state[key] = value
        if key == "unit":  # switching unit keeps a sensible threshold: 20 minutes <-> 1 km
            default = engine.default_minutes
            state["threshold"] = float(default) if value == "minutes" else 1.0

    return handler


def _on_threshold(engine, state, value, extra, msgs):
    try:
        number = float(value)
        minutes = number if state["unit"] == "minutes" else None
        km = number if state["unit"] == "km" else None
        engine.check_options(state["mode"], minutes, km, "none", state["pop"])
        state["threshold"] = number
        msgs["threshold_error"] = ""
    except (TypeError, ValueError, NeedsMapError) as exc:
        # Said next to the box (not in the banner); the box keeps what was typed until fixed.
        msgs["threshold_error"] = (
            f"Not changed: {exc}" if isinstance(exc, NeedsMapError) else "Not changed: enter a number, e.g. 20."
        )


def _on_option_choices(engine, state, value, extra, msgs):
    chosen = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    state["opts"] = chosen
    state["optbase"] = state["optbase"] if state["optbase"] in chosen else None


def _on_option_baseline(engine, state, value, extra, msgs):
    chosen, _ = chosen_options(engine, state)
    if isinstance(value, str) and value in chosen:
        state["opts"], state["optbase"] = chosen, value


EVENTS = {
    "page": _on_page,
    "indicator": _on_indicator,
    "level": _on_level,
    "weights": _on_weights,
    "base": _on_base,
    "checklist": _on_checklist,
    "toggle": _on_toggle,
    "add": _on_add,
    "clear_added": _on_clear_added,
    "move": _on_move,
    "adopt": _on_adopt,
    "move_reset": _on_move_reset,
    "cap_set": _on_cap_set,
    "cap_clear": _on_cap_clear,
    "tiles": _on_flag("tiles"),
    "labels": _on_flag("labels"),
    "find": _on_find,
    "find_clear": _on_find_clear,
    "threshold": _on_threshold,
    "opts": _on_option_choices,
    "optbase": _on_option_baseline,
    **{key: _on_setting(key) for key in ("mode", "unit", "pop", "cmp", "colour", "wards")},
}


def _slice(state, keys):
    return None if state is None else {k: state[k] for k in keys}


def _drop_unchanged(out: dict, current: dict, state: dict, control_values, weights_values, checklists) -> None:
    """After a click, send only what differs from what the browser shows: every output set makes
    the browser re-render that control, which is most of a click's cost."""
    for view, keys in (("needs_view", NEEDS_KEYS), ("access_view", ACCESS_KEYS)):
        if _slice(current, keys) == out[view]:
            out[view] = no_update
    out["controls"] = [no_update if new == old else new for new, old in zip(out["controls"], control_values)]
    # pattern-matching (ALL) outputs take one no_update per matched component
    out["weights"] = [no_update if new == old else new for new, old in zip(out["weights"], weights_values or [])]
    out["checklists"] = [
        no_update if new == list(old or []) else new for new, old in zip(out["checklists"], checklists)
    ]
    if state["add"] == current["add"]:
        out["added_list"] = no_update
    if state["cap"] == current.get("cap", {}):
        out["cap_list"] = no_update


def _read_link(engine, store, scenario_store, search) -> tuple[dict, list[str]]:
    """The state a page address asks for: a saved scenario (``?s=<id>``), a stored view
    (``?v=<id>``) or the view's own query, each checked like a link, with notices."""
    if isinstance(search, str) and search.startswith("?s=") and scenario_store is not None:
        from geo.viewstate import open_saved

        state, notices = open_saved(engine, scenario_store, search[3:].split("&", 1)[0])
        if state is None:
            return decode(engine, "")[0], [n + " Showing the default view." for n in notices]
        return state, notices
    query, longest, notices = viewstore.expand(store, search)
    state, decoded_notices = decode(engine, query, **({"max_query": longest} if longest else {}))
    return state, notices + decoded_notices


def register(app, engine, assets, scenario_store=None) -> None:
    store = scenario_store  # short links for long views live beside the saved scenarios
    layout_state = default_state(engine)  # what the layout shows before the first answer
    groups = site_groups(engine)
    sites = engine.bundle.located_sites
    role_labels = engine.bundle.manifest["layers"]["sites"].get("roles", {})
    controls = [
        (ids.INDICATOR, "value", "indicator"),
        (ids.LEVEL, "value", "level"),
        (ids.BASE, "value", "base"),
        (ids.MODE, "value", "mode"),
        (ids.THRESHOLD, "value", "threshold"),
        (ids.THRESHOLD_UNIT, "value", "unit"),
        (ids.POPULATION, "value", "pop"),
        (ids.COMPARE, "value", "cmp"),
        (ids.COLOUR_BY, "value", "colour"),
        (ids.TILES, "value", "tiles"),
        (ids.WARD_SET, "value", "wards"),
        (ids.LABELS, "value", "labels"),
        (ids.OPTIONS_CHOICES, "value", "opts"),
        (ids.OPTIONS_BASELINE, "value", "optbase"),
    ]
    if len(engine.ward_sets) > 1:  # the Needs page's own ward-set select shares the state key
        controls.append((ids.NEEDS_WARD_SET, "value", "wards"))
    weight_ids = engine.need_index_candidates()
    buttons = {
        "add": ids.ADD_BUTTON,
        "clear_added": ids.CLEAR_ADDED,
        "move": ids.MOVE_BUTTON,
        "move_reset": ids.MOVE_RESET,
        "adopt": ids.OPT_ADOPT,
        "cap_set": ids.CAP_SET,
        "cap_clear": ids.CAP_CLEAR,
    }

    # Inputs, states and outputs by name (Dash's flexible callback signatures), so nothing is
    # unpacked by position.
    @app.callback(
        output={
            "search": Output(ids.URL, "search"),
            "state": Output(ids.STATE, "data"),
            "page_view": Output(ids.PAGE_VIEW, "data"),
            "needs_view": Output(ids.NEEDS_VIEW, "data"),
            "access_view": Output(ids.ACCESS_VIEW, "data"),
            "tiles_view": Output(ids.TILES_VIEW, "data"),
            "notice": Output(ids.NOTICE, "children"),
            "controls": [Output(cid, prop) for cid, prop, _ in controls],
            "weights": Output({"type": ids.WEIGHTS, "indicator": ALL}, "value"),
            "checklists": Output({"type": ids.SITE_CHECKLIST, "group": ALL}, "value"),
            "add_error": Output(ids.ADD_ERROR, "children"),
            "move_error": Output(ids.MOVE_ERROR, "children"),
            "added_list": Output(ids.ADDED_LIST, "children"),
            "cap_error": Output(ids.CAP_ERROR, "children"),
            "cap_list": Output(ids.CAP_LIST, "children"),
            "access": {  # the Access map and headline update, in the same response as the click
                "map": Output(ids.ACCESS_MAP, "figure", allow_duplicate=True),
                "headlines": Output(ids.HEADLINES, "children"),
                "unlocated": Output(ids.UNLOCATED, "children"),
                "assumptions": Output(ids.ASSUMPTIONS, "children"),
                "compact": Output(ids.HEADLINE_COMPACT, "children"),
                "kernel": Output(ids.MAP_PREVIEW, "data"),
            },
            "threshold_error": Output(ids.THRESHOLD_ERROR, "children"),
            "threshold_invalid": Output(ids.THRESHOLD, "invalid"),
            "find_errors": [Output(ids.find_error(p), "children") for p in ids.FINDER_PAGES],
        },
        inputs={
            "search": Input(ids.URL, "search"),
            "control_values": [Input(cid, prop) for cid, prop, _ in controls],
            "weights_values": Input({"type": ids.WEIGHTS, "indicator": ALL}, "value"),
            "checklists": Input({"type": ids.SITE_CHECKLIST, "group": ALL}, "value"),
            "click": Input(ids.ACCESS_MAP, "clickData"),
            "button_clicks": {name: Input(cid, "n_clicks") for name, cid in buttons.items()},
            "tab_clicks": [Input(ids.page_tab(p), "n_clicks") for p in PAGES],
            "finder_events": [
                Input(cid, prop)
                for p in ids.FINDER_PAGES
                for cid, prop in (
                    (ids.find_button(p), "n_clicks"),
                    (ids.find_text(p), "n_submit"),
                    (ids.find_clear(p), "n_clicks"),
                )
            ],
        },
        state={
            "current": State(ids.STATE, "data"),
            "suggestion": State(ids.OPT_STORE, "data"),
            "add_label": State(ids.ADD_LABEL, "value"),
            "add_where": State(ids.ADD_WHERE, "value"),
            "move_site": State(ids.MOVE_SITE, "value"),
            "move_candidate": State(ids.MOVE_WHERE, "value"),
            "move_text": State(ids.MOVE_WHERE_TEXT, "value"),
            "cap_site": State(ids.CAP_SITE, "value"),
            "cap_value": State(ids.CAP_VALUE, "value"),
            "access_map_drawn": State(ids.ACCESS_MAP_DRAWN, "data"),
            "find_texts": [State(ids.find_text(p), "value") for p in ids.FINDER_PAGES],
        },
        # runs on page load (to read the URL) and shares the map output with the optimiser
        prevent_initial_call="initial_duplicate",
    )
    def sync(
        search,
        control_values,
        weights_values,
        checklists,
        click,
        button_clicks,
        tab_clicks,
        finder_events,
        current,
        suggestion,
        add_label,
        add_where,
        move_site,
        move_candidate,
        move_text,
        cap_site,
        cap_value,
        access_map_drawn,
        find_texts,
    ):
        by_control = dict(zip([c[0] for c in controls], control_values))
        trigger = ctx.triggered_id
        msgs = {"add_error": "", "move_error": "", "notice": ""}
        notices: list[str] = []
        if trigger is None or trigger == ids.URL or current is None:
            state, notices = _read_link(engine, store, scenario_store, search)
        else:
            current, notices = from_store(engine, current)
            extra = {
                "label": add_label,
                "where": add_where,
                "site": move_site,
                "candidate": move_candidate,
                "text": move_text,
                "cap_site": cap_site,
                "cap_value": cap_value,
                "suggestion": suggestion,
                "find": dict(zip(ids.FINDER_PAGES, find_texts)),
            }
            event, value, extra = _event(trigger, by_control, weights_values, weight_ids, checklists, click, extra)
            state, msgs = apply_event(engine, current, event, value, extra)
            state, invalid = from_store(engine, state)  # e.g. a page name no page has
            notices = notices + ([msgs["notice"]] if msgs["notice"] else []) + invalid
        try:
            open_ids = effective_open(engine, state)
        except NeedsMapError as exc:  # a stale or tampered state: start again from defaults
            state, _ = decode(engine, "")
            open_ids = effective_open(engine, state)
            notices.append(f"The view could not be restored ({exc}); showing the default view.")
        clicked = trigger not in (None, ids.URL) and current is not None
        search_out, store_notices = viewstore.shorten(store, encode(state))
        notices = notices + store_notices
        out = {
            "search": search_out,
            "state": state,
            "notice": [html.Div(n) for n in notices] if notices else None,
            "tiles_view": state["tiles"] if (current or {}).get("tiles", False) != state["tiles"] else no_update,
            "needs_view": _slice(state, NEEDS_KEYS),
            "access_view": _slice(state, ACCESS_KEYS),
            "page_view": state["page"] if (current or layout_state).get("page") != state["page"] else no_update,
            "controls": [_control_value(engine, state, c[2]) for c in controls],
            "weights": [float(state["w"].get(i, 0)) for i in weight_ids],
            "checklists": checklist_values(engine, open_ids, groups),
            "added_list": [html.Li(added_words(engine, spec)) for spec in state["add"]],
            "cap_list": [
                html.Li(f"{engine.site_label(site) or site}: {people:,.0f}")
                for site, people in sorted(state["cap"].items())
            ],
            "cap_error": msgs.get("cap_error", ""),
            "add_error": msgs["add_error"],
            "move_error": msgs["move_error"],
        }
        if clicked:
            _drop_unchanged(out, current, state, control_values, weights_values, checklists)
        else:
            # Page load or a new address: what the layout (or the page before) already shows is
            # not sent again; the Needs map would otherwise wait for one more callback, and each
            # control re-rendered delays the first map. The Access view is always sent (its
            # headline figures are not in the layout).
            access_view = out["access_view"]
            _drop_unchanged(out, current or layout_state, state, control_values, weights_values, checklists)
            out["access_view"] = access_view
        # A click's map and headline update travels in this same response (one round trip);
        # charts and tables follow from the access-view store.
        access = (
            access_map_update(engine, out["access_view"], sites, role_labels, assets)
            if out["access_view"] is not no_update
            else (no_update,) * 5
        )
        out["access"] = dict(zip(("map", "headlines", "unlocated", "assumptions", "compact"), access))
        if not access_map_drawn:  # nothing to patch yet: the whole map comes when the page is shown
            out["access"]["map"] = no_update
        # The map preview's kernel (dashboard/preview.py): sent on the Access page only, when it
        # is shown and when what the kernel depends on changes there.
        on_access = state["page"] == "access"
        changed = not clicked or current.get("page") != "access" or kernel_key(current) != kernel_key(state)
        out["access"]["kernel"] = (
            preview_kernel(engine, state, sites, role_labels) if on_access and changed else no_update
        )
        threshold_error = "" if trigger == ids.THRESHOLD_UNIT else msgs.get("threshold_error")
        out["threshold_error"] = no_update if threshold_error is None else threshold_error
        out["threshold_invalid"] = no_update if threshold_error is None else bool(threshold_error)
        if threshold_error:  # keep the typed value in the box, with the reason beside it
            out["controls"][[c[0] for c in controls].index(ids.THRESHOLD)] = no_update
        out["find_errors"] = [msgs.get("find_error", no_update)] * len(ids.FINDER_PAGES)
        return out

    @app.callback(
        Output(ids.NEEDS_MAP, "figure", allow_duplicate=True),
        Output(ids.ACCESS_MAP, "figure", allow_duplicate=True),
        Output(ids.ACCESS_MAP_DRAWN, "data", allow_duplicate=True),
        Output(ids.NEEDS_LSOA_LEVELS_DRAWN, "data", allow_duplicate=True),
        Input(ids.TILES_VIEW, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def switch_basemap(_tiles, state):
        # One of the updates that send geometry again: the two map types draw differently.
        state, _ = from_store(engine, state)
        levels = [level for level in engine.levels if level != "ward"]
        return needs_map(engine, assets, state), access_map(engine, assets, state), True, levels

    @app.callback(
        Output(ids.NEEDS_MAP, "figure", allow_duplicate=True),
        Output(ids.NEEDS_LSOA_LEVELS_DRAWN, "data"),
        Input(ids.LEVEL, "value"),
        State(ids.NEEDS_LSOA_LEVELS_DRAWN, "data"),
        prevent_initial_call=True,
    )
    def draw_needs_lsoas(level, drawn):
        # The page starts with the boundaries of the level it shows; an LSOA level's are sent
        # the first time it is shown (a county's LSOAs are most of the map's bytes).
        if level not in ("lsoa", "lsoa_current") or level not in engine.levels or level in (drawn or []):
            return no_update, no_update
        geojson = assets.lsoa_geojson if level == "lsoa" else assets.current_lsoa_geojson
        return lsoa_geometry_patch(Patch(), list(engine.ward_sets), level, geojson), [*(drawn or []), level]

    @app.callback(
        Output(ids.ACCESS_MAP, "figure", allow_duplicate=True),
        Output(ids.ACCESS_MAP_DRAWN, "data"),
        Input(ids.PAGE_VIEW, "data"),
        State(ids.ACCESS_MAP_DRAWN, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def draw_access_map(page, drawn, state):
        # The other: the page starts with an empty Access map (maps.NOT_DRAWN); the whole map,
        # for the view as it is now, when the page is first shown.
        if page != "access" or drawn:
            return no_update, no_update
        state, _ = from_store(engine, state)
        return access_map(engine, assets, state), True

    @app.callback(
        Output(ids.SITES_MAP, "figure"),
        Output(ids.SITES_MAP_DRAWN, "data"),
        Input(ids.PAGE_VIEW, "data"),
        State(ids.SITES_MAP_DRAWN, "data"),
        prevent_initial_call=True,
    )
    def draw_sites_map(page, drawn):
        # The Sites map starts without boundaries; the wards' are sent when the page is first shown.
        if page != "sites" or drawn:
            return no_update, no_update
        patch = Patch()
        patch["data"][0]["geojson"] = assets.ward_geojson
        return patch, True

    # The page shown: tabs and panels follow the state's page in the browser (no round trip
    # beyond the state callback's), keeping the ARIA attributes of the tablist right.
    # (the logic of every clientside callback here is in assets/clientside.js, tested with Node)
    app.clientside_callback(
        f"function(page) {{ return window.dash_clientside.needsMap.pageTabs(page, {json.dumps(list(PAGES))}); }}",
        *[
            o
            for p in PAGES
            for o in (
                Output(ids.page_tab(p), "className"),
                Output(ids.page_tab(p), "aria-selected"),
                Output(ids.page_tab(p), "tabIndex"),
                Output(ids.page_panel(p), "hidden"),
            )
        ],
        Input(ids.PAGE_VIEW, "data"),
        # the layout's tabs and panels already show the page the view store starts with; running at
        # load would set the same 20 properties again and re-render every page before the first map
        prevent_initial_call=True,
    )

    # The map preview's kernel, handed to assets/map_preview.js (no output: it only keeps it).
    app.clientside_callback(
        """function(kernel) {
            if (window.needsMapPreview) { window.needsMapPreview.keep(kernel); }
        }""",
        Input(ids.MAP_PREVIEW, "data"),
    )

    # The street basemap needs the full plotly.js: reload the page (its URL now says tiles=1)
    # when the partial build is the one loaded.
    app.clientside_callback(
        """function(search) {
            const cs = window.dash_clientside;
            if (cs.needsMap.wantsFullPlotly(search, window.NEEDS_MAP_PARTIAL_PLOTLY)) { window.location.reload(); }
            return cs.no_update;
        }""",
        Output(ids.TILES, "id"),
        Input(ids.URL, "search"),
        prevent_initial_call=True,
    )

    # Copy link: the clipboard where the browser allows it, else the link shown to copy by hand.
    app.clientside_callback(
        f"function(n, link) {{ return window.dash_clientside.needsMap.copyLink(n, link, {json.dumps(ids.COPY_FALLBACK)}); }}",
        Output(ids.COPY_STATUS, "children"),
        Output(ids.COPY_FALLBACK_BOX, "hidden"),
        Output(ids.COPY_FALLBACK, "value"),
        Input(ids.COPY_LINK, "n_clicks"),
        State(ids.LINK_TEXT, "children"),
        prevent_initial_call=True,
    )

    # The link to copy: the page's own address (origin + path + query), in the browser.
    app.clientside_callback(
        "function(search) { return window.dash_clientside.needsMap.linkText(search); }",
        Output(ids.LINK_TEXT, "children"),
        Input(ids.URL, "search"),
    )


def _control_value(engine, state: dict, key: str):
    """What a control shows for the state: its key's value, with the Options page's defaults
    resolved."""
    if key == "indicator":
        return state["ind"]
    if key in ("opts", "optbase"):
        return chosen_options(engine, state)[0 if key == "opts" else 1]
    return state[key]


def _event(trigger, control_values, weights_values, weight_ids, checklists, click, extra):
    if isinstance(trigger, str) and trigger.startswith(ids.page_tab("")):
        return "page", trigger.removeprefix(ids.page_tab("")), extra
    for page in ids.FINDER_PAGES:
        if trigger in (ids.find_button(page), ids.find_text(page)):
            return "find", (extra.get("find") or {}).get(page), extra
        if trigger == ids.find_clear(page):
            return "find_clear", None, extra
    names = {
        ids.INDICATOR: "indicator",
        ids.LEVEL: "level",
        ids.BASE: "base",
        ids.MODE: "mode",
        ids.THRESHOLD: "threshold",
        ids.THRESHOLD_UNIT: "unit",
        ids.POPULATION: "pop",
        ids.COMPARE: "cmp",
        ids.COLOUR_BY: "colour",
        ids.TILES: "tiles",
        ids.WARD_SET: "wards",
        ids.NEEDS_WARD_SET: "wards",
        ids.LABELS: "labels",
        ids.OPTIONS_CHOICES: "opts",
        ids.OPTIONS_BASELINE: "optbase",
    }
    if isinstance(trigger, str) and trigger in names:
        return names[trigger], control_values.get(trigger), extra
    if isinstance(trigger, dict) and trigger.get("type") == ids.WEIGHTS:
        return "weights", dict(zip(weight_ids, weights_values)), extra
    if isinstance(trigger, dict) and trigger.get("type") == ids.SITE_CHECKLIST:
        return "checklist", [s for values in checklists for s in (values or [])], extra
    if trigger == ids.ACCESS_MAP:
        point = ((click or {}).get("points") or [{}])[0]
        return "toggle", point.get("customdata"), extra
    return (
        {
            ids.ADD_BUTTON: "add",
            ids.CLEAR_ADDED: "clear_added",
            ids.MOVE_BUTTON: "move",
            ids.MOVE_RESET: "move_reset",
            ids.OPT_ADOPT: "adopt",
            ids.CAP_SET: "cap_set",
            ids.CAP_CLEAR: "cap_clear",
        }.get(trigger, "none"),
        None,
        extra,
    )
